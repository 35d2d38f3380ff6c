//! `@eq`, `@ge`, `@gt`, `@le`, `@lt N`: integer comparisons of the value with the argument.
//!
//! ```text
//! SecRule &ARGS "@gt 255" "id:1,phase:2,deny"
//! SecRule TX:BLOCKING_INBOUND_ANOMALY_SCORE "@ge %{tx.inbound_anomaly_score_threshold}" "id:2,phase:2,deny"
//! ```
//! Both sides are read the way C's `atoi` reads them, as ModSecurity does: leading
//! whitespace, an optional sign, then digits up to the first non-digit; no digits is 0.

use std::cmp::Ordering;

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};

/// Parses like `atoi`, saturating instead of overflowing.
pub fn parse_int(bytes: &[u8]) -> i64 {
    let mut i = 0;
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    let negative = match bytes.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut value: i64 = 0;
    while let Some(d) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
        value = value.saturating_mul(10).saturating_add(i64::from(d - b'0'));
        i += 1;
    }
    if negative { -value } else { value }
}

#[derive(Debug)]
struct Compare {
    operand: i64,
    accepts: fn(Ordering) -> bool,
}

impl Operator for Compare {
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError> {
        let found = (self.accepts)(parse_int(input).cmp(&self.operand));
        if found {
            capture_whole(capture, input);
        }
        Ok(found)
    }
}

fn make(arg: &str, accepts: fn(Ordering) -> bool) -> Result<Box<dyn Operator>, String> {
    Ok(Box::new(Compare {
        operand: parse_int(arg.as_bytes()),
        accepts,
    }))
}

pub fn compile_eq(arg: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    make(arg, Ordering::is_eq)
}
pub fn compile_ge(arg: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    make(arg, Ordering::is_ge)
}
pub fn compile_gt(arg: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    make(arg, Ordering::is_gt)
}
pub fn compile_le(arg: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    make(arg, Ordering::is_le)
}
pub fn compile_lt(arg: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    make(arg, Ordering::is_lt)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn atoi_semantics() {
        assert_eq!(parse_int(b"42"), 42);
        assert_eq!(parse_int(b"  -7x"), -7);
        assert_eq!(parse_int(b"abc"), 0);
        assert_eq!(parse_int(b""), 0);
        assert_eq!(parse_int(b"99999999999999999999999"), i64::MAX);
    }

    #[test]
    fn comparisons() {
        assert!(matches(build(compile_eq, "0").as_ref(), ""));
        assert!(matches(build(compile_ge, "5").as_ref(), "5"));
        assert!(!matches(build(compile_gt, "5").as_ref(), "5"));
        assert!(matches(build(compile_le, "5").as_ref(), "-1"));
        assert!(matches(build(compile_lt, "1").as_ref(), "0"));
        assert!(!matches(build(compile_lt, "1").as_ref(), "1"));
    }
}
