//! A parser for the PCRE dialect ModSecurity v3 compiles `@rx` patterns with:
//! 8-bit, no UTF, no UCP, options `DOTALL | MULTILINE` (plus `CASELESS` when asked).
//!
//! The pattern is read as bytes, exactly as PCRE reads it in non-UTF mode: a UTF-8
//! character written in a pattern is several literal bytes, and inside a class each of
//! those bytes is a member on its own.

use super::ast::{Anchor, ByteSet, Greed, Node};
use super::{RegexError, SyntaxError};

/// PCRE's default limit on parenthesis nesting.
const MAX_DEPTH: usize = 250;
/// PCRE's largest quantifier bound.
const MAX_REPEAT: u32 = 65_535;

#[derive(Clone, Copy, Debug)]
struct Flags {
    caseless: bool,
    dotall: bool,
    multiline: bool,
    extended: bool,
    ungreedy: bool,
}

/// The result of parsing: the tree and how many capture groups it has.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) node: Node,
    pub(crate) groups: u32,
}

pub(crate) fn parse(pattern: &[u8], caseless: bool) -> Result<Parsed, RegexError> {
    let mut p = Parser {
        p: pattern,
        pos: 0,
        flags: Flags {
            caseless,
            dotall: true,
            multiline: true,
            extended: false,
            ungreedy: false,
        },
        groups: 0,
        names: Vec::new(),
        backrefs: Vec::new(),
        depth: 0,
        class_queue: std::collections::VecDeque::new(),
    };
    let node = p.parse_alternation()?;
    if p.pos < p.p.len() {
        // Only an unmatched `)` stops the top-level alternation early.
        return Err(p.err(SyntaxError::UnmatchedCloseParen));
    }
    for &(group, offset) in &p.backrefs {
        if group == 0 || group > p.groups {
            return Err(RegexError::Syntax {
                offset,
                error: SyntaxError::NoSuchGroup,
            });
        }
    }
    Ok(Parsed {
        node,
        groups: p.groups,
    })
}

struct Parser<'a> {
    p: &'a [u8],
    pos: usize,
    flags: Flags,
    groups: u32,
    names: Vec<(Vec<u8>, u32)>,
    /// Back references seen, checked once all groups are known (forward references are
    /// allowed).
    backrefs: Vec<(u32, usize)>,
    depth: usize,
    /// Bytes of a `\Q...\E` inside a class still to be read, one member at a time.
    class_queue: std::collections::VecDeque<u8>,
}

/// What one escape or class member stands for.
enum Item {
    Byte(u8),
    Set(ByteSet),
}

fn digit_set() -> ByteSet {
    ByteSet::range(b'0', b'9')
}

fn word_set() -> ByteSet {
    let mut s = ByteSet::range(b'a', b'z');
    s.union(&ByteSet::range(b'A', b'Z'));
    s.union(&digit_set());
    s.insert(b'_');
    s
}

/// `\s`: since PCRE 8.34 / PCRE2 it includes VT; no bytes above 0x7F in the C locale.
fn space_set() -> ByteSet {
    ByteSet::of(b"\t\n\x0b\x0c\r ")
}

/// `\h` in non-UTF mode: tab, space and NBSP (0xA0).
fn hspace_set() -> ByteSet {
    ByteSet::of(b"\t \xa0")
}

/// `\v` in non-UTF mode: LF, VT, FF, CR and NEL (0x85).
fn vspace_set() -> ByteSet {
    ByteSet::of(b"\n\x0b\x0c\r\x85")
}

fn posix_class(name: &[u8]) -> Option<ByteSet> {
    let mut s = ByteSet::empty();
    match name {
        b"alpha" => {
            s.insert_range(b'a', b'z');
            s.insert_range(b'A', b'Z');
        }
        b"digit" => s = digit_set(),
        b"alnum" => {
            s.insert_range(b'a', b'z');
            s.insert_range(b'A', b'Z');
            s.insert_range(b'0', b'9');
        }
        b"upper" => s.insert_range(b'A', b'Z'),
        b"lower" => s.insert_range(b'a', b'z'),
        b"space" => s = space_set(),
        b"blank" => s = ByteSet::of(b"\t "),
        b"punct" => {
            for b in 0x21..=0x7eu8 {
                if !b.is_ascii_alphanumeric() {
                    s.insert(b);
                }
            }
        }
        b"print" => s.insert_range(0x20, 0x7e),
        b"graph" => s.insert_range(0x21, 0x7e),
        b"cntrl" => {
            s.insert_range(0, 0x1f);
            s.insert(0x7f);
        }
        b"xdigit" => {
            s.insert_range(b'0', b'9');
            s.insert_range(b'a', b'f');
            s.insert_range(b'A', b'F');
        }
        b"word" => s = word_set(),
        b"ascii" => s.insert_range(0, 0x7f),
        _ => return None,
    }
    Some(s)
}

