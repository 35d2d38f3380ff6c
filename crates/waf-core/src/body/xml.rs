//! XML bodies: a well-formedness check and the values CRS reads through
//! `XML:/*` and `XML://@*`.
//!
//! # What ModSecurity v3 does
//!
//! The body goes to libxml2's push parser; if the document is not
//! well-formed, `REQBODY_ERROR` is set ("XML: Failed to parse document.").
//! Rules then query the tree with XPath. CRS uses two expressions:
//!
//! - `XML:/*` selects the root element; its value is the element's text
//!   content, i.e. every text and CDATA node below it concatenated in
//!   document order (comments and processing instructions excluded). One
//!   value.
//! - `XML://@*` selects every attribute; one value per attribute.
//!
//! External entities are not loaded (`SecXmlExternalEntity Off`).
//!
//! # What we do
//!
//! A single-pass tokenizer that checks the well-formedness rules that matter
//! for inspection and collects the values above:
//!
//! - one root element, only whitespace, comments and processing instructions
//!   around it; start and end tags must match; nesting deeper than
//!   [`BodyLimits::max_depth`] is an error (libxml2 stops at 256 unless told
//!   otherwise);
//! - attributes need quoted values, no `<` inside, no duplicates, whitespace
//!   between them; their tab/CR/LF become spaces as XML requires;
//! - `&lt; &gt; &amp; &apos; &quot;` and character references are decoded;
//!   other entity references are errors unless the document has a DOCTYPE,
//!   in which case they are kept as written: we never expand entities
//!   declared in a DTD, so there is no XXE and no entity-expansion bomb;
//! - `]]>` in text, `--` inside a comment, control characters, and (unless
//!   the XML declaration names another encoding) invalid UTF-8 are errors;
//! - CR and CRLF in text become LF.
//!
//! Besides `root_text` (the `XML:/*` value) we return each text run
//! separately in `text_nodes`, for engines that prefer one value per node
//! (Coraza's behaviour). Memory is linear in the input.

use std::collections::HashSet;

use super::BodyLimits;

/// Values from an XML body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmlResult {
    /// The root element's text content: the value of `XML:/*`.
    pub root_text: Vec<u8>,
    /// Each non-whitespace text run and each CDATA section, in order.
    pub text_nodes: Vec<Vec<u8>>,
    /// `(name, value)` of every attribute in document order: the values are
    /// `XML://@*`.
    pub attributes: Vec<(Vec<u8>, Vec<u8>)>,
    /// The error for `REQBODY_ERROR_MSG` (without v3's `"XML parsing error: "`
    /// prefix); `Some` means `REQBODY_ERROR`.
    pub error: Option<String>,
}

/// Parses an XML body.
///
/// ```
/// use waf_core::body::{parse_xml, BodyLimits};
/// let r = parse_xml(b"<a x='1'>hi <b>there</b></a>", &BodyLimits::default());
/// assert_eq!(r.root_text, b"hi there");
/// assert_eq!(r.attributes, vec![(b"x".to_vec(), b"1".to_vec())]);
/// assert!(r.error.is_none());
/// ```
pub fn parse_xml(body: &[u8], limits: &BodyLimits) -> XmlResult {
    let mut parser = Parser {
        input: body,
        pos: 0,
        limits,
        out: XmlResult::default(),
        has_doctype: false,
        check_utf8: true,
    };
    if let Err(detail) = parser.document() {
        parser.out.error = Some(format!(
            "XML: Failed to parse document: {detail} at byte {}.",
            parser.pos
        ));
    }
    parser.out
}

struct Parser<'a, 'l> {
    input: &'a [u8],
    pos: usize,
    limits: &'l BodyLimits,
    out: XmlResult,
    has_doctype: bool,
    check_utf8: bool,
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':' || c >= 0x80
}

fn is_name_char(c: u8) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == b'-' || c == b'.'
}

fn is_xml_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

impl Parser<'_, '_> {
    fn rest(&self) -> &[u8] {
        &self.input[self.pos..]
    }

    fn starts(&self, s: &[u8]) -> bool {
        self.rest().starts_with(s)
    }

    fn skip_space(&mut self) -> usize {
        let n = self.rest().iter().take_while(|&&c| is_xml_space(c)).count();
        self.pos += n;
        n
    }

