//! A necessary condition for a pattern to match, cheap enough to test before every
//! match call.
//!
//! Most `@rx` evaluations on ordinary traffic fail, and for short subjects the fixed
//! cost of entering the regex engine is larger than the search itself. A [`Screen`]
//! answers "certainly no match" from two facts read off the syntax tree:
//!
//! * every match is at least [`Screen::min_len`] bytes long, and
//! * every match contains, for each of the screen's byte sets, at least one byte of
//!   that set (for example `(?i)select` needs one of `sS`, one of `eE`, ...).
//!
//! Both hold for the subject as a whole if they hold for the matched part, so a subject
//! that is too short or lacks one of the sets cannot match. The screen never rejects
//! a subject the pattern matches; it only saves work on the others.
//!
//! [`Screen::through`] carries a screen back through a rule's transformations, so that
//! it can be tested on raw values, before anything is transformed.

use super::ast::Node;
use crate::byteset::ByteSet;
use crate::transformations::Transformation;

/// Sets with more printable ASCII members than this say too little to be worth
/// testing. Other bytes (controls, bytes >= 0x80) are rare in ordinary values and do
/// not count against a set.
const MAX_COMMON_MEMBERS: u32 = 48;

/// At most this many sets are kept, the most selective first.
const MAX_NEEDS: usize = 6;

/// How many of the set's bytes are tab, CR, LF or printable ASCII: what ordinary
/// values are made of.
fn common_members(set: &ByteSet) -> u32 {
    let mut common = ByteSet::range(0x20, 0x7e);
    common.union(&ByteSet::of(b"\t\r\n"));
    set.intersection(&common).len()
}

/// Roughly how often a byte occurs in ordinary request values (higher: more often):
/// letters by English frequency, then digits, then the punctuation of URLs and forms,
/// then other printable bytes; control bytes and bytes >= 0x80 are rare.
fn frequency(b: u8) -> u32 {
    const LETTERS: &[u8] = b"etaoinshrdlcumwfgypbvkjxqz";
    if let Some(i) = LETTERS.iter().position(|&l| l == b.to_ascii_lowercase()) {
        return 40 - i as u32;
    }
    match b {
        b'0'..=b'9' => 12,
        b' ' | b'-' | b'_' | b'.' | b'/' | b'=' | b'&' | b',' | b';' | b':' | b'+' | b'%' => 6,
        b'\t' | b'\r' | b'\n' | 0x21..=0x7e => 2,
        _ => 0,
    }
}

/// How likely an ordinary value is to contain some byte of the set: the lower, the more
/// a screen that needs the set rejects.
fn weight(set: &ByteSet) -> u32 {
    set.iter().map(frequency).sum()
}

/// A necessary condition for a match of one pattern (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Screen {
    min_len: usize,
    needs: Vec<ByteSet>,
}

impl Screen {
    pub(crate) fn of(node: &Node) -> Screen {
        Screen {
            min_len: usize::try_from(min_len(node)).unwrap_or(usize::MAX),
            needs: select(required_sets(node)),
        }
    }

    /// A screen from known facts: matches are at least `min_len` bytes long and touch
    /// each of `needs` (for operators whose conditions are not read off a pattern).
    pub fn needing(min_len: usize, needs: Vec<ByteSet>) -> Screen {
        Screen {
            min_len,
            needs: select(needs),
        }
    }

    /// The screen of "the value contains `literal`": at least its length, and each of
    /// its bytes.
    pub fn containing(literal: &[u8]) -> Screen {
        Screen::needing(
            literal.len(),
            literal.iter().map(|&b| ByteSet::single(b)).collect(),
        )
    }

    /// The screen of a phrase list (`@pm`): a match contains one of the phrases, so it
    /// is at least as long as the shortest and holds, for some phrase, that phrase's
    /// rarest byte. `caseless` phrases match in either ASCII case.
    pub fn for_phrases<P: AsRef<[u8]>>(phrases: &[P], caseless: bool) -> Screen {
        let Some(shortest) = phrases.iter().map(|p| p.as_ref().len()).min() else {
            return Screen::default();
        };
        let mut union = ByteSet::empty();
        for phrase in phrases {
            let rarest = phrase
                .as_ref()
                .iter()
                .map(|&b| {
                    let set = ByteSet::single(b);
                    if caseless { set.case_folded() } else { set }
                })
                .min_by_key(weight);
            match rarest {
                Some(set) => union.union(&set),
                // An empty phrase matches everywhere.
                None => return Screen::default(),
            }
        }
        Screen {
            min_len: shortest,
            needs: select(vec![union]),
        }
    }

    /// The length of the shortest possible match.
    pub fn min_len(&self) -> usize {
        self.min_len
    }

    /// How many byte sets a subject must meet.
    pub fn needs(&self) -> usize {
        self.needs.len()
    }

    /// The byte sets a subject must meet.
    pub fn needed_sets(&self) -> &[ByteSet] {
        &self.needs
    }

    /// [`Screen::admits`] for a screen given as its parts.
    #[inline]
    pub fn parts_admit(min_len: usize, needs: &[ByteSet], len: usize, present: &ByteSet) -> bool {
        len >= min_len && needs.iter().all(|s| present.intersects(s))
    }

    /// Whether the screen admits every subject (nothing to test).
    pub fn is_trivial(&self) -> bool {
        self.min_len == 0 && self.needs.is_empty()
    }

    /// False when a subject of `len` bytes containing the bytes `present`
    /// ([`ByteSet::of`] the subject) certainly does not match; true when it might.
    #[inline]
    pub fn admits(&self, len: usize, present: &ByteSet) -> bool {
        Screen::parts_admit(self.min_len, &self.needs, len, present)
    }