fn hex_value(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

impl Parser<'_> {
    fn err(&self, error: SyntaxError) -> RegexError {
        RegexError::Syntax {
            offset: self.pos,
            error,
        }
    }

    fn unsupported(&self, feature: &'static str) -> RegexError {
        RegexError::Unsupported {
            offset: self.pos,
            feature,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.p.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.p.get(self.pos + ahead).copied()
    }

    fn starts_with(&self, s: &[u8]) -> bool {
        self.p[self.pos..].starts_with(s)
    }

    /// Skips whitespace and `#` comments in extended mode.
    fn skip_extended(&mut self) {
        if !self.flags.extended {
            return;
        }
        while let Some(b) = self.peek() {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
                self.pos += 1;
            } else if b == b'#' {
                while let Some(c) = self.peek() {
                    self.pos += 1;
                    if c == b'\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    fn literal(&self, b: u8) -> Node {
        let set = ByteSet::single(b);
        Node::Set(if self.flags.caseless {
            set.case_folded()
        } else {
            set
        })
    }

    fn parse_alternation(&mut self) -> Result<Node, RegexError> {
        let mut branches = vec![self.parse_concat()?];
        while self.peek() == Some(b'|') {
            self.pos += 1;
            branches.push(self.parse_concat()?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(branches)
        })
    }

    fn parse_concat(&mut self) -> Result<Node, RegexError> {
        let mut items: Vec<Node> = Vec::new();
        loop {
            self.skip_extended();
            let Some(b) = self.peek() else { break };
            match b {
                b'|' | b')' => break,
                b'*' | b'+' | b'?' => return Err(self.err(SyntaxError::NothingToRepeat)),
                b'{' if self.quantifier_at(self.pos).is_some() => {
                    return Err(self.err(SyntaxError::NothingToRepeat));
                }
                _ => {}
            }
            let start = self.pos;
            let Some(atom) = self.parse_atom()? else {
                continue;
            };
            let atom = self.parse_quantifiers(atom, start)?;
            items.push(atom);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    /// If a valid `{n}`, `{n,}` or `{n,m}` starts at `at`, returns (min, max, length).
    /// Anything else means `{` is a literal, as in PCRE (before 10.43, `{,n}` too).
    fn quantifier_at(&self, at: usize) -> Option<(u32, Option<u32>, usize)> {
        let rest = self.p.get(at..)?;
        if rest.first() != Some(&b'{') {
            return None;
        }
        let mut i = 1;
        let num = |i: &mut usize| -> Option<u64> {
            let s = *i;
            let mut v: u64 = 0;
            while let Some(d) = rest.get(*i).filter(|d| d.is_ascii_digit()) {
                v = v.saturating_mul(10).saturating_add(u64::from(d - b'0'));
                *i += 1;
            }
            (*i > s).then_some(v)
        };
        let min = num(&mut i)?;
        let max = match rest.get(i)? {
            b'}' => Some(min),
            b',' => {
                i += 1;
                if rest.get(i)? == &b'}' {
                    None
                } else {
                    let m = num(&mut i)?;
                    if rest.get(i)? != &b'}' {
                        return None;
                    }
                    Some(m)
                }
            }
            _ => return None,
        };
        let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        Some((clamp(min), max.map(clamp), i + 1))
    }

    fn parse_quantifiers(&mut self, atom: Node, start: usize) -> Result<Node, RegexError> {
        self.skip_extended();
        let (min, max) = match self.peek() {
            Some(b'*') => {
                self.pos += 1;
                (0, None)
            }
            Some(b'+') => {
                self.pos += 1;
                (1, None)
            }
            Some(b'?') => {
                self.pos += 1;
                (0, Some(1))
            }
            Some(b'{') => match self.quantifier_at(self.pos) {
                Some((min, max, len)) => {
                    if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT) {
                        return Err(self.err(SyntaxError::RepeatTooLarge));
                    }
                    if max.is_some_and(|m| m < min) {
                        return Err(self.err(SyntaxError::RepeatOutOfOrder));
                    }
                    self.pos += len;
                    (min, max)
                }
                None => return Ok(atom),
            },
            _ => return Ok(atom),
        };
        if matches!(atom, Node::Anchor(_)) {
            return Err(RegexError::Syntax {
                offset: start,
                error: SyntaxError::NothingToRepeat,
            });
        }
        let mut greed = if self.flags.ungreedy {
            Greed::Lazy
        } else {
            Greed::Greedy
        };
        match self.peek() {
            Some(b'?') => {
                self.pos += 1;
                greed = if self.flags.ungreedy {
                    Greed::Greedy
                } else {
                    Greed::Lazy
                };
            }
            Some(b'+') => {
                self.pos += 1;
                greed = Greed::Possessive;
            }
            _ => {}
        }
        self.skip_extended();
        if matches!(self.peek(), Some(b'*' | b'+' | b'?'))
            || (self.peek() == Some(b'{') && self.quantifier_at(self.pos).is_some())
        {
            return Err(self.err(SyntaxError::NothingToRepeat));
        }
        if matches!(atom, Node::Look { .. }) {
            // PCRE: a repeated assertion is obeyed once when the minimum is at least 1,
            // and tried both with and without when it is 0.
            return Ok(if min == 0 {
                Node::Group(Box::new(Node::Alt(vec![atom, Node::Empty])))
            } else {
                atom
            });
        }
        Ok(Node::Repeat {
            node: Box::new(atom),
            min,
            max,
            greed,
        })
    }

    /// Parses one atom. `None` means "nothing here" (a comment, a flag setting, `\E`).
    fn parse_atom(&mut self) -> Result<Option<Node>, RegexError> {
        let Some(b) = self.peek() else {
            return Ok(None);
        };
        match b {
            b'(' => self.parse_group(),
            b'[' => {
                if self.posix_class_len(self.pos).is_some() {
                    return Err(self.err(SyntaxError::PosixOutsideClass));
                }
                self.pos += 1;
                Ok(Some(Node::Set(self.parse_class()?)))
            }
            b'.' => {
                self.pos += 1;
                Ok(Some(Node::Set(if self.flags.dotall {
                    ByteSet::full()
                } else {
                    ByteSet::single(b'\n').negated()
                })))
            }
            b'^' => {
                self.pos += 1;
                Ok(Some(Node::Anchor(if self.flags.multiline {
                    Anchor::LineStart
                } else {
                    Anchor::TextStart
                })))
            }
            b'$' => {
                self.pos += 1;
                Ok(Some(Node::Anchor(if self.flags.multiline {
                    Anchor::LineEnd
                } else {
                    Anchor::TextEndOrFinalNewline
                })))
            }
            b'\\' => self.parse_escape(),
            _ => {
                self.pos += 1;
                Ok(Some(self.literal(b)))
            }
        }
    }

    fn parse_group(&mut self) -> Result<Option<Node>, RegexError> {
        let open = self.pos;
        self.pos += 1; // '('
        if self.peek() == Some(b'*') {
            return Err(self.unsupported("backtracking control verb (*...)"));
        }
        enum Kind {
            Capture(u32),
            Group,
            Atomic,
            Look { behind: bool, negated: bool },
        }
        let saved = self.flags;
        let kind = if self.peek() == Some(b'?') {
            self.pos += 1;
            match self.peek() {
                Some(b':') => {
                    self.pos += 1;
                    Kind::Group
                }
                Some(b'>') => {
                    self.pos += 1;
                    Kind::Atomic
                }
                Some(b'=') => {
                    self.pos += 1;
                    Kind::Look {
                        behind: false,
                        negated: false,
                    }
                }
                Some(b'!') => {
                    self.pos += 1;
                    Kind::Look {
                        behind: false,
                        negated: true,
                    }
                }
                Some(b'#') => {
                    while let Some(c) = self.peek() {
                        self.pos += 1;
                        if c == b')' {
                            return Ok(None);
                        }
                    }
                    return Err(RegexError::Syntax {
                        offset: open,
                        error: SyntaxError::UnclosedComment,
                    });
                }
                Some(b'<') if matches!(self.peek_at(1), Some(b'=') | Some(b'!')) => {
                    let negated = self.peek_at(1) == Some(b'!');
                    self.pos += 2;
                    Kind::Look {
                        behind: true,
                        negated,
                    }
                }
                Some(b'<') => {
                    self.pos += 1;
                    self.parse_group_name(b'>')?
                        .map_or(Kind::Group, |()| Kind::Capture(self.groups))
                }
                Some(b'\'') => {
                    self.pos += 1;
                    self.parse_group_name(b'\'')?
                        .map_or(Kind::Group, |()| Kind::Capture(self.groups))
                }
                Some(b'P') => match self.peek_at(1) {
                    Some(b'<') => {
                        self.pos += 2;
                        self.parse_group_name(b'>')?
                            .map_or(Kind::Group, |()| Kind::Capture(self.groups))
                    }
                    Some(b'=') => {
                        self.pos += 2;
                        let group = self.read_name_reference(b')')?;
                        return Ok(Some(self.backref(group, open)));
                    }
                    _ => return Err(self.unsupported("subroutine call (?P>name)")),
                },
                Some(b'|') => return Err(self.unsupported("branch reset group (?|...)")),
                Some(b'(') => return Err(self.unsupported("conditional group (?(...)...)")),
                Some(b'R' | b'&' | b'0'..=b'9' | b'+') => {
                    return Err(self.unsupported("recursion or subroutine call"));
                }
                Some(b'-' | b'^' | b'i' | b'm' | b's' | b'x' | b'U' | b'J' | b'n' | b')') => {
                    // Flag settings: `(?flags)` changes the rest of the enclosing group,
                    // `(?flags:...)` only its own body.
                    if self.parse_flags()? {
                        return Ok(None);
                    }
                    Kind::Group
                }
                _ => return Err(self.err(SyntaxError::UnknownGroupKind)),
            }
        } else {
            self.groups += 1;
            Kind::Capture(self.groups)
        };

        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(SyntaxError::TooDeep));
        }
        let body = self.parse_alternation()?;
        self.depth -= 1;
        if self.peek() != Some(b')') {
            return Err(RegexError::Syntax {
                offset: open,
                error: SyntaxError::UnclosedGroup,
            });
        }
        self.pos += 1;
        self.flags = saved;
        let body = Box::new(body);
        if let Kind::Look { behind: true, .. } = kind {
            // PCRE2 (10.42) wants each top-level branch of a lookbehind to have a fixed
            // length; the branches may differ from each other.
            let fixed = match &*body {
                Node::Alt(branches) => branches.iter().all(|b| b.fixed_len().is_some()),
                other => other.fixed_len().is_some(),
            };
            if !fixed {
                return Err(RegexError::Syntax {
                    offset: open,
                    error: SyntaxError::LookbehindNotFixed,
                });
            }
        }
        Ok(Some(match kind {
            Kind::Capture(i) => Node::Capture(i, body),
            Kind::Group => Node::Group(body),
            Kind::Atomic => Node::Atomic(body),
            Kind::Look { behind, negated } => Node::Look {
                behind,
                negated,
                node: body,
            },
        }))
    }

    /// Reads a group name up to `close`, registers a new capture group, returns `Some`.
    fn parse_group_name(&mut self, close: u8) -> Result<Option<()>, RegexError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == close {
                break;
            }
            if !(c.is_ascii_alphanumeric() || c == b'_') {
                return Err(self.err(SyntaxError::BadGroupName));
            }
            self.pos += 1;
        }
        if self.peek() != Some(close) || self.pos == start || self.p[start].is_ascii_digit() {
            return Err(self.err(SyntaxError::BadGroupName));
        }
        let name = self.p[start..self.pos].to_vec();
        self.pos += 1;
        self.groups += 1;
        self.names.push((name, self.groups));
        Ok(Some(()))
    }

    /// Reads `name` followed by `close` and resolves it to a group number (the group must
    /// already be defined: PCRE allows forward named references, CRS never uses them).
    fn read_name_reference(&mut self, close: u8) -> Result<u32, RegexError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == close {
                break;
            }
            self.pos += 1;
        }
        if self.peek() != Some(close) {
            return Err(self.err(SyntaxError::BadGroupName));
        }
        let name = &self.p[start..self.pos];
        self.pos += 1;
        // A numeric reference such as `\g{2}` or `\k<2>`.
        if !name.is_empty() && name.iter().all(u8::is_ascii_digit) {
            let n = std::str::from_utf8(name)
                .ok()
                .and_then(|s| s.parse::<u32>().ok())
                .unwrap_or(u32::MAX);
            return Ok(n);
        }
        let relative = name
            .strip_prefix(b"-")
            .filter(|rel| !rel.is_empty() && rel.iter().all(u8::is_ascii_digit));
        if let Some(rel) = relative {
            let n = std::str::from_utf8(rel)
                .ok()
                .and_then(|s| s.parse::<u32>().ok())
                .unwrap_or(u32::MAX);
            return Ok(if n == 0 || n > self.groups {
                0
            } else {
                self.groups + 1 - n
            });
        }
        self.names
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, g)| *g)
            .ok_or(RegexError::Syntax {
                offset: start,
                error: SyntaxError::NoSuchGroup,
            })
    }

    /// Parses the flag letters after `(?`. Returns true for `(?flags)` (applies to the
    /// rest of the enclosing group), false for `(?flags:` (a group follows).
    fn parse_flags(&mut self) -> Result<bool, RegexError> {
        let mut on = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err(SyntaxError::UnclosedGroup));
            };
            self.pos += 1;
            match c {
                b')' => return Ok(true),
                b':' => return Ok(false),
                b'-' if on => on = false,
                b'^' if on => {
                    // `(?^)`: unset imnsx; DOTALL/MULTILINE from compile options too.
                    self.flags.caseless = false;
                    self.flags.dotall = false;
                    self.flags.multiline = false;
                    self.flags.extended = false;
                    self.flags.ungreedy = false;
                }
                b'i' => self.flags.caseless = on,
                b's' => self.flags.dotall = on,
                b'm' => self.flags.multiline = on,
                b'x' => self.flags.extended = on,
                b'U' => self.flags.ungreedy = on,
                b'J' => {}
                b'n' => return Err(self.unsupported("no-auto-capture flag (?n)")),
                _ => {
                    self.pos -= 1;
                    return Err(self.err(SyntaxError::UnknownFlag));
                }
            }
        }
    }

    fn backref(&mut self, group: u32, offset: usize) -> Node {
        self.backrefs.push((group, offset));
        Node::Backref {
            group,
            caseless: self.flags.caseless,
        }
    }

    fn parse_escape(&mut self) -> Result<Option<Node>, RegexError> {
        let start = self.pos;
        self.pos += 1; // '\'
        let Some(c) = self.peek() else {
            return Err(RegexError::Syntax {
                offset: start,
                error: SyntaxError::TrailingBackslash,
            });
        };
        let anchor = |a| Ok(Some(Node::Anchor(a)));
        match c {
            b'b' => {
                self.pos += 1;
                anchor(Anchor::WordBoundary)
            }
            b'B' => {
                self.pos += 1;
                anchor(Anchor::NotWordBoundary)
            }
            b'A' | b'G' => {
                self.pos += 1;
                anchor(Anchor::TextStart)
            }
            b'z' => {
                self.pos += 1;
                anchor(Anchor::TextEnd)
            }
            b'Z' => {
                self.pos += 1;
                anchor(Anchor::TextEndOrFinalNewline)
            }
            b'Q' => {
                self.pos += 1;
                let mut lits = Vec::new();
                while self.pos < self.p.len() && !self.starts_with(b"\\E") {
                    lits.push(self.literal(self.p[self.pos]));
                    self.pos += 1;
                }
                if self.starts_with(b"\\E") {
                    self.pos += 2;
                }
                // Quantifiers after `\Q..\E` apply to its last byte, as in PCRE.
                match lits.len() {
                    0 => Ok(None),
                    1 => Ok(lits.pop()),
                    _ => {
                        let last = lits.pop().unwrap_or(Node::Empty);
                        let last = self.parse_quantifiers(last, self.pos)?;
                        lits.push(last);
                        Ok(Some(Node::Concat(lits)))
                    }
                }
            }
            b'E' => {
                self.pos += 1;
                Ok(None)
            }
            b'R' => {
                self.pos += 1;
                let crlf = Node::Concat(vec![
                    Node::Set(ByteSet::single(b'\r')),
                    Node::Set(ByteSet::single(b'\n')),
                ]);
                Ok(Some(Node::Atomic(Box::new(Node::Alt(vec![
                    crlf,
                    Node::Set(vspace_set()),
                ])))))
            }
            b'X' => Err(self.unsupported("extended grapheme cluster \\X")),
            b'K' => Err(self.unsupported("match start reset \\K")),
            b'p' | b'P' => Err(self.unsupported("Unicode property \\p")),
            b'N' if self.peek_at(1) != Some(b'{') => {
                self.pos += 1;
                Ok(Some(Node::Set(ByteSet::single(b'\n').negated())))
            }
            b'C' => {
                self.pos += 1;
                Ok(Some(Node::Set(ByteSet::full())))
            }
            b'g' => {
                self.pos += 1;
                let group = match self.peek() {
                    Some(b'{') => {
                        self.pos += 1;
                        self.read_name_reference(b'}')?
                    }
                    Some(b'<' | b'\'') => {
                        return Err(self.unsupported("subroutine call \\g<...>"));
                    }
                    _ => {
                        let neg = self.peek() == Some(b'-');
                        if neg {
                            self.pos += 1;
                        }
                        let n = self
                            .read_decimal()
                            .ok_or(self.err(SyntaxError::BadEscape))?;
                        if neg {
                            if n == 0 || n > self.groups {
                                0
                            } else {
                                self.groups + 1 - n
                            }
                        } else {
                            n
                        }
                    }
                };
                Ok(Some(self.backref(group, start)))
            }
            b'k' => {
                self.pos += 1;
                let close = match self.peek() {
                    Some(b'<') => b'>',
                    Some(b'\'') => b'\'',
                    Some(b'{') => b'}',
                    _ => return Err(self.err(SyntaxError::BadEscape)),
                };
                self.pos += 1;
                if self.peek().is_some_and(|d| d.is_ascii_digit()) {
                    return Err(self.err(SyntaxError::BadGroupName));
                }
                let group = self.read_name_reference(close)?;
                Ok(Some(self.backref(group, start)))
            }
            b'1'..=b'9' => {
                // PCRE: a number below 10, one starting with 8 or 9, or one no larger
                // than the number of groups opened so far is a back reference;
                // otherwise up to three octal digits are a byte.
                let save = self.pos;
                let n = self.read_decimal().unwrap_or(u32::MAX);
                if n < 10 || c == b'8' || c == b'9' || n <= self.groups {
                    return Ok(Some(self.backref(n, start)));
                }
                self.pos = save;
                let v = self.read_octal(3);
                if v > 0xff {
                    return Err(self.err(SyntaxError::CodePointTooLarge));
                }
                Ok(Some(self.literal(v as u8)))
            }
            _ => match self.parse_char_escape(false)? {
                Item::Byte(b) => Ok(Some(self.literal(b))),
                Item::Set(s) => Ok(Some(Node::Set(s))),
            },
        }
    }

    fn read_decimal(&mut self) -> Option<u32> {
        let start = self.pos;
        let mut v: u32 = 0;
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            v = v.saturating_mul(10).saturating_add(u32::from(d - b'0'));
            self.pos += 1;
        }
        (self.pos > start).then_some(v)
    }

    fn read_octal(&mut self, max_digits: usize) -> u32 {
        let mut v: u32 = 0;
        let mut n = 0;
        while n < max_digits {
            match self.peek() {
                Some(d @ b'0'..=b'7') => {
                    v = v * 8 + u32::from(d - b'0');
                    self.pos += 1;
                    n += 1;
                }
                _ => break,
            }
        }
        v
    }

    /// Escapes that mean a byte or a class, valid both inside and outside `[...]`.
    /// `self.pos` is on the byte after the backslash.
    fn parse_char_escape(&mut self, in_class: bool) -> Result<Item, RegexError> {
        let Some(c) = self.peek() else {
            return Err(self.err(SyntaxError::TrailingBackslash));
        };
        self.pos += 1;
        let byte = |b: u8| Ok(Item::Byte(b));
        let set = |s: ByteSet| Ok(Item::Set(s));
        match c {
            b'd' => set(digit_set()),
            b'D' => set(digit_set().negated()),
            b'w' => set(word_set()),
            b'W' => set(word_set().negated()),
            b's' => set(space_set()),
            b'S' => set(space_set().negated()),
            b'h' => set(hspace_set()),
            b'H' => set(hspace_set().negated()),
            b'v' => set(vspace_set()),
            b'V' => set(vspace_set().negated()),
            b'a' => byte(0x07),
            b'e' => byte(0x1b),
            b'f' => byte(0x0c),
            b'n' => byte(b'\n'),
            b'r' => byte(b'\r'),
            b't' => byte(b'\t'),
            b'b' if in_class => byte(0x08),
            b'8' | b'9' if in_class => byte(c),
            b'0' => {
                let v = self.read_octal(2);
                byte(v as u8)
            }
            b'1'..=b'7' if in_class => {
                self.pos -= 1;
                let v = self.read_octal(3);
                if v > 0xff {
                    return Err(self.err(SyntaxError::CodePointTooLarge));
                }
                byte(v as u8)
            }
            b'o' => {
                if self.peek() != Some(b'{') {
                    return Err(self.err(SyntaxError::BadEscape));
                }
                self.pos += 1;
                let mut v: u32 = 0;
                let start = self.pos;
                while let Some(d @ b'0'..=b'7') = self.peek() {
                    v = v.saturating_mul(8).saturating_add(u32::from(d - b'0'));
                    self.pos += 1;
                }
                if self.peek() != Some(b'}') || self.pos == start {
                    return Err(self.err(SyntaxError::BadEscape));
                }
                self.pos += 1;
                u8::try_from(v)
                    .map(Item::Byte)
                    .map_err(|_| self.err(SyntaxError::CodePointTooLarge))
            }
            b'x' => {
                if self.peek() == Some(b'{') {
                    let save = self.pos;
                    self.pos += 1;
                    let start = self.pos;
                    let mut v: u32 = 0;
                    while let Some(h) = self.peek().and_then(hex_value) {
                        v = v.saturating_mul(16).saturating_add(h);
                        self.pos += 1;
                    }
                    if self.peek() == Some(b'}') && self.pos > start {
                        self.pos += 1;
                        return u8::try_from(v)
                            .map(Item::Byte)
                            .map_err(|_| self.err(SyntaxError::CodePointTooLarge));
                    }
                    // Not a valid `\x{...}`: PCRE2 rejects it.
                    self.pos = save;
                    return Err(self.err(SyntaxError::BadEscape));
                }
                let mut v: u32 = 0;
                for _ in 0..2 {
                    match self.peek().and_then(hex_value) {
                        Some(h) => {
                            v = v * 16 + h;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                byte(v as u8)
            }
            b'c' => {
                let Some(x) = self.peek().filter(|x| (0x20..0x7f).contains(x)) else {
                    return Err(self.err(SyntaxError::BadEscape));
                };
                self.pos += 1;
                byte(x.to_ascii_uppercase() ^ 0x40)
            }
            c if c.is_ascii_alphanumeric() => {
                self.pos -= 1;
                Err(self.err(SyntaxError::BadEscape))
            }
            // Any other escaped byte (punctuation, space, a UTF-8 byte) is itself.
            c => byte(c),
        }
    }

    /// Parses a class body; `self.pos` is just after `[`.
    fn parse_class(&mut self) -> Result<ByteSet, RegexError> {
        let open = self.pos - 1;
        let negated = self.peek() == Some(b'^');
        if negated {
            self.pos += 1;
        }
        self.class_queue.clear();
        let mut set = ByteSet::empty();
        // A `]` before any member is a literal (empty `\Q\E` and `\E` do not count).
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(RegexError::Syntax {
                    offset: open,
                    error: SyntaxError::UnclosedClass,
                });
            };
            if c == b']' && !first && self.class_queue.is_empty() {
                self.pos += 1;
                break;
            }
            let Some(item) = self.parse_class_item()? else {
                continue;
            };
            first = false;
            // A range needs an unquoted `-` followed by something other than `]`.
            let range_follows = self.class_queue.is_empty()
                && self.peek() == Some(b'-')
                && self.peek_at(1).is_some_and(|n| n != b']');
            match item {
                Item::Set(s) => {
                    if range_follows {
                        return Err(self.err(SyntaxError::InvalidRange));
                    }
                    set.union(&s);
                }
                Item::Byte(lo) if range_follows => {
                    self.pos += 1;
                    match self.parse_class_item()? {
                        Some(Item::Byte(hi)) => {
                            if hi < lo {
                                return Err(self.err(SyntaxError::RangeOutOfOrder));
                            }
                            set.insert_range(lo, hi);
                        }
                        Some(Item::Set(_)) => return Err(self.err(SyntaxError::InvalidRange)),
                        // `[a-\E]`: PCRE2 reads the `-` literally.
                        None => {
                            set.insert(lo);
                            set.insert(b'-');
                        }
                    }
                }
                Item::Byte(b) => set.insert(b),
            }
        }
        if self.flags.caseless {
            set = set.case_folded();
        }
        Ok(if negated { set.negated() } else { set })
    }

    /// If `[:name:]`, `[.x.]` or `[=x=]` starts at `at`, its length. Like PCRE, the
    /// terminator must come before any `]` or `\\`.
    fn posix_class_len(&self, at: usize) -> Option<usize> {
        let rest = self.p.get(at..)?;
        let kind = *rest.get(1)?;
        if rest[0] != b'[' || !matches!(kind, b':' | b'.' | b'=') {
            return None;
        }
        let mut i = 2;
        while let Some(&b) = rest.get(i) {
            if b == kind && rest.get(i + 1) == Some(&b']') {
                return Some(i + 2);
            }
            if b == b']' || b == b'\\' || b == b'[' {
                return None;
            }
            i += 1;
        }
        None
    }

    /// One member of a class: a byte, a set (`\d`, `[:alpha:]`) or nothing (`\E`, an
    /// empty `\Q\E`).
    fn parse_class_item(&mut self) -> Result<Option<Item>, RegexError> {
        if let Some(b) = self.class_queue.pop_front() {
            return Ok(Some(Item::Byte(b)));
        }
        let Some(c) = self.peek() else {
            return Err(self.err(SyntaxError::UnclosedClass));
        };
        if c == b'[' {
            if let Some(len) = self.posix_class_len(self.pos) {
                let body = &self.p[self.pos + 2..self.pos + len - 2];
                if self.p[self.pos + 1] != b':' {
                    return Err(self.err(SyntaxError::CollatingElement));
                }
                let (neg, name) = match body.strip_prefix(b"^") {
                    Some(n) => (true, n),
                    None => (false, body),
                };
                let Some(s) = posix_class(name) else {
                    return Err(self.err(SyntaxError::UnknownPosixClass));
                };
                self.pos += len;
                return Ok(Some(Item::Set(if neg { s.negated() } else { s })));
            }
            self.pos += 1;
            return Ok(Some(Item::Byte(b'[')));
        }
        if c != b'\\' {
            self.pos += 1;
            return Ok(Some(Item::Byte(c)));
        }
        self.pos += 1;
        match self.peek() {
            Some(b'Q') => {
                // `\Q...\E` inside a class: each quoted byte is a member in turn and
                // may start or end a range, as in PCRE2.
                self.pos += 1;
                while self.pos < self.p.len() && !self.starts_with(b"\\E") {
                    self.class_queue.push_back(self.p[self.pos]);
                    self.pos += 1;
                }
                if self.starts_with(b"\\E") {
                    self.pos += 2;
                }
                Ok(self.class_queue.pop_front().map(Item::Byte))
            }
            Some(b'E') => {
                self.pos += 1;
                Ok(None)
            }
            Some(b'B' | b'R' | b'X' | b'N' | b'A' | b'z' | b'Z' | b'G' | b'K') => {
                Err(self.err(SyntaxError::BadEscapeInClass))
            }
            Some(b'p' | b'P') => Err(self.unsupported("Unicode property \\p")),
            _ => self.parse_char_escape(true).map(Some),
        }
    }
}
