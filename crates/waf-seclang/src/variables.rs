//! Variable lists: `ARGS|!ARGS:foo|&TX:score|REQUEST_HEADERS:/^x-/|XML:/*`.

use nom::{
    IResult, Parser,
    bytes::complete::take_while1,
    character::complete::{char, space0},
    combinator::opt,
};

use crate::ast::{Selector, Variable};
use crate::span::Span;

/// A problem at a byte offset of the parsed text.
#[derive(Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

impl SyntaxError {
    pub fn new(offset: usize, message: impl Into<String>) -> Self {
        SyntaxError {
            offset,
            message: message.into(),
        }
    }
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn flags(input: &str) -> IResult<&str, (bool, bool)> {
    // ModSecurity accepts `!&` and `&!` alike; both mean "exclude the count" which the engine
    // rejects if it makes no sense. Here we only record what was written.
    let (input, first) = opt(nom::character::complete::one_of("!&")).parse(input)?;
    let (input, second) = opt(nom::character::complete::one_of("!&")).parse(input)?;
    let has = |c| first == Some(c) || second == Some(c);
    Ok((input, (has('&'), has('!'))))
}

/// Parses a whole variable list. `span_at` turns an offset into `text` into a span.
pub fn parse_variables(
    text: &str,
    span_at: &dyn Fn(usize) -> Span,
) -> Result<Vec<Variable>, SyntaxError> {
    let mut variables = Vec::new();
    let mut rest = text;
    loop {
        let (after_space, _) = space0::<_, nom::error::Error<&str>>(rest)
            .map_err(|_| SyntaxError::new(text.len() - rest.len(), "bad variable list"))?;
        let start = text.len() - after_space.len();
        let (after_flags, (count, exclude)) =
            flags(after_space).map_err(|_| SyntaxError::new(start, "bad variable list"))?;
        let parsed: IResult<&str, &str> = take_while1(name_char).parse(after_flags);
        let Ok((after_name, name)) = parsed else {
            return Err(SyntaxError::new(
                text.len() - after_flags.len(),
                "expected a variable name such as ARGS or REQUEST_HEADERS",
            ));
        };
        let name = name.to_ascii_uppercase();
        let (after_selector, selector) = match after_name.strip_prefix(':') {
            Some(sel) => {
                let sel_offset = text.len() - sel.len();
                let (rest, selector) = parse_selector(sel, &name)
                    .map_err(|message| SyntaxError::new(sel_offset, message))?;
                (rest, Some(selector))
            }
            None => (after_name, None),
        };
        variables.push(Variable {
            count,
            exclude,
            name,
            selector,
            span: span_at(start),
        });
        let parsed: IResult<&str, (&str, Option<char>)> =
            (space0, opt(char('|'))).parse(after_selector);
        match parsed {
            Ok((next, (_, Some(_)))) => rest = next,
            Ok(("", (_, None))) => return Ok(variables),
            Ok((next, (_, None))) => {
                return Err(SyntaxError::new(
                    text.len() - next.len(),
                    "expected `|` between variables",
                ));
            }
            Err(_) => {
                return Err(SyntaxError::new(
                    text.len() - after_selector.len(),
                    "expected `|` between variables",
                ));
            }
        }
    }
}

/// Parses what follows `NAME:`. Returns the rest of the input after the selector.
fn parse_selector<'a>(input: &'a str, name: &str) -> Result<(&'a str, Selector), String> {
    // XPath expressions (`XML:/*`) start with a slash but are not regular expressions.
    if name == "XML" {
        let end = input.find('|').unwrap_or(input.len());
        return Ok((
            &input[end..],
            Selector::Key(input[..end].trim_end().to_string()),
        ));
    }
    if let Some(body) = input.strip_prefix('/') {
        let end = closing_slash(body)
            .ok_or("unterminated regular-expression selector: expected a closing `/`")?;
        return Ok((&body[end + 1..], Selector::Regex(body[..end].to_string())));
    }
    if let Some(body) = input.strip_prefix('\'') {
        let end = body
            .find('\'')
            .ok_or("unterminated quoted selector: expected a closing `'`")?;
        let quoted = &body[..end];
        // `'/regex/'` is a regular expression too.
        let selector = match quoted.strip_prefix('/').and_then(|q| q.strip_suffix('/')) {
            Some(regex) if quoted.len() >= 2 => Selector::Regex(regex.to_string()),
            _ => Selector::Key(quoted.to_string()),
        };
        return Ok((&body[end + 1..], selector));
    }
    let end = input
        .find(|c: char| c == '|' || c.is_ascii_whitespace())
        .unwrap_or(input.len());
    if end == 0 {
        return Err("expected a selector after `:`".into());
    }
    Ok((&input[end..], Selector::Key(input[..end].to_string())))
}

/// The index of the first `/` not escaped by a backslash.
fn closing_slash(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'/' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Variable> {
        parse_variables(text, &|_| Span::default()).unwrap()
    }

    fn key(s: &str) -> Option<Selector> {
        Some(Selector::Key(s.into()))
    }

    #[test]
    fn list_with_exclusions_counts_and_selectors() {
        let vars = parse("REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/|&TX:score|args:Foo");
        assert_eq!(vars.len(), 4);
        assert_eq!(vars[0].name, "REQUEST_COOKIES");
        assert!(vars[1].exclude && !vars[1].count);
        assert_eq!(vars[1].selector, Some(Selector::Regex("__utm".into())));
        assert!(vars[2].count);
        assert_eq!(vars[2].selector, key("score"));
        assert_eq!(vars[3].name, "ARGS");
        assert_eq!(vars[3].selector, key("Foo"));
    }

    #[test]
    fn regex_selector_may_contain_bars_and_escaped_slashes() {
        let vars = parse(r"ARGS:/^(?:a|b)\/c$/|ARGS_NAMES");
        assert_eq!(
            vars[0].selector,
            Some(Selector::Regex(r"^(?:a|b)\/c$".into()))
        );
        assert_eq!(vars[1].name, "ARGS_NAMES");
    }

    #[test]
    fn quoted_selectors() {
        let vars = parse("ARGS:'a b'|TX:'/^x/'");
        assert_eq!(vars[0].selector, key("a b"));
        assert_eq!(vars[1].selector, Some(Selector::Regex("^x".into())));
    }

    #[test]
    fn xml_selector_is_xpath_not_regex() {
        let vars = parse("XML:/*|XML://@*");
        assert_eq!(vars[0].selector, key("/*"));
        assert_eq!(vars[1].selector, key("//@*"));
    }

    #[test]
    fn spaces_around_bars_are_allowed() {
        assert_eq!(parse("ARGS | ARGS_NAMES").len(), 2);
    }

    #[test]
    fn errors_point_at_the_problem() {
        let span = |_| Span::default();
        let err = parse_variables("ARGS|", &span).unwrap_err();
        assert_eq!(err.offset, 5);
        let err = parse_variables("ARGS:/abc", &span).unwrap_err();
        assert_eq!(err.offset, 5);
        assert!(err.message.contains("closing `/`"));
        let err = parse_variables("ARGS ARGS", &span).unwrap_err();
        assert_eq!(err.offset, 5);
        assert!(parse_variables("ARGS:", &span).is_err());
        assert!(parse_variables("ARGS:'x", &span).is_err());
        assert!(parse_variables("", &span).is_err());
    }
}
