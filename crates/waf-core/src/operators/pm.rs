//! `@pm PHRASES`: case-insensitive match of any of several space-separated phrases.
//!
//! ```text
//! SecRule REQUEST_HEADERS:User-Agent "@pm nikto sqlmap" "id:1,phase:1,deny"
//! ```
//! Compiled into one Aho-Corasick automaton; with `capture`, `TX:0` is the phrase found.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};
use crate::regex::Screen;

#[derive(Debug)]
pub(super) struct PhraseMatch {
    automaton: AhoCorasick,
    screen: Screen,
}

impl PhraseMatch {
    pub(super) fn new<P: AsRef<[u8]>>(phrases: &[P]) -> Result<Self, String> {
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(phrases)
            .map_err(|e| format!("cannot build phrase matcher: {e}"))?;
        let screen = Screen::for_phrases(phrases, true);
        Ok(PhraseMatch { automaton, screen })
    }
}

pub fn compile(arg: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    let phrases: Vec<&str> = arg.split_ascii_whitespace().collect();
    if phrases.is_empty() {
        return Err("@pm needs at least one phrase".into());
    }
    Ok(Box::new(PhraseMatch::new(&phrases)?))
}

impl Operator for PhraseMatch {
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError> {
        match self.automaton.find(input) {
            Some(m) => {
                capture_whole(capture, &input[m.range()]);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn screen(&self) -> Option<&Screen> {
        Some(&self.screen).filter(|s| !s.is_trivial())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::byteset::ByteSet;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        /// The screen only saves work: whatever the phrases, a value they match passes it.
        #[test]
        fn screen_admits_every_match(
            phrases in prop::collection::vec("[a-zA-Z0-9/._ <$-]{1,6}", 1..6),
            input in "[a-zA-Z0-9/._ <$-]{0,24}",
        ) {
            let op = PhraseMatch::new(&phrases).unwrap();
            if op.evaluate(input.as_bytes(), None).unwrap() {
                prop_assert!(op.screen.admits(input.len(), &ByteSet::of(input.as_bytes())));
            }
        }
    }

    #[test]
    fn any_phrase_case_insensitively() {
        let op = build(super::compile, "nikto SQLMap");
        assert!(matches(op.as_ref(), "Mozilla sqlmap/1.0"));
        assert!(matches(op.as_ref(), "NIKTO"));
        assert!(!matches(op.as_ref(), "curl"));
        let mut sink = Vec::new();
        op.evaluate(b"x sqlmap y", Some(&mut sink)).unwrap();
        assert_eq!(sink, vec![b"sqlmap".to_vec()]);
        assert!(try_build(super::compile, "  ").is_err());
    }
}
