//! `t:sqlHexDecode` — decodes SQL hex literals: `0x` (or `0X`) followed by hex
//! digit pairs becomes the bytes they encode; everything else is kept.
//!
//! * A literal needs at least one full pair: `0x4` and `0xz` are kept as is.
//! * Decoding stops at the first position without a full pair; a trailing odd
//!   digit is kept (`0x414` → `A4`).
//! * Literals are found anywhere, also right after each other:
//!   `0x4142430x434241` → `ABCCBA`; `00x41` → `0A`.
//!
//! ModSecurity v3's C loop stops at a NUL byte and loses the last byte of the
//! value; the shared test vectors (`ABC` → `ABC`) say that is not the intended
//! behaviour, and we follow the vectors.
//!
//! ```text
//! SecRule ARGS "@rx union\s+select" "id:1,phase:2,deny,t:none,t:sqlHexDecode,t:lowercase"
//! ```

use super::Provenance;
use super::util::{hex_pair, is_hex};

/// Decodes every `0x…` literal; `None` when there is no `0x`/`0X` followed by
/// a hex pair.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let starts_literal = |i: usize| {
        input[i] == b'0'
            && input.get(i + 1).is_some_and(|&b| b | 0x20 == b'x')
            && input.get(i + 2).is_some_and(|&b| is_hex(b))
            && input.get(i + 3).is_some_and(|&b| is_hex(b))
    };
    let first = (0..input.len()).find(|&i| starts_literal(i))?;
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..first]);
    let mut i = first;
    while i < input.len() {
        if starts_literal(i) {
            i += 2;
            while let Some(b) = hex_pair(input, i) {
                out.push(b);
                i += 2;
            }
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    Some(out)
}

/// A decoded byte needs the `0` of `0x` in the input.
pub const PROVENANCE: Provenance = Provenance::Escaped { escape: b'0' };

#[cfg(test)]
mod tests {
    use super::*;

    fn t(input: &[u8]) -> Vec<u8> {
        transform(input).unwrap_or_else(|| input.to_vec())
    }

    #[test]
    fn decodes_literals() {
        assert_eq!(t(b"0x414243"), b"ABC");
        assert_eq!(t(b"0X6a6B"), b"jk");
        assert_eq!(t(b"select 0x61646d696e,1"), b"select admin,1");
    }

    #[test]
    fn edge_cases_from_the_shared_vectors() {
        assert_eq!(t(b"ABC"), b"ABC");
        assert_eq!(t(b"00x414243"), b"0ABC");
        assert_eq!(t(b"0xz0x414243"), b"0xzABC");
        assert_eq!(t(b"0x4142430x434241"), b"ABCCBA");
        assert_eq!(t(b"0x4142430x0x434241"), b"ABC0xCBA");
    }

    #[test]
    fn incomplete_literals_are_kept() {
        assert_eq!(t(b"0x"), b"0x");
        assert_eq!(t(b"0x4"), b"0x4");
        assert_eq!(t(b"0x414"), b"A4");
        assert_eq!(t(b"0x41\x0042"), b"A\x0042");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"0x"), None);
        assert_eq!(transform(b"no hex here 0xg1"), None);
    }
}
