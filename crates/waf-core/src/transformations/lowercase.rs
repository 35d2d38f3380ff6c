//! `t:lowercase` — converts ASCII `A`–`Z` to `a`–`z`.
//!
//! Bytes outside ASCII are left alone (ModSecurity uses C `tolower` in the
//! "C" locale), so UTF-8 and binary values pass through intact.
//!
//! ```text
//! SecRule ARGS "@contains select" "id:1,phase:2,deny,t:none,t:lowercase"
//! ```

use super::Provenance;

/// Lower-cases ASCII letters; `None` when there are none.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    if !input.iter().any(u8::is_ascii_uppercase) {
        return None;
    }
    Some(input.to_ascii_lowercase())
}

/// A lower-case letter may come from its upper-case form.
pub const PROVENANCE: Provenance = Provenance::CASE;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_only() {
        assert_eq!(
            transform(b"SeLeCT\xc3\x89\x00Z").unwrap(),
            b"select\xc3\x89\x00z"
        );
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"already lower 123 \xc9"), None);
    }
}
