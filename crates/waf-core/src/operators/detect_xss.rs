//! `@detectXSS`: cross-site scripting detection with libinjection's verdicts (see the
//! `waf-libinjection` crate).
//!
//! ```text
//! SecRule ARGS "@detectXSS" "id:941100,phase:2,block"
//! ```

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};
use crate::byteset::ByteSet;
use crate::regex::Screen;

#[derive(Debug)]
struct DetectXss(Screen);

pub fn compile(_: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    let needs = ByteSet::of(waf_libinjection::XSS_NEEDS_ONE_OF);
    Ok(Box::new(DetectXss(Screen::needing(1, vec![needs]))))
}

impl Operator for DetectXss {
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError> {
        let found = waf_libinjection::detect_xss(input);
        if found {
            capture_whole(capture, input);
        }
        Ok(found)
    }

    fn screen(&self) -> Option<&Screen> {
        Some(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn scripts_are_found() {
        let op = build(super::compile, "");
        assert!(matches(op.as_ref(), "<script>alert(1)</script>"));
        assert!(!matches(op.as_ref(), "a < b"));
    }
}
