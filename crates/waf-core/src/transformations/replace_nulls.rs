//! `t:replaceNulls` — replaces every NUL (`0x00`) byte with a space.
//!
//! ```text
//! SecRule ARGS "@rx select\s+from" "id:1,phase:2,deny,t:none,t:replaceNulls"
//! ```

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
