//! `t:parityEven7bit` — sets the top bit of each byte as an even-parity bit
//! for the other seven.
//!
//! Exactly as ModSecurity computes it: the parity is taken over all eight
//! bits of the *input* byte; if it is odd the top bit is set, otherwise it is
//! cleared. For 7-bit input this is plain even parity (`'A'` 0x41 has two set
//! bits → 0x41; `'C'` 0x43 has three → 0xc3).
//!
//! ```text
//! SecRule ARGS "@contains attack" "id:1,phase:2,deny,t:none,t:parityEven7bit,t:parityZero7bit"
//! ```

use super::Provenance;

/// Applies even parity to each byte; `None` when no byte changes.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let f = |b: u8| {
        if b.count_ones() % 2 == 1 {
            b | 0x80
        } else {
            b & 0x7f
        }
    };
    input
        .iter()
        .any(|&b| f(b) != b)
        .then(|| input.iter().map(|&b| f(b)).collect())
}

/// Only the top bit changes.
pub const PROVENANCE: Provenance = Provenance::TOP_BIT;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_parity_bit() {
        assert_eq!(transform(b"ABCD").unwrap(), b"AB\xc3D");
        assert_eq!(transform(b"\x01\x00").unwrap(), b"\x81\x00");
    }

    #[test]
    fn parity_counts_the_input_top_bit() {
        // 0x80: one set bit, odd → top bit set → unchanged.
        assert_eq!(transform(b"\x80"), None);
        // 0x81: two set bits, even → top bit cleared.
        assert_eq!(transform(b"\x81").unwrap(), b"\x01");
        assert_eq!(transform(b"\xff").unwrap(), b"\x7f");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"AB"), None);
    }
}
