//! SQL injection detection.
//!
//! # Design
//!
//! Detection runs in three steps, each a module:
//!
//! 1. [`tokenizer`]: bytes to tokens under a context ([`Flags`]): which quote the input may
//!    sit inside of, and whether comments follow ANSI or MySQL rules.
//! 2. [`fold`](mod@fold): the token stream is reduced to at most five tokens; their kind
//!    letters are the *fingerprint* (`s&sos` for `' or 'a'='a`).
//! 3. [`detect_sqli`]: the fingerprint is looked up in libinjection's list of known SQLi
//!    fingerprints, then a few checks on the actual tokens drop common false positives
//!    (`1 union`, `foo--bar`, `'a' + 'b'`...).
//!
//! Because the input may be a fragment placed inside a quoted SQL string, detection tries up
//! to five contexts: as is (ANSI, then MySQL if the input had comments whose meaning
//! differs), as if after a `'` (ANSI, then MySQL), and as if after a `"` (MySQL). The first
//! context whose fingerprint is SQLi decides.
//!
//! Every step is linear in the input and allocation-free; nothing indexes past the input.

pub mod data;
pub mod fold;
pub mod token;
pub mod tokenizer;

use std::fmt;

pub use fold::{Folded, MAX_TOKENS};
pub use token::{Token, TokenKind};
pub use tokenizer::{Dialect, Flags, QuoteContext, Stats, Tokenizer};

/// A fingerprint: the kind letters of the folded tokens, one to five ASCII bytes (`s&sos`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Fingerprint {
    bytes: [u8; 8],
    len: u8,
}

impl Fingerprint {
    fn from_tokens(tokens: &[Token]) -> Self {
        let mut fp = Self::default();
        if tokens.iter().any(|t| t.kind == TokenKind::Evil) {
            fp.bytes[0] = b'X';
            fp.len = 1;
            return fp;
        }
        for (slot, t) in fp.bytes.iter_mut().zip(tokens) {
            *slot = t.kind.code();
            fp.len += 1;
        }
        fp
    }

    /// The fingerprint as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// The fingerprint bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Is this fingerprint in libinjection's list of SQLi fingerprints?
    ///
    /// The list is case-folded: `t` (SQL type) and `T` (T-SQL) are the same letter there.
    pub fn is_listed(&self) -> bool {
        let len = usize::from(self.len);
        if len == 0 {
            return false;
        }
        let mut key = [0u8; 9];
        key[0] = b'0';
        key[1..=len].copy_from_slice(self.as_bytes());
        data::lookup(&key[..=len]) == Some(TokenKind::Fingerprint)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({:?})", self.as_str())
    }
}

/// The result of one pass: folded tokens, their fingerprint, the tokenizer's counters.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Folded tokens (after the backtick-comment and evil rewrites).
    pub folded: Folded,
    /// Fingerprint of the folded tokens.
    pub fingerprint: Fingerprint,
    /// Counters of the tokenizer pass.
    pub stats: Stats,
}

/// Tokenizes, folds and fingerprints `input` in one context.
pub fn analyze(input: &[u8], flags: Flags) -> Analysis {
    let mut lexer = Tokenizer::new(input, flags);
    let mut folded = fold::fold(&mut lexer);
    let tokens = folded.tokens_mut();
    // PHP's "`" comment trick: a final, empty, unclosed backtick word is a comment.
    if tokens.len() > 2
        && let Some(last) = tokens.last_mut()
        && last.kind == TokenKind::Bareword
        && last.str_open == b'`'
        && last.value().is_empty()
        && last.str_close == 0
    {
        last.kind = TokenKind::Comment;
    }
    let fingerprint = Fingerprint::from_tokens(folded.tokens());
    Analysis {
        folded,
        fingerprint,
        stats: lexer.stats(),
    }
}

impl Analysis {
    /// Listed fingerprint and not one of the known benign shapes.
    pub fn is_sqli(&self, input: &[u8]) -> bool {
        self.fingerprint.is_listed() && !self.looks_benign(input)
    }

