//! `@pm PHRASES`: case-insensitive match of any of several space-separated phrases.
//!
//! ```text
//! SecRule REQUEST_HEADERS:User-Agent "@pm nikto sqlmap" "id:1,phase:1,deny"
//! ```
//! Compiled into one Aho-Corasick automaton; with `capture`, `TX:0` is the phrase found.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};

#[derive(Debug)]
pub(super) struct PhraseMatch(AhoCorasick);

impl PhraseMatch {
    pub(super) fn new<I, P>(phrases: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(phrases)
            .map_err(|e| format!("cannot build phrase matcher: {e}"))?;
        Ok(PhraseMatch(automaton))
    }
}

pub fn compile(arg: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    let phrases: Vec<&str> = arg.split_ascii_whitespace().collect();
    if phrases.is_empty() {
        return Err("@pm needs at least one phrase".into());
    }
    Ok(Box::new(PhraseMatch::new(phrases)?))
}

impl Operator for PhraseMatch {
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError> {
        match self.0.find(input) {
            Some(m) => {
                capture_whole(capture, &input[m.range()]);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

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
