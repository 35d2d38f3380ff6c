//! `t:jsDecode` — decodes JavaScript escape sequences.
//!
//! * `\uHHHH` (lower-case `u`, four hex digits) → one byte: the low byte, or
//!   for full-width ASCII (`\uff01`–`\uff5e`) the ASCII character it stands
//!   for (same rule as `t:urlDecodeUni`).
//! * `\xHH` (lower-case `x`, two hex digits) → that byte.
//! * `\OOO` octal, one to three digits → that byte; three digits are only used
//!   when the value fits in a byte (`\400` is `\40` then `0`).
//! * `\a \b \f \n \r \t \v` → the control characters; any other escaped byte
//!   stands for itself (`\'` → `'`, `\u` without four hex digits → `u`,
//!   `\x1` → `x1`).
//! * A `\` at the very end is kept.
//!
//! ```text
//! SecRule ARGS "@contains <script" "id:1,phase:2,deny,t:none,t:jsDecode,t:lowercase"
//! ```

use super::Provenance;
use super::util::{full_width_adjust, hex_pair, is_hex};

const fn is_octal(b: u8) -> bool {
    matches!(b, b'0'..=b'7')
}

/// Decodes escapes; `None` when the value has no backslash.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let first = input.iter().position(|&b| b == b'\\')?;
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..first]);
    let len = input.len();
    let mut i = first;
    while i < len {
        if input[i] != b'\\' {
            out.push(input[i]);
            i += 1;
            continue;
        }
        let Some(&c) = input.get(i + 1) else {
            // Lone backslash at the end.
            out.push(b'\\');
            break;
        };
        let unicode = if c == b'u'
            && input
                .get(i + 2..i + 4)
                .is_some_and(|h| h.iter().all(|&b| is_hex(b)))
        {
            hex_pair(input, i + 4)
        } else {
            None
        };
        let hex = if c == b'x' {
            hex_pair(input, i + 2)
        } else {
            None
        };
        if let Some(low) = unicode {
            out.push(full_width_adjust(input[i + 2], input[i + 3], low));
            i += 6;
        } else if let Some(b) = hex {
            out.push(b);
            i += 4;
        } else if is_octal(c) {
            let mut digits = 1 + input[i + 2..]
                .iter()
                .take(2)
                .take_while(|&&b| is_octal(b))
                .count();
            if digits == 3 && c > b'3' {
                digits = 2;
            }
            let value = input[i + 1..i + 1 + digits]
                .iter()
                .fold(0u16, |acc, &d| acc * 8 + u16::from(d - b'0'));
            out.push(value as u8);
            i += 1 + digits;
        } else {
            out.push(match c {
                b'a' => 0x07,
                b'b' => 0x08,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'v' => 0x0b,
                other => other,
            });
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
            t(br#"\a\b\f\n\r\t\v\?\'\"\0\12\123\x00\xff\u0021\uff01"#),
            b"\x07\x08\x0c\n\r\t\x0b?'\"\x00\nS\x00\xff!!"
        );
    }

    #[test]
    fn invalid_sequences_drop_only_the_backslash() {
        assert_eq!(
            t(br"\8\9\666\u00ag\u00ga\u0zaa\uz0aa\xag\xga\0123\u00a"),
            b"8966u00agu00gau0zaauz0aaxagxga\n3u00a"
        );
        assert_eq!(t(br"\x"), b"x");
        assert_eq!(t(b"\\x\\x0\x00"), b"xx0\x00");
        assert_eq!(t(br"\u\u0\u01\u012"), b"uu0u01u012");
        // Upper-case U and X are not escapes in JavaScript.
        assert_eq!(t(br"\U0041\X41"), b"U0041X41");
    }

    #[test]
    fn octal_limits() {
        assert_eq!(t(br"\377"), b"\xff");
        assert_eq!(t(br"\400"), b" 0");
        assert_eq!(t(br"\7"), b"\x07");
        assert_eq!(t(br"\18"), b"\x018");
    }

    #[test]
    fn backslashes() {
        assert_eq!(transform(br"\"), Some(br"\".to_vec()));
        assert_eq!(t(br"\\0"), br"\0");
        assert_eq!(t(br"a\"), br"a\");
    }

    #[test]
    fn full_width() {
        assert_eq!(t(br"\uff1cscript\uFF1E"), b"<script>");
        assert_eq!(t(br"\u2028"), b"\x28");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"Test\x00Case"), None);
    }
}
