//! The SQL tokenizer: bytes in, one [`Token`] at a time out.
//!
//! Each byte class (from the generated character map) selects a small scanner. The scanners
//! follow libinjection's documented behaviour, including its quirks, because the verdicts
//! must agree with it byte for byte: a NUL byte counts as a delimiter everywhere, token
//! values are cut at 31 bytes, bytes >= 0x80 behave as C's signed `char` does.

use super::data::{self, CharClass};
use super::token::{Token, TokenKind};

/// Which quote the input is assumed to start inside of.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum QuoteContext {
    /// The input is SQL as it stands.
    #[default]
    None,
    /// The input continues a string opened with `'`.
    Single,
    /// The input continues a string opened with `"`.
    Double,
}

/// Which comment syntax applies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// `--x` is a comment and `#` an operator.
    #[default]
    Ansi,
    /// `--` is a comment only before white space or the end, and `#` starts a comment.
    Mysql,
}

/// The context one pass of the tokenizer runs in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    /// Quote context at the start of the input.
    pub quote: QuoteContext,
    /// Comment dialect.
    pub dialect: Dialect,
}

impl Flags {
    /// Builds flags from the two settings.
    pub const fn new(quote: QuoteContext, dialect: Dialect) -> Self {
        Self { quote, dialect }
    }
}

/// Counters a pass keeps; the false-positive checks read them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Tokens returned so far (comments included).
    pub tokens: usize,
    /// `--x` comments seen in ANSI mode.
    pub comment_ddx: usize,
    /// `#` seen (counted twice in MySQL mode).
    pub comment_hash: usize,
}

/// Splits SQL into tokens under one [`Flags`] context.
#[derive(Clone, Debug)]
pub struct Tokenizer<'a> {
    s: &'a [u8],
    pos: usize,
    flags: Flags,
    stats: Stats,
}

/// Bytes that end a bare word.
const WORD_END: &[u8] = b" []{}<>:\\?=@!#~+-*/&|^%(),';\t\n\x0b\x0c\r\"\xa0\0";
/// Bytes that end a variable name.
const VAR_END: &[u8] = b" <>:\\?=@!#~+-*/&|^%(),';\t\n\x0b\x0c\r'`\"\0";

fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0xa0 | 0)
}

/// Length of the prefix whose bytes are in `set` (NUL always counts as in the set).
fn span(s: &[u8], set: &[u8]) -> usize {
    s.iter()
        .position(|b| *b != 0 && !set.contains(b))
        .unwrap_or(s.len())
}

/// Length of the prefix whose bytes are not in `set` (NUL always ends it).
fn span_not(s: &[u8], set: &[u8]) -> usize {
    s.iter()
        .position(|b| *b == 0 || set.contains(b))
        .unwrap_or(s.len())
}

/// Position of the first `c0` immediately followed by `c1`.
fn find_pair(s: &[u8], c0: u8, c1: u8) -> Option<usize> {
    s.windows(2).position(|w| w[0] == c0 && w[1] == c1)
}

fn find_byte(s: &[u8], b: u8) -> Option<usize> {
    s.iter().position(|&x| x == b)
}

