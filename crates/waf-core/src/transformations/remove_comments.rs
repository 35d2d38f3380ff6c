//! `t:removeComments` — removes C (`/* … */`) and HTML (`<!-- … -->`)
//! comments, and cuts the value at an SQL/shell line comment (`--`, `#`).
//!
//! Follows ModSecurity:
//!
//! * `/*` or `<!--` opens a comment; `*/` or `-->` closes it (either closer
//!   closes either kind). The comment, delimiters included, is removed.
//! * A comment still open at the end is removed and replaced by one space
//!   (`a /* b` → `a  `).
//! * Outside a comment, `--` or `#` ends the value: it and everything after it
//!   are dropped (`1 -- x` → `1 `).
//! * A stray `*/` outside a comment is kept.
//!
//! ModSecurity's C loop also copies the byte right after a closing `*/`
//! without looking at it, so `/**//**/` leaves `/**/`; the shared test
//! vectors (`SELECT/**//**/UNION` → `SELECTUNION`) say that is a bug, and we
//! follow the vectors.
//!
//! ```text
//! SecRule ARGS "@rx union\s*select" "id:1,phase:2,deny,t:none,t:removeComments,t:lowercase"
//! ```

use super::Provenance;

/// Removes comments; `None` when the value has none of `/* <!-- -- #`.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let at = |i: usize, pat: &[u8]| input.get(i..i + pat.len()) == Some(pat);
    let mut out = Vec::with_capacity(input.len());
    let mut in_comment = false;
    let mut changed = false;
    let mut i = 0;
    while i < input.len() {
        if in_comment {
            if at(i, b"*/") {
                in_comment = false;
                i += 2;
            } else if at(i, b"-->") {
                in_comment = false;
                i += 3;
            } else {
                i += 1;
            }
        } else if at(i, b"/*") {
            in_comment = true;
            changed = true;
            i += 2;
        } else if at(i, b"<!--") {
            in_comment = true;
            changed = true;
            i += 4;
        } else if at(i, b"--") || input[i] == b'#' {
            changed = true;
            break;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    if in_comment {
        out.push(b' ');
    }
    changed.then_some(out)
}

/// Output bytes are input bytes, except the space that stands for a comment left
/// open, which starts with `/` or `<`.
pub const PROVENANCE: Provenance = Provenance::Replaces {
    byte: b' ',
    from: b"/<",
};

#[cfg(test)]
mod tests {
    use super::*;

    fn t(input: &[u8]) -> Vec<u8> {
        transform(input).unwrap_or_else(|| input.to_vec())
    }

    #[test]
    fn shared_vectors() {
        assert_eq!(t(b"/* TestCase */"), b"");
        assert_eq!(t(b"/*TestCase*/"), b"");
        assert_eq!(t(b"Before/* TestCase */After"), b"BeforeAfter");
        assert_eq!(t(b"Before TestCase */ After"), b"Before TestCase */ After");
        assert_eq!(t(b"/* Test\r\nCase */"), b"");
        assert_eq!(t(b"/*Before/* Test\r\nCase "), b" ");
        assert_eq!(t(b"Before /* Test\nCase "), b"Before  ");
        assert_eq!(
            t(b"Before/* T*/ /* e */ /* s */ /* t */\r\nCase "),
            b"Before   \r\nCase "
        );
        assert_eq!(
            t(b"Before /* */ ops */ Test\nCase "),
            b"Before  ops */ Test\nCase "
        );
        assert_eq!(t(b"/*Test\r\nCase */After"), b"After");
        assert_eq!(t(b"Test\nCase /**/ After"), b"Test\nCase  After");
        assert_eq!(t(b"Test/*\nCase */ After"), b"Test After");
        assert_eq!(t(b"SELECT/**//**/UNION"), b"SELECTUNION");
        assert_eq!(t(b"foo<!-- comment 1 --><!-- comment 2 -->bar"), b"foobar");
    }

    #[test]
    fn line_comments_cut_the_value() {
        assert_eq!(t(b"1 OR 1=1-- x\nmore"), b"1 OR 1=1");
        assert_eq!(t(b"id # comment"), b"id ");
        assert_eq!(t(b"#"), b"");
        // A single dash is not a comment.
        assert_eq!(t(b"a-b"), b"a-b");
    }

    #[test]
    fn closers_are_interchangeable() {
        assert_eq!(t(b"a<!-- x */b"), b"ab");
        assert_eq!(t(b"a/* x -->b"), b"ab");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"TestCase"), None);
        assert_eq!(transform(b"Test\x00Case */ a-b /"), None);
    }
}
