//! `t:base64Encode` — encodes the value with the standard Base64 alphabet
//! (RFC 4648, `+` and `/`) and `=` padding.
//!
//! ```text
//! SecRule ARGS "@streq PHNjcmlwdD4=" "id:1,phase:2,deny,t:none,t:base64Encode"
//! ```

use super::Provenance;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 with padding; the empty value stays empty (`None`).
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    if input.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(input.len().div_ceil(3) * 4);
    let sextet = |n: u32, shift: u32| ALPHABET[((n >> shift) & 0x3f) as usize];
    let mut chunks = input.chunks_exact(3);
    for c in &mut chunks {
        let n = u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]);
        out.extend_from_slice(&[sextet(n, 18), sextet(n, 12), sextet(n, 6), sextet(n, 0)]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[sextet(n, 18), sextet(n, 12), b'=', b'=']);
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            out.extend_from_slice(&[sextet(n, 18), sextet(n, 12), sextet(n, 6), b'=']);
        }
        _ => {}
    }
    Some(out)
}

/// The encoding's alphabet is unrelated to the input bytes.
pub const PROVENANCE: Provenance = Provenance::Unrelated;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        let cases: [(&[u8], &[u8]); 6] = [
            (b"f", b"Zg=="),
            (b"fo", b"Zm8="),
            (b"foo", b"Zm9v"),
            (b"foob", b"Zm9vYg=="),
            (b"fooba", b"Zm9vYmE="),
            (b"foobar", b"Zm9vYmFy"),
        ];
        for (input, output) in cases {
            assert_eq!(transform(input).unwrap(), output);
        }
    }

    #[test]
    fn binary_and_empty() {
        assert_eq!(transform(b"Test\x00Case").unwrap(), b"VGVzdABDYXNl");
        assert_eq!(transform(b"\xff\xfe\xfd").unwrap(), b"//79");
        assert_eq!(transform(b""), None);
    }
}
