//! Byte helpers shared by the transformations (hex digits, C `isspace`).
//!
//! All helpers work on single bytes and never assume UTF-8.

/// Value of an ASCII hexadecimal digit, or `None`.
#[inline]
pub(super) const fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Whether `b` is an ASCII hexadecimal digit.
#[inline]
pub(super) const fn is_hex(b: u8) -> bool {
    hex_val(b).is_some()
}

/// The byte encoded by the two hex digits at `input[at]` and `input[at + 1]`,
/// if both exist and are valid.
#[inline]
pub(super) fn hex_pair(input: &[u8], at: usize) -> Option<u8> {
    let hi = hex_val(*input.get(at)?)?;
    let lo = hex_val(*input.get(at + 1)?)?;
    Some(hi << 4 | lo)
}

/// Whether `b` is white space for C's `isspace` in the "C" locale:
/// space, `\t`, `\n`, `\v`, `\f`, `\r`. ModSecurity uses this set.
#[inline]
pub(super) const fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Lower-case hexadecimal digits, as ModSecurity prints them.
pub(super) const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Appends `b` as two lower-case hex digits.
#[inline]
pub(super) fn push_hex_byte(out: &mut Vec<u8>, b: u8) {
    out.push(HEX_LOWER[usize::from(b >> 4)]);
    out.push(HEX_LOWER[usize::from(b & 0x0f)]);
}

/// The full-width ASCII rule shared by `urlDecodeUni`, `jsDecode` and
/// `cssDecode`: a code point `U+FFxx` whose low byte is in `0x01..=0x5e`
/// stands for the ASCII byte `xx + 0x20` (U+FF01 is `!`, U+FF5E is `~`).
/// `hi1`/`hi2` are the two high hex digits as written; `low` the low byte.
#[inline]
pub(super) const fn full_width_adjust(hi1: u8, hi2: u8, low: u8) -> u8 {
    if (hi1 | 0x20) == b'f' && (hi2 | 0x20) == b'f' && low > 0x00 && low < 0x5f {
        low + 0x20
    } else {
        low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digits() {
        assert_eq!(hex_val(b'0'), Some(0));
        assert_eq!(hex_val(b'f'), Some(15));
        assert_eq!(hex_val(b'F'), Some(15));
        assert_eq!(hex_val(b'g'), None);
        assert_eq!(hex_pair(b"%4a", 1), Some(0x4a));
        assert_eq!(hex_pair(b"%4", 1), None);
    }

    #[test]
    fn c_space_set_excludes_nbsp() {
        for b in [b' ', b'\t', b'\n', 0x0b, 0x0c, b'\r'] {
            assert!(is_c_space(b));
        }
        assert!(!is_c_space(0xa0));
        assert!(!is_c_space(0));
    }

    #[test]
    fn full_width() {
        assert_eq!(full_width_adjust(b'f', b'F', 0x01), b'!');
        assert_eq!(full_width_adjust(b'f', b'f', 0x5e), b'~');
        assert_eq!(full_width_adjust(b'f', b'f', 0x00), 0x00);
        assert_eq!(full_width_adjust(b'f', b'f', 0x5f), 0x5f);
        assert_eq!(full_width_adjust(b'0', b'0', 0x41), 0x41);
    }
}
