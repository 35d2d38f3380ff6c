//! `t:trimRight` — removes white space (C `isspace`) from the end of the
//! value.
//!
//! ```text
//! SecRule ARGS:file "@endsWith .php" "id:1,phase:2,deny,t:none,t:trimRight,t:lowercase"
//! ```

use super::Provenance;
use super::trim::trim_end;

/// Trims the end; `None` when it has no white space.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let trimmed = trim_end(input);
    (trimmed.len() != input.len()).then(|| trimmed.to_vec())
}

/// Output bytes are input bytes (some removed or moved).
pub const PROVENANCE: Provenance = Provenance::SAME;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_end_only() {
        assert_eq!(transform(b" a b \t\r\n").unwrap(), b" a b");
        assert_eq!(transform(b"\n\n").unwrap(), b"");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b" a"), None);
        assert_eq!(transform(b"a\x00"), None);
    }
}
