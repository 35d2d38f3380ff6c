//! `@validateByteRange RANGES`: true when the value holds a byte outside the allowed
//! ranges, written as `1-255` or `9,10,13,32-126`.
//!
//! ```text
//! SecRule ARGS "@validateByteRange 32-126" "id:1,phase:2,deny"
//! ```

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};
use crate::byteset::ByteSet;
use crate::regex::Screen;

#[derive(Debug)]
struct ValidateByteRange([bool; 256], Screen);

pub fn compile(arg: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    let mut allowed = [false; 256];
    let byte = |s: &str| -> Result<u8, String> {
        s.trim()
            .parse::<u8>()
            .map_err(|_| format!("@validateByteRange: `{s}` is not a byte value 0-255"))
    };
    for item in arg.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (lo, hi) = match item.split_once('-') {
            Some((lo, hi)) => (byte(lo)?, byte(hi)?),
            None => (byte(item)?, byte(item)?),
        };
        if lo > hi {
            return Err(format!(
                "@validateByteRange: range `{item}` ends before it starts"
            ));
        }
        for b in lo..=hi {
            allowed[usize::from(b)] = true;
        }
    }
    // A value that matches holds a byte outside the ranges.
    let mut outside = ByteSet::empty();
    for b in 0..=255u8 {
        if !allowed[usize::from(b)] {
            outside.insert(b);
        }
    }
    let screen = Screen::needing(1, vec![outside]);
    Ok(Box::new(ValidateByteRange(allowed, screen)))
}

impl Operator for ValidateByteRange {
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError> {
        match input.iter().find(|&&b| !self.0[usize::from(b)]) {
            Some(&b) => {
                capture_whole(capture, &[b]);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn screen(&self) -> Option<&Screen> {
        Some(&self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn outside_bytes_match() {
        let op = build(super::compile, "9,10,13,32-126");
        assert!(!matches(op.as_ref(), "hello world\t\r\n"));
        assert!(matches(op.as_ref(), "a\u{0}b"));
        assert!(op.evaluate(&[0xff], None).unwrap());
        let all = build(super::compile, "1-255");
        assert!(!all.evaluate(&[1, 200, 255], None).unwrap());
        assert!(all.evaluate(&[0], None).unwrap());
        assert!(try_build(super::compile, "5-1").is_err());
        assert!(try_build(super::compile, "300").is_err());
    }
}