    /// The screen for raw values that `chain` transforms before the pattern sees them:
    /// each needed set becomes the input bytes that could have produced one of its
    /// bytes; the length bound survives only if no transformation can lengthen.
    pub fn through(&self, chain: &[Transformation]) -> Screen {
        let mut needs = self.needs.clone();
        let mut min_len = self.min_len;
        for t in chain.iter().rev() {
            let provenance = t.provenance();
            if provenance.lengthens() {
                min_len = 0;
            }
            let mut mapped = Vec::with_capacity(needs.len());
            for need in &needs {
                match provenance.sources(need) {
                    Some(set) => mapped.push(set),
                    None => return Screen::default(),
                }
            }
            needs = select(mapped);
        }
        Screen { min_len, needs }
    }
}

/// The sets worth testing, most selective (fewest members) first.
fn select(mut needs: Vec<ByteSet>) -> Vec<ByteSet> {
    needs.retain(|s| common_members(s) <= MAX_COMMON_MEMBERS && !s.is_empty());
    needs.sort_by_key(|s| (weight(s), *s));
    needs.dedup();
    needs.truncate(MAX_NEEDS);
    needs
}

/// The length of the shortest string the node matches (back references count as
/// empty, which can only lower the bound).
fn min_len(node: &Node) -> u64 {
    match node {
        Node::Empty | Node::Anchor(_) | Node::Look { .. } | Node::Backref { .. } => 0,
        Node::Set(_) => 1,
        Node::Concat(v) => v.iter().map(min_len).fold(0, u64::saturating_add),
        Node::Alt(v) => v.iter().map(min_len).min().unwrap_or(0),
        Node::Capture(_, n) | Node::Group(n) | Node::Atomic(n) => min_len(n),
        Node::Repeat { node, min, .. } => min_len(node).saturating_mul(u64::from(*min)),
    }
}

/// Byte sets each of which every match meets at least once.
fn required_sets(node: &Node) -> Vec<ByteSet> {
    match node {
        Node::Empty | Node::Anchor(_) | Node::Look { .. } | Node::Backref { .. } => Vec::new(),
        Node::Set(s) => vec![*s],
        Node::Concat(v) => v.iter().flat_map(required_sets).collect(),
        Node::Capture(_, n) | Node::Group(n) | Node::Atomic(n) => required_sets(n),
        Node::Repeat { node, min, .. } if *min > 0 => required_sets(node),
        Node::Repeat { .. } => Vec::new(),
        Node::Alt(branches) => {
            // A match takes one branch, so only a union across branches is required:
            // one set from each branch, joined. Picking each branch's smallest set
            // keeps the union small.
            let mut union = ByteSet::empty();
            for branch in branches {
                let sets = required_sets(branch);
                match sets.iter().min_by_key(|s| weight(s)) {
                    Some(s) => union.union(s),
                    None => return Vec::new(),
                }
            }
            vec![union]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;
    use crate::transformations::lookup;

    fn screen(p: &str) -> Screen {
        Screen::of(&parse(p.as_bytes(), false).unwrap().node)
    }

    fn admits(s: &Screen, subject: &str) -> bool {
        s.admits(subject.len(), &ByteSet::of(subject.as_bytes()))
    }

    #[test]
    fn rejects_subjects_lacking_required_bytes_or_length() {
        assert!(!admits(&screen("(?i)select"), "blue"));
        assert!(admits(&screen("(?i)select"), "xSeLeCtx"));
        assert!(!admits(&screen("<script"), "<scrip"));
        assert!(!admits(&screen("a|b<"), "c"));
        assert!(admits(&screen("a|b<"), "a"));
        assert_eq!(screen("(?:ab){2,}c?").min_len(), 4);
    }

    #[test]
    fn optional_and_unconstrained_parts_add_nothing() {
        assert_eq!(screen("a*|b?").needs(), 0);
        assert_eq!(screen(".{3}").needs(), 0);
        assert!(screen("^$").is_trivial());
        assert!(admits(&screen("(a)\\1"), "a"));
    }

    #[test]
    fn phrase_lists_need_their_rarest_bytes() {
        let s = Screen::for_phrases(&["/etc/passwd", "bin/sh"], true);
        assert_eq!(s.min_len(), 6);
        assert!(admits(&s, "cat /ETC/PASSWD"));
        assert!(!admits(&s, "etc passwd binsh"));
        assert!(Screen::for_phrases(&[""], true).is_trivial());
        assert!(Screen::for_phrases::<&str>(&[], true).is_trivial());
    }

    #[test]
    fn carried_back_through_transformations() {
        let chain = |names: &[&str]| -> Vec<Transformation> {
            names.iter().map(|n| lookup(n).unwrap()).collect()
        };
        let raw = screen("<script").through(&chain(&["urlDecodeUni", "lowercase"]));
        assert!(admits(&raw, "%3CSCRIPT"));
        assert!(admits(&raw, "<SCRIPT"));
        assert!(!admits(&raw, "script"));
        // Decoding shrinks, so the length bound holds on the raw value too ...
        assert_eq!(raw.min_len(), 7);
        // ... but not through a transformation that can lengthen.
        assert_eq!(
            screen("<script")
                .through(&chain(&["utf8toUnicode"]))
                .min_len(),
            0
        );
        // An encoder's output says nothing about its input.
        assert!(
            screen("<script")
                .through(&chain(&["base64Decode"]))
                .is_trivial()
        );
    }
}
