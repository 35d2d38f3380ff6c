//! JSON bodies, flattened into `ARGS_POST` the way ModSecurity v3 names them.
//!
//! # What ModSecurity v3 does
//!
//! libmodsecurity feeds the body to yajl (strict RFC 8259: no comments, no
//! trailing garbage, strings must be valid UTF-8, any value may be the top
//! level) and adds one argument per scalar. The name is built from the
//! containers the scalar sits in:
//!
//! - the top-level container is named `json`;
//! - an object member adds `.` and its key: `{"a":{"b":1}}` → `json.a.b`;
//! - an array element adds `.array_` and its index: `{"a":[1,2]}` →
//!   `json.a.array_0`, `json.a.array_1`; `[[1]]` → `json.array_0.array_0`;
//!   `[{"a":1}]` → `json.array_0.a`;
//! - an empty key is spelled `empty-key`: `{"":1}` → `json.empty-key`;
//! - a scalar at the top level is named `json`.
//!
//! Values are the decoded string, the number's text as written, `true`,
//! `false`, or the empty string for `null`. Empty objects and arrays add
//! nothing. `SecRequestBodyJsonDepthLimit` bounds nesting; reaching
//! `SecArgumentsLimit` stops the parse with an error. Any error sets
//! `REQBODY_ERROR`, and the arguments added before it stay.
//!
//! (Coraza names array elements `json.a.0`; we follow ModSecurity.)
//!
//! # What we do
//!
//! A small single-pass parser (no recursion, no intermediate tree) with the
//! same grammar and naming. The error messages are ours (yajl's wording is
//! not stable across versions). An unpaired `\u` surrogate decodes to
//! U+FFFD. Memory: the current name path (at most the input size) plus the
//! output.

use super::BodyLimits;

/// Arguments from a JSON body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonResult {
    /// `(name, value)` pairs in document order (`ARGS_POST`).
    pub args: Vec<(Vec<u8>, Vec<u8>)>,
    /// Parsing stopped at [`BodyLimits::max_args`].
    pub limit_hit: bool,
    /// The error for `REQBODY_ERROR_MSG` (without v3's `"JSON parsing error: "`
    /// prefix); `Some` means `REQBODY_ERROR`.
    pub error: Option<String>,
}

/// Parses a JSON body into flattened arguments.
///
/// ```
/// use waf_core::body::{parse_json, BodyLimits};
/// let r = parse_json(br#"{"a":{"b":[1,"x"]},"":null}"#, &BodyLimits::default());
/// let names: Vec<_> = r.args.iter().map(|(n, _)| String::from_utf8_lossy(n).into_owned()).collect();
/// assert_eq!(names, ["json.a.b.array_0", "json.a.b.array_1", "json.empty-key"]);
/// assert!(r.error.is_none());
/// ```
pub fn parse_json(body: &[u8], limits: &BodyLimits) -> JsonResult {
    let mut parser = Parser {
        input: body,
        pos: 0,
        limits,
        out: JsonResult::default(),
    };
    if let Err(message) = parser.document() {
        parser.out.error = Some(message);
    }
    parser.out
}

/// One open container: where its name ends in `path`, and for arrays the
/// index of the next element.
struct Frame {
    path_len: usize,
    array_index: Option<usize>,
}

struct Parser<'a, 'l> {
    input: &'a [u8],
    pos: usize,
    limits: &'l BodyLimits,
    out: JsonResult,
}

