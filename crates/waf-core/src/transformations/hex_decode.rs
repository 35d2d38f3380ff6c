//! `t:hexDecode` — decodes a string of hex digit pairs into bytes.
//!
//! Matches ModSecurity: the value is read two characters at a time, a
//! trailing odd character is dropped, and characters are *not* validated.
//! A non-hex character is turned into a "digit" by ModSecurity's `x2c`
//! arithmetic (`c >= 'A' ? (c & 0xdf) - 'A' + 10 : c - '0'`, modulo 256), so
//! `0z` decodes to `#` (0x23). We reproduce that exactly so that rules see the
//! same bytes as under ModSecurity.
//!
//! ```text
//! SecRule ARGS:data "@contains <script" "id:1,phase:2,deny,t:none,t:hexDecode"
//! ```

use super::Provenance;

/// ModSecurity's `x2c` digit value, wrapping like its `unsigned char` maths.
#[inline]
const fn x2c_digit(c: u8) -> u8 {
    if c >= b'A' {
        (c & 0xdf).wrapping_sub(b'A').wrapping_add(10)
    } else {
        c.wrapping_sub(b'0')
    }
}

/// Decodes pairs; `None` only for the empty value.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    if input.is_empty() {
        return None;
    }
    Some(
        input
            .chunks_exact(2)
            .map(|p| {
                x2c_digit(p[0])
                    .wrapping_mul(16)
                    .wrapping_add(x2c_digit(p[1]))
            })
            .collect(),
    )
}

/// Decoded bytes need not occur in the input.
pub const PROVENANCE: Provenance = Provenance::Unrelated;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pairs() {
        assert_eq!(transform(b"5465737443617365").unwrap(), b"TestCase");
        assert_eq!(transform(b"546573740043617365").unwrap(), b"Test\x00Case");
        assert_eq!(transform(b"fF0a").unwrap(), b"\xff\x0a");
    }

    #[test]
    fn odd_trailing_character_is_dropped() {
        assert_eq!(
            transform(b"01234567890az").unwrap(),
            b"\x01\x23\x45\x67\x89\x0a"
        );
        assert_eq!(
            transform(b"01234567890a0").unwrap(),
            b"\x01\x23\x45\x67\x89\x0a"
        );
        assert_eq!(transform(b"4").unwrap(), b"");
    }

    #[test]
    fn invalid_digits_follow_modsecurity_arithmetic() {
        // "0z": 0 * 16 + (('z' & 0xdf) - 'A' + 10) = 35 = '#'.
        assert_eq!(
            transform(b"01234567890a0z01234567890a").unwrap(),
            b"\x01\x23\x45\x67\x89\x0a#\x01\x23\x45\x67\x89\x0a"
        );
        // Bytes below '0' wrap around instead of panicking.
        assert_eq!(
            transform(b"\x00\x00").unwrap(),
            [0u8.wrapping_sub(b'0').wrapping_mul(17)]
        );
        assert_eq!(transform(b"\xff\xff").unwrap().len(), 1);
    }

    #[test]
    fn empty_is_none() {
        assert_eq!(transform(b""), None);
    }
}
