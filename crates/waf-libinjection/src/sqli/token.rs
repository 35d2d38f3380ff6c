//! SQL tokens as libinjection sees them.

use std::fmt;

/// Longest token value kept, in bytes. Longer tokens are cut; their full span is
/// still consumed.
pub const MAX_VALUE_LEN: usize = 31;

/// The kind of a token; its code is the letter used in fingerprints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TokenKind {
    /// No token (an empty slot).
    #[default]
    None = 0,
    /// `k`: a keyword such as `FROM`.
    Keyword = b'k',
    /// `U`: `UNION` and its variants.
    Union = b'U',
    /// `B`: `GROUP BY`, `LIMIT` and friends.
    Group = b'B',
    /// `E`: an expression starter such as `SELECT`.
    Expression = b'E',
    /// `t`: an SQL type name.
    SqlType = b't',
    /// `f`: a function name.
    Function = b'f',
    /// `n`: a bare word (identifier).
    Bareword = b'n',
    /// `1`: a number.
    Number = b'1',
    /// `v`: a variable (`@x`, `@@version`).
    Variable = b'v',
    /// `s`: a string.
    String = b's',
    /// `o`: an operator.
    Operator = b'o',
    /// `&`: `AND`, `OR`, `&&`, `||`.
    LogicOperator = b'&',
    /// `c`: a comment.
    Comment = b'c',
    /// `A`: `COLLATE`.
    Collate = b'A',
    /// `(`
    LeftParen = b'(',
    /// `)`
    RightParen = b')',
    /// `{`
    LeftBrace = b'{',
    /// `}`
    RightBrace = b'}',
    /// `.`
    Dot = b'.',
    /// `,`
    Comma = b',',
    /// `:`
    Colon = b':',
    /// `;`
    Semicolon = b';',
    /// `T`: a Transact-SQL statement word.
    Tsql = b'T',
    /// `?`: a byte nothing else claims.
    Unknown = b'?',
    /// `X`: syntax that cannot be parsed reliably (nested or MySQL `/*!` comments).
    Evil = b'X',
    /// `F`: an entry of the fingerprint list (only in the keyword table).
    Fingerprint = b'F',
    /// `\`
    Backslash = b'\\',
}

impl TokenKind {
    /// The fingerprint letter.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// One token: kind, where it starts, and its (possibly cut) value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Kind of token.
    pub kind: TokenKind,
    /// Byte offset of the value in the input.
    pub pos: usize,
    len: u8,
    val: [u8; MAX_VALUE_LEN + 1],
    /// Opening quote of a string (`'`, `"`, `` ` ``, `$`, `q`, `u`), or 0 when none.
    pub str_open: u8,
    /// Closing quote of a string, or 0 when the string ran to the end of the input.
    pub str_close: u8,
    /// For variables: how many `@` preceded the name (1 or 2).
    pub count: u8,
}

impl Default for Token {
    fn default() -> Self {
        Self {
            kind: TokenKind::None,
            pos: 0,
            len: 0,
            val: [0; MAX_VALUE_LEN + 1],
            str_open: 0,
            str_close: 0,
            count: 0,
        }
    }
}

impl Token {
    /// The value, cut to [`MAX_VALUE_LEN`] bytes.
    pub fn value(&self) -> &[u8] {
        &self.val[..usize::from(self.len)]
    }

    /// The value up to its first NUL byte (what C string functions see).
    pub(crate) fn c_value(&self) -> &[u8] {
        let v = self.value();
        v.iter().position(|&b| b == 0).map_or(v, |i| &v[..i])
    }

    /// Byte `i` of the value buffer; 0 past the value.
    pub(crate) fn byte(&self, i: usize) -> u8 {
        self.value().get(i).copied().unwrap_or(0)
    }

    pub(crate) fn assign(&mut self, kind: TokenKind, pos: usize, value: &[u8]) {
        let n = value.len().min(MAX_VALUE_LEN);
        self.kind = kind;
        self.pos = pos;
        self.val = [0; MAX_VALUE_LEN + 1];
        self.val[..n].copy_from_slice(&value[..n]);
        // n <= 31 always fits.
        self.len = n as u8;
    }

    pub(crate) fn assign_byte(&mut self, kind: TokenKind, pos: usize, b: u8) {
        self.assign(kind, pos, &[b]);
    }

    /// Value equals `upper` ignoring ASCII case (only `a`-`z` folded).
    pub(crate) fn value_is(&self, upper: &[u8]) -> bool {
        let v = self.value();
        v.len() == upper.len()
            && v.iter()
                .zip(upper)
                .all(|(&a, &b)| a.to_ascii_uppercase() == b && a != 0)
    }

    /// `+ - ! ~ !! NOT`: an operator that can be unary.
    pub(crate) fn is_unary_op(&self) -> bool {
        self.kind == TokenKind::Operator
            && (matches!(self.value(), b"+" | b"-" | b"!" | b"~" | b"!!") || self.value_is(b"NOT"))
    }

    /// `* / - + %` as a one-byte operator.
    pub(crate) fn is_arithmetic_op(&self) -> bool {
        self.kind == TokenKind::Operator && matches!(self.value(), b"*" | b"/" | b"-" | b"+" | b"%")
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self)
    }
}

/// `kind value`, with quotes and `@` signs put back, as in libinjection's test files.
impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(40);
        out.push(self.kind.code());
        out.push(b' ');
        if self.kind == TokenKind::Variable {
            out.extend(std::iter::repeat_n(b'@', usize::from(self.count.min(2))));
        }
        let quoted = matches!(self.kind, TokenKind::String | TokenKind::Variable);
        if quoted && self.str_open != 0 {
            out.push(self.str_open);
        }
        out.extend_from_slice(self.c_value());
        if quoted && self.str_close != 0 {
            out.push(self.str_close);
        }
        f.write_str(&String::from_utf8_lossy(&out))
    }
}
