//! `t:replaceNulls` — replaces every NUL (`0x00`) byte with a space.
//!
//! ```text
//! SecRule ARGS "@rx select\s+from" "id:1,phase:2,deny,t:none,t:replaceNulls"
//! ```

use super::Provenance;

/// Turns NUL bytes into spaces; `None` when there are none.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    if !input.contains(&0) {
        return None;
    }
    Some(
        input
            .iter()
            .map(|&b| if b == 0 { b' ' } else { b })
            .collect(),
    )
}

/// A space may come from a NUL.
pub const PROVENANCE: Provenance = Provenance::Replaces {
    byte: b' ',
    from: b"\0",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_each_nul() {
        assert_eq!(transform(b"a\x00\x00b\x00").unwrap(), b"a  b ");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"a b"), None);
    }
}
