//! `t:trimLeft` — removes white space (C `isspace`) from the start of the
//! value.
//!
//! ```text
//! SecRule ARGS:cmd "@beginsWith rm" "id:1,phase:2,deny,t:none,t:trimLeft"
//! ```

use super::Provenance;
use super::trim::trim_start;

/// Trims the start; `None` when it has no white space.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let trimmed = trim_start(input);
    (trimmed.len() != input.len()).then(|| trimmed.to_vec())
}

/// Output bytes are input bytes (some removed or moved).
pub const PROVENANCE: Provenance = Provenance::SAME;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_start_only() {
        assert_eq!(transform(b" \t\na b ").unwrap(), b"a b ");
        assert_eq!(transform(b" \x0b\x0c\r").unwrap(), b"");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"a "), None);
        assert_eq!(transform(b"\xa0a"), None);
    }
}
