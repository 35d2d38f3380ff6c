//! `t:sha1` — replaces the value with its SHA-1 digest: 20 raw bytes, not hex.
//!
//! Combine with `t:hexEncode` to compare against a hex string:
//!
//! ```text
//! SecRule ARGS:token "@streq a94a8fe5ccb19ba61c4c0873d391e987982fbbd3" "id:1,phase:2,deny,t:none,t:sha1,t:hexEncode"
//! ```

use super::Provenance;
use ::sha1::{Digest, Sha1};

/// The raw 20-byte SHA-1 digest of the value.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    Some(Sha1::digest(input).to_vec())
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
        assert_eq!(d.len(), 20);
        assert_eq!(hex(&d), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&transform(b"test").unwrap()),
            "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"
        );
    }
}
