//! `t:replaceComments` — replaces each C comment (`/* … */`) with one space.
//!
//! A comment still open at the end is replaced by one space too
//! (`a/* b` → `a `). A stray `*/` is kept. Other comment styles are left
//! alone (see `t:removeComments`).
//!
//! ```text
//! SecRule ARGS "@rx union\s+select" "id:1,phase:2,deny,t:none,t:replaceComments,t:lowercase"
//! ```

use super::Provenance;

/// Replaces comments; `None` when the value has no `/*`.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let first = input.windows(2).position(|w| w == b"/*")?;
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..first]);
    let mut in_comment = false;
    let mut i = first;
    while i < input.len() {
        let pair = input.get(i..i + 2);
        if in_comment {
            if pair == Some(b"*/") {
                in_comment = false;
                out.push(b' ');
                i += 2;
            } else {
                i += 1;
            }
        } else if pair == Some(b"/*") {
            in_comment = true;
            i += 2;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    if in_comment {
        out.push(b' ');
    }
    Some(out)
}

/// A space may stand for a comment, which starts with `/`.
pub const PROVENANCE: Provenance = Provenance::Replaces {
    byte: b' ',
    from: b"/",
};

#[cfg(test)]
mod tests {
    use super::*;

    fn t(input: &[u8]) -> Vec<u8> {
        transform(input).unwrap_or_else(|| input.to_vec())
    }

    #[test]
    fn replaces_with_one_space() {
        assert_eq!(t(b"UNION/**/SELECT"), b"UNION SELECT");
        assert_eq!(t(b"/* TestCase */"), b" ");
        assert_eq!(t(b"Before/* Test\r\nCase */After"), b"Before After");
        assert_eq!(t(b"a/*x*//*y*/b"), b"a  b");
    }

    #[test]
    fn open_comment_at_end() {
        assert_eq!(t(b"Before /* Test\nCase "), b"Before  ");
        assert_eq!(t(b"/*"), b" ");
    }

    #[test]
    fn stray_closer_and_other_styles_are_kept() {
        assert_eq!(t(b"Before TestCase */ After"), b"Before TestCase */ After");
        assert_eq!(t(b"a -- b # c <!-- d -->"), b"a -- b # c <!-- d -->");
        assert_eq!(t(b"/*/ x */"), b" ");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"TestCase */"), None);
    }
}
