//! `t:cssDecode` — decodes CSS 2 escapes (`\` + up to six hex digits, or `\`
//! + any character).
//!
//! Follows ModSecurity:
//!
//! * `\` + 1 to 6 hex digits → one byte. One digit gives its value (`\a` →
//!   `0x0a`); otherwise the *last two* digits give the byte (`\123456` → `V`,
//!   the `0x12 0x34` are dropped). For full-width ASCII — 4 digits `ffXX`,
//!   5 digits `0ffXX`, 6 digits `00ffXX` with `XX` in `01..=5e` — the byte is
//!   `XX + 0x20` (`\ff1c` → `<`).
//! * One white-space byte after a hex escape is consumed (`\41 B` → `AB`).
//! * `\` + newline is a line continuation: both are removed.
//! * `\` + any other byte → that byte (`\'` → `'`, `\g` → `g`).
//! * A `\` at the very end is removed.
//!
//! ```text
//! SecRule ARGS "@rx expression\s*\(" "id:1,phase:2,deny,t:none,t:cssDecode,t:lowercase"
//! ```

use super::Provenance;
use super::util::{full_width_adjust, hex_val, is_c_space};

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
        // Skip the backslash.
        i += 1;
        let Some(&c) = input.get(i) else {
            // A backslash at the end continues to nothing: dropped.
            break;
        };
        let digits = input[i..]
            .iter()
            .take(6)
            .take_while(|&&b| hex_val(b).is_some())
            .count();
        if digits == 0 {
            if c != b'\n' {
                out.push(c);
            }
            i += 1;
            continue;
        }
        let h = &input[i..i + digits];
        let nib = |k: usize| hex_val(h[k]).unwrap_or(0);
        let byte = if digits == 1 {
            nib(0)
        } else {
            nib(digits - 2) << 4 | nib(digits - 1)
        };
        let full_width_form = match digits {
            4 => true,
            5 => h[0] == b'0',
            6 => h[0] == b'0' && h[1] == b'0',
            _ => false,
        };
        out.push(if full_width_form {
            full_width_adjust(h[digits - 4], h[digits - 3], byte)
        } else {
            byte
        });
        i += digits;
        if input.get(i).is_some_and(|&b| is_c_space(b)) {
            i += 1;
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
    fn shared_vectors() {
        assert_eq!(
            t(b"test\\a\\b\\f\\n\\r\\t\\v\\?\\'\\\"\\0\\12\\123\\1234\\12345\\123456\\ff01\\ff5e\\\n\\0  string"),
            b"test\n\x0b\x0fnrtv?'\"\x00\x12#4EV!~\x00 string"
        );
        assert_eq!(t(b"test\\"), b"test");
        assert_eq!(
            t(b"\\1A\\1 A\\1234567\\123456 7\\1x\\1 x"),
            b"\x1a\x01AV7V7\x01x\x01x"
        );
    }

    #[test]
    fn full_width_forms() {
        assert_eq!(t(b"\\ff1c\\0ff1c\\00ff1c"), b"<<<");
        // Not a full-width form: five digits not starting with 0.
        assert_eq!(t(b"\\1ff1c"), b"\x1c");
        // Low byte out of range.
        assert_eq!(t(b"\\ff7f"), b"\x7f");
    }

    #[test]
    fn one_white_space_after_hex_is_consumed() {
        assert_eq!(t(b"\\41\tB"), b"AB");
        assert_eq!(t(b"\\41  B"), b"A B");
        assert_eq!(t(b"\\41\x0bB"), b"AB");
        // Not after a non-hex escape.
        assert_eq!(t(b"\\g B"), b"g B");
    }

    #[test]
    fn line_continuation_and_end() {
        assert_eq!(t(b"a\\\nb"), b"ab");
        assert_eq!(t(b"\\"), b"");
        assert_eq!(t(b"\\\\"), b"\\");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"Test\x00Case"), None);
    }
}
