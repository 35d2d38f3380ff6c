//! `t:trim` — removes white space from both ends of the value.
//!
//! White space is C `isspace`: space, `\t`, `\n`, `\v`, `\f`, `\r` (not
//! `0xa0`, not NUL).
//!
//! ```text
//! SecRule ARGS:user "@streq admin" "id:1,phase:2,deny,t:none,t:trim,t:lowercase"
//! ```

use super::Provenance;
use super::util::is_c_space;

/// The value without leading white space.
pub(super) fn trim_start(input: &[u8]) -> &[u8] {
    let start = input
        .iter()
        .position(|&b| !is_c_space(b))
        .unwrap_or(input.len());
    &input[start..]
}

/// The value without trailing white space.
pub(super) fn trim_end(input: &[u8]) -> &[u8] {
    let end = input
        .iter()
        .rposition(|&b| !is_c_space(b))
        .map_or(0, |i| i + 1);
    &input[..end]
}

/// Trims both ends; `None` when neither end has white space.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let trimmed = trim_end(trim_start(input));
    (trimmed.len() != input.len()).then(|| trimmed.to_vec())
}

/// Output bytes are input bytes (some removed or moved).
pub const PROVENANCE: Provenance = Provenance::SAME;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_both_ends() {
        assert_eq!(transform(b" \t\r\n\x0b\x0ca b\n ").unwrap(), b"a b");
        assert_eq!(transform(b"   ").unwrap(), b"");
    }

    #[test]
    fn keeps_nul_and_nbsp() {
        assert_eq!(transform(b"\x00 a \xa0"), None);
        assert_eq!(transform(b" \x00a\xa0 ").unwrap(), b"\x00a\xa0");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"a  b"), None);
    }
}
