//! A small HTML5 tokenizer, tolerant in the ways old browsers were.
//!
//! It follows the states of the HTML5 tokenization algorithm that matter for finding tags,
//! attributes and comments (data, tag open, tag name, attribute name and value, comments,
//! `<!DOCTYPE`, `<![CDATA[`), with the browser quirks libinjection accounts for: NUL bytes
//! are ignored in tag names and count as white space, `` ` `` quotes attribute values (IE),
//! `<% ... %>` is a comment (IE, old Safari), `--!>` ends a comment.
//!
//! The tokenizer can start inside an attribute value ([`Start`]), because user input is
//! often placed there. It never allocates; tokens are byte ranges of the input.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Html5TokenKind {
    /// Text between tags.
    DataText,
    /// The name of an opening tag (`<name`).
    TagNameOpen,
    /// The name of a closing tag (`</name>`).
    TagNameClose,
    /// `/>`
    TagNameSelfClose,
    /// Data inside a tag (not produced by this tokenizer; kept for the test vocabulary).
    TagData,
    /// `>` ending a tag.
    TagClose,
    /// An attribute name.
    AttrName,
    /// An attribute value.
    AttrValue,
    /// A comment, a bogus comment or a processing instruction.
    TagComment,
    /// `<!DOCTYPE ...>`
    Doctype,
}

impl Html5TokenKind {
    /// libinjection's name of the kind, as used in its test files.
    pub fn name(self) -> &'static str {
        match self {
            Self::DataText => "DATA_TEXT",
            Self::TagNameOpen => "TAG_NAME_OPEN",
            Self::TagNameClose => "TAG_NAME_CLOSE",
            Self::TagNameSelfClose => "TAG_NAME_SELFCLOSE",
            Self::TagData => "TAG_DATA",
            Self::TagClose => "TAG_CLOSE",
            Self::AttrName => "ATTR_NAME",
            Self::AttrValue => "ATTR_VALUE",
            Self::TagComment => "TAG_COMMENT",
            Self::Doctype => "DOCTYPE",
        }
    }
}

/// Where in an HTML document the input is assumed to start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Start {
    /// In text (outside any tag).
    Data,
    /// Inside a tag, where an unquoted attribute value would be.
    ValueNoQuote,
    /// Inside a `'`-quoted attribute value.
    ValueSingleQuote,
    /// Inside a `"`-quoted attribute value.
    ValueDoubleQuote,
    /// Inside a `` ` ``-quoted attribute value (IE).
    ValueBackQuote,
}

/// One token: kind and byte range in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Html5Token {
    /// Kind of token.
    pub kind: Html5TokenKind,
    /// Offset of the first byte.
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Eof,
    Data,
    TagOpen,
    TagNameClose,
    BeforeAttrName,
    AfterAttrName,
    BeforeAttrValue,
    AfterAttrValueQuoted,
    SelfClosingStartTag,
    Quoted(u8),
}

/// The tokenizer. Iterate it for [`Html5Token`]s.
#[derive(Clone, Debug)]
pub struct Html5Tokenizer<'a> {
    s: &'a [u8],
    pos: usize,
    state: State,
    is_close: bool,
}

use Html5TokenKind as H;

/// HTML white space plus NUL and vertical tab (IE).
fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0)
}

fn find(s: &[u8], from: usize, b: u8) -> Option<usize> {
    s.get(from..)?
        .iter()
        .position(|&x| x == b)
        .map(|i| from + i)
}

impl<'a> Html5Tokenizer<'a> {
    /// A tokenizer over `input`, starting in `start`.
    pub fn new(input: &'a [u8], start: Start) -> Self {
        let state = match start {
            Start::Data => State::Data,
            Start::ValueNoQuote => State::BeforeAttrName,
            Start::ValueSingleQuote => State::Quoted(b'\''),
            Start::ValueDoubleQuote => State::Quoted(b'"'),
            Start::ValueBackQuote => State::Quoted(b'`'),
        };
        Self {
            s: input,
            pos: 0,
            state,
            is_close: false,
        }
    }

