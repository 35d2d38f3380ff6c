//! Patterns that are only a literal, answered without entering a regex engine.
//!
//! Selectors such as `TX:/^header_name_920450_/` or `!REQUEST_COOKIES:/__utm/` are
//! tested against every key of a collection, often a hundred times per request. Their
//! patterns say no more than "starts with" or "contains" a fixed string, which a byte
//! comparison answers for a fraction of a regex call. Only `is_match` uses this;
//! spans and captures still come from the engine.

use super::ast::{Anchor, Node};

/// Longest subject for a case-insensitive "contains" by direct comparison; longer
/// subjects go to the regex engine, whose search is linear.
const CASELESS_SCAN_MAX: usize = 512;

/// Where the literal must occur.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Position {
    /// `\A` / `^` without multiline: at the start.
    Start,
    /// Multiline `^`: at the start or right after a `\n`.
    LineStart,
    Anywhere,
}

/// A pattern equivalent, for `is_match`, to finding one literal.
#[derive(Clone, Debug)]
pub(crate) struct Literal {
    position: Position,
    /// Lower-cased when `caseless`.
    bytes: Vec<u8>,
    caseless: bool,
    /// Built once: building a searcher per call would allocate every time.
    finder: memchr::memmem::Finder<'static>,
}

impl Literal {
    /// The literal a tree reduces to: an optional start anchor, then single bytes (or
    /// both cases of a letter, consistently), then only parts that may match empty
    /// (`.*`, `_*`), which cannot change whether there is a match.
    pub(crate) fn of(node: &Node) -> Option<Literal> {
        let mut items = Vec::new();
        flatten(node, &mut items);
        let mut rest = items.as_slice();
        let position = match rest.first() {
            Some(Node::Anchor(Anchor::TextStart)) => Position::Start,
            Some(Node::Anchor(Anchor::LineStart)) => Position::LineStart,
            _ => Position::Anywhere,
        };
        if position != Position::Anywhere {
            rest = &rest[1..];
        }
        let mut bytes = Vec::new();
        let mut caseless = None;
        while let Some(Node::Set(set)) = rest.first() {
            let (byte, folded) = match (set.len(), set.as_single()) {
                (1, Some(b)) => (b, false),
                (2, _) => {
                    let lower = set.iter().find(u8::is_ascii_lowercase)?;
                    if !set.contains(lower.to_ascii_uppercase()) {
                        return None;
                    }
                    (lower, true)
                }
                _ => return None,
            };
            if byte.is_ascii_alphabetic() && *caseless.get_or_insert(folded) != folded {
                return None;
            }
            bytes.push(byte);
            rest = &rest[1..];
        }
        let tail_is_optional = rest
            .iter()
            .all(|n| matches!(n, Node::Empty | Node::Repeat { min: 0, .. }));
        (!bytes.is_empty() && tail_is_optional).then(|| Literal {
            position,
            finder: memchr::memmem::Finder::new(&bytes).into_owned(),
            bytes,
            caseless: caseless.unwrap_or(false),
        })
    }

    /// Whether `hay` matches, or `None` when the engine should answer instead.
    pub(crate) fn is_match(&self, hay: &[u8]) -> Option<bool> {
        let lit = self.bytes.as_slice();
        let at = |i: usize| {
            hay.get(i..i + lit.len()).is_some_and(|w| {
                if self.caseless {
                    w.eq_ignore_ascii_case(lit)
                } else {
                    w == lit
                }
            })
        };
        match self.position {
            Position::Start => Some(at(0)),
            Position::LineStart => {
                if hay.len() > CASELESS_SCAN_MAX && self.caseless {
                    return None;
                }
                Some(at(0) || memchr::memchr_iter(b'\n', hay).any(|i| at(i + 1)))
            }
            Position::Anywhere if !self.caseless => Some(self.finder.find(hay).is_some()),
            Position::Anywhere if hay.len() <= CASELESS_SCAN_MAX => {
                // Candidates are where the first byte occurs, in either case.
                let first = lit[0];
                let other = first.to_ascii_uppercase();
                Some(memchr::memchr2_iter(first, other, hay).any(at))
            }
            Position::Anywhere => None,
        }
    }
}

/// A pattern that matches any subject without a line break whole: `^.*$` (CRS 920450
/// captures each header name with it). On such a subject the match is the subject; on
/// one with a `\n` the engine answers.
#[derive(Clone, Debug)]
pub(crate) struct WholeLine;

