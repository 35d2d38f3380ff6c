//! `t:hexEncode` — encodes every byte as two lower-case hex digits.
//!
//! ```text
//! SecRule ARGS:pw "@streq 5f4dcc3b5aa765d61d8327deb882cf99" "id:1,phase:2,deny,t:none,t:md5,t:hexEncode"
//! ```

use super::Provenance;
use super::util::push_hex_byte;

/// `"Az\0"` → `"417a00"`; the empty value stays empty (`None`).
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    if input.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() * 2);
    for &b in input {
        push_hex_byte(&mut out, b);
    }
    Some(out)
}

/// Hex digits whatever the input held.
pub const PROVENANCE: Provenance = Provenance::Unrelated;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_case_pairs() {
        assert_eq!(transform(b"TestCase").unwrap(), b"5465737443617365");
        assert_eq!(transform(b"\x00\xff\x0a").unwrap(), b"00ff0a");
    }

    #[test]
    fn empty_is_none() {
        assert_eq!(transform(b""), None);
    }
}
