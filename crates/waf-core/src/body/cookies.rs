//! `Cookie` request header parsing for `REQUEST_COOKIES` and
//! `REQUEST_COOKIES_NAMES`.
//!
//! # What ModSecurity v3 does
//!
//! One `Cookie` header value is split on `;` (`std::getline` style, so a
//! trailing `;` adds nothing). Whitespace at the very end of the header is
//! dropped. Each piece is then:
//!
//! - skipped when empty (`a=1;;b=2`);
//! - split at its first `=` (`a=b=c` is `a` → `b=c`); a piece without `=` is a
//!   cookie whose name is the whole piece and whose value is empty;
//! - left-trimmed of whitespace in the name only (the value keeps its
//!   spaces, and the name keeps trailing spaces: `a =1` has the name `a `);
//! - skipped when the name is then empty (`=x`, `  =x`).
//!
//! Names and values are not URL-decoded; quotes are kept. There is no
//! special handling of `$Version` (v0 and v1 cookies parse alike, as in v3).
//!
//! # What we do
//!
//! The same, over bytes. The number of cookies kept is bounded by
//! [`BodyLimits::max_args`]; extra cookies set `limit_hit` (ModSecurity has
//! no such limit, but a header can only hold so many anyway).

use super::BodyLimits;
use super::urlencoded::{ParsedArgs, getline_split};

/// Parses one `Cookie` header value into `(name, value)` pairs.
///
/// ```
/// use waf_core::body::{parse_cookies, BodyLimits};
/// let c = parse_cookies(b"a=1; b ; =x; c=d=e ", &BodyLimits::default());
/// assert_eq!(c.args, vec![
///     (b"a".to_vec(), b"1".to_vec()),
///     (b"b ".to_vec(), b"".to_vec()),
///     (b"c".to_vec(), b"d=e".to_vec()),
/// ]);
/// ```
pub fn parse_cookies(header: &[u8], limits: &BodyLimits) -> ParsedArgs {
    let mut out = ParsedArgs::default();
    let pieces: Vec<&[u8]> = getline_split(header, b';').collect();
    let count = pieces.len();
    for (index, mut piece) in pieces.into_iter().enumerate() {
        if index + 1 == count {
            while let [rest @ .., last] = piece {
                if is_c_space(*last) {
                    piece = rest;
                } else {
                    break;
                }
            }
        }
        if piece.is_empty() {
            continue;
        }
        let (mut name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(eq) => (&piece[..eq], &piece[eq + 1..]),
            None => (piece, &piece[..0]),
        };
        while let [first, rest @ ..] = name {
            if is_c_space(*first) {
                name = rest;
            } else {
                break;
            }
        }
        if name.is_empty() {
            continue;
        }
        if out.args.len() >= limits.max_args {
            out.limit_hit = true;
            break;
        }
        out.args.push((name.to_vec(), value.to_vec()));
    }
    out
}

/// C `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cookies(header: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        parse_cookies(header, &BodyLimits::default()).args
    }

    fn pair(n: &str, v: &str) -> (Vec<u8>, Vec<u8>) {
        (n.as_bytes().to_vec(), v.as_bytes().to_vec())
    }

    #[test]
    fn simple_cookies_with_spaces() {
        assert_eq!(
            cookies(b"session=abc; theme=dark"),
            vec![pair("session", "abc"), pair("theme", "dark")]
        );
    }

    #[test]
    fn cookie_without_equals_is_a_name() {
        assert_eq!(
            cookies(b"flag; a=1"),
            vec![pair("flag", ""), pair("a", "1")]
        );
    }

    #[test]
    fn empty_pieces_and_empty_names_are_skipped() {
        assert_eq!(cookies(b";;a=1;; =x;=y;  "), vec![pair("a", "1")]);
        assert_eq!(cookies(b""), vec![]);
        assert_eq!(cookies(b"   "), vec![]);
    }

    #[test]
    fn value_keeps_spaces_and_equals_and_is_not_decoded() {
        assert_eq!(
            cookies(b"a= x%41+ ;b=c=d"),
            vec![pair("a", " x%41+ "), pair("b", "c=d")]
        );
        // Only the header's last piece loses its trailing whitespace.
        assert_eq!(cookies(b"a=1 \t"), vec![pair("a", "1")]);
    }

    #[test]
    fn name_keeps_trailing_space() {
        assert_eq!(cookies(b"a =1"), vec![pair("a ", "1")]);
    }

    #[test]
    fn v1_attributes_are_plain_cookies() {
        assert_eq!(
            cookies(b"$Version=1; a=\"b\"; $Path=/"),
            vec![
                pair("$Version", "1"),
                pair("a", "\"b\""),
                pair("$Path", "/")
            ]
        );
    }

    #[test]
    fn cookie_limit() {
        let limits = BodyLimits {
            max_args: 1,
            ..BodyLimits::default()
        };
        let p = parse_cookies(b"a=1; b=2", &limits);
        assert_eq!(p.args, vec![pair("a", "1")]);
        assert!(p.limit_hit);
    }

    proptest! {
        #[test]
        fn never_panics(input in proptest::collection::vec(any::<u8>(), 0..512)) {
            let p = parse_cookies(&input, &BodyLimits::default());
            for (name, _) in &p.args {
                prop_assert!(!name.is_empty());
            }
        }
    }
}
