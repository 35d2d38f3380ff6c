//! `t:escapeSeqDecode` — decodes ANSI C escape sequences.
//!
//! * `\a \b \f \n \r \t \v \\ \? \' \"` → the character they name.
//! * `\xHH` or `\XHH` (exactly two hex digits) → that byte.
//! * `\O`, `\OO`, `\OOO` (octal) → that value's low byte (`\666` → `0xb6`).
//! * Any other escape drops the backslash: `\8` → `8`, `\x` → `x`, `\xag`
//!   → `xag`.
//! * A `\` at the very end is kept.
//!
//! ```text
//! SecRule ARGS "@contains /etc/passwd" "id:1,phase:2,deny,t:none,t:escapeSeqDecode"
//! ```

use super::Provenance;
use super::util::hex_pair;

/// Decodes escapes; `None` when the value has no backslash.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let first = input.iter().position(|&b| b == b'\\')?;
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..first]);
    let len = input.len();
    let mut i = first;
    while i < len {
        let c = match (input[i], input.get(i + 1)) {
            (b'\\', Some(&c)) => c,
            (b, _) => {
                out.push(b);
                i += 1;
                continue;
            }
        };
        let simple = match c {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'\\' | b'?' | b'\'' | b'"' => Some(c),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            i += 2;
        } else if let (b'x' | b'X', Some(b)) = (c, hex_pair(input, i + 2)) {
            out.push(b);
            i += 4;
        } else if c.is_ascii_digit() && c < b'8' {
            let digits = input[i + 1..]
                .iter()
                .take(3)
                .take_while(|&&b| matches!(b, b'0'..=b'7'))
                .count();
            let value = input[i + 1..i + 1 + digits]
                .iter()
                .fold(0u16, |acc, &d| acc * 8 + u16::from(d - b'0'));
            out.push((value & 0xff) as u8);
            i += 1 + digits;
        } else {
            out.push(c);
            i += 2;
        }
    }
    Some(out)
}

/// A decoded byte needs a `\\` in the input.
pub const PROVENANCE: Provenance = Provenance::Escaped { escape: b'\\' };

#[cfg(test)]
mod tests {
    use super::*;

    fn t(input: &[u8]) -> Vec<u8> {
        transform(input).unwrap_or_else(|| input.to_vec())
    }

    #[test]
    fn all_escape_kinds() {
        assert_eq!(
            t(br#"\a\b\f\n\r\t\v\?\'\"\0\12\123\x00\xff"#),
            b"\x07\x08\x0c\n\r\t\x0b?'\"\x00\nS\x00\xff"
        );
        assert_eq!(t(br"\X41\\"), b"A\\");
    }

    #[test]
    fn octal_takes_up_to_three_digits_and_wraps() {
        assert_eq!(t(br"\8\9\666\xag\xga\0123"), b"89\xb6xagxga\n3");
        assert_eq!(t(br"\0"), b"\x00");
        assert_eq!(t(br"\01"), b"\x01");
        assert_eq!(t(br"\012"), b"\n");
        assert_eq!(t(br"\777"), b"\xff");
    }

    #[test]
    fn invalid_escapes_drop_the_backslash() {
        assert_eq!(t(br"\x"), b"x");
        assert_eq!(t(br"\x\x0"), b"xx0");
        assert_eq!(t(br"\q"), b"q");
        assert_eq!(t(br"\\u0000"), br"\u0000");
    }

    #[test]
    fn backslash_at_end_is_kept() {
        assert_eq!(transform(br"\"), Some(br"\".to_vec()));
        assert_eq!(t(br"ab\"), br"ab\");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"TestCase"), None);
    }
}
