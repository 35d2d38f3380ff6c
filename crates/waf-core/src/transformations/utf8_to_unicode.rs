//! `t:utf8toUnicode` — rewrites UTF-8 multi-byte sequences as `%uXXXX`, so
//! that `t:urlDecodeUni` (or a rule) can work on code points.
//!
//! Follows ModSecurity:
//!
//! * ASCII bytes are copied.
//! * A 2-, 3- or 4-byte sequence (lead byte `110xxxxx`, `1110xxxx`,
//!   `11110xxx` followed by the right number of `10xxxxxx` bytes) becomes
//!   `%u` + the code point in lower-case hex, at least four digits:
//!   `é` → `%u00e9`, `😀` → `%u1f600`.
//! * A lead byte whose continuation bytes are missing or wrong is dropped
//!   (the bytes after it are then read afresh).
//! * Overlong forms and UTF-16 surrogates are still converted, but the lead
//!   byte is appended after the `%u…` as a marker: `C0 AF` → `%u002f\xc0`.
//!   Lead bytes `F5`–`F7` (beyond U+10FFFF) are copied before it.
//! * Stray continuation bytes (`80`–`BF`) and `F8`–`FF` are copied.
//!
//! One difference: ModSecurity's C code silently drops NUL bytes here (an
//! artefact of its string handling); we copy them like any other ASCII byte
//! and leave NULs to `t:removeNulls`.
//!
//! ```text
//! SecRule ARGS "@rx <script" "id:1,phase:2,deny,t:none,t:utf8toUnicode,t:urlDecodeUni,t:lowercase"
//! ```

use super::Provenance;
use super::util::HEX_LOWER;
use crate::byteset::ByteSet;

/// Appends `%u` and `cp` in lower-case hex, zero-padded to four digits.
fn push_code_point(out: &mut Vec<u8>, cp: u32) {
    out.extend_from_slice(b"%u");
    let digits = (8 - cp.leading_zeros() / 4).max(4);
    for k in (0..digits).rev() {
        out.push(HEX_LOWER[((cp >> (4 * k)) & 0xf) as usize]);
    }
}

/// Converts multi-byte sequences; `None` when the value is all ASCII.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let first = input.iter().position(|&b| b >= 0x80)?;
    let mut out = Vec::with_capacity(input.len() * 2);
    out.extend_from_slice(&input[..first]);
    let mut i = first;
    while i < input.len() {
        let c = input[i];
        let (len, lead_bits) = match c {
            0x00..=0x7f | 0x80..=0xbf | 0xf8..=0xff => {
                out.push(c);
                i += 1;
                continue;
            }
            0xc0..=0xdf => (2, c & 0x1f),
            0xe0..=0xef => (3, c & 0x0f),
            0xf0..=0xf7 => (4, c & 0x07),
        };
        if c >= 0xf5 {
            out.push(c);
        }
        let tail = match input.get(i + 1..i + len) {
            Some(tail) if tail.iter().all(|&b| b & 0xc0 == 0x80) => tail,
            _ => {
                // Missing or invalid continuation: drop the lead byte.
                i += 1;
                continue;
            }
        };
        let cp = tail.iter().fold(u32::from(lead_bits), |acc, &b| {
            acc << 6 | u32::from(b & 0x3f)
        });
        push_code_point(&mut out, cp);
        if (0xd800..=0xdfff).contains(&cp) {
            out.push(c);
        }
        let overlong = match len {
            2 => cp < 0x80,
            3 => cp < 0x800,
            _ => cp < 0x1_0000,
        };
        if overlong {
            out.push(c);
        }
        i += len;
    }
    Some(out)
}

/// `%u` escapes are made of `%`, `u` and hex digits from any byte >= 0x80; the output can be longer.
pub const PROVENANCE: Provenance = Provenance::Traced {
    origins,
    lengthens: true,
};

fn origins(out: u8) -> ByteSet {
    let mut set = ByteSet::single(out);
    if out == b'%' || out == b'u' || out.is_ascii_hexdigit() {
        set.insert_range(0x80, 0xff);
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(input: &[u8]) -> Vec<u8> {
        transform(input).unwrap_or_else(|| input.to_vec())
    }

    #[test]
    fn converts_sequences() {
        assert_eq!(t("é".as_bytes()), b"%u00e9");
        assert_eq!(t("a Ѐ b".as_bytes()), b"a %u0400 b");
        assert_eq!(t("€".as_bytes()), b"%u20ac");
        assert_eq!(t("\u{ff1c}".as_bytes()), b"%uff1c");
        assert_eq!(t("😀".as_bytes()), b"%u1f600");
        assert_eq!(t("\u{10ffff}".as_bytes()), b"%u10ffff");
    }

    #[test]
    fn invalid_lead_bytes_are_dropped() {
        assert_eq!(t(b"a\xc3"), b"a");
        assert_eq!(t(b"\xc3'"), b"'");
        assert_eq!(t(b"\xe2\x82"), b"\x82");
        assert_eq!(t(b"\xf0\x9f\x98"), b"\x9f\x98");
    }

    #[test]
    fn stray_bytes_are_copied() {
        assert_eq!(t(b"\x80\xbf\xf8\xff"), b"\x80\xbf\xf8\xff");
    }

    #[test]
    fn overlong_and_surrogates_are_marked() {
        assert_eq!(t(b"\xc0\xaf"), b"%u002f\xc0");
        assert_eq!(t(b"\xe0\x80\xaf"), b"%u002f\xe0");
        assert_eq!(t(b"\xf0\x80\x80\xaf"), b"%u002f\xf0");
        assert_eq!(t(b"\xed\xa0\x80"), b"%ud800\xed");
        assert_eq!(t(b"\xf5\x80\x80\x80"), b"\xf5%u140000");
        assert_eq!(t(b"\xf7\xbf\xbf\xbf"), b"\xf7%u1fffff");
    }

    #[test]
    fn ascii_and_nul_pass_through() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"abc\x00"), None);
        assert_eq!(t(b"\x00\xc3\xa9\x00"), b"\x00%u00e9\x00");
    }
}
