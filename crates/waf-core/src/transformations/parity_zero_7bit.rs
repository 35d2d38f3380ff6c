//! `t:parityZero7bit` — clears the top bit of every byte, turning
//! parity-marked 7-bit data back into ASCII.
//!
//! ```text
//! SecRule ARGS "@contains attack" "id:1,phase:2,deny,t:none,t:parityZero7bit"
//! ```

use super::Provenance;

/// Clears bit 7 of each byte; `None` when the value is already 7-bit.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    input
        .iter()
        .any(|&b| b & 0x80 != 0)
        .then(|| input.iter().map(|&b| b & 0x7f).collect())
}

/// Only the top bit changes.
pub const PROVENANCE: Provenance = Provenance::TOP_BIT;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clears_top_bit() {
        assert_eq!(transform(b"\xc1\xc2C\xff\x80").unwrap(), b"ABC\x7f\x00");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"ABC\x7f"), None);
    }
}
