//! `t:urlDecodeUni` — like `t:urlDecode`, and also decodes the IIS-specific
//! `%uXXXX` form.
//!
//! * `%XX` → byte `0xXX`; `+` → space; a `%` without two hex digits is kept.
//! * `%uXXXX` / `%UXXXX` (four hex digits) → one byte. Without a
//!   `SecUnicodeMapFile` (we have none) ModSecurity keeps the low byte and
//!   drops the high one, except for the full-width ASCII range
//!   `U+FF01`–`U+FF5E`, which maps to the ASCII character it stands for
//!   (`%uff1c` → `<`). So `%u0041` → `A`, `%u1141` → `A`, `%uff00` → `0x00`.
//! * `%u` not followed by four hex digits: the two bytes `%u` are kept and
//!   decoding resumes after them (`%u%41` → `%uA`).
//!
//! ```text
//! SecRule ARGS "@rx <script" "id:1,phase:2,deny,t:none,t:urlDecodeUni,t:lowercase"
//! ```

use super::Provenance;
use super::util::{full_width_adjust, hex_pair, hex_val};

/// Decodes `%XX`, `%uXXXX` and `+`; `None` when the value has no `%` or `+`.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let first = input.iter().position(|&b| b == b'%' || b == b'+')?;
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..first]);
    let mut i = first;
    while i < input.len() {
        match input[i] {
            b'%' if matches!(input.get(i + 1), Some(b'u' | b'U')) => {
                match (input.get(i + 2..i + 6), hex_pair(input, i + 4)) {
                    (Some(digits), Some(low))
                        if hex_val(digits[0]).is_some() && hex_val(digits[1]).is_some() =>
                    {
                        out.push(full_width_adjust(digits[0], digits[1], low));
                        i += 6;
                    }
                    _ => {
                        out.extend_from_slice(&input[i..i + 2]);
                        i += 2;
                    }
                }
            }
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
    fn percent_u_keeps_low_byte() {
        assert_eq!(t(b"%u0041%U0042"), b"AB");
        assert_eq!(t(b"%u1141"), b"A");
        assert_eq!(t(b"%u00ff%u12Fe"), b"\xff\xfe");
        assert_eq!(t(b"%u0000"), b"\x00");
    }

    #[test]
    fn full_width_ascii_maps_to_ascii() {
        assert_eq!(t(b"%uff01%uFF1C%Uff5e"), b"!<~");
        // Outside 0xff01..=0xff5e only the low byte is kept.
        assert_eq!(t(b"%uff00%uff5f%uff7f"), b"\x00\x5f\x7f");
        // The high byte must be exactly ff.
        assert_eq!(t(b"%ufe3c"), b"\x3c");
    }

    #[test]
    fn short_or_invalid_percent_u_keeps_both_bytes() {
        assert_eq!(t(b"%u"), b"%u");
        assert_eq!(t(b"%u%u0020"), b"%u ");
        assert_eq!(t(b"%u0%u0020"), b"%u0 ");
        assert_eq!(t(b"%u000%u0020"), b"%u000 ");
        assert_eq!(t(b"%u000g%u0020"), b"%u000g ");
        assert_eq!(t(b"%u%41"), b"%uA");
    }

    #[test]
    fn plain_percent_and_plus() {
        assert_eq!(t(b"Test+Case"), b"Test Case");
        assert_eq!(t(b"%+"), b"% ");
        assert_eq!(t(b"%%u0020"), b"% ");
        assert_eq!(t(b"%0g%u0020"), b"%0g ");
        assert_eq!(t(b"%"), b"%");
        assert_eq!(t(b"%0"), b"%0");
        assert_eq!(t(b"%gg"), b"%gg");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"Test\x00Case"), None);
    }
}
