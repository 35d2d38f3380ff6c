//! URL-encoded arguments: query strings and `application/x-www-form-urlencoded`
//! bodies.
//!
//! # What ModSecurity v3 does
//!
//! The input is split on the argument separator (`SecArgumentSeparator`,
//! default `&`) the way C++ `std::getline` splits: empty pieces between two
//! separators are kept, a single trailing empty piece is not (`a=1&` has one
//! argument, `a=1&&b=2` has three, the middle one with an empty name and an
//! empty value). Each piece is split at its first `=`; a piece without `=` is
//! a name with an empty value. Name and value are then percent-decoded
//! leniently: `+` becomes a space, `%XX` with two hex digits becomes the byte,
//! and any other `%` is kept as it is and marks the input as invalid
//! (`URLENCODED_ERROR`). Once `SecArgumentsLimit` arguments exist, further
//! ones are skipped (decoding still runs, so the error flag still reflects
//! the whole input).
//!
//! # What we do
//!
//! Exactly that, with the limit given as [`BodyLimits::max_args`] (the
//! remaining budget) and `limit_hit` set when an argument was skipped.
//! Memory: the output holds at most the input's bytes once.

use super::BodyLimits;

/// Arguments parsed from a query string, a form body or a cookie header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedArgs {
    /// `(name, value)` pairs, decoded, in input order. Names may repeat and may
    /// be empty.
    pub args: Vec<(Vec<u8>, Vec<u8>)>,
    /// A `%` not followed by two hex digits was seen (`URLENCODED_ERROR`).
    /// Always `false` for cookies, which are not decoded.
    pub invalid_encoding: bool,
    /// At least one argument was skipped because of `max_args`.
    pub limit_hit: bool,
}

/// Parses a query string or form body.
///
/// `separator` is the first byte of `SecArgumentSeparator` (usually `b'&'`).
///
/// ```
/// use waf_core::body::{parse_urlencoded, BodyLimits};
/// let p = parse_urlencoded(b"a=1+2&b&c=%zz", b'&', &BodyLimits::default());
/// assert_eq!(p.args[0], (b"a".to_vec(), b"1 2".to_vec()));
/// assert_eq!(p.args[1], (b"b".to_vec(), b"".to_vec()));
/// assert_eq!(p.args[2], (b"c".to_vec(), b"%zz".to_vec()));
/// assert!(p.invalid_encoding);
/// ```
pub fn parse_urlencoded(input: &[u8], separator: u8, limits: &BodyLimits) -> ParsedArgs {
    let mut out = ParsedArgs::default();
    for piece in getline_split(input, separator) {
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(eq) => (&piece[..eq], &piece[eq + 1..]),
            None => (piece, &piece[..0]),
        };
        if out.args.len() >= limits.max_args {
            out.limit_hit = true;
            if !out.invalid_encoding {
                out.invalid_encoding = has_invalid_escape(name) || has_invalid_escape(value);
            }
            continue;
        }
        let (name, bad_name) = url_decode_nonstrict(name);
        let (value, bad_value) = url_decode_nonstrict(value);
        out.invalid_encoding |= bad_name || bad_value;
        out.args.push((name, value));
    }
    out
}

/// Splits like repeated `std::getline(stream, piece, sep)`: every separator
/// ends a piece, and the text after the last separator is a piece only when
/// it is not empty.
pub(super) fn getline_split(input: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    let trimmed = match input.last() {
        Some(&last) if last == sep => &input[..input.len() - 1],
        _ => input,
    };
    let empty = input.is_empty();
    trimmed.split(move |&b| b == sep).filter(move |_| !empty)
}

