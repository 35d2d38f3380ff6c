//! `%{COLLECTION.key}` macros inside operator arguments and action values.
//!
//! Text that looks like a macro but is not one (`%{`, `%{}`, `%{a b}`) stays literal, as in
//! ModSecurity: a malformed macro is data, not an error.

use nom::{
    IResult, Parser,
    bytes::complete::{tag, take_while1},
    character::complete::char,
    combinator::opt,
    sequence::{delimited, preceded},
};

use crate::ast::{MacroPart, MacroString};

/// Splits `text` into literal parts and macro references.
pub fn parse_macros(text: &str) -> MacroString {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if rest.starts_with("%{")
            && let Ok((after, part)) = macro_reference(rest)
        {
            if !literal.is_empty() {
                parts.push(MacroPart::Literal(std::mem::take(&mut literal)));
            }
            parts.push(part);
            rest = after;
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            literal.push(c);
        }
        rest = chars.as_str();
    }
    if !literal.is_empty() {
        parts.push(MacroPart::Literal(literal));
    }
    MacroString {
        raw: text.to_string(),
        parts,
    }
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '/' | '$' | '@' | '[' | ']')
}

fn macro_reference(input: &str) -> IResult<&str, MacroPart> {
    let (rest, (collection, key)) = delimited(
        tag("%{"),
        (
            take_while1(name_char),
            opt(preceded(char('.'), take_while1(key_char))),
        ),
        char('}'),
    )
    .parse(input)?;
    Ok((
        rest,
        MacroPart::Variable {
            collection: collection.to_ascii_uppercase(),
            key: key.map(str::to_string),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(collection: &str, key: Option<&str>) -> MacroPart {
        MacroPart::Variable {
            collection: collection.into(),
            key: key.map(Into::into),
        }
    }

    #[test]
    fn splits_literals_and_references() {
        let m = parse_macros("score %{tx.anomaly_score} by %{MATCHED_VAR_NAME}!");
        assert_eq!(
            m.parts,
            vec![
                MacroPart::Literal("score ".into()),
                var("TX", Some("anomaly_score")),
                MacroPart::Literal(" by ".into()),
                var("MATCHED_VAR_NAME", None),
                MacroPart::Literal("!".into()),
            ]
        );
        assert!(!m.is_literal());
    }

    #[test]
    fn keys_keep_dots_and_dashes() {
        let m = parse_macros("%{tx.942100-OWASP_CRS/WEB.x}");
        assert_eq!(m.parts, vec![var("TX", Some("942100-OWASP_CRS/WEB.x"))]);
    }

    #[test]
    fn malformed_macros_stay_literal() {
        for text in ["%{", "%{}", "%{a b}", "100%", "%{tx.}", "é%{"] {
            let m = parse_macros(text);
            assert!(m.is_literal(), "{text}");
            assert_eq!(m.parts, vec![MacroPart::Literal(text.into())]);
        }
    }
}
