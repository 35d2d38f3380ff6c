//! The small syntax tree both emitters work from.
//!
//! Everything PCRE decides at parse time is already decided here: case-insensitivity
//! has been folded into byte sets, `.` is either "any byte" or "any byte but `\n`", and
//! `^`/`$` carry their multiline meaning. The emitters therefore never look at flags.

pub(crate) use crate::byteset::ByteSet;

/// Zero-width assertions, with PCRE's meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// `\A`, `\G` (we always search from offset 0), `^` without multiline.
    TextStart,
    /// `\z`.
    TextEnd,
    /// `\Z` and `$` without multiline: the end, or before a newline that ends the subject.
    TextEndOrFinalNewline,
    /// `^` with multiline: the start, or after a `\n` that is not the last byte.
    LineStart,
    /// `$` with multiline: before any `\n`, or the end.
    LineEnd,
    /// `\b` with ASCII word bytes.
    WordBoundary,
    /// `\B`.
    NotWordBoundary,
}

/// How a quantifier gives back what it matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Greed {
    Greedy,
    Lazy,
    Possessive,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// Matches the empty string.
    Empty,
    /// One byte out of the set (a literal is a set of one, or two under `(?i)`).
    Set(ByteSet),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    /// A numbered capture group (1-based, numbered by opening parenthesis).
    Capture(u32, Box<Node>),
    /// `(?:...)`, also what scoped flag groups become.
    Group(Box<Node>),
    /// `(?>...)`.
    Atomic(Box<Node>),
    Look {
        behind: bool,
        negated: bool,
        node: Box<Node>,
    },
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
        greed: Greed,
    },
    Anchor(Anchor),
    /// A back reference; `caseless` when written under `(?i)`.
    Backref {
        group: u32,
        caseless: bool,
    },
}

impl Node {
    /// Whether the linear engine cannot express this tree: lookaround, back references
    /// and `\Z`-style end anchors need the backtracking engine.
    pub(crate) fn needs_backtracking(&self) -> bool {
        match self {
            Node::Empty | Node::Set(_) => false,
            Node::Anchor(a) => *a == Anchor::TextEndOrFinalNewline,
            Node::Look { .. } | Node::Backref { .. } => true,
            Node::Concat(v) | Node::Alt(v) => v.iter().any(Node::needs_backtracking),
            Node::Capture(_, n) | Node::Group(n) | Node::Atomic(n) => n.needs_backtracking(),
            Node::Repeat { node, .. } => node.needs_backtracking(),
        }
    }

    /// The exact number of bytes every match of the node has, if that is fixed.
    pub(crate) fn fixed_len(&self) -> Option<u64> {
        match self {
            Node::Empty | Node::Anchor(_) | Node::Look { .. } => Some(0),
            Node::Set(_) => Some(1),
            Node::Backref { .. } => None,
            Node::Concat(v) => v.iter().try_fold(0u64, |acc, n| Some(acc + n.fixed_len()?)),
            Node::Alt(v) => {
                let first = v.first()?.fixed_len()?;
                v.iter()
                    .all(|n| n.fixed_len() == Some(first))
                    .then_some(first)
            }
            Node::Capture(_, n) | Node::Group(n) | Node::Atomic(n) => n.fixed_len(),
            Node::Repeat { node, min, max, .. } => {
                (Some(*min) == *max).then(|| node.fixed_len().map(|l| l * u64::from(*min)))?
            }
        }
    }

    /// Whether the node can match the empty string (an over-approximation for back
    /// references).
    pub(crate) fn nullable(&self) -> bool {
        match self {
            Node::Empty | Node::Anchor(_) | Node::Look { .. } | Node::Backref { .. } => true,
            Node::Set(_) => false,
            Node::Concat(v) => v.iter().all(Node::nullable),
            Node::Alt(v) => v.iter().any(Node::nullable),
            Node::Capture(_, n) | Node::Group(n) | Node::Atomic(n) => n.nullable(),
            Node::Repeat { node, min, .. } => *min == 0 || node.nullable(),
        }
    }

    /// Whether some multiline `^` is followed by a remainder of the pattern that can
    /// match empty, so that `^` could be the last thing matched, at the very end of the
    /// subject. Only then does PCRE's "not after a final newline" rule change a result.
    /// Over-approximates (repeats are treated as possibly ending after any iteration).
    pub(crate) fn line_start_may_end_match(&self) -> bool {
        self.line_start_before(true)
    }

    fn line_start_before(&self, rest_nullable: bool) -> bool {
        match self {
            Node::Anchor(Anchor::LineStart) => rest_nullable,
            Node::Empty | Node::Set(_) | Node::Anchor(_) | Node::Backref { .. } => false,
            Node::Concat(v) => {
                let mut rest = rest_nullable;
                for item in v.iter().rev() {
                    if item.line_start_before(rest) {
                        return true;
                    }
                    rest = rest && item.nullable();
                }
                false
            }
            Node::Alt(v) => v.iter().any(|n| n.line_start_before(rest_nullable)),
            Node::Capture(_, n)
            | Node::Group(n)
            | Node::Atomic(n)
            | Node::Repeat { node: n, .. } => n.line_start_before(rest_nullable),
            // Inside lookaround the tree is on the exact engine anyway.
            Node::Look { node, .. } => node.line_start_before(true),
        }
    }
}
