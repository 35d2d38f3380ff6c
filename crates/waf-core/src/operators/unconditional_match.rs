//! `@unconditionalMatch`: always matches (what `SecAction` does implicitly).
//!
//! ```text
//! SecRule REQUEST_URI "@unconditionalMatch" "id:1,phase:1,pass,setvar:tx.seen=1"
//! ```

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};

#[derive(Debug)]
pub(crate) struct UnconditionalMatch;

pub fn compile(_: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    Ok(Box::new(UnconditionalMatch))
}

impl Operator for UnconditionalMatch {
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError> {
        capture_whole(capture, input);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn always() {
        assert!(matches(build(super::compile, "").as_ref(), ""));
    }
}
