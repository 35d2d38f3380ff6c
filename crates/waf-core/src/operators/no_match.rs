//! `@noMatch`: never matches; for rules that exist only for their side effects.
//!
//! ```text
//! SecRule REQUEST_URI "@noMatch" "id:1,phase:1,pass,nolog"
//! ```

use super::{CaptureSink, CompileContext, Operator, OperatorError};

#[derive(Debug)]
struct NoMatch;

pub fn compile(_: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    Ok(Box::new(NoMatch))
}

impl Operator for NoMatch {
    fn evaluate(&self, _: &[u8], _: Option<&mut CaptureSink>) -> Result<bool, OperatorError> {
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn never() {
        assert!(!matches(build(super::compile, "").as_ref(), "x"));
    }
}
