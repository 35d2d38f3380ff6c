//! Cross-site scripting detection.
//!
//! # Design
//!
//! The input is tokenized as HTML ([`html5`]) five times: as text, and as if it started
//! inside an unquoted, `'`-, `"`- and `` ` ``-quoted attribute value. A pass reports XSS as
//! soon as it meets one of:
//!
//! - a `<!DOCTYPE`;
//! - a dangerous tag (`script`, `iframe`, `object`, anything `svg*` or `xsl*`, ...);
//! - a JavaScript event-handler attribute (`onerror`, `onload`, ...), `xmlns`/`xlink*`, or a
//!   style/data-binding attribute, whatever its value;
//! - a URL attribute (`href`, `src`, `action`, ...) whose value starts with `javascript:`,
//!   `vbscript:`, `data:` or `view-source:`, after HTML character references are decoded
//!   and white space, control bytes and NULs are skipped;
//! - `attributeName` (SVG animation) naming any of the attributes above;
//! - a comment that holds `` ` `` (IE ends tags with it), an IE conditional comment
//!   (`[if`), `xml`, `import` or `ENTITY` markup.
//!
//! The name lists are in [`names`]; they are HTML vocabulary, checked against the C library.

pub mod html5;
pub mod names;

use html5::{Html5TokenKind as H, Html5Tokenizer, Start};
use names::AttrClass;

/// Every input [`detect_xss`] reports holds one of these bytes. Each finding needs a tag
/// (`<`: a dangerous tag, a comment, a doctype) or an attribute value after a named
/// attribute (`=`); starting inside an attribute value only makes the first token a value,
/// which has no attribute name before it. Engines use this to skip the detector on values
/// that hold neither; the differential test checks it against the C library.
pub const XSS_NEEDS_ONE_OF: &[u8] = b"<=";

/// Is `input` cross-site scripting? Agrees with libinjection's `libinjection_xss`.
pub fn detect_xss(input: &[u8]) -> bool {
    [
        Start::Data,
        Start::ValueNoQuote,
        Start::ValueSingleQuote,
        Start::ValueDoubleQuote,
        Start::ValueBackQuote,
    ]
    .into_iter()
    .any(|start| is_xss_from(input, start))
}

/// One pass of [`detect_xss`], starting in `start`.
pub fn is_xss_from(input: &[u8], start: Start) -> bool {
    let mut attr = AttrClass::Harmless;
    for tok in Html5Tokenizer::new(input, start) {
        let text = input
            .get(tok.start..tok.start + tok.len)
            .unwrap_or_default();
        if tok.kind != H::AttrValue {
            attr = AttrClass::Harmless;
        }
        match tok.kind {
            H::Doctype => return true,
            H::TagNameOpen if names::is_dangerous_tag(text) => return true,
            H::AttrName => attr = names::classify_attr(text),
            H::AttrValue => {
                let bad = match attr {
                    AttrClass::Harmless => false,
                    AttrClass::Dangerous | AttrClass::Style => true,
                    AttrClass::Url => names::is_dangerous_url(text),
                    AttrClass::Indirect => names::classify_attr(text) != AttrClass::Harmless,
                };
                if bad {
                    return true;
                }
                attr = AttrClass::Harmless;
            }
            H::TagComment if is_dangerous_comment(text) => return true,
            _ => {}
        }
    }
    false
}

fn is_dangerous_comment(text: &[u8]) -> bool {
    if text.contains(&b'`') {
        return true;
    }
    if text.len() > 3 {
        let head = [
            text[0],
            text[1].to_ascii_uppercase(),
            text[2].to_ascii_uppercase(),
        ];
        if head == *b"[IF" || head[1..] == *b"ML" && text[0].eq_ignore_ascii_case(&b'x') {
            return true;
        }
    }
    text.len() > 5
        && (names::eq_skipping_nul(b"IMPORT", &text[..6])
            || names::eq_skipping_nul(b"ENTITY", &text[..6]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_need_a_tag_or_an_attribute_value() {
        // Every start context, quotes, event handlers and URL schemes, but no `<` or `=`.
        let alphabet = b"'\"` />!-:;()&#x0onerrorjavascript:alert\t\n\x0c";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            let mut input = Vec::new();
            for _ in 0..(state % 24) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                input.push(alphabet[(state % alphabet.len() as u64) as usize]);
            }
            assert!(!detect_xss(&input), "{:?}", String::from_utf8_lossy(&input));
        }
    }

    #[test]
    fn classic_payloads_and_benign_html() {
        assert!(detect_xss(b"<script>alert(1)</script>"));
        assert!(detect_xss(b"<img src=x onerror=alert(1)>"));
        assert!(detect_xss(b"' onmouseover='alert(1)"));
        assert!(!detect_xss(b"<b>bold</b> and a < b"));
        assert!(!detect_xss(b""));
    }

    // Event handlers match as prefixes ("onloadx"), other names exactly ("onclic" is none).
    #[test]
    fn event_handlers_match_as_prefixes() {
        assert!(detect_xss(b"<a onloadx=1>"));
        assert!(!detect_xss(b"<a onclic=1>"));
        assert!(!detect_xss(b"<a onxyz=1>"));
    }

    // 0xFF is C's EOF as a signed char where libinjection skips white space.
    #[test]
    fn byte_ff_reads_as_end_of_input_in_a_tag() {
        assert!(detect_xss(b"<div style=b>"));
        assert!(!detect_xss(b"<div style=\xffb>"));
    }

    // A decoded reference is compared by its low byte (C's `(char)` cast).
    #[test]
    fn character_reference_compared_by_low_byte() {
        assert!(detect_xss(b"<a href=\"&#x6A;avascript:1\">"));
        assert!(detect_xss(b"<a href=\"&#x14A;avascript:1\">"));
        assert!(detect_xss(b"<a href=\"&#330;avascript:1\">"));
        assert!(!detect_xss(b"<a href=\"&#x16A;avascript:1\">"));
        assert!(detect_xss(
            b"<a href=\"&#0000000000000000074;avascript:1\">"
        ));
    }

    #[test]
    fn nul_bytes_are_ignored_in_names() {
        assert!(detect_xss(b"<scr\0ipt>"));
        assert!(detect_xss(b"<a href=\"java\0script:1\">"));
    }

    #[test]
    fn comments_and_doctype() {
        assert!(detect_xss(b"<!--[if IE]>"));
        assert!(detect_xss(b"<?import x>"));
        assert!(detect_xss(b"<!DOCTYPE html>"));
        assert!(!detect_xss(b"<!-- plain -->"));
    }

    #[test]
    fn starts_inside_attribute_values() {
        assert!(is_xss_from(b"x\" onload=\"a", Start::ValueDoubleQuote));
        assert!(!is_xss_from(b"x\" onload=\"a", Start::Data));
    }
}
