//! `@verifyCC REGEX`: true when the value holds a match of the regular expression whose
//! digits pass the Luhn checksum, i.e. a plausible payment card number.
//!
//! ```text
//! SecRule RESPONSE_BODY "@verifyCC \d{13,16}" "id:1,phase:4,deny"
//! ```

use super::{CaptureSink, CompileContext, Operator, OperatorError, capture_whole};
use crate::regex::Pattern;

#[derive(Debug)]
struct VerifyCc(Pattern);

pub fn compile(arg: &str, ctx: &mut CompileContext<'_>) -> Result<Box<dyn Operator>, String> {
    let pattern =
        Pattern::with_config(arg, ctx.regex).map_err(|e| format!("bad regular expression: {e}"))?;
    Ok(Box::new(VerifyCc(pattern)))
}

/// The Luhn checksum over the digits of `text` (other bytes are ignored).
fn luhn(text: &[u8]) -> bool {
    let digits: Vec<u32> = text
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|b| u32::from(b - b'0'))
        .collect();
    if digits.len() < 12 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl Operator for VerifyCc {
    fn evaluate(
        &self,
        input: &[u8],
        capture: Option<&mut CaptureSink>,
    ) -> Result<bool, OperatorError> {
        let mut offset = 0;
        while offset <= input.len() {
            let found = self
                .0
                .find(&input[offset..])
                .map_err(|e| OperatorError::RegexLimit { limit: e.limit })?;
            let Some(range) = found else { break };
            let (start, end) = (offset + range.start, offset + range.end);
            if luhn(&input[start..end]) {
                capture_whole(capture, &input[start..end]);
                return Ok(true);
            }
            offset = if end > start { end } else { end + 1 };
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn luhn_valid_numbers_only() {
        assert!(luhn(b"4111111111111111"));
        assert!(!luhn(b"4111111111111112"));
        let op = build(super::compile, "\\d{13,16}");
        assert!(matches(op.as_ref(), "card 4111111111111111 here"));
        assert!(!matches(op.as_ref(), "card 4111111111111112 here"));
        assert!(!matches(op.as_ref(), "none"));
    }
}
