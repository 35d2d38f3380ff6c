//! `@containsWord WORD`: true when the argument occurs in the value as a whole word, i.e.
//! not preceded or followed by a letter, digit or underscore.
//!
//! ```text
//! SecRule ARGS "@containsWord select" "id:1,phase:2,deny"
//! ```

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};

#[derive(Debug)]
struct ContainsWord(Vec<u8>);

pub fn compile(arg: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    Ok(Box::new(ContainsWord(arg.as_bytes().to_vec())))
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Operator for ContainsWord {
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError> {
        let word = self.0.as_slice();
        if word.is_empty() {
            return Ok(true);
        }
        for start in memchr::memmem::find_iter(input, word) {
            let end = start + word.len();
            let before_ok = start == 0 || !is_word(input[start - 1]);
            let after_ok = end == input.len() || !is_word(input[end]);
            if before_ok && after_ok {
                capture_whole(capture, word);
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn whole_words_only() {
        let op = build(super::compile, "select");
        assert!(matches(op.as_ref(), "select"));
        assert!(matches(op.as_ref(), "1 select 2"));
        assert!(matches(op.as_ref(), "(select)"));
        assert!(!matches(op.as_ref(), "selected"));
        assert!(!matches(op.as_ref(), "_select"));
        assert!(matches(op.as_ref(), "selects select"));
    }
}
