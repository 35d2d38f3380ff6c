//! `t:urlEncode` — URL-encodes the value.
//!
//! ASCII letters, digits and `*` are kept; a space becomes `+`; every other
//! byte becomes `%xx` with lower-case hex digits (as ModSecurity writes it).
//!
//! ```text
//! SecRule ARGS "@contains %3cscript" "id:1,phase:2,deny,t:none,t:urlEncode,t:lowercase"
//! ```

use super::Provenance;
use super::util::push_hex_byte;

const fn is_kept(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'*'
}

/// Encodes every byte that is not `[A-Za-z0-9*]`; `None` when there is none.
pub fn transform(input: &[u8]) -> Option<Vec<u8>> {
    let first = input.iter().position(|&b| !is_kept(b))?;
    let mut out = Vec::with_capacity(input.len() + input.len() / 2);
    out.extend_from_slice(&input[..first]);
    for &b in &input[first..] {
        if is_kept(b) {
            out.push(b);
        } else if b == b' ' {
            out.push(b'+');
        } else {
            out.push(b'%');
            push_hex_byte(&mut out, b);
        }
    }
    Some(out)
}

/// Escapes are made of `%` and hex digits whatever the input held.
pub const PROVENANCE: Provenance = Provenance::Unrelated;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_everything_but_alnum_and_star() {
        assert_eq!(transform(b"Test Case").unwrap(), b"Test+Case");
        assert_eq!(transform(b"% ").unwrap(), b"%25+");
        assert_eq!(transform(b"a*b-c.d_e~").unwrap(), b"a*b%2dc%2ed%5fe%7e");
        assert_eq!(transform(b"\x00\x7f\x80\xff").unwrap(), b"%00%7f%80%ff");
        assert_eq!(transform(b"%0g").unwrap(), b"%250g");
    }

    #[test]
    fn unchanged_is_none() {
        assert_eq!(transform(b""), None);
        assert_eq!(transform(b"TestCase09*"), None);
    }
}
