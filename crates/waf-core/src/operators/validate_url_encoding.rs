//! `@validateUrlEncoding`: true when the value holds a `%` not followed by two hex digits.
//!
//! ```text
//! SecRule REQUEST_URI "@validateUrlEncoding" "id:1,phase:1,deny"
//! ```

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};
use crate::regex::Screen;

#[derive(Debug)]
struct ValidateUrlEncoding(Screen);

pub fn compile(_: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    // Only a `%` can start a bad escape.
    Ok(Box::new(ValidateUrlEncoding(Screen::containing(b"%"))))
}

impl Operator for ValidateUrlEncoding {
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError> {
        for at in memchr::memchr_iter(b'%', input) {
            let valid = input
                .get(at + 1..at + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            if !valid {
                capture_whole(capture, &input[at..input.len().min(at + 3)]);
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn screen(&self) -> Option<&Screen> {
        Some(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn invalid_percent_sequences() {
        let op = build(super::compile, "");
        assert!(!matches(op.as_ref(), "a%20b%7E"));
        assert!(matches(op.as_ref(), "a%2"));
        assert!(matches(op.as_ref(), "%zz"));
        assert!(matches(op.as_ref(), "%"));
        assert!(!matches(op.as_ref(), "plain"));
    }
}
