//! The operator word of `SecRule`: `"@rx ^a"`, `"!@eq 0"`, or a bare pattern (implicit `@rx`).

use nom::{
    IResult, Parser, bytes::complete::take_while1, character::complete::char, combinator::opt,
};

use crate::ast::Operator;
use crate::macros::parse_macros;
use crate::span::Span;
use crate::variables::SyntaxError;

/// Every operator name of ModSecurity v3's language, in its canonical spelling. Whether the
/// engine implements one is the engine's business; an unknown name is a syntax error.
pub const OPERATOR_NAMES: &[&str] = &[
    "beginsWith",
    "contains",
    "containsWord",
    "detectSQLi",
    "detectXSS",
    "endsWith",
    "eq",
    "fuzzyHash",
    "ge",
    "geoLookup",
    "gsbLookup",
    "gt",
    "inspectFile",
    "ipMatch",
    "ipMatchF",
    "ipMatchFromFile",
    "le",
    "lt",
    "noMatch",
    "pm",
    "pmf",
    "pmFromFile",
    "rbl",
    "rsub",
    "rx",
    "rxGlobal",
    "streq",
    "strmatch",
    "unconditionalMatch",
    "validateByteRange",
    "validateDTD",
    "validateHash",
    "validateSchema",
    "validateUrlEncoding",
    "validateUtf8Encoding",
    "verifyCC",
    "verifyCPF",
    "verifySSN",
    "verifySVNR",
    "within",
];

fn head(input: &str) -> IResult<&str, (Option<char>, Option<char>)> {
    (opt(char('!')), opt(char('@'))).parse(input)
}

pub fn parse_operator(
    text: &str,
    span_at: &dyn Fn(usize) -> Span,
) -> Result<Operator, SyntaxError> {
    let trimmed = text.trim_start();
    let lead = text.len() - trimmed.len();
    let (rest, (bang, at)) = head(trimmed).map_err(|_| SyntaxError::new(lead, "bad operator"))?;
    let negated = bang.is_some();
    if at.is_none() {
        return Ok(Operator {
            negated,
            name: "rx".into(),
            explicit: false,
            argument: parse_macros(rest),
            span: span_at(lead),
        });
    }
    let name_offset = text.len() - rest.len();
    let parsed: IResult<&str, &str> = take_while1(|c: char| c.is_ascii_alphanumeric()).parse(rest);
    let Ok((argument, name)) = parsed else {
        return Err(SyntaxError::new(
            name_offset,
            "expected an operator name after `@`",
        ));
    };
    let Some(canonical) = OPERATOR_NAMES.iter().find(|n| n.eq_ignore_ascii_case(name)) else {
        return Err(SyntaxError::new(
            name_offset,
            format!("unknown operator `@{name}`"),
        ));
    };
    if !argument.is_empty() && !argument.starts_with(|c: char| c.is_ascii_whitespace()) {
        return Err(SyntaxError::new(
            text.len() - argument.len(),
            "expected whitespace between the operator name and its argument",
        ));
    }
    Ok(Operator {
        negated,
        name: (*canonical).to_string(),
        explicit: true,
        argument: parse_macros(argument.trim_start()),
        span: span_at(lead),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Operator, SyntaxError> {
        parse_operator(text, &|_| Span::default())
    }

    #[test]
    fn explicit_negated_and_implicit() {
        let op = parse("@rx ^a b").unwrap();
        assert_eq!(
            (op.name.as_str(), op.argument.raw.as_str(), op.negated),
            ("rx", "^a b", false)
        );
        let op = parse("!@eq 0").unwrap();
        assert!(op.negated);
        assert_eq!(op.name, "eq");
        let op = parse("!^$").unwrap();
        assert!(op.negated && !op.explicit);
        assert_eq!(op.argument.raw, "^$");
        let op = parse("@detectSQLi").unwrap();
        assert_eq!(op.argument.raw, "");
    }

    #[test]
    fn names_match_case_insensitively_and_print_canonically() {
        assert_eq!(parse("@PMFROMFILE x.data").unwrap().name, "pmFromFile");
    }

    #[test]
    fn macros_in_arguments_are_split() {
        let op = parse("@lt %{tx.paranoia_level}").unwrap();
        assert!(!op.argument.is_literal());
    }

    #[test]
    fn errors() {
        assert!(
            parse("@nosuch x")
                .unwrap_err()
                .message
                .contains("unknown operator")
        );
        assert_eq!(parse("@").unwrap_err().offset, 1);
        assert!(parse("@rx,").is_err());
    }
}