    /// The false-positive checks, applied to a listed fingerprint.
    fn looks_benign(&self, input: &[u8]) -> bool {
        let fp = self.fingerprint.as_bytes();
        let tokens = self.folded.tokens();
        let kind = |i: usize| tokens.get(i).map_or(TokenKind::None, |t| t.kind);
        let first = |i: usize| tokens.get(i).map_or(0, |t| t.byte(0));

        // SQL Server leaves anything mentioning sp_password out of its audit log.
        if fp.len() > 1 && fp.last() == Some(&b'c') && contains(input, b"sp_password") {
            return false;
        }
        match fp.len() {
            2 => {
                if kind(1) == TokenKind::Union {
                    // "1 union" alone is common text; with folding or comments it is not.
                    return self.stats.tokens == 2;
                }
                if first(1) == b'#' {
                    return true;
                }
                if kind(0) == TokenKind::Bareword
                    && kind(1) == TokenKind::Comment
                    && first(1) != b'/'
                {
                    return true;
                }
                if kind(0) == TokenKind::Number && kind(1) == TokenKind::Comment {
                    if first(1) == b'/' || self.stats.tokens > 2 {
                        return false;
                    }
                    // "1234--" is a probe, "1234-ABCD--" base64-like text: look at the byte
                    // right after the number in the input (C's signed char: >= 0x80 counts as
                    // white).
                    let n = tokens.first().map_or(0, |t| t.value().len());
                    let at = |i: usize| input.get(i).copied().unwrap_or(0);
                    let c = at(n);
                    let benign = !(c <= 32
                        || c >= 0x80
                        || c == b'/' && at(n + 1) == b'*'
                        || c == b'-' && at(n + 1) == b'-');
                    return benign;
                }
                // Many texts contain "--": only a trailing "--" alone counts.
                if tokens.get(1).is_some_and(|t| t.value().len() > 2) && first(1) == b'-' {
                    return true;
                }
                false
            }
            3 => {
                if fp == b"sos" || fp == b"s&s" {
                    let t0 = tokens.first().copied().unwrap_or_default();
                    let t2 = tokens.get(2).copied().unwrap_or_default();
                    // ...foo' + 'bar...: an open string both sides is SQLi.
                    return !(t0.str_open == 0 && t2.str_close == 0 && t0.str_close == t2.str_open);
                }
                if matches!(fp, b"s&n" | b"n&1" | b"1&1" | b"1&v" | b"1&s") {
                    // "sexy and 17" is not SQLi, "sexy and 17<18" is.
                    return self.stats.tokens == 3;
                }
                if kind(1) == TokenKind::Keyword {
                    // Only INTO OUTFILE / INTO DUMPFILE count.
                    let t1 = tokens.get(1).copied().unwrap_or_default();
                    let v = t1.value();
                    return v.len() < 5
                        || !v[..4].eq_ignore_ascii_case(b"INTO")
                        || v[..4].contains(&0);
                }
                false
            }
            _ => false,
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The contexts tried, in order; the MySQL passes only when the ANSI pass saw `#` or `--x`.
fn passes(input: &[u8]) -> impl Iterator<Item = (Flags, bool)> + '_ {
    let has = move |b: u8| input.contains(&b);
    let all = [
        (Flags::new(QuoteContext::None, Dialect::Ansi), true, false),
        (Flags::new(QuoteContext::None, Dialect::Mysql), true, true),
        (
            Flags::new(QuoteContext::Single, Dialect::Ansi),
            has(b'\''),
            false,
        ),
        (
            Flags::new(QuoteContext::Single, Dialect::Mysql),
            has(b'\''),
            true,
        ),
        (
            Flags::new(QuoteContext::Double, Dialect::Mysql),
            has(b'"'),
            false,
        ),
    ];
    all.into_iter()
        .filter(|(_, run, _)| *run)
        .map(|(f, _, retry)| (f, retry))
}

/// Is `input` SQL injection? Returns the fingerprint that matched.
///
/// Agrees with libinjection's `libinjection_sqli` on every input (verdict and fingerprint).
pub fn detect_sqli(input: &[u8]) -> Option<Fingerprint> {
    if input.is_empty() {
        return None;
    }
    let mut previous: Option<Analysis> = None;
    for (flags, mysql_retry) in passes(input) {
        if mysql_retry {
            // Only when the ANSI pass in this quote context saw comment syntax that differs.
            match &previous {
                Some(p) if p.stats.comment_ddx > 0 || p.stats.comment_hash > 0 => {}
                _ => continue,
            }
        }
        let analysis = analyze(input, flags);
        if analysis.is_sqli(input) {
            return Some(analysis.fingerprint);
        }
        previous = if mysql_retry { None } else { Some(analysis) };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(input: &[u8]) -> Option<String> {
        detect_sqli(input).map(|f| f.to_string())
    }

    #[test]
    fn classic_attacks_and_benign_text() {
        assert_eq!(fp(b"1' OR '1'='1").as_deref(), Some("s&sos"));
        assert_eq!(fp(b"1 union select 1").as_deref(), Some("1UE1"));
        assert_eq!(fp(b"hello world"), None);
        assert_eq!(fp(b"O'Reilly"), None);
        assert_eq!(fp(b""), None);
    }

    // The closing $tag$ is searched in libinjection's window [tag+2, len-pos), so a $tag$
    // string that does not start the input never closes (values from the C library).
    #[test]
    fn dollar_tag_string_search_window() {
        assert_eq!(fp(b"$t$x$t$ or 1=1").as_deref(), Some("s&1"));
        assert_eq!(fp(b"1 OR $t$x$t$'1'='"), None);
    }

    // "/* **/" closes the comment.
    #[test]
    fn comment_closed_after_double_star() {
        assert_eq!(fp(b"1 /* **/ union select 1").as_deref(), Some("1UE1"));
    }

    // C's signed char: q'<byte >= 0x80>...' is not an Oracle q-string.
    #[test]
    fn q_string_with_high_byte_delimiter_is_a_word() {
        assert_eq!(fp(b"q'\xe9x' or 1=1--"), None);
        assert_eq!(fp(b"q'!x!' or 1=1--").as_deref(), Some("s&1c"));
    }

    // NUL and 0xA0 end words.
    #[test]
    fn nul_and_nbsp_delimit_words() {
        assert_eq!(fp(b"1\xa0UNION\xa0SELECT\xa02--").as_deref(), Some("1UE1c"));
        assert_eq!(fp(b"1 union\0select 1").as_deref(), Some("1UE1"));
    }

    // "1234--" is a probe; "1234<byte>--" is not unless that byte reads as white space
    // (bytes >= 0x80 do, as signed chars, but here 0x80 starts a word).
    #[test]
    fn number_comment_whitelist() {
        assert_eq!(fp(b"1234 --").as_deref(), Some("1c"));
        assert_eq!(fp(b"1234\x80--"), None);
    }

    #[test]
    fn token_values_are_cut_at_31_bytes() {
        let long = [b'a'; 40];
        let mut lexer = Tokenizer::new(&long, Flags::default());
        let t = lexer.next_token().expect("one token");
        assert_eq!(t.value().len(), token::MAX_VALUE_LEN);
        assert_eq!(t.kind, TokenKind::Bareword);
        assert!(lexer.next_token().is_none());
    }

    #[test]
    fn quote_context_starts_inside_a_string() {
        let flags = Flags::new(QuoteContext::Single, Dialect::Ansi);
        let kinds: Vec<u8> = Tokenizer::new(b"x' or 1=1", flags)
            .map(|t| t.kind.code())
            .collect();
        assert_eq!(kinds, b"s&1o1");
        let a = analyze(b"x' or 1=1", flags);
        assert_eq!(a.fingerprint.as_str(), "s&1");
    }

    #[test]
    fn mysql_dialect_changes_hash_and_dash_dash() {
        let ansi = Flags::new(QuoteContext::None, Dialect::Ansi);
        let mysql = Flags::new(QuoteContext::None, Dialect::Mysql);
        let kinds = |f| {
            Tokenizer::new(b"1 #x\n--y", f)
                .map(|t| t.kind.code())
                .collect::<Vec<u8>>()
        };
        assert_eq!(kinds(ansi), b"1onc");
        assert_eq!(kinds(mysql), b"1coon");
    }
}
