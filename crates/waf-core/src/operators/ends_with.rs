//! `@endsWith STRING`: true when the value ends with the argument (case-sensitive).
//!
//! ```text
//! SecRule REQUEST_FILENAME "@endsWith .bak" "id:1,phase:1,deny"
//! ```

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};
use crate::regex::Screen;

#[derive(Debug)]
struct Op(Vec<u8>, Screen);

pub fn compile(arg: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    // A value that ends with the argument holds each of its bytes.
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
        let found = input.ends_with(needle);
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
    fn suffix() {
        let op = build(super::compile, ".bak");
        assert!(matches(op.as_ref(), "/x.bak"));
        assert!(!matches(op.as_ref(), "/x.bak/"));
        assert!(!matches(op.as_ref(), "bak"));
    }
}
