//! `t:normalisePath` (also `t:normalizePath`) — removes `.` and `..`
//! segments and repeated slashes from a path.
//!
//! * `//` collapses to `/`; `./` segments disappear.
//! * `x/..` removes `x`. In an absolute path `..` cannot climb above the root
//!   (`/../etc` → `/etc`); in a relative path leading `..` are kept
//!   (`a/../../b` → `../b`).
//! * A trailing slash is kept only if the input had one (and something is
//!   left before it); `.` alone and `./` become empty.
//! * Only `/` separates segments; see `t:normalisePathWin` for `\`.
//!
//! A segment is `..` only if it is exactly two dots. (ModSecurity's C code also
//! treats any segment that merely *ends* in `..`, such as `a..` or `...`, as a
//! parent reference; we do not copy that quirk.)
//!
//! ```text
//! SecRule REQUEST_FILENAME "@beginsWith /admin" "id:1,phase:1,deny,t:none,t:urlDecodeUni,t:normalisePath"
//! ```

use super::Provenance;

/// Normalises with `/` as the separator.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    normalise(input, false)
}

/// The shared algorithm; with `windows`, `\` is a separator too and every
/// separator is written as `/`.
pub(super) fn normalise(input: &[u8], windows: bool) -> Option<Vec<u8>> {
    let is_sep = |b: u8| b == b'/' || (windows && b == b'\\');
    let (&first, &last) = (input.first()?, input.last()?);
    // Fast path: without dots, backslashes to convert or repeated separators
    // there is nothing to normalise.
    let busy = input.contains(&b'.')
        || (windows && input.contains(&b'\\'))
        || input.windows(2).any(|w| is_sep(w[0]) && is_sep(w[1]));
    if !busy {
        return None;
    }
    let absolute = is_sep(first);
    let trailing = is_sep(last);

    let mut out = Vec::with_capacity(input.len());
    if absolute {
        out.push(b'/');
    }
    let root = out.len();
    // `out.len()` before each kept segment (its separator included).
    let mut marks: Vec<usize> = Vec::new();
    for seg in input.split(|&b| is_sep(b)) {
        match seg {
            b"" | b"." => continue,
            b".." => {
                if let Some(&mark) = marks.last() {
                    let top = if mark > root { mark + 1 } else { mark };
                    if &out[top..] != b".." {
                        out.truncate(mark);
                        marks.pop();
                        continue;
                    }
                } else if absolute {
                    continue;
                }
            }
            _ => {}
        }
        marks.push(out.len());
        if out.len() > root {
            out.push(b'/');
        }
        out.extend_from_slice(seg);
    }
    if trailing && !marks.is_empty() {
        out.push(b'/');
    }
    Some(out)
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
    fn shared_vectors() {
        let cases: [(&[u8], &[u8]); 31] = [
            (b"", b""),
            (b"/foo/bar/baz", b"/foo/bar/baz"),
            (b"/foo/bar\x00/baz", b"/foo/bar\x00/baz"),
            (b"x", b"x"),
            (b".", b""),
            (b"./", b""),
            (b"./..", b".."),
            (b"./../", b"../"),
            (b"..", b".."),
            (b"../", b"../"),
            (b"../.", b".."),
            (b".././", b"../"),
            (b"../..", b"../.."),
            (b"../../", b"../../"),
            (b"/dir/foo//bar", b"/dir/foo/bar"),
            (b"dir/foo//bar/", b"dir/foo/bar/"),
            (b"dir/../foo", b"foo"),
            (b"dir/../../foo", b"../foo"),
            (b"dir/./.././../../foo/bar", b"../../foo/bar"),
            (b"dir/./.././../../foo/bar/.", b"../../foo/bar"),
            (b"dir/./.././../../foo/bar/./", b"../../foo/bar/"),
            (b"dir/./.././../../foo/bar/..", b"../../foo"),
            (b"dir/./.././../../foo/bar/../", b"../../foo/"),
            (b"dir/./.././../../foo/bar/", b"../../foo/bar/"),
            (b"dir//.//..//.//..//..//foo//bar", b"../../foo/bar"),
            (b"dir//.//..//.//..//..//foo//bar//", b"../../foo/bar/"),
            (b"dir/subdir/subsubdir/subsubsubdir/../../..", b"dir"),
            (b"dir/./subdir/./subsubdir/./subsubsubdir/../../..", b"dir"),
            (b"dir/./subdir/../subsubdir/../subsubsubdir/..", b"dir"),
            (b"/dir/./subdir/../subsubdir/../subsubsubdir/../", b"/dir/"),
            (
                b"/./.././../../../../../../../\x00/../etc/./passwd",
                b"/etc/passwd",
            ),
        ];
        for (input, output) in cases {
            assert_eq!(t(input), output, "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn root_is_kept() {
        assert_eq!(t(b"/"), b"/");
        assert_eq!(t(b"//"), b"/");
        assert_eq!(t(b"/.."), b"/");
        assert_eq!(t(b"/./"), b"/");
        assert_eq!(t(b"/a/.."), b"/");
    }

    #[test]
    fn backslash_is_an_ordinary_byte() {
        assert_eq!(t(b"a\\..\\b"), b"a\\..\\b");
    }

    #[test]
    fn dots_inside_names_are_names() {
        assert_eq!(t(b"/a/.../b/..c/d../e"), b"/a/.../b/..c/d../e");
        assert_eq!(t(b"/a/.htaccess"), b"/a/.htaccess");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
    }
}
