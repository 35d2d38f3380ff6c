//! `t:md5` — replaces the value with its MD5 digest: 16 raw bytes, not hex.
//!
//! Combine with `t:hexEncode` to compare against a hex string:
//!
//! ```text
//! SecRule ARGS:pw "@streq 5f4dcc3b5aa765d61d8327deb882cf99" "id:1,phase:2,deny,t:none,t:md5,t:hexEncode"
//! ```

use super::Provenance;
use ::md5::{Digest, Md5};

/// The raw 16-byte MD5 digest of the value.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    Some(Md5::digest(input).to_vec())
}

/// A digest is unrelated to the input bytes.
pub const PROVENANCE: Provenance = Provenance::Unrelated;

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(v: &[u8]) -> String {
        v.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn raw_digest() {
        let d = transform(b"").unwrap();
        assert_eq!(d.len(), 16);
        assert_eq!(hex(&d), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            hex(&transform(b"password").unwrap()),
            "5f4dcc3b5aa765d61d8327deb882cf99"
        );
    }
}
