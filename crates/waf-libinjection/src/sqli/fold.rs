//! Folding: reduce the token stream to at most five tokens that carry the shape of the input.
//!
//! The fold reads tokens into a small window (`vec`, eight slots) and rewrites the window
//! while it can: `"a" "b"` becomes one string, `1 + 2` one number, unary operators vanish,
//! pairs of words merge into multi-word keywords (`UNION ALL`, `NOT IN`), a handful of
//! words change kind by context (`IN (` is an operator, `USER(` a function). `left` counts
//! window slots that are final; `pos` is where the next token goes. When nothing folds, the
//! left-most token becomes final. Comments are kept aside and only the last one survives,
//! appended at the end when there is room.
//!
//! The order of the rules matters (they are tried first to last on every step) and is the
//! order libinjection documents through its folding tests.

use super::data;
use super::token::{MAX_VALUE_LEN, Token, TokenKind};
use super::tokenizer::Tokenizer;

/// Most tokens a fingerprint holds.
pub const MAX_TOKENS: usize = 5;

/// Window size: five tokens plus room to look ahead.
const WINDOW: usize = MAX_TOKENS + 3;

/// The folded tokens of one pass.
#[derive(Clone, Debug, Default)]
pub struct Folded {
    tokens: [Token; WINDOW],
    len: usize,
}

impl Folded {
    /// The folded tokens (at most [`MAX_TOKENS`], or the `{` special case's result).
    pub fn tokens(&self) -> &[Token] {
        &self.tokens[..self.len]
    }

    pub(crate) fn tokens_mut(&mut self) -> &mut [Token] {
        &mut self.tokens[..self.len]
    }
}

use TokenKind as K;

fn mergeable_left(k: TokenKind) -> bool {
    matches!(
        k,
        K::Keyword
            | K::Bareword
            | K::Operator
            | K::Union
            | K::Function
            | K::Expression
            | K::Tsql
            | K::SqlType
    )
}

/// `a b` as one keyword if the table knows the pair (`NOT IN`, `UNION ALL`, ...).
fn merge_words(a: &mut Token, b: &Token) -> bool {
    if !mergeable_left(a.kind) || !(mergeable_left(b.kind) || b.kind == K::LogicOperator) {
        return false;
    }
    let (x, y) = (a.value(), b.value());
    let total = x.len() + y.len() + 1;
    if total > MAX_VALUE_LEN {
        return false;
    }
    let mut buf = [0u8; MAX_VALUE_LEN];
    buf[..x.len()].copy_from_slice(x);
    buf[x.len()] = b' ';
    buf[x.len() + 1..total].copy_from_slice(y);
    match data::lookup(&buf[..total]) {
        Some(kind) => {
            let pos = a.pos;
            a.assign(kind, pos, &buf[..total]);
            true
        }
        None => false,
    }
}

/// Words that are functions when followed by `(` although they read as plain names.
const NAME_FUNCTIONS: [&[u8]; 11] = [
    b"USER_ID",
    b"USER_NAME",
    b"DATABASE",
    b"PASSWORD",
    b"USER",
    b"CURRENT_USER",
    b"CURRENT_DATE",
    b"CURRENT_TIME",
    b"CURRENT_TIMESTAMP",
    b"LOCALTIME",
    b"LOCALTIMESTAMP",
];

struct Fold<'t, 'a> {
    lexer: &'t mut Tokenizer<'a>,
    vec: [Token; WINDOW],
    more: bool,
    last_comment: Option<Token>,
}

impl Fold<'_, '_> {
    /// Pulls tokens into `vec[pos..]` until `pos - left` reaches `want` (comments go aside).
    fn fill(&mut self, pos: &mut usize, left: usize, want: usize) {
        while self.more && *pos <= MAX_TOKENS && *pos - left < want {
            match self.lexer.next_token() {
                None => self.more = false,
                Some(t) if t.kind == K::Comment => self.last_comment = Some(t),
                Some(t) => {
                    self.last_comment = None;
                    self.vec[*pos] = t;
                    *pos += 1;
                }
            }
        }
    }
}