    /// Position of `needle` at or after `pos`, as an absolute offset.
    fn find(&self, needle: &[u8]) -> Option<usize> {
        self.rest()
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| self.pos + i)
    }

    fn check_chars(&self, bytes: &[u8]) -> Result<(), &'static str> {
        if bytes.iter().any(|&c| c < 0x20 && !is_xml_space(c)) {
            return Err("invalid control character");
        }
        if self.check_utf8 && std::str::from_utf8(bytes).is_err() {
            return Err("input is not proper UTF-8");
        }
        Ok(())
    }

    fn name(&mut self) -> Result<&[u8], &'static str> {
        let start = self.pos;
        match self.rest().first() {
            Some(&c) if is_name_start(c) => {}
            _ => return Err("a name was expected"),
        }
        let n = self.rest().iter().take_while(|&&c| is_name_char(c)).count();
        self.pos += n;
        Ok(&self.input[start..self.pos])
    }

    fn document(&mut self) -> Result<(), &'static str> {
        if self.starts(b"\xEF\xBB\xBF") {
            self.pos += 3;
        }
        if self.starts(b"<?xml")
            && self
                .input
                .get(self.pos + 5)
                .is_some_and(|&c| is_xml_space(c))
        {
            let end = self.find(b"?>").ok_or("unterminated XML declaration")?;
            let decl = &self.input[self.pos..end];
            if let Some(at) = decl.windows(8).position(|w| w == b"encoding") {
                let value: Vec<u8> = decl[at + 8..]
                    .iter()
                    .copied()
                    .skip_while(|&c| is_xml_space(c) || c == b'=' || c == b'"' || c == b'\'')
                    .take_while(|&c| c != b'"' && c != b'\'')
                    .collect();
                if !value.eq_ignore_ascii_case(b"utf-8") && !value.eq_ignore_ascii_case(b"utf8") {
                    self.check_utf8 = false;
                }
            }
            self.check_chars(decl)?;
            self.pos = end + 2;
        }
        let mut seen_root = false;
        loop {
            self.skip_space();
            if self.pos >= self.input.len() {
                return if seen_root {
                    Ok(())
                } else {
                    Err("document is empty or has no root element")
                };
            }
            if self.starts(b"<!--") {
                self.comment()?;
            } else if self.starts(b"<?") {
                self.processing_instruction()?;
            } else if self.starts(b"<!DOCTYPE") && !seen_root && !self.has_doctype {
                self.doctype()?;
            } else if self.starts(b"<") && !seen_root {
                self.root_element()?;
                seen_root = true;
            } else {
                return Err("content outside of the root element");
            }
        }
    }

    fn comment(&mut self) -> Result<(), &'static str> {
        self.pos += 4;
        let end = self.find(b"--").ok_or("unterminated comment")?;
        if self.input.get(end + 2) != Some(&b'>') {
            return Err("'--' inside a comment");
        }
        let text = &self.input[self.pos..end];
        self.check_chars(text)?;
        self.pos = end + 3;
        Ok(())
    }

    fn processing_instruction(&mut self) -> Result<(), &'static str> {
        self.pos += 2;
        let target = self.name()?;
        if target.eq_ignore_ascii_case(b"xml") {
            return Err("XML declaration not at the start of the document");
        }
        let end = self
            .find(b"?>")
            .ok_or("unterminated processing instruction")?;
        let text = &self.input[self.pos..end];
        if !text.is_empty() && !is_xml_space(text[0]) {
            return Err("space required after the processing instruction target");
        }
        self.check_chars(text)?;
        self.pos = end + 2;
        Ok(())
    }

    /// Skips `<!DOCTYPE ...>` including an internal subset; nothing in it is
    /// interpreted.
    fn doctype(&mut self) -> Result<(), &'static str> {
        self.pos += 9;
        let mut depth = 0usize;
        while let Some(&c) = self.input.get(self.pos) {
            match c {
                b'"' | b'\'' => {
                    let close = self.input[self.pos + 1..]
                        .iter()
                        .position(|&q| q == c)
                        .ok_or("unterminated literal in DOCTYPE")?;
                    self.pos += close + 2;
                    continue;
                }
                b'<' if self.starts(b"<!--") => {
                    self.comment()?;
                    continue;
                }
                b'[' => depth += 1,
                b']' => depth = depth.checked_sub(1).ok_or("unbalanced ']' in DOCTYPE")?,
                b'>' if depth == 0 => {
                    self.pos += 1;
                    self.has_doctype = true;
                    return Ok(());
                }
                _ => {}
            }
            self.pos += 1;
        }
        Err("unterminated DOCTYPE")
    }

    fn root_element(&mut self) -> Result<(), &'static str> {
        // Names of the open elements, as ranges into the input.
        let mut open: Vec<(usize, usize)> = Vec::new();
        let mut text = Vec::new();
        loop {
            if self.pos >= self.input.len() {
                return Err("premature end of data, an end tag is missing");
            }
            if self.input[self.pos] != b'<' {
                self.text(&mut text)?;
                continue;
            }
            self.flush_text(&mut text);
            if self.starts(b"<!--") {
                self.comment()?;
            } else if self.starts(b"<![CDATA[") {
                self.pos += 9;
                let end = self.find(b"]]>").ok_or("unterminated CDATA section")?;
                let data = normalize_newlines(&self.input[self.pos..end]);
                self.check_chars(&data)?;
                self.out.root_text.extend_from_slice(&data);
                self.out.text_nodes.push(data);
                self.pos = end + 3;
            } else if self.starts(b"<?") {
                self.processing_instruction()?;
            } else if self.starts(b"</") {
                self.pos += 2;
                let start = self.pos;
                let name_len = self.name()?.len();
                self.skip_space();
                if self.rest().first() != Some(&b'>') {
                    return Err("'>' expected at the end of an end tag");
                }
                self.pos += 1;
                let (open_start, open_len) = open.pop().ok_or("end tag without a start tag")?;
                if self.input[start..start + name_len]
                    != self.input[open_start..open_start + open_len]
                {
                    return Err("end tag does not match the start tag");
                }
                if open.is_empty() {
                    return Ok(());
                }
            } else {
                self.pos += 1;
                let start = self.pos;
                let name_len = self.name()?.len();
                let empty = self.attributes()?;
                if !empty {
                    if open.len() >= self.limits.max_depth {
                        return Err("excessive depth in document");
                    }
                    open.push((start, name_len));
                } else if open.is_empty() {
                    return Ok(());
                }
            }
        }
    }

    fn flush_text(&mut self, text: &mut Vec<u8>) {
        if text.is_empty() {
            return;
        }
        self.out.root_text.extend_from_slice(text);
        if text.iter().all(|&c| is_xml_space(c)) {
            text.clear();
        } else {
            self.out.text_nodes.push(std::mem::take(text));
        }
    }

    /// Reads character data up to the next `<`, decoding references.
    fn text(&mut self, text: &mut Vec<u8>) -> Result<(), &'static str> {
        let len = self
            .rest()
            .iter()
            .position(|&c| c == b'<')
            .unwrap_or(self.rest().len());
        let raw = &self.input[self.pos..self.pos + len];
        if raw.windows(3).any(|w| w == b"]]>") {
            return Err("']]>' in text");
        }
        self.check_chars(raw)?;
        let decoded = self.decode_references(raw)?;
        text.extend_from_slice(&normalize_newlines(&decoded));
        self.pos += len;
        Ok(())
    }

    /// Reads the attributes of a start tag and its closing `>` or `/>`.
    /// Returns whether the element was empty (`/>`).
    fn attributes(&mut self) -> Result<bool, &'static str> {
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        loop {
            let spaced = self.skip_space() > 0;
            match self.rest().first() {
                Some(b'>') => {
                    self.pos += 1;
                    return Ok(false);
                }
                Some(b'/') if self.starts(b"/>") => {
                    self.pos += 2;
                    return Ok(true);
                }
                None => return Err("premature end of data in a tag"),
                _ => {}
            }
            if !spaced {
                return Err("space required between attributes");
            }
            let name = self.name()?.to_vec();
            self.skip_space();
            if self.rest().first() != Some(&b'=') {
                return Err("'=' expected after an attribute name");
            }
            self.pos += 1;
            self.skip_space();
            let quote = match self.rest().first() {
                Some(&q @ (b'"' | b'\'')) => q,
                _ => return Err("attribute value must be quoted"),
            };
            self.pos += 1;
            let len = self
                .rest()
                .iter()
                .position(|&c| c == quote)
                .ok_or("unterminated attribute value")?;
            let raw = &self.input[self.pos..self.pos + len];
            if raw.contains(&b'<') {
                return Err("'<' in an attribute value");
            }
            self.check_chars(raw)?;
            // Whitespace characters become spaces before references are decoded.
            let spaced_raw: Vec<u8> = raw
                .iter()
                .map(|&c| if is_xml_space(c) { b' ' } else { c })
                .collect();
            let value = self.decode_references(&spaced_raw)?;
            self.pos += len + 1;
            if !seen.insert(name.clone()) {
                return Err("attribute redefined");
            }
            self.out.attributes.push((name, value));
        }
    }

    fn decode_references(&self, raw: &[u8]) -> Result<Vec<u8>, &'static str> {
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            if raw[i] != b'&' {
                out.push(raw[i]);
                i += 1;
                continue;
            }
            let semi = raw[i..]
                .iter()
                .position(|&c| c == b';')
                .ok_or("'&' without a reference")?;
            let reference = &raw[i + 1..i + semi];
            match reference {
                b"lt" => out.push(b'<'),
                b"gt" => out.push(b'>'),
                b"amp" => out.push(b'&'),
                b"apos" => out.push(b'\''),
                b"quot" => out.push(b'"'),
                [b'#', b'x', hex @ ..] => push_char_ref(&mut out, hex, 16)?,
                [b'#', dec @ ..] => push_char_ref(&mut out, dec, 10)?,
                name => {
                    if name.is_empty()
                        || !is_name_start(name[0])
                        || !name.iter().all(|&c| is_name_char(c))
                    {
                        return Err("malformed entity reference");
                    }
                    if !self.has_doctype {
                        return Err("undefined entity");
                    }
                    // Declared (maybe) in a DTD we do not interpret: keep as written.
                    out.extend_from_slice(&raw[i..=i + semi]);
                }
            }
            i += semi + 1;
        }
        Ok(out)
    }
}