impl WholeLine {
    pub(crate) fn of(node: &Node) -> Option<WholeLine> {
        let mut items = Vec::new();
        flatten(node, &mut items);
        let [start, middle, end] = items.as_slice() else {
            return None;
        };
        let starts = matches!(start, Node::Anchor(Anchor::TextStart | Anchor::LineStart));
        let ends = matches!(
            end,
            Node::Anchor(Anchor::TextEnd | Anchor::TextEndOrFinalNewline | Anchor::LineEnd)
        );
        // `.` without `(?s)` is every byte but `\n`; with it, every byte.
        let any_but_newline = match middle {
            Node::Repeat {
                node,
                min: 0,
                max: None,
                ..
            } => {
                matches!(node.as_ref(), Node::Set(set) if set.len() >= 255 && (0..=255u8).all(|b| b == b'\n' || set.contains(b)))
            }
            _ => false,
        };
        (starts && any_but_newline && ends).then_some(WholeLine)
    }

    /// The match on `hay`, or `None` when the engine should answer instead.
    pub(crate) fn find(&self, hay: &[u8]) -> Option<std::ops::Range<usize>> {
        (!hay.contains(&b'\n')).then_some(0..hay.len())
    }
}

/// The items of a top-level concatenation, looking through groups.
fn flatten<'n>(node: &'n Node, out: &mut Vec<&'n Node>) {
    match node {
        Node::Concat(items) => items.iter().for_each(|n| flatten(n, out)),
        Node::Group(n) | Node::Capture(_, n) => flatten(n, out),
        other => out.push(other),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    fn literal(p: &str) -> Option<Literal> {
        Literal::of(&parse(p.as_bytes(), false).unwrap().node)
    }

    #[test]
    fn recognises_literal_patterns() {
        assert!(literal("(?i)^header_name_920450_").is_some());
        assert!(literal("(?i)paramcounter_.*").is_some());
        assert!(literal("(?i)MULTIPART_HEADERS_CONTENT_TYPES_*").is_some());
        assert!(literal("__utm").is_some());
        assert!(literal("a|b").is_none());
        assert!(literal("ab+").is_none());
        assert!(literal("ab$").is_none());
        assert!(literal("a\\b").is_none());
        assert!(literal("a(?i)b").is_none());
    }

    #[test]
    fn whole_lines_match_like_the_engine() {
        for pattern in [
            "^.*$", "(?i)^.*$", "^.*?$", "\\A.*\\z", "(?s)^.*$", "(?m)^.*$",
        ] {
            let node = parse(pattern.as_bytes(), false).unwrap().node;
            let whole = WholeLine::of(&node).unwrap_or_else(|| panic!("{pattern}"));
            let p = super::super::Pattern::compile(pattern).unwrap();
            for hay in [&b""[..], b"accept-language", b"a b\tc\r", b"\xff\x00"] {
                assert_eq!(
                    whole.find(hay),
                    p.find(hay).unwrap(),
                    "{pattern} on {hay:?}"
                );
            }
            assert_eq!(whole.find(b"a\nb"), None);
        }
        for pattern in ["^.+$", "^a.*$", ".*$", "^.*", "^[^\\r].*$", "^.{0,5}$"] {
            let node = parse(pattern.as_bytes(), false).unwrap().node;
            assert!(WholeLine::of(&node).is_none(), "{pattern}");
        }
    }

    #[test]
    fn answers_like_the_engine() {
        let cases: &[(&str, &[u8], bool)] = &[
            ("(?i)^header_name_", b"HEADER_NAME_x", true),
            ("(?i)^header_name_", b"x header_name_", false),
            ("(?im)^header_name_", b"x\nheader_name_", true),
            ("(?i)paramcounter_.*", b"tx_ParamCounter_", true),
            ("__utm", b"a__utmz", true),
            ("__utm", b"a__UTMZ", false),
        ];
        for (pattern, hay, expected) in cases {
            let lit = literal(pattern).unwrap();
            assert_eq!(lit.is_match(hay), Some(*expected), "{pattern} on {hay:?}");
            let p = super::super::Pattern::compile(pattern).unwrap();
            let engine = regex::bytes::RegexBuilder::new(p.translated())
                .unicode(false)
                .build()
                .unwrap();
            assert_eq!(
                engine.is_match(hay),
                *expected,
                "engine: {pattern} on {hay:?}"
            );
        }
    }
}
