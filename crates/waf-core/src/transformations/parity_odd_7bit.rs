//! `t:parityOdd7bit` — sets the top bit of each byte as an odd-parity bit for
//! the other seven.
//!
//! Exactly as ModSecurity computes it: the parity is taken over all eight
//! bits of the *input* byte; if it is odd the top bit is cleared, otherwise it
//! is set. For 7-bit input this is plain odd parity (`'A'` 0x41 → 0xc1; `'C'`
//! 0x43 → 0x43).
//!
//! ```text
//! SecRule ARGS "@contains attack" "id:1,phase:2,deny,t:none,t:parityOdd7bit,t:parityZero7bit"
//! ```

use super::Provenance;

/// Applies odd parity to each byte; `None` when no byte changes.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let f = |b: u8| {
        if b.count_ones() % 2 == 1 {
            b & 0x7f
        } else {
            b | 0x80
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
        assert_eq!(transform(b"ABCD").unwrap(), b"\xc1\xc2C\xc4");
        assert_eq!(transform(b"\x00").unwrap(), b"\x80");
    }

    #[test]
    fn parity_counts_the_input_top_bit() {
        // 0x80: one set bit, odd → top bit cleared.
        assert_eq!(transform(b"\x80").unwrap(), b"\x00");
        // 0x81: two set bits, even → top bit set → unchanged.
        assert_eq!(transform(b"\x81"), None);
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"C\x81"), None);
    }
}
