//! `t:normalisePathWin` (also `t:normalizePathWin`) — like `t:normalisePath`,
//! but `\` is a separator too, and every separator comes out as `/`.
//!
//! `\dir\.\..\etc\\passwd` → `/etc/passwd`.
//!
//! ```text
//! SecRule REQUEST_FILENAME "@contains /windows/system32" "id:1,phase:1,deny,t:none,t:urlDecodeUni,t:normalisePathWin,t:lowercase"
//! ```

use super::Provenance;
use super::normalise_path::normalise;

/// Normalises with `/` and `\` as separators.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    normalise(input, true)
}

/// A `/` may come from a `\\`.
pub const PROVENANCE: Provenance = Provenance::Replaces {
    byte: b'/',
    from: b"\\",
};

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
            (b"\\foo\\bar\\baz", b"/foo/bar/baz"),
            (b"\\foo\\bar\x00\\baz", b"/foo/bar\x00/baz"),
            (b"x", b"x"),
            (b".", b""),
            (b".\\", b""),
            (b".\\..", b".."),
            (b".\\..\\", b"../"),
            (b"..", b".."),
            (b"..\\", b"../"),
            (b"..\\.", b".."),
            (b"..\\.\\", b"../"),
            (b"..\\..", b"../.."),
            (b"..\\..\\", b"../../"),
            (b"\\dir\\foo\\\\bar", b"/dir/foo/bar"),
            (b"dir\\foo\\\\bar\\", b"dir/foo/bar/"),
            (b"dir\\..\\foo", b"foo"),
            (b"dir\\..\\..\\foo", b"../foo"),
            (b"dir\\.\\..\\.\\..\\..\\foo\\bar", b"../../foo/bar"),
            (b"dir\\.\\..\\.\\..\\..\\foo\\bar\\.", b"../../foo/bar"),
            (b"dir\\.\\..\\.\\..\\..\\foo\\bar\\.\\", b"../../foo/bar/"),
            (b"dir\\.\\..\\.\\..\\..\\foo\\bar\\..", b"../../foo"),
            (b"dir\\.\\..\\.\\..\\..\\foo\\bar\\..\\", b"../../foo/"),
            (b"dir\\.\\..\\.\\..\\..\\foo\\bar\\", b"../../foo/bar/"),
            (
                b"dir\\\\.\\\\..\\\\.\\\\..\\\\..\\\\foo\\\\bar",
                b"../../foo/bar",
            ),
            (
                b"dir\\\\.\\\\..\\\\.\\\\..\\\\..\\\\foo\\\\bar\\\\",
                b"../../foo/bar/",
            ),
            (b"dir\\subdir\\subsubdir\\subsubsubdir\\..\\..\\..", b"dir"),
            (
                b"dir\\.\\subdir\\.\\subsubdir\\.\\subsubsubdir\\..\\..\\..",
                b"dir",
            ),
            (
                b"dir\\.\\subdir\\..\\subsubdir\\..\\subsubsubdir\\..",
                b"dir",
            ),
            (
                b"\\dir\\.\\subdir\\..\\subsubdir\\..\\subsubsubdir\\..\\",
                b"/dir/",
            ),
            (
                b"\\.\\..\\.\\..\\..\\..\\..\\..\\..\\..\\\\0\\..\\etc\\.\\passwd",
                b"/etc/passwd",
            ),
        ];
        for (input, output) in cases {
            assert_eq!(t(input), output, "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn mixed_separators() {
        assert_eq!(t(b"C:\\a/b\\../c"), b"C:/a/c");
        assert_eq!(t(b"/\\/"), b"/");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
    }
}
