//! The outer layer of the grammar, as Apache and ModSecurity read configuration files:
//! physical lines joined by a trailing backslash into logical lines, comments dropped,
//! and each logical line split into words (bare, or double-quoted with `\"` escapes).
//!
//! Every byte of a logical line keeps a link to its physical line and column, so errors
//! found deep inside an action list still point at the right place in the file.

/// A directive's text after continuation joining, with a map back to physical positions.
#[derive(Debug)]
pub struct LogicalLine {
    pub text: String,
    /// `(offset in text, physical line, column at that offset)`, ascending by offset.
    pieces: Vec<(usize, u32, u32)>,
}

impl LogicalLine {
    /// The physical (line, column) of a byte offset into [`LogicalLine::text`].
    pub fn position(&self, offset: usize) -> (u32, u32) {
        let index = self.pieces.partition_point(|p| p.0 <= offset);
        let Some(&(start, line, column)) = self.pieces.get(index.saturating_sub(1)) else {
            return (1, 1);
        };
        let end = offset.min(self.text.len());
        let chars = self.text.get(start..end).map_or(0, |s| s.chars().count());
        (line, column + chars as u32)
    }
}

/// Splits a whole file into logical lines, skipping blank lines and comments.
pub fn logical_lines(source: &str) -> Vec<LogicalLine> {
    let mut out = Vec::new();
    let mut current: Option<LogicalLine> = None;
    for (index, raw) in source.split('\n').enumerate() {
        let line_no = index as u32 + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let (content, continued) = split_continuation(raw);
        match current.as_mut() {
            Some(logical) => {
                logical.pieces.push((logical.text.len(), line_no, 1));
                logical.text.push_str(content);
            }
            None => {
                let trimmed = content.trim_start();
                if trimmed.is_empty() && !continued || trimmed.starts_with('#') {
                    continue;
                }
                let indent = content.len() - trimmed.len();
                let column = content[..indent].chars().count() as u32 + 1;
                current = Some(LogicalLine {
                    text: trimmed.to_string(),
                    pieces: vec![(0, line_no, column)],
                });
            }
        }
        if !continued
            && let Some(done) = current.take()
            && !done.text.trim().is_empty()
        {
            out.push(done);
        }
    }
    if let Some(done) = current.take()
        && !done.text.trim().is_empty()
    {
        out.push(done);
    }
    out
}

/// A line continues when its last non-blank character is a backslash. The backslash goes;
/// what stood before it stays, including spaces, as Apache keeps them.
fn split_continuation(raw: &str) -> (&str, bool) {
    let trimmed = raw.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix('\\') {
        Some(body) => (body, true),
        None => (raw, false),
    }
}

/// One word of a logical line, with the byte offset where its content starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub offset: usize,
    pub quoted: bool,
}

/// Why a line could not be split into words; the offset is where the problem is.
#[derive(Debug, PartialEq, Eq)]
pub struct WordError {
    pub offset: usize,
    pub message: &'static str,
}

/// Splits a logical line into words. In a double-quoted word, `\"` stands for `"` and `\\`
/// for `\`, as Apache's configuration reader has it (CRS 3 writes `"@rx [a-z]:\\\\inetpub"`
/// for a regex matching one backslash); every other backslash is kept as written.
pub fn split_words(text: &str) -> Result<Vec<Word>, WordError> {
    let bytes = text.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if bytes[i] == b'"' {
            let start = i + 1;
            let mut value = String::new();
            let mut j = start;
            let mut closed = false;
            while j < bytes.len() {
                match bytes[j] {
                    b'\\' if matches!(bytes.get(j + 1), Some(b'"' | b'\\')) => {
                        value.push(bytes[j + 1] as char);
                        j += 2;
                    }
                    b'"' => {
                        closed = true;
                        break;
                    }
                    _ => {
                        // Copy one whole character so that non-ASCII text survives.
                        let ch_len = utf8_len(bytes[j]);
                        let end = (j + ch_len).min(bytes.len());
                        value.push_str(text.get(j..end).unwrap_or(""));
                        j = end;
                    }
                }
            }
            if !closed {
                return Err(WordError {
                    offset: i,
                    message: "unterminated double quote: expected a closing `\"`",
                });
            }
            words.push(Word {
                text: value,
                offset: start,
                quoted: true,
            });
            i = j + 1;
            if i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                return Err(WordError {
                    offset: i,
                    message: "expected whitespace after a closing quote",
                });
            }
        } else {
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            words.push(Word {
                text: text[start..i].to_string(),
                offset: start,
                quoted: false,
            });
        }
    }
    Ok(words)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_joins_lines_and_keeps_positions() {
        let src = "# comment\nSecRule ARGS \"@rx a\" \\\n    \"id:1,\\\n    deny\"\n";
        let lines = logical_lines(src);
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line.text, "SecRule ARGS \"@rx a\"     \"id:1,    deny\"");
        assert_eq!(line.position(0), (2, 1));
        let deny = line.text.find("deny").unwrap();
        assert_eq!(line.position(deny), (4, 5));
    }

    #[test]
    fn blank_lines_and_indented_comments_are_skipped() {
        let lines = logical_lines("\n   \n  # x\n\tSecMarker A\r\n");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].text, "SecMarker A");
        assert_eq!(lines[0].position(0), (4, 2));
    }

    #[test]
    fn trailing_backslash_on_last_line_still_yields_the_directive() {
        let lines = logical_lines("SecMarker A \\");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].text, "SecMarker A ");
    }

    #[test]
    fn quoted_words_unescape_quotes_and_backslashes() {
        let words = split_words(r#"SecRule ARGS "@rx \"\d+\\\\x5c\x5c" 'x'"#).unwrap();
        let texts: Vec<_> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["SecRule", "ARGS", r#"@rx "\d+\\x5c\x5c"#, "'x'"]);
        assert!(words[2].quoted);
        // A bare word keeps its backslashes.
        assert_eq!(split_words(r"a\\b").unwrap()[0].text, r"a\\b");
    }

    #[test]
    fn unterminated_quote_is_an_error_at_the_quote() {
        let err = split_words("SecRule ARGS \"@rx a").unwrap_err();
        assert_eq!(err.offset, 13);
    }

    #[test]
    fn non_ascii_survives_quoting() {
        let words = split_words("SecRule ARGS \"@rx é€\"").unwrap();
        assert_eq!(words[2].text, "@rx é€");
    }
}
