//! `t:htmlEntityDecode` — decodes HTML character references.
//!
//! Follows ModSecurity:
//!
//! * `&#xHH..;` / `&#XHH..;` (hex) and `&#DD..;` (decimal) decode to one byte:
//!   the low byte of the number (a number beyond `i64` saturates, as C's
//!   `strtol` does, giving `0xff`). The `;` is optional: `&#x41` and `&#65`
//!   both give `A`; the digits end at the first non-digit.
//! * Named references, case-insensitive, `;` optional: only `&quot;` `&amp;`
//!   `&lt;` `&gt;` and `&nbsp;` (which gives the byte `0xa0`). Any other name
//!   is copied through unchanged.
//! * Anything else (`&`, `&#`, `&#x` without digits, `&;`) is copied through.
//!
//! No UTF-8 is produced: `&#x263a;` gives the single byte `0x3a`.
//!
//! ```text
//! SecRule ARGS "@contains <script" "id:1,phase:2,deny,t:none,t:htmlEntityDecode,t:lowercase"
//! ```

use super::Provenance;
use super::util::hex_val;

/// Parses ASCII digits like C `strtol` (saturating at `i64::MAX`) and keeps
/// the low byte, as ModSecurity's `(unsigned char)strtol(..)` does.
fn number_low_byte(digits: &[u8], radix: u8) -> u8 {
    let mut n: i64 = 0;
    for &d in digits {
        let v = hex_val(d).unwrap_or(0);
        n = n
            .saturating_mul(i64::from(radix))
            .saturating_add(i64::from(v));
    }
    (n & 0xff) as u8
}

fn named(name: &[u8]) -> Option<u8> {
    const NAMES: [(&[u8], u8); 5] = [
        (b"quot", b'"'),
        (b"amp", b'&'),
        (b"lt", b'<'),
        (b"gt", b'>'),
        (b"nbsp", 0xa0),
    ];
    NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, b)| b)
}

/// Length of the run of bytes from `from` that satisfy `pred`.
fn run(input: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> usize {
    input
        .get(from..)
        .map_or(0, |s| s.iter().take_while(|&&b| pred(b)).count())
}

/// Decodes references; `None` when the value has no `&`.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let first = input.iter().position(|&b| b == b'&')?;
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..first]);
    let len = input.len();
    let mut i = first;
    while i < len {
        if input[i] != b'&' || i + 1 >= len {
            out.push(input[i]);
            i += 1;
            continue;
        }
        // `input[i]` is '&' and there is at least one byte after it.
        let skip_semicolon = |end: usize| {
            if input.get(end) == Some(&b';') {
                end + 1
            } else {
                end
            }
        };
        if input[i + 1] == b'#' {
            let hex = matches!(input.get(i + 2), Some(b'x' | b'X'));
            let start = if hex { i + 3 } else { i + 2 };
            let n = if hex {
                run(input, start, |b| b.is_ascii_hexdigit())
            } else {
                run(input, start, |b| b.is_ascii_digit())
            };
            if n > 0 {
                let radix = if hex { 16 } else { 10 };
                out.push(number_low_byte(&input[start..start + n], radix));
                i = skip_semicolon(start + n);
            } else {
                // Copy "&#" or "&#x" (as much of it as exists) and go on.
                let prefix_end = start.min(len);
                out.extend_from_slice(&input[i..prefix_end]);
                i = prefix_end;
            }
        } else {
            let n = run(input, i + 1, |b| b.is_ascii_alphanumeric());
            if n == 0 {
                out.push(b'&');
                i += 1;
                continue;
            }
            let name_end = i + 1 + n;
            match named(&input[i + 1..name_end]) {
                Some(b) => {
                    out.push(b);
                    i = skip_semicolon(name_end);
                }
                None => {
                    out.extend_from_slice(&input[i..name_end]);
                    i = name_end;
                }
            }
        }
    }
    Some(out)
}

/// A decoded byte needs a `&` in the input.
pub const PROVENANCE: Provenance = Provenance::Escaped { escape: b'&' };

#[cfg(test)]
mod tests {
    use super::*;

    fn t(input: &[u8]) -> Vec<u8> {
        transform(input).unwrap_or_else(|| input.to_vec())
    }

    #[test]
    fn numeric_and_named_with_semicolons() {
        assert_eq!(
            t(b"&#x0;&#X0;&#x20;&#X20;&#0;&#32;\x00&#100;&quot;&amp;&lt;&gt;&nbsp;"),
            b"\x00\x00  \x00 \x00d\"&<>\xa0"
        );
    }

    #[test]
    fn semicolons_are_optional() {
        assert_eq!(
            t(b"&#x0&#X0&#x20&#X20&#0&#32\x00&#100&quot&amp&lt&gt&nbsp"),
            b"\x00\x00  \x00 \x00d\"&<>\xa0"
        );
    }

    #[test]
    fn invalid_references_are_copied() {
        assert_eq!(
            t(b"&#xg;&#Xg;&#xg0;&#X2g;&#a;\x00&#a2;&#3a&#a00;&#1a0;&#10a;&foo;"),
            b"&#xg;&#Xg;&#xg0;\x02g;&#a;\x00&#a2;\x03a&#a00;\x01a0;\na;&foo;"
        );
        assert_eq!(
            t(b"&#xg&#Xg&#xg0&#X2g&#a\x00&#a2&#3a&#a00&#1a0&#10a&foo"),
            b"&#xg&#Xg&#xg0\x02g&#a\x00&#a2\x03a&#a00\x01a0\na&foo"
        );
    }

    #[test]
    fn truncated_at_end() {
        assert_eq!(t(b"&"), b"&");
        assert_eq!(t(b"a&#"), b"a&#");
        assert_eq!(t(b"a&#x"), b"a&#x");
        assert_eq!(t(b"&;"), b"&;");
        assert_eq!(t(b"&&lt"), b"&<");
    }

    #[test]
    fn names_are_case_insensitive_and_few() {
        assert_eq!(t(b"&LT;&Gt;&QUOT;"), b"<>\"");
        assert_eq!(t(b"&apos;&copy;"), b"&apos;&copy;");
        assert_eq!(t(b"&ltx;"), b"&ltx;");
    }

    #[test]
    fn numbers_keep_the_low_byte() {
        assert_eq!(t(b"&#x263a;"), b":");
        assert_eq!(t(b"&#256;&#321;"), b"\x00A");
        assert_eq!(t(b"&#x0000000041;"), b"A");
        // Overflow saturates like strtol: LONG_MAX has low byte 0xff.
        assert_eq!(t(b"&#99999999999999999999999;"), b"\xff");
        assert_eq!(t(b"&#xffffffffffffffffff41;"), b"\xff");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"Test\x00Case"), None);
    }
}
