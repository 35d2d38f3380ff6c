//! `@beginsWith STRING`: true when the value starts with the argument (case-sensitive).
//!
//! ```text
//! SecRule REQUEST_URI "@beginsWith /admin" "id:1,phase:1,deny"
//! ```

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};
use crate::regex::Screen;

#[derive(Debug)]
struct Op(Vec<u8>, Screen);

pub fn compile(arg: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    // A value that starts with the argument holds each of its bytes.
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
        let found = input.starts_with(needle);
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
    fn prefix() {
        let op = build(super::compile, "/admin");
        assert!(matches(op.as_ref(), "/admin/x"));
        assert!(!matches(op.as_ref(), "/Admin"));
        assert!(!matches(op.as_ref(), "/adm"));
    }
}
