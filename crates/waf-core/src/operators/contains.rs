//! `@contains STRING`: true when the argument occurs anywhere in the value (case-sensitive).
//!
//! ```text
//! SecRule ARGS "@contains <script" "id:1,phase:2,deny"
//! ```

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};
use crate::regex::Screen;

#[derive(Debug)]
struct Op(Vec<u8>, Screen);

pub fn compile(arg: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    // A value that holds the argument holds each of its bytes.
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
        let found = memchr::memmem::find(input, needle).is_some();
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
    fn substring() {
        let op = build(super::compile, "<script");
        assert!(matches(op.as_ref(), "a<script>"));
        assert!(!matches(op.as_ref(), "<SCRIPT>"));
        assert!(matches(build(super::compile, "").as_ref(), "anything"));
    }
}
