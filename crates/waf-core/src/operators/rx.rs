//! `@rx PATTERN`: PCRE-compatible regular expression (also the implicit operator).
//!
//! ```text
//! SecRule ARGS "@rx (?i)<script" "id:1,phase:2,deny,capture,logdata:'%{TX.0}'"
//! ```
//! With `capture`, `TX:0` receives the whole match and `TX:1`..`TX:9` the groups.
//! `@rxGlobal` is accepted as `@rx` (CRS does not use it).

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};
use crate::regex::{Pattern, Screen};

#[derive(Debug)]
struct Rx(Pattern);

pub fn compile(arg: &str, ctx: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    let pattern =
        Pattern::with_config(arg, ctx.regex).map_err(|e| format!("bad regular expression: {e}"))?;
    Ok(Box::new(Rx(pattern)))
}

impl Operator for Rx {
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError> {
        let limit = |e: crate::regex::LimitExceeded| OperatorError::RegexLimit { limit: e.limit };
        // Most values do not match: answer that with the fast matcher and pay for
        // capture groups only on a match.
        let matched = self.0.is_match(input).map_err(limit)?;
        let Some(sink) = capture.filter(|_| matched) else {
            return Ok(matched);
        };
        if self.0.group_count() == 0 {
            // Only TX:0, the whole match: a plain search finds it more cheaply.
            let Some(span) = self.0.find(input).map_err(limit)? else {
                return Ok(false);
            };
            capture_whole(Some(sink), &input[span]);
            return Ok(true);
        }
        let Some(caps) = self.0.captures(input).map_err(limit)? else {
            return Ok(false);
        };
        sink.clear();
        // ModSecurity keeps at most ten captures (TX:0 to TX:9).
        for group in caps.iter().take(10) {
            sink.push(group.unwrap_or_default().to_vec());
        }
        Ok(true)
    }

    fn screen(&self) -> Option<&Screen> {
        Some(self.0.screen()).filter(|s| !s.is_trivial())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn matches_and_captures() {
        let op = compile_rx("a(b+)(c)?");
        assert!(matches(op.as_ref(), "xabbb"));
        assert!(!matches(op.as_ref(), "xyz"));
        let mut sink = Vec::new();
        assert!(op.evaluate(b"zabbz", Some(&mut sink)).unwrap());
        assert_eq!(sink, vec![b"abb".to_vec(), b"bb".to_vec(), Vec::new()]);
    }

    #[test]
    fn binary_input_and_bad_patterns() {
        let op = compile_rx("\\xff");
        assert!(op.evaluate(&[0, 0xff], None).unwrap());
        assert!(
            try_build(super::compile, "(")
                .unwrap_err()
                .contains("bad regular expression")
        );
    }

    fn compile_rx(p: &str) -> Box<dyn Operator> {
        build(super::compile, p)
    }
}
