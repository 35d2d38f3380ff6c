//! `t:compressWhitespace` — turns every run of white space into one space.
//!
//! White space is C `isspace` in the "C" locale: space, `\t`, `\n`, `\v`,
//! `\f`, `\r`. ModSecurity v3 does not count the non-breaking space `0xa0`
//! here (v2 did); `t:removeWhitespace` does remove it.
//!
//! ```text
//! SecRule ARGS "@contains union select" "id:1,phase:2,deny,t:none,t:compressWhitespace,t:lowercase"
//! ```

use super::Provenance;
use super::util::is_c_space;

/// Compresses runs; `None` when no run needs it (no white space other than
/// single spaces).
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let needs = input.iter().enumerate().any(|(i, &b)| {
        is_c_space(b) && (b != b' ' || input.get(i + 1).is_some_and(|&n| is_c_space(n)))
    });
    if !needs {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut in_ws = false;
    for &b in input {
        if is_c_space(b) {
            if !in_ws {
                out.push(b' ');
                in_ws = true;
            }
        } else {
            out.push(b);
            in_ws = false;
        }
    }
    Some(out)
}

/// A space may come from any white space.
pub const PROVENANCE: Provenance = Provenance::Replaces {
    byte: b' ',
    from: b"\t\n\x0b\x0c\r",
};

#[cfg(test)]
mod tests {
    use super::*;

    fn t(input: &[u8]) -> Vec<u8> {
        transform(input).unwrap_or_else(|| input.to_vec())
    }

    #[test]
    fn shared_vectors() {
        assert_eq!(t(b"  Test  \t   Case  "), b" Test Case ");
        assert_eq!(
            t(b"This is a   test case with a tab \t, vtab \x0b, newline \n, return \r, formfeed \x0c, and a NUL\x00 in it with a CRLF at the end.\r\n"),
            b"This is a test case with a tab , vtab , newline , return , formfeed , and a NUL\x00 in it with a CRLF at the end. "
        );
    }

    #[test]
    fn compresses_runs() {
        assert_eq!(t(b"a \t\r\n\x0b\x0cb"), b"a b");
        assert_eq!(t(b"  a  "), b" a ");
        assert_eq!(t(b"a\tb"), b"a b");
    }

    #[test]
    fn other_bytes_are_not_space() {
        assert_eq!(t(b"a\x00\x00b"), b"a\x00\x00b");
        assert_eq!(t(b"a\xa0\xa0b"), b"a\xa0\xa0b");
        assert_eq!(t(b"a\xc2\xa0 \tb"), b"a\xc2\xa0 b");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"a b c"), None);
        assert_eq!(transform(b" "), None);
        assert_eq!(transform(b"Test\x00Case"), None);
    }
}
