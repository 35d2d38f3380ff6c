//! `t:uppercase` — converts ASCII `a`–`z` to `A`–`Z`.
//!
//! Bytes outside ASCII are left alone (C `toupper`, "C" locale).
//!
//! ```text
//! SecRule REQUEST_METHOD "@streq GET" "id:1,phase:1,pass,t:none,t:uppercase"
//! ```

use super::Provenance;

/// Upper-cases ASCII letters; `None` when there are none.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    if !input.iter().any(u8::is_ascii_lowercase) {
        return None;
    }
    Some(input.to_ascii_uppercase())
}

/// An upper-case letter may come from its lower-case form.
pub const PROVENANCE: Provenance = Provenance::CASE;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_only() {
        assert_eq!(transform(b"get\xe9\x00z").unwrap(), b"GET\xe9\x00Z");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"GET 1 \xff"), None);
    }
}