fn push_char_ref(out: &mut Vec<u8>, digits: &[u8], radix: u32) -> Result<(), &'static str> {
    if digits.is_empty() || digits.len() > 8 {
        return Err("malformed character reference");
    }
    let mut code = 0u32;
    for &d in digits {
        code = code * radix
            + (d as char)
                .to_digit(radix)
                .ok_or("malformed character reference")?;
    }
    let valid =
        matches!(code, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF);
    let ch = char::from_u32(code)
        .filter(|_| valid)
        .ok_or("character reference to an invalid character")?;
    let mut buf = [0u8; 4];
    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    Ok(())
}

/// XML end-of-line handling: CRLF and lone CR become LF.
fn normalize_newlines(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' {
            out.push(b'\n');
            if bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
        } else {
            out.push(bytes[i]);
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(body: &[u8]) -> XmlResult {
        let r = parse_xml(body, &BodyLimits::default());
        assert_eq!(r.error, None, "{}", String::from_utf8_lossy(body));
        r
    }

    #[test]
    fn text_and_attributes() {
        let r = ok(b"<?xml version=\"1.0\"?>\n<!-- c --><root a=\"1\" b='x&amp;y'>\n  <c d=\"a\tb\">one</c>two<![CDATA[<three>]]>\n</root>\n");
        assert_eq!(r.root_text, b"\n  onetwo<three>\n");
        assert_eq!(
            r.text_nodes,
            vec![b"one".to_vec(), b"two".to_vec(), b"<three>".to_vec()]
        );
        assert_eq!(
            r.attributes,
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"b".to_vec(), b"x&y".to_vec()),
                (b"d".to_vec(), b"a b".to_vec())
            ]
        );
    }

    #[test]
    fn references_are_decoded() {
        let r = ok(b"<a>&lt;script&gt; &#65;&#x42; &quot;&apos;</a>");
        assert_eq!(r.root_text, b"<script> AB \"'");
        assert_eq!(ok(b"<a>x\r\ny\rz</a>").root_text, b"x\ny\nz");
    }

    #[test]
    fn empty_root_and_namespaces() {
        let r = ok(b"<ns:a xmlns:ns=\"urn:x\" v=\"1\"/>");
        assert_eq!(r.attributes.len(), 2);
        assert!(r.root_text.is_empty());
    }

    #[test]
    fn doctype_entities_are_not_expanded() {
        let body = b"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\"> <!-- ] --> ]><r>&xxe;</r>";
        let r = ok(body);
        assert_eq!(r.root_text, b"&xxe;");
        // Without a DOCTYPE an unknown entity is a well-formedness error.
        assert!(
            parse_xml(b"<r>&xxe;</r>", &BodyLimits::default())
                .error
                .is_some()
        );
    }

    #[test]
    fn declared_encoding_disables_utf8_check() {
        assert!(
            parse_xml(b"<a>\xe9</a>", &BodyLimits::default())
                .error
                .is_some()
        );
        let r = ok(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xe9</a>");
        assert_eq!(r.root_text, b"\xe9");
    }

    #[test]
    fn malformed_documents() {
        let bad: &[&[u8]] = &[
            b"",
            b"   ",
            b"text",
            b"<a>",
            b"<a></b>",
            b"<a><b></a></b>",
            b"<a></a><b></b>",
            b"<a></a>trailing",
            b"<a x=1></a>",
            b"<a x=\"1\"y=\"2\"></a>",
            b"<a x=\"1\" x=\"2\"></a>",
            b"<a x=\"<\"></a>",
            b"<a x=\"1></a>",
            b"<a>&bogus</a>",
            b"<a>&#xZZ;</a>",
            b"<a>&#0;</a>",
            b"<a>]]></a>",
            b"<a><!-- a -- b --></a>",
            b"<a>\x01</a>",
            b"<a><![CDATA[x</a>",
            b"<1a></1a>",
            b"<a></a ",
            b"<?xml version=\"1.0\"",
            b"<a><?xml version=\"1.0\"?></a>",
            b"<!DOCTYPE a [ <a></a>",
            b"</a>",
            b"<a/><a/>",
        ];
        for body in bad {
            let r = parse_xml(body, &BodyLimits::default());
            assert!(
                r.error.is_some(),
                "{:?} should fail",
                String::from_utf8_lossy(body)
            );
            assert!(
                r.error
                    .unwrap()
                    .starts_with("XML: Failed to parse document")
            );
        }
    }

    #[test]
    fn depth_limit() {
        let limits = BodyLimits {
            max_depth: 3,
            ..BodyLimits::default()
        };
        assert!(parse_xml(b"<a><b><c/></b></a>", &limits).error.is_none());
        assert!(
            parse_xml(b"<a><b><c><d/></c></b></a>", &limits)
                .error
                .is_none()
        );
        assert!(
            parse_xml(b"<a><b><c><d></d></c></b></a>", &limits)
                .error
                .is_some()
        );
        let deep = "<a>".repeat(100_000);
        assert!(
            parse_xml(deep.as_bytes(), &BodyLimits::default())
                .error
                .is_some()
        );
    }

    // Regression guard for quadratic work in the duplicate-attribute check.
    #[test]
    fn many_attributes_stay_linear() {
        let mut body = b"<a".to_vec();
        for i in 0..50_000 {
            body.extend_from_slice(format!(" a{i}=\"v\"").as_bytes());
        }
        body.extend_from_slice(b"/>");
        assert_eq!(ok(&body).attributes.len(), 50_000);
    }

    proptest! {
        #[test]
        fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_xml(&body, &BodyLimits::default());
        }

        #[test]
        fn never_panics_on_xml_like(parts in proptest::collection::vec(
            prop_oneof![Just("<a"), Just(">"), Just("</a>"), Just("/>"), Just(" x=\"1\""), Just("&amp;"),
                        Just("&#x41;"), Just("<!--"), Just("-->"), Just("<![CDATA["), Just("]]>"), Just("text"),
                        Just("<?pi ?>"), Just("<!DOCTYPE a [ ]>"), Just("&e;")], 0..30)) {
            let body = parts.concat();
            let limits = BodyLimits { max_depth: 4, ..BodyLimits::default() };
            let r = parse_xml(body.as_bytes(), &limits);
            prop_assert!(r.root_text.len() <= body.len());
        }
    }
}
