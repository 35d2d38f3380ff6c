//! `t:length` — replaces the value with its length in bytes, as a decimal
//! string.
//!
//! Usually the last transformation in a list, followed by a numeric operator:
//!
//! ```text
//! SecRule ARGS "@gt 400" "id:1,phase:2,deny,t:none,t:length"
//! ```

use super::Provenance;

/// The byte length as ASCII decimal digits (`""` → `"0"`).
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    Some(input.len().to_string().into_bytes())
}

/// Digits whatever the input held.
pub const PROVENANCE: Provenance = Provenance::Unrelated;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_bytes_not_characters() {
        assert_eq!(transform(b"").unwrap(), b"0");
        assert_eq!(transform(b"\xc3\xa9").unwrap(), b"2");
        assert_eq!(transform(&[0u8; 1234]).unwrap(), b"1234");
    }
}