/// Tokenizes and folds the whole input of `lexer`.
pub fn fold(lexer: &mut Tokenizer<'_>) -> Folded {
    let mut f = Fold {
        lexer,
        vec: Default::default(),
        more: true,
        last_comment: None,
    };

    // Skip leading comments, `(`, SQL types and unary operators.
    loop {
        match f.lexer.next_token() {
            None => return Folded::default(),
            Some(t) => {
                let skip =
                    matches!(t.kind, K::Comment | K::LeftParen | K::SqlType) || t.is_unary_op();
                if !skip {
                    f.vec[0] = t;
                    break;
                }
            }
        }
    }

    let mut pos: usize = 1;
    let mut left: usize = 0;

    loop {
        if pos >= MAX_TOKENS && five_token_special(&f.vec) {
            if pos > MAX_TOKENS {
                f.vec[1] = f.vec[MAX_TOKENS];
                pos = 2;
            } else {
                pos = 1;
            }
            left = 0;
        }

        if !f.more || left >= MAX_TOKENS {
            left = pos;
            break;
        }

        f.fill(&mut pos, left, 2);
        if pos - left < 2 {
            left = pos;
            continue;
        }

        let (a, b) = (f.vec[left], f.vec[left + 1]);
        if a.kind == K::String && b.kind == K::String
            || a.kind == K::Semicolon && b.kind == K::Semicolon
        {
            pos -= 1;
            continue;
        }
        if matches!(a.kind, K::Operator | K::LogicOperator)
            && (b.is_unary_op() || b.kind == K::SqlType)
        {
            pos -= 1;
            left = 0;
            continue;
        }
        if a.kind == K::LeftParen && b.is_unary_op() {
            pos -= 1;
            left = left.saturating_sub(1);
            continue;
        }
        if merge_words(&mut f.vec[left], &b) {
            pos -= 1;
            left = left.saturating_sub(1);
            continue;
        }
        if a.kind == K::Semicolon
            && b.kind == K::Function
            && b.byte(0).eq_ignore_ascii_case(&b'I')
            && b.byte(1).eq_ignore_ascii_case(&b'F')
        {
            // T-SQL: "; IF ..." is a statement, not the IF() function.
            f.vec[left + 1].kind = K::Tsql;
            continue;
        }
        if matches!(a.kind, K::Bareword | K::Variable)
            && b.kind == K::LeftParen
            && NAME_FUNCTIONS.iter().any(|w| a.value_is(w))
        {
            f.vec[left].kind = K::Function;
            continue;
        }
        if a.kind == K::Keyword && (a.value_is(b"IN") || a.value_is(b"NOT IN")) {
            f.vec[left].kind = if b.kind == K::LeftParen {
                K::Operator
            } else {
                K::Bareword
            };
            continue;
        }
        if a.kind == K::Operator && (a.value_is(b"LIKE") || a.value_is(b"NOT LIKE")) {
            if b.kind == K::LeftParen {
                f.vec[left].kind = K::Function;
            }
        } else if a.kind == K::SqlType
            && matches!(
                b.kind,
                K::Bareword
                    | K::Number
                    | K::SqlType
                    | K::LeftParen
                    | K::Function
                    | K::Variable
                    | K::String
            )
        {
            f.vec[left] = b;
            pos -= 1;
            left = 0;
            continue;
        } else if a.kind == K::Collate && b.kind == K::Bareword {
            if b.c_value().contains(&b'_') {
                f.vec[left + 1].kind = K::SqlType;
                left = 0;
            }
        } else if a.kind == K::Backslash {
            if b.is_arithmetic_op() {
                // T-SQL reads "\%1" as "0 % 1".
                f.vec[left].kind = K::Number;
            } else {
                f.vec[left] = b;
                pos -= 1;
            }
            left = 0;
            continue;
        } else if a.kind == K::LeftParen && b.kind == K::LeftParen
            || a.kind == K::RightParen && b.kind == K::RightParen
        {
            pos -= 1;
            left = 0;
            continue;
        } else if a.kind == K::LeftBrace && b.kind == K::Bareword {
            // MySQL "{ ``.``.id }" is valid; "{ ``" is too odd to parse, so it is evil.
            if b.value().is_empty() {
                f.vec[left + 1].kind = K::Evil;
                return Folded {
                    tokens: f.vec,
                    len: left + 2,
                };
            }
            // ODBC "{foo expr}": drop "{ foo".
            left = 0;
            pos -= 2;
            continue;
        } else if b.kind == K::RightBrace {
            pos -= 1;
            left = 0;
            continue;
        }

        // No pair rule applied: look at three tokens.
        f.fill(&mut pos, left, 3);
        if pos - left < 3 {
            left = pos;
            continue;
        }
        let (a, b, c) = (f.vec[left], f.vec[left + 1], f.vec[left + 2]);
        let value_like =
            |k: TokenKind| matches!(k, K::Bareword | K::Number | K::String | K::Variable);
        if a.kind == K::Number && b.kind == K::Operator && c.kind == K::Number
            || a.kind == K::Operator && b.kind != K::LeftParen && c.kind == K::Operator
            || a.kind == K::LogicOperator && c.kind == K::LogicOperator
            || a.kind == K::Variable
                && b.kind == K::Operator
                && matches!(c.kind, K::Variable | K::Number | K::Bareword)
            || matches!(a.kind, K::Bareword | K::Number)
                && b.kind == K::Operator
                && matches!(c.kind, K::Number | K::Bareword)
            || value_like(a.kind)
                && b.kind == K::Operator
                && b.c_value() == b"::"
                && c.kind == K::SqlType
            || value_like(a.kind) && b.kind == K::Comma && value_like(c.kind)
        {
            pos -= 2;
            left = 0;
            continue;
        }
        if matches!(a.kind, K::Expression | K::Group | K::Comma)
            && b.is_unary_op()
            && c.kind == K::LeftParen
        {
            // "SELECT + (": drop the unary operator.
            f.vec[left + 1] = c;
            pos -= 1;
            left = 0;
            continue;
        }
        if matches!(a.kind, K::Keyword | K::Expression | K::Group)
            && b.is_unary_op()
            && matches!(
                c.kind,
                K::Number | K::Bareword | K::Variable | K::String | K::Function
            )
        {
            // "SELECT - 1"
            f.vec[left + 1] = c;
            pos -= 1;
            left = 0;
            continue;
        }
        if a.kind == K::Comma && b.is_unary_op() && value_like(c.kind) {
            // ", -1": back up to see whether "1,-1" folds further.
            f.vec[left + 1] = c;
            left = 0;
            pos = pos.saturating_sub(3);
            continue;
        }
        if a.kind == K::Comma && b.is_unary_op() && c.kind == K::Function {
            f.vec[left + 1] = c;
            pos -= 1;
            left = 0;
            continue;
        }
        if a.kind == K::Bareword && b.kind == K::Dot && c.kind == K::Bareword {
            // database.table
            pos -= 2;
            left = 0;
            continue;
        }
        if a.kind == K::Expression && b.kind == K::Dot && c.kind == K::Bareword {
            // "SELECT . `foo`"
            f.vec[left + 1] = c;
            pos -= 1;
            left = 0;
            continue;
        }
        if a.kind == K::Function
            && b.kind == K::LeftParen
            && c.kind != K::RightParen
            && a.value_is(b"USER")
        {
            // USER() takes no arguments: "user(x)" is a name.
            f.vec[left].kind = K::Bareword;
        }
        left += 1;
    }

    if left < MAX_TOKENS
        && let Some(c) = f.last_comment
    {
        f.vec[left] = c;
        left += 1;
    }
    Folded {
        tokens: f.vec,
        len: left.min(MAX_TOKENS),
    }
}

/// Five-token shapes that are common in benign input (`1,(2)`, `a=(b)`, ...): they restart
/// the window so that the fingerprint sees what follows them.
fn five_token_special(v: &[Token; WINDOW]) -> bool {
    let k = |i: usize| v[i].kind;
    (k(0) == K::Number
        && matches!(k(1), K::Operator | K::Comma)
        && k(2) == K::LeftParen
        && k(3) == K::Number
        && k(4) == K::RightParen)
        || (k(0) == K::Bareword
            && k(1) == K::Operator
            && k(2) == K::LeftParen
            && matches!(k(3), K::Bareword | K::Number)
            && k(4) == K::RightParen)
        || (k(0) == K::Number
            && k(1) == K::RightParen
            && k(2) == K::Comma
            && k(3) == K::LeftParen
            && k(4) == K::Number)
        || (k(0) == K::Bareword
            && k(1) == K::RightParen
            && k(2) == K::Operator
            && k(3) == K::LeftParen
            && k(4) == K::Bareword)
}
