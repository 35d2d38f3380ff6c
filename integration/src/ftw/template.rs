//! The part of Go's `text/template` (with sprig functions) that test `data` uses.
//!
//! go-ftw runs every `data` value through `text/template` with sprig's function map before
//! sending it. In the CRS suites the only construct is `{{ "1" | repeat 64200 }}`
//! (CRS v4 `920400`), so this module evaluates exactly that family and refuses anything
//! else with a typed error instead of guessing:
//!
//! * text outside `{{ … }}` is copied verbatim;
//! * `{{- ` and ` -}}` trim the whitespace before/after the action, as in Go;
//! * `{{/* comment */}}` produces nothing;
//! * an action is a pipeline of commands separated by `|`; a command is a literal
//!   (`"s"`, `` `s` ``, `42`) or a call of `repeat COUNT STRING`, and the value of the
//!   previous command is passed as the last argument of the next one (Go's pipeline rule).
//!
//! Output is capped at [`MAX_OUTPUT`] bytes so that a hostile count cannot exhaust memory.

use super::TemplateError;

/// Largest body a template may produce (16 MiB).
pub const MAX_OUTPUT: usize = 16 << 20;

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Str(String),
    Int(i64),
}

/// Evaluates `text` as go-ftw evaluates `data`.
pub fn render(text: &str) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let mut before = &rest[..open];
        let after_open = &rest[open + 2..];
        let (trim_left, body_start) = if is_trim_marker_left(after_open) {
            (true, 2)
        } else {
            (false, 0)
        };
        if trim_left {
            before = before.trim_end_matches(is_go_space);
        }
        out.push_str(before);
        let inner = &after_open[body_start..];
        let close = find_close(inner).ok_or(TemplateError::Unclosed)?;
        let mut action = &inner[..close];
        let trim_right = action.ends_with(" -")
            || action.ends_with("\t-")
            || action.ends_with("\n-")
            || action.ends_with("\r-");
        if trim_right {
            action = &action[..action.len() - 1];
        }
        let value = eval_action(action.trim_matches(is_go_space))?;
        if out.len() + value.len() > MAX_OUTPUT {
            return Err(TemplateError::TooLarge);
        }
        out.push_str(&value);
        rest = &inner[close + 2..];
        if trim_right {
            rest = rest.trim_start_matches(is_go_space);
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn is_go_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_trim_marker_left(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next() == Some('-') && chars.next().is_some_and(is_go_space)
}

/// Finds the `}}` closing an action, skipping over quoted strings.
fn find_close(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
                i += 1;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn eval_action(action: &str) -> Result<String, TemplateError> {
    if action.starts_with("/*") {
        if action.ends_with("*/") && action.len() >= 4 {
            return Ok(String::new());
        }
        return Err(TemplateError::Syntax(format!(
            "unclosed comment in {{{{{action}}}}}"
        )));
    }
    let commands = split_pipeline(action)?;
    let mut piped: Option<Value> = None;
    for command in commands {
        let mut args = tokenize(&command)?;
        if let Some(v) = piped.take() {
            args.push(Token::Lit(v));
        }
        piped = Some(eval_command(args)?);
    }
    match piped {
        Some(Value::Str(s)) => Ok(s),
        Some(Value::Int(n)) => Ok(n.to_string()),
        None => Err(TemplateError::Syntax("empty action".to_owned())),
    }
}

fn split_pipeline(action: &str) -> Result<Vec<String>, TemplateError> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = action.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                current.push(c);
                let mut closed = false;
                while let Some(d) = chars.next() {
                    current.push(d);
                    if d == '\\' {
                        if let Some(e) = chars.next() {
                            current.push(e);
                        }
                    } else if d == '"' {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Err(TemplateError::Syntax(
                        "unterminated quoted string".to_owned(),
                    ));
                }
            }
            '`' => {
                current.push(c);
                let mut closed = false;
                for d in chars.by_ref() {
                    current.push(d);
                    if d == '`' {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Err(TemplateError::Syntax("unterminated raw string".to_owned()));
                }
            }
            '|' => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    if parts.iter().any(|p| p.trim().is_empty()) {
        return Err(TemplateError::Syntax(
            "missing command in pipeline".to_owned(),
        ));
    }
    Ok(parts)
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Lit(Value),
}

fn tokenize(command: &str) -> Result<Vec<Token>, TemplateError> {
    let mut tokens = Vec::new();
    let mut chars = command.chars().peekable();
    while let Some(&c) = chars.peek() {
        if is_go_space(c) {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::new();
            loop {
                let Some(d) = chars.next() else {
                    return Err(TemplateError::Syntax(
                        "unterminated quoted string".to_owned(),
                    ));
                };
                match d {
                    '"' => break,
                    '\\' => s.push(unescape(&mut chars)?),
                    _ => s.push(d),
                }
            }
            tokens.push(Token::Lit(Value::Str(s)));
        } else if c == '`' {
            chars.next();
            let s: String = chars.by_ref().take_while(|&d| d != '`').collect();
            tokens.push(Token::Lit(Value::Str(s)));
        } else if c.is_ascii_digit() || c == '-' || c == '+' {
            let mut s = String::new();
            while let Some(&d) = chars.peek() {
                if is_go_space(d) {
                    break;
                }
                s.push(d);
                chars.next();
            }
            let n: i64 = s
                .parse()
                .map_err(|_| TemplateError::Syntax(format!("bad number {s:?}")))?;
            tokens.push(Token::Lit(Value::Int(n)));
        } else if c.is_alphabetic() || c == '_' {
            let mut s = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_alphanumeric() || d == '_' {
                    s.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            tokens.push(Token::Ident(s));
        } else {
            return Err(TemplateError::Unsupported(command.trim().to_owned()));
        }
    }
    Ok(tokens)
}

fn unescape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<char, TemplateError> {
    let bad = || TemplateError::Syntax("bad escape in quoted string".to_owned());
    match chars.next().ok_or_else(bad)? {
        'n' => Ok('\n'),
        't' => Ok('\t'),
        'r' => Ok('\r'),
        '\\' => Ok('\\'),
        '"' => Ok('"'),
        '\'' => Ok('\''),
        '0' => Ok('\0'),
        'x' => {
            let hex: String = chars.by_ref().take(2).collect();
            let n = u8::from_str_radix(&hex, 16).map_err(|_| bad())?;
            if n.is_ascii() {
                Ok(char::from(n))
            } else {
                Err(bad())
            }
        }
        'u' => {
            let hex: String = chars.by_ref().take(4).collect();
            let n = u32::from_str_radix(&hex, 16).map_err(|_| bad())?;
            char::from_u32(n).ok_or_else(bad)
        }
        _ => Err(bad()),
    }
}

fn eval_command(tokens: Vec<Token>) -> Result<Value, TemplateError> {
    let mut it = tokens.into_iter();
    match it.next() {
        Some(Token::Lit(v)) => {
            if it.next().is_some() {
                return Err(TemplateError::Syntax(
                    "a literal takes no arguments".to_owned(),
                ));
            }
            Ok(v)
        }
        Some(Token::Ident(name)) => {
            let args: Vec<Token> = it.collect();
            call(&name, args)
        }
        None => Err(TemplateError::Syntax("empty command".to_owned())),
    }
}

fn call(name: &str, args: Vec<Token>) -> Result<Value, TemplateError> {
    match name {
        // sprig: repeat COUNT STRING
        "repeat" => {
            let [Token::Lit(Value::Int(count)), Token::Lit(Value::Str(s))] = args.as_slice() else {
                return Err(TemplateError::Syntax(
                    "repeat takes an integer count and a string".to_owned(),
                ));
            };
            let count = usize::try_from(*count)
                .map_err(|_| TemplateError::Syntax("repeat count is negative".to_owned()))?;
            if s.len().saturating_mul(count) > MAX_OUTPUT {
                return Err(TemplateError::TooLarge);
            }
            Ok(Value::Str(s.repeat(count)))
        }
        other => Err(TemplateError::Unsupported(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_without_actions_is_verbatim() {
        assert_eq!(render("a=b&c={d}").unwrap(), "a=b&c={d}");
    }

    #[test]
    fn repeat_through_pipeline() {
        assert_eq!(render("x={{ \"ab\" | repeat 3 }}!").unwrap(), "x=ababab!");
    }

    #[test]
    fn repeat_as_call() {
        assert_eq!(render("{{repeat 2 `q`}}").unwrap(), "qq");
    }

    #[test]
    fn trim_markers() {
        assert_eq!(render("a \n{{- \"b\" -}}\n c").unwrap(), "abc");
    }

    #[test]
    fn comment_is_dropped() {
        assert_eq!(render("a{{/* hi */}}b").unwrap(), "ab");
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(render("{{ \"a\" | repeat 2"), Err(TemplateError::Unclosed));
        assert!(matches!(
            render("{{ upper \"a\" }}"),
            Err(TemplateError::Unsupported(_))
        ));
        assert!(matches!(
            render("{{ \"a\" | repeat -1 }}"),
            Err(TemplateError::Syntax(_))
        ));
        assert_eq!(
            render("{{ \"ab\" | repeat 99999999999 }}"),
            Err(TemplateError::TooLarge)
        );
        assert!(render("{{ }}").is_err());
        assert!(render("{{ | }}").is_err());
        assert!(render("{{ \"\\x").is_err());
    }
}