    /// The input.
    pub fn input(&self) -> &'a [u8] {
        self.s
    }

    fn tok(&self, kind: Html5TokenKind, start: usize, end: usize) -> Option<Html5Token> {
        Some(Html5Token {
            kind,
            start,
            len: end - start,
        })
    }

    /// Skips white space; `None` at the end. Byte 0xFF also reads as the end here (it is
    /// C's `EOF`, -1, as a signed `char`), as in libinjection.
    fn skip_white(&mut self) -> Option<u8> {
        while let Some(&b) = self.s.get(self.pos) {
            if b == 0xff {
                return None;
            }
            if !is_white(b) {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    fn step(&mut self) -> Option<Html5Token> {
        match self.state {
            State::Eof => None,
            State::Data => self.data(),
            State::TagOpen => self.tag_open(),
            State::TagNameClose => self.tag_name_close(),
            State::BeforeAttrName => self.before_attr_name(),
            State::AfterAttrName => self.after_attr_name(),
            State::BeforeAttrValue => self.before_attr_value(),
            State::AfterAttrValueQuoted => self.after_attr_value_quoted(),
            State::SelfClosingStartTag => self.self_closing_start_tag(),
            State::Quoted(q) => self.quoted_value(q),
        }
    }

    fn data(&mut self) -> Option<Html5Token> {
        let start = self.pos;
        match find(self.s, start, b'<') {
            None => {
                self.state = State::Eof;
                if start >= self.s.len() {
                    return None;
                }
                self.tok(H::DataText, start, self.s.len())
            }
            Some(lt) => {
                self.pos = lt + 1;
                self.state = State::TagOpen;
                if lt == start {
                    return self.tag_open();
                }
                self.tok(H::DataText, start, lt)
            }
        }
    }

    fn tag_open(&mut self) -> Option<Html5Token> {
        let b = *self.s.get(self.pos)?;
        match b {
            b'!' => {
                self.pos += 1;
                self.markup_declaration_open()
            }
            b'/' => {
                self.pos += 1;
                self.is_close = true;
                self.end_tag_open()
            }
            b'?' => {
                self.pos += 1;
                self.bogus_comment()
            }
            b'%' => {
                self.pos += 1;
                self.percent_comment()
            }
            b'a'..=b'z' | b'A'..=b'Z' | 0 => self.tag_name(),
            _ => {
                if self.pos == 0 {
                    return self.data();
                }
                // The '<' was plain text.
                self.state = State::Data;
                self.tok(H::DataText, self.pos - 1, self.pos)
            }
        }
    }

    fn end_tag_open(&mut self) -> Option<Html5Token> {
        let b = *self.s.get(self.pos)?;
        match b {
            b'>' => self.data(),
            b'a'..=b'z' | b'A'..=b'Z' => self.tag_name(),
            _ => {
                self.is_close = false;
                self.bogus_comment()
            }
        }
    }

    fn tag_name_close(&mut self) -> Option<Html5Token> {
        self.is_close = false;
        let at = self.pos;
        self.pos += 1;
        self.state = if self.pos < self.s.len() {
            State::Data
        } else {
            State::Eof
        };
        self.tok(H::TagNameClose, at, at + 1)
    }

    fn tag_name(&mut self) -> Option<Html5Token> {
        let start = self.pos;
        let mut p = start;
        while let Some(&b) = self.s.get(p) {
            if b == 0 {
                p += 1;
            } else if is_white(b) {
                self.pos = p + 1;
                self.state = State::BeforeAttrName;
                return self.tok(H::TagNameOpen, start, p);
            } else if b == b'/' {
                self.pos = p + 1;
                self.state = State::SelfClosingStartTag;
                return self.tok(H::TagNameOpen, start, p);
            } else if b == b'>' {
                if self.is_close {
                    self.pos = p + 1;
                    self.is_close = false;
                    self.state = State::Data;
                    return self.tok(H::TagClose, start, p);
                }
                self.pos = p;
                self.state = State::TagNameClose;
                return self.tok(H::TagNameOpen, start, p);
            } else {
                p += 1;
            }
        }
        self.state = State::Eof;
        self.tok(H::TagNameOpen, start, self.s.len())
    }

    fn before_attr_name(&mut self) -> Option<Html5Token> {
        match self.skip_white()? {
            b'/' => {
                self.pos += 1;
                self.self_closing_start_tag()
            }
            b'>' => {
                self.state = State::Data;
                let at = self.pos;
                self.pos += 1;
                self.tok(H::TagNameClose, at, at + 1)
            }
            _ => self.attr_name(),
        }
    }

    fn attr_name(&mut self) -> Option<Html5Token> {
        let start = self.pos;
        // The first byte belongs to the name whatever it is (even '=').
        let mut p = start + 1;
        while let Some(&b) = self.s.get(p) {
            let (state, next) = match b {
                b'/' => (State::SelfClosingStartTag, p + 1),
                b'=' => (State::BeforeAttrValue, p + 1),
                b'>' => (State::TagNameClose, p),
                _ if is_white(b) => (State::AfterAttrName, p + 1),
                _ => {
                    p += 1;
                    continue;
                }
            };
            self.state = state;
            self.pos = next;
            return self.tok(H::AttrName, start, p);
        }
        self.state = State::Eof;
        self.pos = self.s.len();
        self.tok(H::AttrName, start, self.s.len())
    }

    fn after_attr_name(&mut self) -> Option<Html5Token> {
        match self.skip_white()? {
            b'/' => {
                self.pos += 1;
                self.self_closing_start_tag()
            }
            b'=' => {
                self.pos += 1;
                self.before_attr_value()
            }
            b'>' => self.tag_name_close(),
            _ => self.attr_name(),
        }
    }

    fn before_attr_value(&mut self) -> Option<Html5Token> {
        let Some(b) = self.skip_white() else {
            self.state = State::Eof;
            return None;
        };
        match b {
            b'"' | b'\'' | b'`' => self.quoted_value(b),
            _ => self.unquoted_value(),
        }
    }

    fn quoted_value(&mut self, quote: u8) -> Option<Html5Token> {
        // Skip the opening quote, unless we started inside the value (position 0).
        if self.pos > 0 {
            self.pos += 1;
        }
        let start = self.pos;
        match find(self.s, start, quote) {
            None => {
                self.state = State::Eof;
                self.tok(H::AttrValue, start.min(self.s.len()), self.s.len())
            }
            Some(end) => {
                self.state = State::AfterAttrValueQuoted;
                self.pos = end + 1;
                self.tok(H::AttrValue, start, end)
            }
        }
    }

    fn unquoted_value(&mut self) -> Option<Html5Token> {
        let start = self.pos;
        let mut p = start;
        while let Some(&b) = self.s.get(p) {
            if is_white(b) {
                self.pos = p + 1;
                self.state = State::BeforeAttrName;
                return self.tok(H::AttrValue, start, p);
            }
            if b == b'>' {
                self.pos = p;
                self.state = State::TagNameClose;
                return self.tok(H::AttrValue, start, p);
            }
            p += 1;
        }
        self.state = State::Eof;
        self.tok(H::AttrValue, start, self.s.len())
    }

    fn after_attr_value_quoted(&mut self) -> Option<Html5Token> {
        let b = *self.s.get(self.pos)?;
        if is_white(b) {
            self.pos += 1;
            self.before_attr_name()
        } else if b == b'/' {
            self.pos += 1;
            self.self_closing_start_tag()
        } else if b == b'>' {
            let at = self.pos;
            self.pos += 1;
            self.state = State::Data;
            self.tok(H::TagNameClose, at, at + 1)
        } else {
            self.before_attr_name()
        }
    }

    fn self_closing_start_tag(&mut self) -> Option<Html5Token> {
        let b = *self.s.get(self.pos)?;
        if b == b'>' {
            let at = self.pos;
            self.pos += 1;
            self.state = State::Data;
            // pos > 0 here: a '/' was consumed before.
            return self.tok(H::TagNameSelfClose, at.saturating_sub(1), at + 1);
        }
        self.before_attr_name()
    }

    /// `<?...>` and other malformed markup: a comment up to the next `>`.
    fn bogus_comment(&mut self) -> Option<Html5Token> {
        let start = self.pos;
        match find(self.s, start, b'>') {
            None => {
                self.pos = self.s.len();
                self.state = State::Eof;
                self.tok(H::TagComment, start.min(self.s.len()), self.s.len())
            }
            Some(gt) => {
                self.pos = gt + 1;
                self.state = State::Data;
                self.tok(H::TagComment, start, gt)
            }
        }
    }

    /// `<% ... %>` (IE, old Safari).
    fn percent_comment(&mut self) -> Option<Html5Token> {
        let start = self.pos;
        let mut from = start;
        loop {
            match find(self.s, from, b'%') {
                Some(pct) if pct + 1 < self.s.len() => {
                    if self.s[pct + 1] != b'>' {
                        from = pct + 1;
                        continue;
                    }
                    self.pos = pct + 2;
                    self.state = State::Data;
                    return self.tok(H::TagComment, start, pct);
                }
                _ => {
                    self.pos = self.s.len();
                    self.state = State::Eof;
                    return self.tok(H::TagComment, start.min(self.s.len()), self.s.len());
                }
            }
        }
    }

    fn markup_declaration_open(&mut self) -> Option<Html5Token> {
        let rest = self.s.get(self.pos..).unwrap_or_default();
        if rest.len() >= 7 && rest[..7].eq_ignore_ascii_case(b"DOCTYPE") {
            return self.doctype();
        }
        if rest.starts_with(b"[CDATA[") {
            self.pos += 7;
            return self.cdata();
        }
        if rest.starts_with(b"--") {
            self.pos += 2;
            return self.comment();
        }
        self.bogus_comment()
    }

    /// `<!-- ... -->`; also ends at `--!>`, NUL bytes between the dashes are ignored, and an
    /// unterminated comment runs to the end.
    fn comment(&mut self) -> Option<Html5Token> {
        let s = self.s;
        let start = self.pos;
        let to_end = |this: &mut Self| {
            this.state = State::Eof;
            this.tok(H::TagComment, start.min(s.len()), s.len())
        };
        let mut from = start;
        loop {
            let Some(dash) = find(s, from, b'-') else {
                return to_end(self);
            };
            if dash + 3 > s.len() {
                return to_end(self);
            }
            let mut off = dash + 1;
            while off < s.len() && s[off] == 0 {
                off += 1;
            }
            if off == s.len() {
                return to_end(self);
            }
            if s[off] != b'-' && s[off] != b'!' {
                from = dash + 1;
                continue;
            }
            off += 1;
            if off == s.len() {
                return to_end(self);
            }
            if s[off] != b'>' {
                from = dash + 1;
                continue;
            }
            self.pos = off + 1;
            self.state = State::Data;
            return self.tok(H::TagComment, start, dash);
        }
    }

    fn cdata(&mut self) -> Option<Html5Token> {
        let s = self.s;
        let start = self.pos;
        let mut from = start;
        loop {
            match find(s, from, b']') {
                Some(rb) if rb + 3 <= s.len() => {
                    if s[rb + 1] == b']' && s[rb + 2] == b'>' {
                        self.pos = rb + 3;
                        self.state = State::Data;
                        return self.tok(H::DataText, start, rb);
                    }
                    from = rb + 1;
                }
                _ => {
                    self.state = State::Eof;
                    return self.tok(H::DataText, start.min(s.len()), s.len());
                }
            }
        }
    }

    fn doctype(&mut self) -> Option<Html5Token> {
        let start = self.pos;
        match find(self.s, start, b'>') {
            None => {
                self.state = State::Eof;
                self.tok(H::Doctype, start, self.s.len())
            }
            Some(gt) => {
                self.state = State::Data;
                self.pos = gt + 1;
                self.tok(H::Doctype, start, gt)
            }
        }
    }
}

impl Iterator for Html5Tokenizer<'_> {
    type Item = Html5Token;

    fn next(&mut self) -> Option<Html5Token> {
        let t = self.step();
        if t.is_none() {
            self.state = State::Eof;
        }
        t
    }
}
