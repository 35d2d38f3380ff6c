//! Writes the syntax tree back out as a pattern for one of the two engines.
//!
//! Both outputs spell every byte explicitly (`\xHH`, classes as byte ranges) and are
//! compiled with Unicode off, so neither engine's own notion of case, `.`, `\s` or
//! `\w` is ever used: the meaning was fixed by the parser.

use std::fmt::Write;

use super::ast::{Anchor, ByteSet, Greed, Node};

/// Which engine the text is for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// `regex::bytes` with Unicode off. Atomic groups and possessive quantifiers become
    /// their plain counterparts; lookaround, back references and `\Z` cannot appear.
    Linear,
    /// `fancy_regex` in ASCII bytes mode: keeps PCRE's exact semantics.
    Backtracking,
}

pub(crate) fn emit(node: &Node, target: Target) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("(?-u)");
    write_node(&mut out, node, target);
    out
}

fn write_byte(out: &mut String, b: u8, in_class: bool) {
    if b.is_ascii_alphanumeric() || b == b'_' || (b == b' ' && !in_class) {
        out.push(char::from(b));
    } else {
        let _ = write!(out, "\\x{b:02X}");
    }
}

fn write_set(out: &mut String, set: &ByteSet) {
    if let Some(b) = set.as_single() {
        write_byte(out, b, false);
        return;
    }
    if set.is_empty() {
        // Matches nothing; the regex crate accepts an empty negated-full class.
        out.push_str("[^\\x00-\\xFF]");
        return;
    }
    out.push('[');
    for (lo, hi) in set.ranges() {
        write_byte(out, lo, true);
        if hi != lo {
            if hi > lo + 1 {
                out.push('-');
            }
            write_byte(out, hi, true);
        }
    }
    out.push(']');
}

/// Whether a node can take a quantifier without being wrapped in `(?:...)`.
fn is_atom(node: &Node) -> bool {
    matches!(
        node,
        Node::Set(_) | Node::Capture(..) | Node::Group(_) | Node::Backref { .. }
    )
}

fn write_node(out: &mut String, node: &Node, target: Target) {
    match node {
        Node::Empty => {}
        Node::Set(s) => write_set(out, s),
        Node::Concat(items) => {
            for item in items {
                if matches!(item, Node::Alt(_)) {
                    out.push_str("(?:");
                    write_node(out, item, target);
                    out.push(')');
                } else {
                    write_node(out, item, target);
                }
            }
        }
        Node::Alt(branches) => {
            for (i, b) in branches.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                write_node(out, b, target);
            }
        }
        Node::Capture(_, inner) => {
            out.push('(');
            write_node(out, inner, target);
            out.push(')');
        }
        Node::Group(inner) => {
            out.push_str("(?:");
            write_node(out, inner, target);
            out.push(')');
        }
        Node::Atomic(inner) => {
            out.push_str(match target {
                Target::Linear => "(?:",
                Target::Backtracking => "(?>",
            });
            write_node(out, inner, target);
            out.push(')');
        }
        Node::Look {
            behind,
            negated,
            node,
        } => {
            out.push_str(match (behind, negated) {
                (false, false) => "(?=",
                (false, true) => "(?!",
                (true, false) => "(?<=",
                (true, true) => "(?<!",
            });
            write_node(out, node, target);
            out.push(')');
        }
        Node::Repeat {
            node,
            min,
            max,
            greed,
        } => {
            let wrap = !is_atom(node);
            if wrap {
                out.push_str("(?:");
            }
            write_node(out, node, target);
            if wrap {
                out.push(')');
            }
            match (min, max) {
                (0, None) => out.push('*'),
                (1, None) => out.push('+'),
                (0, Some(1)) => out.push('?'),
                (n, None) => {
                    let _ = write!(out, "{{{n},}}");
                }
                (n, Some(m)) if n == m => {
                    let _ = write!(out, "{{{n}}}");
                }
                (n, Some(m)) => {
                    let _ = write!(out, "{{{n},{m}}}");
                }
            }
            match (greed, target) {
                (Greed::Greedy, _) | (Greed::Possessive, Target::Linear) => {}
                (Greed::Lazy, _) => out.push('?'),
                (Greed::Possessive, Target::Backtracking) => out.push('+'),
            }
        }
        Node::Anchor(a) => out.push_str(anchor_text(*a, target)),
        Node::Backref { group, caseless } => {
            if *caseless {
                let _ = write!(out, "(?i:\\k<{group}>)");
            } else {
                let _ = write!(out, "\\k<{group}>");
            }
        }
    }
}

fn anchor_text(a: Anchor, target: Target) -> &'static str {
    match (a, target) {
        (Anchor::TextStart, _) => "\\A",
        (Anchor::TextEnd, _) => "\\z",
        // Only reachable for the backtracking engine (the tree is routed there).
        (Anchor::TextEndOrFinalNewline, _) => "(?=\\n?\\z)",
        // PCRE's multiline `^` does not match after a newline that ends the subject.
        // The linear engine cannot say "not at the end" and uses `(?m:^)`, which
        // differs only for an empty-matching remainder after a final `\n`.
        (Anchor::LineStart, Target::Linear) => "(?m:^)",
        (Anchor::LineStart, Target::Backtracking) => "(?:\\A|(?<=\\n)(?!\\z))",
        (Anchor::LineEnd, Target::Linear) => "(?m:$)",
        (Anchor::LineEnd, Target::Backtracking) => "(?=\\n|\\z)",
        (Anchor::WordBoundary, _) => "\\b",
        (Anchor::NotWordBoundary, _) => "\\B",
    }
}