/// Lenient percent-decoding (`+` is a space). Returns the decoded bytes and
/// whether an invalid `%` escape was kept as is.
pub fn url_decode_nonstrict(input: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(input.len());
    let mut invalid = false;
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'%' => match (input.get(i + 1), input.get(i + 2)) {
                (Some(&h), Some(&l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                    out.push((hex_value(h) << 4) | hex_value(l));
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    invalid = true;
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
    (out, invalid)
}

fn has_invalid_escape(input: &[u8]) -> bool {
    input.iter().enumerate().any(|(i, &b)| {
        b == b'%'
            && !matches!(
                (input.get(i + 1), input.get(i + 2)),
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit()
            )
    })
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn args(input: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        parse_urlencoded(input, b'&', &BodyLimits::default()).args
    }

    fn pair(n: &str, v: &str) -> (Vec<u8>, Vec<u8>) {
        (n.as_bytes().to_vec(), v.as_bytes().to_vec())
    }

    #[test]
    fn basic_pairs_and_plus() {
        assert_eq!(args(b"a=1&b=x+y"), vec![pair("a", "1"), pair("b", "x y")]);
    }

    #[test]
    fn getline_split_semantics() {
        assert_eq!(args(b""), vec![]);
        assert_eq!(args(b"&"), vec![pair("", "")]);
        assert_eq!(args(b"a=1&"), vec![pair("a", "1")]);
        assert_eq!(
            args(b"a=1&&b=2"),
            vec![pair("a", "1"), pair("", ""), pair("b", "2")]
        );
        assert_eq!(args(b"&a"), vec![pair("", ""), pair("a", "")]);
        assert_eq!(args(b"a=1&&"), vec![pair("a", "1"), pair("", "")]);
    }

    #[test]
    fn names_without_equals_and_empty_names() {
        assert_eq!(args(b"flag"), vec![pair("flag", "")]);
        assert_eq!(args(b"=v"), vec![pair("", "v")]);
        assert_eq!(args(b"a==b"), vec![pair("a", "=b")]);
        assert_eq!(args(b"a="), vec![pair("a", "")]);
    }

    #[test]
    fn percent_decoding_and_invalid_escapes() {
        let p = parse_urlencoded(b"k%41=%3cscript%3E", b'&', &BodyLimits::default());
        assert_eq!(p.args, vec![pair("kA", "<script>")]);
        assert!(!p.invalid_encoding);
        for bad in [&b"a=%"[..], b"a=%4", b"a=%g1", b"%=1", b"a=1%2"] {
            let p = parse_urlencoded(bad, b'&', &BodyLimits::default());
            assert!(p.invalid_encoding, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(args(b"a=%zz%4"), vec![pair("a", "%zz%4")]);
        // %2B decodes to a literal plus, not a space.
        assert_eq!(args(b"a=%2B+"), vec![pair("a", "+ ")]);
    }

    #[test]
    fn non_utf8_bytes_pass_through() {
        let p = parse_urlencoded(b"\xff=\xfe%ff", b'&', &BodyLimits::default());
        assert_eq!(p.args, vec![(vec![0xff], vec![0xfe, 0xff])]);
    }

    #[test]
    fn custom_separator() {
        let p = parse_urlencoded(b"a=1;b=2&c", b';', &BodyLimits::default());
        assert_eq!(p.args, vec![pair("a", "1"), pair("b", "2&c")]);
    }

    #[test]
    fn arguments_limit() {
        let limits = BodyLimits {
            max_args: 2,
            ..BodyLimits::default()
        };
        let p = parse_urlencoded(b"a=1&b=2&c=3&d=%", b'&', &limits);
        assert_eq!(p.args, vec![pair("a", "1"), pair("b", "2")]);
        assert!(p.limit_hit);
        // The skipped argument's bad escape is still reported, as in v3.
        assert!(p.invalid_encoding);
        let limits = BodyLimits {
            max_args: 0,
            ..BodyLimits::default()
        };
        let p = parse_urlencoded(b"a", b'&', &limits);
        assert!(p.args.is_empty() && p.limit_hit);
    }

    proptest! {
        #[test]
        fn never_panics_and_stays_bounded(input in proptest::collection::vec(any::<u8>(), 0..512), sep in any::<u8>(), max in 0usize..8) {
            let limits = BodyLimits { max_args: max, ..BodyLimits::default() };
            let p = parse_urlencoded(&input, sep, &limits);
            prop_assert!(p.args.len() <= max);
            let total: usize = p.args.iter().map(|(n, v)| n.len() + v.len()).sum();
            prop_assert!(total <= input.len());
        }
    }
}
