//! `t:cmdLine` — normalises a command line so that shell evasion tricks do
//! not hide a command name.
//!
//! In order, per byte:
//!
//! * `\` `"` `'` `^` are deleted (`c^a"t` → `cat`);
//! * runs of space, tab, CR, LF, `,` and `;` become one space;
//! * a space before `/` or `(` is deleted (`cat /etc` → `cat/etc`);
//! * everything else is lower-cased (ASCII).
//!
//! ```text
//! SecRule ARGS "@rx (?:;|\|)\s*cat/etc/passwd" "id:1,phase:2,deny,t:none,t:cmdLine"
//! ```

use super::Provenance;
use crate::byteset::ByteSet;

/// Applies the command-line normalisation; never `None` for values that
/// contain a byte it acts on.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let acts = |b: u8| {
        matches!(
            b,
            b'\\' | b'"' | b'\'' | b'^' | b' ' | b',' | b';' | b'\t' | b'\r' | b'\n' | b'/' | b'('
        ) || b.is_ascii_uppercase()
    };
    if !input.iter().any(|&b| acts(b)) {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut in_space = false;
    for &b in input {
        match b {
            b'\\' | b'"' | b'\'' | b'^' => {}
            b' ' | b',' | b';' | b'\t' | b'\r' | b'\n' => {
                if !in_space {
                    out.push(b' ');
                    in_space = true;
                }
            }
            b'/' | b'(' => {
                if in_space {
                    out.pop();
                }
                in_space = false;
                out.push(b);
            }
            _ => {
                out.push(b.to_ascii_lowercase());
                in_space = false;
            }
        }
    }
    Some(out)
}

/// Letters may come from the other case; a space from any white space, `,` or `;`.
pub const PROVENANCE: Provenance = Provenance::Traced {
    origins,
    lengthens: false,
};

fn origins(out: u8) -> ByteSet {
    super::replaced(out, b' ', b"\t\r\n,;").case_folded()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(input: &[u8]) -> Vec<u8> {
        transform(input).unwrap_or_else(|| input.to_vec())
    }

    #[test]
    fn deletes_quoting_and_carets() {
        assert_eq!(t(br#"c^a"t' \/e"tc"#), b"cat/etc");
        assert_eq!(t(b"\"\\'^"), b"");
    }

    #[test]
    fn collapses_separators() {
        assert_eq!(t(b"ls ,; \t\r\n-la"), b"ls -la");
        assert_eq!(t(b"  ls"), b" ls");
        assert_eq!(t(b"ls  "), b"ls ");
        // Deleted characters do not end a run of separators.
        assert_eq!(t(b"a ' b"), b"a b");
    }

    #[test]
    fn removes_space_before_slash_and_paren() {
        assert_eq!(t(b"cat /etc/passwd"), b"cat/etc/passwd");
        assert_eq!(t(b"echo ;(id)"), b"echo(id)");
        assert_eq!(t(b" /"), b"/");
        assert_eq!(t(b"a //"), b"a//");
    }

    #[test]
    fn lowercases() {
        assert_eq!(t(b"CMD.EXE /C DIR"), b"cmd.exe/c dir");
        assert_eq!(t(b"\xc3\x89"), b"\xc3\x89");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"whoami"), None);
    }
}