fn find_slice(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A string that ends at an unescaped `delim` (or the end); `\` and doubled delimiters escape.
/// `start` is where the content begins. Returns (content end, closed).
fn scan_string(s: &[u8], start: usize, delim: u8) -> (usize, bool) {
    let mut from = start;
    while let Some(off) = s.get(from..).and_then(|rest| find_byte(rest, delim)) {
        let q = from + off;
        let backslashes = s[start..q]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 1 {
            from = q + 1;
        } else if s.get(q + 1) == Some(&delim) {
            from = q + 2;
        } else {
            return (q, true);
        }
    }
    (s.len(), false)
}

impl<'a> Tokenizer<'a> {
    /// A tokenizer over `input` in the given context.
    pub fn new(input: &'a [u8], flags: Flags) -> Self {
        Self {
            s: input,
            pos: 0,
            flags,
            stats: Stats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The input.
    pub fn input(&self) -> &'a [u8] {
        self.s
    }

    /// The next token, or `None` at the end of the input.
    pub fn next_token(&mut self) -> Option<Token> {
        if self.s.is_empty() {
            return None;
        }
        let mut tok = Token::default();
        if self.pos == 0 {
            let delim = match self.flags.quote {
                QuoteContext::None => 0,
                QuoteContext::Single => b'\'',
                QuoteContext::Double => b'"',
            };
            if delim != 0 {
                self.pos = self.string(&mut tok, 0, delim, 0);
                self.stats.tokens += 1;
                return Some(tok);
            }
        }
        while self.pos < self.s.len() {
            let at = self.pos;
            self.pos = self.dispatch(&mut tok, at);
            if tok.kind != TokenKind::None {
                self.stats.tokens += 1;
                return Some(tok);
            }
        }
        None
    }

    fn byte(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }

    fn dispatch(&mut self, t: &mut Token, pos: usize) -> usize {
        let b = self.s[pos];
        match data::class_of(b) {
            CharClass::White => pos + 1,
            CharClass::Bang | CharClass::Op2 => self.operator2(t, pos),
            CharClass::Quote => self.string(t, pos, b, 1),
            CharClass::Hash => self.hash(t, pos),
            CharClass::Money => self.money(t, pos),
            CharClass::Op1 | CharClass::Unary => single(t, TokenKind::Operator, pos, b),
            CharClass::LeftParen => single(t, TokenKind::LeftParen, pos, b),
            CharClass::RightParen => single(t, TokenKind::RightParen, pos, b),
            CharClass::Comma => single(t, TokenKind::Comma, pos, b),
            CharClass::Semicolon => single(t, TokenKind::Semicolon, pos, b),
            CharClass::LeftBrace => single(t, TokenKind::LeftBrace, pos, b),
            CharClass::RightBrace => single(t, TokenKind::RightBrace, pos, b),
            CharClass::Dash => self.dash(t, pos),
            CharClass::Digit => self.number(t, pos),
            CharClass::Slash => self.slash(t, pos),
            CharClass::At => self.variable(t, pos),
            CharClass::Word => self.word(t, pos),
            CharClass::BinString => self.radix_string(t, pos, b"01"),
            CharClass::HexString => self.radix_string(t, pos, b"0123456789ABCDEFabcdef"),
            CharClass::EscString => self.e_string(t, pos),
            CharClass::NatString => self.n_string(t, pos),
            CharClass::QString => self.q_string(t, pos, 0),
            CharClass::UniString => self.u_string(t, pos),
            CharClass::BracketWord => self.bracket_word(t, pos),
            CharClass::Backslash => self.backslash(t, pos),
            CharClass::Tick => self.backtick(t, pos),
            CharClass::Other => single(t, TokenKind::Unknown, pos, b),
        }
    }

    /// A string starting at `pos`; `offset` is 1 when `s[pos]` is the opening quote,
    /// 2 for prefixed forms such as `E'..'`, 0 when the quote is only assumed.
    fn string(&self, t: &mut Token, pos: usize, delim: u8, offset: usize) -> usize {
        let start = pos + offset;
        let (end, closed) = scan_string(self.s, start, delim);
        t.assign(TokenKind::String, start, &self.s[start..end]);
        t.str_open = if offset > 0 { delim } else { 0 };
        if closed {
            t.str_close = delim;
            end + 1
        } else {
            t.str_close = 0;
            self.s.len()
        }
    }

    fn operator2(&self, t: &mut Token, pos: usize) -> usize {
        let s = self.s;
        if pos + 1 >= s.len() {
            return single(t, TokenKind::Operator, pos, s[pos]);
        }
        if s[pos..].starts_with(b"<=>") {
            t.assign(TokenKind::Operator, pos, b"<=>");
            return pos + 3;
        }
        if let Some(kind) = data::lookup(&s[pos..pos + 2]) {
            t.assign(kind, pos, &s[pos..pos + 2]);
            return pos + 2;
        }
        if s[pos] == b':' {
            return single(t, TokenKind::Colon, pos, b':');
        }
        single(t, TokenKind::Operator, pos, s[pos])
    }

    fn line_comment(&self, t: &mut Token, pos: usize) -> usize {
        match find_byte(&self.s[pos..], b'\n') {
            None => {
                t.assign(TokenKind::Comment, pos, &self.s[pos..]);
                self.s.len()
            }
            Some(off) => {
                t.assign(TokenKind::Comment, pos, &self.s[pos..pos + off]);
                pos + off + 1
            }
        }
    }

    fn hash(&mut self, t: &mut Token, pos: usize) -> usize {
        self.stats.comment_hash += 1;
        if self.flags.dialect == Dialect::Mysql {
            self.stats.comment_hash += 1;
            self.line_comment(t, pos)
        } else {
            single(t, TokenKind::Operator, pos, b'#')
        }
    }

    fn dash(&mut self, t: &mut Token, pos: usize) -> usize {
        let s = self.s;
        let next_dash = self.byte(pos + 1) == b'-' && pos + 1 < s.len();
        // "-- " and a final "--" are comments in every dialect.
        let dash_dash_white = pos + 2 < s.len() && is_white(s[pos + 2]) || pos + 2 == s.len();
        if next_dash && dash_dash_white {
            self.line_comment(t, pos)
        } else if next_dash && self.flags.dialect == Dialect::Ansi {
            self.stats.comment_ddx += 1;
            self.line_comment(t, pos)
        } else {
            single(t, TokenKind::Operator, pos, b'-')
        }
    }

    fn slash(&self, t: &mut Token, pos: usize) -> usize {
        let s = self.s;
        if self.byte(pos + 1) != b'*' || pos + 1 >= s.len() {
            return single(t, TokenKind::Operator, pos, b'/');
        }
        let body = &s[pos + 2..];
        let close = find_pair(body, b'*', b'/');
        let len = match close {
            None => s.len() - pos,
            Some(i) => i + 4,
        };
        // A "/*" inside the comment (nesting) or a MySQL "/*!" comment cannot be parsed
        // reliably.
        let nested = close.is_some_and(|i| find_pair(&body[..i + 1], b'/', b'*').is_some());
        let kind = if nested || self.byte(pos + 2) == b'!' && pos + 2 < s.len() {
            TokenKind::Evil
        } else {
            TokenKind::Comment
        };
        t.assign(kind, pos, &s[pos..pos + len]);
        pos + len
    }

    fn backslash(&self, t: &mut Token, pos: usize) -> usize {
        if pos + 1 < self.s.len() && self.s[pos + 1] == b'N' {
            t.assign(TokenKind::Number, pos, &self.s[pos..pos + 2]);
            pos + 2
        } else {
            single(t, TokenKind::Backslash, pos, b'\\')
        }
    }

    fn money(&self, t: &mut Token, pos: usize) -> usize {
        let s = self.s;
        if pos + 1 == s.len() {
            t.assign_byte(TokenKind::Bareword, pos, b'$');
            return s.len();
        }
        let digits = span(&s[pos + 1..], b"0123456789.,");
        if digits == 1 && s[pos + 1] == b'.' {
            return self.word(t, pos);
        }
        if digits > 0 {
            t.assign(TokenKind::Number, pos, &s[pos..pos + 1 + digits]);
            return pos + 1 + digits;
        }
        if s[pos + 1] == b'$' {
            // $$ dollar-quoted string $$
            let start = pos + 2;
            return self.dollar_string(t, start, find_pair(&s[start..], b'$', b'$'), 2);
        }
        // $tag$ dollar-quoted string $tag$
        let tag = span(
            &s[pos + 1..],
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        );
        if tag == 0 || pos + tag + 1 == s.len() || s[pos + tag + 1] != b'$' {
            t.assign_byte(TokenKind::Bareword, pos, b'$');
            return pos + 1;
        }
        let start = pos + tag + 2;
        let delim = &s[pos..start];
        // libinjection searches for the closing tag in the window [tag+2, len-pos), not
        // [start, len); a match before `start` (the opening tag itself) means unclosed.
        // Kept for exact agreement.
        let window = s.get(tag + 2..s.len() - pos).unwrap_or_default();
        let end = find_slice(window, delim).map(|i| i + tag + 2);
        self.dollar_string(
            t,
            start,
            end.and_then(|e| e.checked_sub(start)),
            delim.len(),
        )
    }

    fn dollar_string(
        &self,
        t: &mut Token,
        start: usize,
        end: Option<usize>,
        delim_len: usize,
    ) -> usize {
        t.str_open = b'$';
        match end {
            None => {
                t.assign(TokenKind::String, start, &self.s[start..]);
                t.str_close = 0;
                self.s.len()
            }
            Some(off) => {
                t.assign(TokenKind::String, start, &self.s[start..start + off]);
                t.str_close = b'$';
                start + off + delim_len
            }
        }
    }

    fn number(&self, t: &mut Token, pos: usize) -> usize {
        let s = self.s;
        if s[pos] == b'0' && pos + 1 < s.len() {
            let digits: &[u8] = match s[pos + 1] {
                b'x' | b'X' => b"0123456789ABCDEFabcdef",
                b'b' | b'B' => b"01",
                _ => b"",
            };
            if !digits.is_empty() {
                let n = span(&s[pos + 2..], digits);
                if n == 0 {
                    t.assign(TokenKind::Bareword, pos, &s[pos..pos + 2]);
                    return pos + 2;
                }
                t.assign(TokenKind::Number, pos, &s[pos..pos + 2 + n]);
                return pos + 2 + n;
            }
        }
        let start = pos;
        let digits_from = |mut p: usize| {
            while p < s.len() && s[p].is_ascii_digit() {
                p += 1;
            }
            p
        };
        let mut p = digits_from(pos);
        if p < s.len() && s[p] == b'.' {
            p = digits_from(p + 1);
            if p - start == 1 {
                t.assign_byte(TokenKind::Dot, start, b'.');
                return p;
            }
        }
        let mut has_e = false;
        let mut has_exp = false;
        if p < s.len() && matches!(s[p], b'e' | b'E') {
            has_e = true;
            p += 1;
            if p < s.len() && matches!(s[p], b'+' | b'-') {
                p += 1;
            }
            let q = digits_from(p);
            has_exp = q > p;
            p = q;
        }
        if p < s.len() && matches!(s[p], b'd' | b'D' | b'f' | b'F') {
            // Oracle's float/double suffix: 1.0f, but "1.0fx" keeps the f for the next word.
            if p + 1 == s.len() || is_white(s[p + 1]) || matches!(s[p + 1], b';' | b'u' | b'U') {
                p += 1;
            }
        }
        let kind = if has_e && !has_exp {
            TokenKind::Bareword
        } else {
            TokenKind::Number
        };
        t.assign(kind, start, &s[start..p]);
        p
    }

    fn word(&self, t: &mut Token, pos: usize) -> usize {
        let s = self.s;
        let wlen = span_not(&s[pos..], WORD_END);
        t.assign(TokenKind::Bareword, pos, &s[pos..pos + wlen]);
        // "mysql.user" or "select`": if what precedes a '.' or '`' is a keyword, that
        // prefix alone is the token.
        let kept = t.value().len();
        for i in 0..kept {
            if matches!(s[pos + i], b'.' | b'`')
                && let Some(kind) = data::lookup(&s[pos..pos + i])
                && kind != TokenKind::Bareword
            {
                *t = Token::default();
                t.assign(kind, pos, &s[pos..pos + i]);
                return pos + i;
            }
        }
        if wlen <= super::token::MAX_VALUE_LEN {
            t.kind = data::lookup(&s[pos..pos + wlen]).unwrap_or(TokenKind::Bareword);
        }
        pos + wlen
    }

    fn backtick(&self, t: &mut Token, pos: usize) -> usize {
        let next = self.string(t, pos, b'`', 1);
        t.kind = if data::lookup(t.value()) == Some(TokenKind::Function) {
            TokenKind::Function
        } else {
            TokenKind::Bareword
        };
        next
    }

    fn variable(&self, t: &mut Token, pos: usize) -> usize {
        let s = self.s;
        let mut p = pos + 1;
        if p < s.len() && s[p] == b'@' {
            p += 1;
            t.count = 2;
        } else {
            t.count = 1;
        }
        if p < s.len() {
            let next = match s[p] {
                b'`' => Some(self.backtick(t, p)),
                q @ (b'\'' | b'"') => Some(self.string(t, p, q, 1)),
                _ => None,
            };
            if let Some(next) = next {
                t.kind = TokenKind::Variable;
                return next;
            }
        }
        let n = span_not(&s[p..], VAR_END);
        t.assign(TokenKind::Variable, p, &s[p..p + n]);
        p + n
    }

    /// `b'0101'` and `x'1F'`.
    fn radix_string(&self, t: &mut Token, pos: usize, digits: &[u8]) -> usize {
        let s = self.s;
        if pos + 2 >= s.len() || s[pos + 1] != b'\'' {
            return self.word(t, pos);
        }
        let n = span(&s[pos + 2..], digits);
        if pos + 2 + n >= s.len() || s[pos + 2 + n] != b'\'' {
            return self.word(t, pos);
        }
        t.assign(TokenKind::Number, pos, &s[pos..pos + n + 3]);
        pos + n + 3
    }

    /// PostgreSQL `E'..'`.
    fn e_string(&self, t: &mut Token, pos: usize) -> usize {
        if pos + 2 >= self.s.len() || self.s[pos + 1] != b'\'' {
            return self.word(t, pos);
        }
        self.string(t, pos, b'\'', 2)
    }

    /// `N'..'` (national string) or Oracle's `nq'..'`.
    fn n_string(&self, t: &mut Token, pos: usize) -> usize {
        if pos + 2 < self.s.len() && self.s[pos + 1] == b'\'' {
            return self.e_string(t, pos);
        }
        self.q_string(t, pos, 1)
    }

    /// Oracle's `q'[...]'` with a chosen delimiter.
    fn q_string(&self, t: &mut Token, word_pos: usize, offset: usize) -> usize {
        let s = self.s;
        let pos = word_pos + offset;
        if pos >= s.len()
            || !matches!(s[pos], b'q' | b'Q')
            || pos + 2 >= s.len()
            || s[pos + 1] != b'\''
        {
            return self.word(t, word_pos);
        }
        let open = s[pos + 2];
        // C compares a signed char: bytes >= 0x80 count as below 33.
        if !(33..0x80).contains(&open) {
            return self.word(t, word_pos);
        }
        let close = match open {
            b'(' => b')',
            b'[' => b']',
            b'{' => b'}',
            b'<' => b'>',
            other => other,
        };
        let start = pos + 3;
        t.str_open = b'q';
        match find_pair(&s[start..], close, b'\'') {
            None => {
                t.assign(TokenKind::String, start, &s[start..]);
                t.str_close = 0;
                s.len()
            }
            Some(off) => {
                t.assign(TokenKind::String, start, &s[start..start + off]);
                t.str_close = b'q';
                start + off + 2
            }
        }
    }

    /// `U&'..'` unicode strings.
    fn u_string(&self, t: &mut Token, pos: usize) -> usize {
        let s = self.s;
        if pos + 2 < s.len() && s[pos + 1] == b'&' && s[pos + 2] == b'\'' {
            let next = self.string(t, pos + 2, b'\'', 1);
            t.str_open = b'u';
            if t.str_close == b'\'' {
                t.str_close = b'u';
            }
            next
        } else {
            self.word(t, pos)
        }
    }

    /// SQL Server `[bracketed name]`.
    fn bracket_word(&self, t: &mut Token, pos: usize) -> usize {
        let s = self.s;
        match find_byte(&s[pos..], b']') {
            None => {
                t.assign(TokenKind::Bareword, pos, &s[pos..]);
                s.len()
            }
            Some(off) => {
                t.assign(TokenKind::Bareword, pos, &s[pos..pos + off + 1]);
                pos + off + 1
            }
        }
    }
}

fn single(t: &mut Token, kind: TokenKind, pos: usize, b: u8) -> usize {
    t.assign_byte(kind, pos, b);
    pos + 1
}

impl Iterator for Tokenizer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        self.next_token()
    }
}
