//! `@detectSQLi`: SQL injection detection with libinjection's verdicts (see the
//! `waf-libinjection` crate).
//!
//! ```text
//! SecRule ARGS "@detectSQLi" "id:942100,phase:2,block,capture,logdata:'Matched Data: %{TX.0}'"
//! ```
//! With `capture`, `TX:0` receives the fingerprint (such as `s&sos`), as in ModSecurity.

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};

#[derive(Debug)]
struct DetectSqli;

pub fn compile(_: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    Ok(Box::new(DetectSqli))
}

impl Operator for DetectSqli {
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError> {
        match waf_libinjection::detect_sqli(input) {
            Some(fingerprint) => {
                capture_whole(capture, fingerprint.to_string().as_bytes());
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn fingerprint_is_captured() {
        let op = build(super::compile, "");
        let mut sink = Vec::new();
        assert!(op.evaluate(b"1' OR '1'='1", Some(&mut sink)).unwrap());
        assert_eq!(sink, vec![b"s&sos".to_vec()]);
        assert!(!matches(op.as_ref(), "hello world"));
    }
}
