//! `t:urlDecode` — decodes URL encoding: `%XX` becomes the byte `0xXX` and `+`
//! becomes a space.
//!
//! Lenient like ModSecurity's non-strict decoder: a `%` not followed by two
//! hex digits (`%`, `%4`, `%zz`) is kept as it is and decoding goes on with the
//! next byte. `%00` decodes to a NUL byte. `%uXXXX` is not decoded here; see
//! `t:urlDecodeUni`.
//!
//! ```text
//! SecRule REQUEST_URI "@contains <script" "id:1,phase:1,deny,t:none,t:urlDecode"
//! ```

use super::Provenance;
use super::util::hex_pair;

/// Decodes `%XX` and `+`; `None` when the value has neither `%` nor `+`.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let first = input.iter().position(|&b| b == b'%' || b == b'+')?;
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..first]);
    let mut i = first;
    while i < input.len() {
        match input[i] {
            b'%' => match hex_pair(input, i + 1) {
                Some(b) => {
                    out.push(b);
                    i += 3;
                }
                None => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

/// A decoded byte needs a `%` in the input (a space also comes from `+`).
pub const PROVENANCE: Provenance = Provenance::URL_ESCAPES;

#[cfg(test)]
mod tests {
    use super::*;

    fn t(input: &[u8]) -> Vec<u8> {
        transform(input).unwrap_or_else(|| input.to_vec())
    }

    #[test]
    fn decodes_percent_and_plus() {
        assert_eq!(t(b"a%20b+c%2Bd"), b"a b c+d");
        assert_eq!(t(b"%00%ff%FF"), b"\x00\xff\xff");
    }

    #[test]
    fn invalid_escapes_are_kept() {
        assert_eq!(t(b"%"), b"%");
        assert_eq!(t(b"%4"), b"%4");
        assert_eq!(t(b"%%20"), b"% ");
        assert_eq!(t(b"%0g%20"), b"%0g ");
        assert_eq!(t(b"%g0"), b"%g0");
        assert_eq!(t(b"%u0041"), b"%u0041");
    }

    #[test]
    fn decodes_once_only() {
        assert_eq!(t(b"%2541"), b"%41");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"abc"), None);
    }
}
