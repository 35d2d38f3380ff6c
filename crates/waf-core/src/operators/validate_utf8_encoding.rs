//! `@validateUtf8Encoding`: true when the value is not valid UTF-8 (truncated or invalid
//! sequences, overlong forms, surrogates, code points above U+10FFFF).
//!
//! ```text
//! SecRule ARGS "@validateUtf8Encoding" "id:1,phase:2,deny"
//! ```

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};
use crate::byteset::ByteSet;
use crate::regex::Screen;

#[derive(Debug)]
struct ValidateUtf8Encoding(Screen);

pub fn compile(_: &str, _: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    // ASCII is valid UTF-8: an invalid value holds a byte of 0x80 or above.
    let screen = Screen::needing(1, vec![ByteSet::range(0x80, 0xff)]);
    Ok(Box::new(ValidateUtf8Encoding(screen)))
}

impl Operator for ValidateUtf8Encoding {
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError> {
        match std::str::from_utf8(input) {
            Ok(_) => Ok(false),
            Err(e) => {
                let start = e.valid_up_to();
                let end = e.error_len().map_or(input.len(), |l| start + l);
                capture_whole(capture, &input[start..end]);
                Ok(true)
            }
        }
    }

    fn screen(&self) -> Option<&Screen> {
        Some(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn invalid_sequences() {
        let op = build(super::compile, "");
        assert!(!matches(op.as_ref(), "héllo €"));
        assert!(op.evaluate(&[0xc0, 0xaf], None).unwrap(), "overlong");
        assert!(op.evaluate(&[0xed, 0xa0, 0x80], None).unwrap(), "surrogate");
        assert!(op.evaluate(&[0xe2, 0x82], None).unwrap(), "truncated");
        assert!(
            op.evaluate(&[0xf5, 0x80, 0x80, 0x80], None).unwrap(),
            "above U+10FFFF"
        );
    }
}
