//! `@streq STRING`: true when the value equals the argument exactly (case-sensitive).
//!
//! ```text
//! SecRule REQUEST_METHOD "@streq POST" "id:1,phase:1,pass"
//! ```

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};
use crate::regex::Screen;

#[derive(Debug)]
struct Op(Vec<u8>, Screen);

pub fn compile(arg: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    // A value equal to the argument holds each of its bytes.
    let screen = Screen::containing(arg.as_bytes());
    Ok(Box::new(Op(arg.as_bytes().to_vec(), screen)))
}

impl Operator for Op {
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError> {
        let needle = self.0.as_slice();
        let found = input == needle;
        if found {
            capture_whole(capture, needle);
        }
        Ok(found)
    }

    fn screen(&self) -> Option<&Screen> {
        Some(&self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn exact_and_case_sensitive() {
        let op = build(super::compile, "POST");
        assert!(matches(op.as_ref(), "POST"));
        assert!(!matches(op.as_ref(), "post"));
        assert!(!matches(op.as_ref(), "POSTX"));
        assert!(matches(build(super::compile, "").as_ref(), ""));
    }
}
