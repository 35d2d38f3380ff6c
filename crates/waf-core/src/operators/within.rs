//! `@within LIST`: true when the value occurs inside the argument (the reverse of
//! `@contains`). CRS uses it with space-separated lists such as `tx.allowed_methods`.
//!
//! ```text
//! SecRule REQUEST_METHOD "!@within %{tx.allowed_methods}" "id:1,phase:1,deny"
//! ```
//! Like ModSecurity, this is a substring test: `GE` is "within" `GET POST`.

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};

#[derive(Debug)]
struct Within(Vec<u8>);

pub fn compile(arg: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    Ok(Box::new(Within(arg.as_bytes().to_vec())))
}

impl Operator for Within {
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError> {
        let found = memchr::memmem::find(&self.0, input).is_some();
        if found {
            capture_whole(capture, input);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn value_inside_list() {
        let op = build(super::compile, "GET HEAD POST OPTIONS");
        assert!(matches(op.as_ref(), "POST"));
        assert!(!matches(op.as_ref(), "DELETE"));
        assert!(matches(op.as_ref(), "GE"));
    }
}
