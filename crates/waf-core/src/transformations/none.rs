//! `t:none` — not a transformation but a reset marker.
//!
//! In a rule's action list, `t:none` discards every transformation listed
//! before it, including those inherited from `SecDefaultAction`. CRS starts
//! almost every rule with it:
//!
//! ```text
//! SecRule ARGS "@rx <script" "id:1,phase:2,deny,t:none,t:urlDecodeUni,t:lowercase"
//! ```
//!
//! The rule compiler handles it ([`super::Transformation::is_reset`]); applying
//! it to a value is the identity.

use super::Provenance;

/// The identity: never changes the value.
pub fn transform(_input: &[u8]) -> Option<Vec<u8>> {
    None
}

/// The identity.
pub const PROVENANCE: Provenance = Provenance::SAME;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"\x00ABC%41"), None);
    }
}
