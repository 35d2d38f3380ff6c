//! `t:removeNulls` — removes every NUL (`0x00`) byte.
//!
//! ```text
//! SecRule ARGS "@rx <script" "id:1,phase:2,deny,t:none,t:removeNulls"
//! ```

use super::Provenance;

/// Drops NUL bytes; `None` when there are none.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    if !input.contains(&0) {
        return None;
    }
    Some(input.iter().copied().filter(|&b| b != 0).collect())
}

/// Output bytes are input bytes (some removed or moved).
pub const PROVENANCE: Provenance = Provenance::SAME;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_all_nuls() {
        assert_eq!(transform(b"\x00a\x00\x00b\x00").unwrap(), b"ab");
        assert_eq!(transform(b"\x00\x00").unwrap(), b"");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"abc"), None);
    }
}
