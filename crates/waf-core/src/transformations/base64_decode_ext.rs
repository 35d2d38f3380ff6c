//! `t:base64DecodeExt` — forgiving Base64 decoding.
//!
//! Follows ModSecurity v3's "forgiven" decoder:
//!
//! * Both alphabets are accepted: `+`/`-` mean 62 and `/`/`_` mean 63, so
//!   URL-safe Base64 (JWTs) decodes.
//! * Every other byte that is not `=` (spaces, dots, NULs, non-ASCII) is
//!   skipped: `P.HNjcmlwdD4=` → `<script>`.
//! * `=` is skipped too, except that a single `=` right after a lone sextet
//!   (character 5, 9, … of a group, where no byte can end) makes the value
//!   invalid and the result is empty: `dzBzV==YWxl` → `` (empty).
//! * Trailing bits that do not make a whole byte are dropped.
//!
//! ```text
//! SecRule REQUEST_COOKIES:jwt "@contains \"alg\":\"none\"" "id:1,phase:1,deny,t:none,t:base64DecodeExt"
//! ```

use super::Provenance;
use super::base64_decode::{Sextets, std_value};

#[inline]
const fn ext_value(b: u8) -> Option<u8> {
    match b {
        b'-' => Some(62),
        b'_' => Some(63),
        _ => std_value(b),
    }
}

/// Decodes, skipping junk; `None` only for the empty value.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    if input.is_empty() {
        return None;
    }
    let mut dec = Sextets::with_capacity(input.len());
    let mut sextets: usize = 0;
    for (i, &b) in input.iter().enumerate() {
        if b == b'=' {
            if input.get(i + 1) != Some(&b'=') && sextets % 4 == 1 {
                return Some(Vec::new());
            }
            continue;
        }
        if let Some(v) = ext_value(b) {
            dec.push(v);
            sextets += 1;
        }
    }
    Some(dec.finish())
}

/// Decoded bytes need not occur in the input.
pub const PROVENANCE: Provenance = Provenance::Unrelated;

#[cfg(test)]
mod tests {
    use super::*;

    fn t(input: &[u8]) -> Vec<u8> {
        transform(input).unwrap_or_else(|| input.to_vec())
    }

    #[test]
    fn shared_vectors() {
        assert_eq!(t(b""), b"");
        assert_eq!(t(b"VGVzdENhc2U="), b"TestCase");
        assert_eq!(t(b"VGVzdENhc2Ux"), b"TestCase1");
        assert_eq!(t(b"VGVzdENhc2UxMg=="), b"TestCase12");
        assert_eq!(
            t(b"P.HNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
            b"<script>alert(1)</script>"
        );
        assert_eq!(t(b"VGVzdABDYXNl"), b"Test\x00Case");
        assert_eq!(t(b"dzBzV==YWxlcnQoMSk="), b"");
        assert_eq!(
            t(b"eyJwIjoieHh-IiwiYWxnIjoibm9uZSIsInR5cCI6IkpXVCJ9"),
            br#"{"p":"xx~","alg":"none","typ":"JWT"}"#
        );
    }

    #[test]
    fn skips_junk_everywhere() {
        assert_eq!(t(b" VG Vz\x00dA\xff=="), b"Test");
        assert_eq!(t(b"VGVz\r\ndA"), b"Test");
        assert_eq!(t(b"!!!"), b"");
    }

    #[test]
    fn url_safe_alphabet() {
        assert_eq!(t(b"-_-_"), [0xfb, 0xff, 0xbf]);
        assert_eq!(t(b"+/+/"), [0xfb, 0xff, 0xbf]);
    }

    #[test]
    fn lone_sextet_before_padding_is_invalid() {
        assert_eq!(t(b"VGVzd="), b"");
        assert_eq!(t(b"V="), b"");
        // A lone sextet without padding is just dropped.
        assert_eq!(t(b"VGVzd"), b"Tes");
        // Padding elsewhere is skipped.
        assert_eq!(t(b"VG=Vz"), b"Tes");
    }
}
