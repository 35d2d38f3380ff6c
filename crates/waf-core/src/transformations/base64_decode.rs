//! `t:base64Decode` — decodes Base64 (standard alphabet), stopping at the
//! first byte that is not part of it.
//!
//! * Padding is optional: `VGVzdA` and `VGVzdA==` both give `Test`.
//! * `\r` and `\n` are skipped (MIME line breaks).
//! * Decoding stops at `=` or at the first other byte outside
//!   `[A-Za-z0-9+/]` (a space, a NUL, `-`, …) and returns what was decoded up
//!   to there: `VGVzdENhc2U=\0VGVzdENhc2U=` → `TestCase`.
//! * Trailing bits that do not make a whole byte are dropped.
//!
//! For a decoder that skips junk and also takes the URL-safe alphabet use
//! `t:base64DecodeExt`.
//!
//! ```text
//! SecRule REQUEST_HEADERS:Authorization "@contains admin" "id:1,phase:1,deny,t:none,t:base64Decode"
//! ```

use super::Provenance;

/// Value of a standard-alphabet Base64 character.
#[inline]
pub(super) const fn std_value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Accumulates sextets into bytes: whole bytes only, like ModSecurity.
#[derive(Default)]
pub(super) struct Sextets {
    acc: u32,
    n: u8,
    pub(super) out: Vec<u8>,
}

impl Sextets {
    pub(super) fn with_capacity(encoded_len: usize) -> Self {
        Self {
            acc: 0,
            n: 0,
            out: Vec::with_capacity(encoded_len / 4 * 3 + 2),
        }
    }

    #[inline]
    pub(super) fn push(&mut self, v: u8) {
        self.acc = self.acc << 6 | u32::from(v);
        self.n += 1;
        if self.n == 4 {
            let a = self.acc;
            self.out
                .extend_from_slice(&[(a >> 16) as u8, (a >> 8) as u8, a as u8]);
            self.acc = 0;
            self.n = 0;
        }
    }

    /// Flushes the whole bytes still held (1 byte from 2 sextets, 2 from 3).
    pub(super) fn finish(mut self) -> Vec<u8> {
        let a = self.acc;
        match self.n {
            2 => self.out.push((a >> 4) as u8),
            3 => self
                .out
                .extend_from_slice(&[(a >> 10) as u8, (a >> 2) as u8]),
            _ => {}
        }
        self.out
    }
}

/// Decodes up to the first non-Base64 byte; `None` only for the empty value.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    if input.is_empty() {
        return None;
    }
    let mut dec = Sextets::with_capacity(input.len());
    for &b in input {
        if b == b'\r' || b == b'\n' {
            continue;
        }
        match std_value(b) {
            Some(v) => dec.push(v),
            None => break,
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
        assert_eq!(t(b"VGVzdABDYXNl"), b"Test\x00Case");
        assert_eq!(t(b"VGVzdENhc2U=\x00VGVzdENhc2U="), b"TestCase");
    }

    #[test]
    fn padding_is_optional_and_partial_bits_dropped() {
        assert_eq!(t(b"VGVzdA"), b"Test");
        assert_eq!(t(b"VGVzdA=="), b"Test");
        assert_eq!(t(b"VGVzdEE"), b"TestA");
        assert_eq!(t(b"VGVzd"), b"Tes");
        assert_eq!(t(b"V"), b"");
    }

    #[test]
    fn stops_at_first_invalid_byte() {
        assert_eq!(t(b"VGVz dA=="), b"Tes");
        assert_eq!(t(b"VGVz-dA=="), b"Tes");
        assert_eq!(t(b"!VGVz"), b"");
        assert_eq!(t(b"VGVz\xffdA=="), b"Tes");
    }

    #[test]
    fn line_breaks_are_skipped() {
        assert_eq!(t(b"VGVz\r\ndENh\nc2U="), b"TestCase");
    }
}