impl Parser<'_, '_> {
    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.pos)
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.input.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn document(&mut self) -> Result<(), String> {
        let mut path: Vec<u8> = b"json".to_vec();
        let mut stack: Vec<Frame> = Vec::new();
        // The name a value at the current position gets.
        loop {
            // Expecting a value; `path` holds its name.
            self.skip_ws();
            match self.peek() {
                Some(b'{') => {
                    self.pos += 1;
                    self.open(&mut stack, path.len(), None)?;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        stack.pop();
                    } else {
                        self.member_key(&mut path)?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.open(&mut stack, path.len(), Some(0))?;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        stack.pop();
                    } else {
                        path.extend_from_slice(b".array_0");
                        continue;
                    }
                }
                Some(_) => {
                    let value = self.scalar()?;
                    if self.out.args.len() >= self.limits.max_args {
                        self.out.limit_hit = true;
                        return Err(format!(
                            "JSON arguments limit ({}) exceeded",
                            self.limits.max_args
                        ));
                    }
                    self.out.args.push((path.clone(), value));
                }
                None => return Err(self.error("premature end of input, a value was expected")),
            }
            // A value ended: close containers until one continues.
            loop {
                let Some(frame) = stack.last_mut() else {
                    self.skip_ws();
                    if self.pos < self.input.len() {
                        return Err(self.error("trailing garbage after the JSON value"));
                    }
                    return Ok(());
                };
                path.truncate(frame.path_len);
                self.skip_ws();
                let close = if frame.array_index.is_some() {
                    b']'
                } else {
                    b'}'
                };
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        match frame.array_index.as_mut() {
                            Some(index) => {
                                *index += 1;
                                path.extend_from_slice(format!(".array_{index}").as_bytes());
                            }
                            None => self.member_key(&mut path)?,
                        }
                        break;
                    }
                    Some(c) if c == close => {
                        self.pos += 1;
                        stack.pop();
                    }
                    Some(_) => return Err(self.error("a ',' or a closing bracket was expected")),
                    None => return Err(self.error("premature end of input inside a container")),
                }
            }
        }
    }

    fn open(
        &mut self,
        stack: &mut Vec<Frame>,
        path_len: usize,
        array_index: Option<usize>,
    ) -> Result<(), String> {
        if stack.len() >= self.limits.max_depth {
            return Err(format!(
                "JSON depth limit ({}) exceeded",
                self.limits.max_depth
            ));
        }
        stack.push(Frame {
            path_len,
            array_index,
        });
        Ok(())
    }

    /// Reads `"key":` and appends `.key` to the path.
    fn member_key(&mut self, path: &mut Vec<u8>) -> Result<(), String> {
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return Err(self.error("an object key string was expected"));
        }
        let key = self.string()?;
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(self.error("a ':' was expected after an object key"));
        }
        self.pos += 1;
        path.push(b'.');
        if key.is_empty() {
            path.extend_from_slice(b"empty-key");
        } else {
            path.extend_from_slice(&key);
        }
        Ok(())
    }

    fn scalar(&mut self) -> Result<Vec<u8>, String> {
        let rest = &self.input[self.pos..];
        for (word, value) in [
            (&b"true"[..], &b"true"[..]),
            (b"false", b"false"),
            (b"null", b""),
        ] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(value.to_vec());
            }
        }
        match self.peek() {
            Some(b'"') => self.string(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("invalid JSON value")),
        }
    }

    fn number(&mut self) -> Result<Vec<u8>, String> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let from = p.pos;
            while let Some(b'0'..=b'9') = p.peek() {
                p.pos += 1;
            }
            p.pos - from
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else if digits(self) == 0 {
            return Err(self.error("malformed number, a digit was expected"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.error("malformed number, a digit was expected after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("malformed number, a digit was expected in the exponent"));
            }
        }
        Ok(self.input[start..self.pos].to_vec())
    }

    /// Reads a string starting at its opening quote and returns it decoded.
    fn string(&mut self) -> Result<Vec<u8>, String> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let run_start = self.pos;
            while let Some(&c) = self.input.get(self.pos) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            let run = &self.input[run_start..self.pos];
            if std::str::from_utf8(run).is_err() {
                return Err(self.error("invalid UTF-8 in a string"));
            }
            out.extend_from_slice(run);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => return Err(self.error("invalid character inside a string")),
                None => return Err(self.error("premature end of input inside a string")),
            }
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let c = self
            .peek()
            .ok_or_else(|| self.error("premature end of input in an escape"))?;
        self.pos += 1;
        let byte = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first)
                    && self.input[self.pos..].starts_with(b"\\u")
                {
                    let save = self.pos;
                    self.pos += 2;
                    let second = self.hex4()?;
                    if (0xDC00..0xE000).contains(&second) {
                        0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    } else {
                        self.pos = save;
                        0xFFFD
                    }
                } else {
                    first
                };
                let ch = char::from_u32(code).unwrap_or('\u{FFFD}');
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                return Ok(());
            }
            _ => return Err(self.error("invalid escape in a string")),
        };
        out.push(byte);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .input
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("truncated \\u escape"))?;
        let mut code = 0u32;
        for &d in digits {
            let v = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.error("invalid hex digit in a \\u escape"))?;
            code = code * 16 + v;
        }
        self.pos += 4;
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn names_values(body: &str) -> Vec<(String, String)> {
        let r = parse_json(body.as_bytes(), &BodyLimits::default());
        assert_eq!(r.error, None, "{body}");
        r.args
            .into_iter()
            .map(|(n, v)| (String::from_utf8(n).unwrap(), String::from_utf8(v).unwrap()))
            .collect()
    }

    fn nv(n: &str, v: &str) -> (String, String) {
        (n.to_string(), v.to_string())
    }

    #[test]
    fn object_naming() {
        assert_eq!(
            names_values(r#"{"a":"x","b":{"c":1.5e3,"d":true,"e":false,"f":null}}"#),
            vec![
                nv("json.a", "x"),
                nv("json.b.c", "1.5e3"),
                nv("json.b.d", "true"),
                nv("json.b.e", "false"),
                nv("json.b.f", "")
            ]
        );
    }

    #[test]
    fn array_naming() {
        assert_eq!(
            names_values(r#"{"a":[1,[2,3],{"k":"v"}],"z":0}"#),
            vec![
                nv("json.a.array_0", "1"),
                nv("json.a.array_1.array_0", "2"),
                nv("json.a.array_1.array_1", "3"),
                nv("json.a.array_2.k", "v"),
                nv("json.z", "0")
            ]
        );
        assert_eq!(
            names_values("[1,2]"),
            vec![nv("json.array_0", "1"), nv("json.array_1", "2")]
        );
        assert_eq!(
            names_values("[[\"x\"]]"),
            vec![nv("json.array_0.array_0", "x")]
        );
        assert_eq!(names_values("[[],{},3]"), vec![nv("json.array_2", "3")]);
    }

    #[test]
    fn top_level_scalars_and_empty_keys() {
        assert_eq!(names_values(" \"abc\" "), vec![nv("json", "abc")]);
        assert_eq!(names_values("-0.5"), vec![nv("json", "-0.5")]);
        assert_eq!(
            names_values(r#"{"":{"":1}}"#),
            vec![nv("json.empty-key.empty-key", "1")]
        );
        assert_eq!(names_values("{}"), vec![]);
    }

    #[test]
    fn string_escapes() {
        assert_eq!(
            names_values(r#"{"k\u0041":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800x"}"#),
            vec![nv("json.kA", "\"\\/\u{8}\u{c}\n\r\té😀\u{FFFD}x")]
        );
    }

    #[test]
    fn malformed_inputs_are_errors() {
        let bad = [
            "",
            " ",
            "{",
            "[",
            "[1,",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "[1,]",
            "[1 2]",
            "{a:1}",
            "'a'",
            "01",
            "1.",
            "-",
            "1e",
            "tru",
            "nul",
            "\"abc",
            "\"\\x\"",
            "\"\\u12\"",
            "\"a\nb\"",
            "{} {}",
            "[1]]",
            "{\"a\":1]",
            "NaN",
            "// c\n1",
        ];
        for b in bad {
            let r = parse_json(b.as_bytes(), &BodyLimits::default());
            assert!(r.error.is_some(), "{b:?} should fail");
        }
        let r = parse_json(b"\"\xff\"", &BodyLimits::default());
        assert!(r.error.is_some());
    }

    #[test]
    fn arguments_before_an_error_are_kept() {
        let r = parse_json(br#"{"a":1,"b":2,"c":"#, &BodyLimits::default());
        assert_eq!(r.args.len(), 2);
        assert!(r.error.is_some());
    }

    #[test]
    fn depth_limit() {
        let limits = BodyLimits {
            max_depth: 3,
            ..BodyLimits::default()
        };
        assert!(parse_json(b"[[[1]]]", &limits).error.is_none());
        let r = parse_json(b"[[[[1]]]]", &limits);
        assert_eq!(r.error.as_deref(), Some("JSON depth limit (3) exceeded"));
        // Deep input is linear, with no recursion.
        let deep = "[".repeat(200_000);
        assert!(
            parse_json(deep.as_bytes(), &BodyLimits::default())
                .error
                .is_some()
        );
    }

    #[test]
    fn arguments_limit() {
        let limits = BodyLimits {
            max_args: 2,
            ..BodyLimits::default()
        };
        let r = parse_json(b"[1,2,3]", &limits);
        assert_eq!(r.args.len(), 2);
        assert!(r.limit_hit && r.error.is_some());
    }

    proptest! {
        #[test]
        fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_json(&body, &BodyLimits::default());
        }

        #[test]
        fn never_panics_on_json_like(parts in proptest::collection::vec(
            prop_oneof![Just("{"), Just("}"), Just("["), Just("]"), Just(","), Just(":"), Just("\"k\""),
                        Just("1"), Just("true"), Just("\"\\u"), Just("\"\\ud800\""), Just(" ")], 0..40)) {
            let body = parts.concat();
            let limits = BodyLimits { max_depth: 4, max_args: 5, ..BodyLimits::default() };
            let r = parse_json(body.as_bytes(), &limits);
            prop_assert!(r.args.len() <= 5);
        }
    }
}
