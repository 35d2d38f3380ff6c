//! `t:removeWhitespace` — removes all white space.
//!
//! Removed: C `isspace` bytes (space, `\t`, `\n`, `\v`, `\f`, `\r`), the
//! Latin-1 non-breaking space `0xa0`, and — as ModSecurity v3 does, so that the
//! UTF-8 non-breaking space `C2 A0` disappears entirely — every `0xc2` byte.
//! The last rule also removes the lead byte of other UTF-8 characters in
//! `U+0080`–`U+00BF`; that is v3's behaviour and we keep it for parity.
//!
//! ```text
//! SecRule ARGS "@contains unionselect" "id:1,phase:2,deny,t:none,t:removeWhitespace,t:lowercase"
//! ```

use super::Provenance;
use super::util::is_c_space;

#[inline]
const fn is_removed(b: u8) -> bool {
    is_c_space(b) || b == 0xa0 || b == 0xc2
}

/// Removes white space; `None` when there is none.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    if !input.iter().any(|&b| is_removed(b)) {
        return None;
    }
    Some(input.iter().copied().filter(|&b| !is_removed(b)).collect())
}

/// Output bytes are input bytes (some removed or moved).
pub const PROVENANCE: Provenance = Provenance::SAME;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_c_space_and_nbsp() {
        assert_eq!(transform(b" a\t\r\nb\x0b\x0cc ").unwrap(), b"abc");
        assert_eq!(transform(b"a\xa0b\xc2\xa0c").unwrap(), b"abc");
    }

    #[test]
    fn keeps_other_bytes() {
        assert_eq!(transform(b"a\x00b\xc3\xa9 ").unwrap(), b"a\x00b\xc3\xa9");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"abc"), None);
    }
}
