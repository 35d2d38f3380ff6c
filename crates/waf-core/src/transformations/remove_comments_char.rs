//! `t:removeCommentsChar` — removes comment *delimiters*, keeping the text
//! between them.
//!
//! Scanning left to right, these sequences are deleted, longest first where
//! they overlap: `/*`, `*/`, `<!--`, `-->`, `--`, `#`.
//! `/*x*/` → `x`, `<!--x-->` → `x`, `a--b` → `ab`, `#x` → `x`.
//!
//! ```text
//! SecRule ARGS "@rx union\s+select" "id:1,phase:2,deny,t:none,t:removeCommentsChar,t:lowercase"
//! ```

use super::Provenance;

/// Deletes delimiters; `None` when there are none.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    const DELIMITERS: [&[u8]; 6] = [b"/*", b"*/", b"<!--", b"-->", b"--", b"#"];
    let mut out = Vec::with_capacity(input.len());
    let mut changed = false;
    let mut i = 0;
    'scan: while i < input.len() {
        for d in DELIMITERS {
            if input[i..].starts_with(d) {
                i += d.len();
                changed = true;
                continue 'scan;
            }
        }
        out.push(input[i]);
        i += 1;
    }
    changed.then_some(out)
}

/// Output bytes are input bytes (some removed or moved).
pub const PROVENANCE: Provenance = Provenance::SAME;

#[cfg(test)]
mod tests {
    use super::*;

    fn t(input: &[u8]) -> Vec<u8> {
        transform(input).unwrap_or_else(|| input.to_vec())
    }

    #[test]
    fn removes_delimiters_only() {
        assert_eq!(t(b"UNION/**/SELECT"), b"UNIONSELECT");
        assert_eq!(t(b"a/*b*/c"), b"abc");
        assert_eq!(t(b"<!--x-->"), b"x");
        assert_eq!(t(b"a--b#c"), b"abc");
        assert_eq!(t(b"---"), b"-");
        assert_eq!(t(b"--->"), b"->");
        assert_eq!(t(b"<!-"), b"<!-");
    }

    #[test]
    fn single_pass() {
        // Deleting "/*" does not join "/" and "*" around it into a new one.
        assert_eq!(t(b"//**"), b"/*");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"a-b/c*d<!e"), None);
    }
}
