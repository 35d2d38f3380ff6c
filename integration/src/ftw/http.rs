//! An HTTP/1.x request parser for test traffic: raw bytes in, request parts out.
//!
//! It plays the part of the HTTP front end (Apache, nginx, Envoy) in front of the engine,
//! so it is lenient where real front ends are lenient and refuses, with a typed
//! [`HttpError`], what they refuse with a 400 or never answer:
//!
//! * Lines end in CRLF or a bare LF. Empty lines before the request line are skipped.
//! * Request line: the method is everything up to the first space or tab (any bytes, so
//!   invalid methods pass); the protocol is the last whitespace-separated word when it
//!   starts with `HTTP/`; the URI is what lies between, trimmed, kept raw (spaces, absolute
//!   URIs, `*`, garbage). A line with no `HTTP/` word is HTTP/0.9: protocol empty.
//!   A line that starts with whitespace is refused ([`HttpError::LeadingWhitespace`],
//!   Apache's "Invalid URI in request"), as is a line without a URI.
//! * Headers keep order, duplicates and case; values are trimmed of spaces and tabs; a
//!   line starting with whitespace continues the previous value (obs-fold, joined with one
//!   space). A header line without `:` or with an empty name is refused.
//! * Body: `Transfer-Encoding` whose last coding is `chunked` → chunked decoding (chunk
//!   extensions ignored, trailers collected) and `Content-Length` is ignored; any other
//!   `Transfer-Encoding` is refused. Otherwise `Content-Length` (all copies must agree)
//!   takes that many bytes and leaves the rest in [`HttpRequest::trailing`]. A chunked
//!   body whose input ends without the blank line after the last chunk is accepted. With neither,
//!   the body is the rest of the input ([`BodyFraming::UntilEnd`]); a server would treat
//!   those bytes as the next request, a caller that wants that reads them from `body`.
//! * Too few bytes (no blank line after the headers, a body shorter than
//!   `Content-Length`, a cut chunk) is [`HttpError::Incomplete`]: a server would wait and
//!   time out, which go-ftw reports as an error (the `expect_error: true` tests).
//!
//! Nothing here panics on any input, and no size read from the input is allocated before
//! the bytes are there.

use thiserror::Error;

/// A parsed request. All parts are raw bytes, exactly as sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpRequest {
    /// The request line without its line ending.
    pub request_line: Vec<u8>,
    /// The method (first word).
    pub method: Vec<u8>,
    /// The request target as sent (no decoding, no normalisation).
    pub uri: Vec<u8>,
    /// `HTTP/1.1`, `HTTP/1.0`, `HTTP/3.0`, …; empty for an HTTP/0.9 request line.
    pub protocol: Vec<u8>,
    /// Header fields in order, names and values as sent (values trimmed).
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The body after removing the transfer coding.
    pub body: Vec<u8>,
    /// How the body was delimited.
    pub framing: BodyFraming,
    /// Chunked trailer fields.
    pub trailers: Vec<(Vec<u8>, Vec<u8>)>,
    /// Bytes after the end of this request (with `Content-Length` or chunked framing).
    pub trailing: Vec<u8>,
}

/// How the body's end was found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BodyFraming {
    /// `Content-Length`.
    ContentLength(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Neither header: the rest of the input.
    #[default]
    UntilEnd,
}

/// Why bytes are not a request a server would pass on.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpError {
    /// More bytes are needed; a server would wait for them and time out.
    #[error("incomplete request: {0}")]
    Incomplete(&'static str),
    /// Nothing but empty lines.
    #[error("empty request")]
    Empty,
    /// The request line starts with a space or a tab.
    #[error("request line starts with whitespace")]
    LeadingWhitespace,
    /// The request line has a method but no target.
    #[error("request line has no URI")]
    MissingUri,
    /// A header line has no `:` or an empty name.
    #[error("invalid header line {line}")]
    InvalidHeader {
        /// 1-based number of the header line.
        line: usize,
    },
    /// A `Content-Length` that is not a decimal number.
    #[error("invalid Content-Length")]
    InvalidContentLength,
    /// Several `Content-Length` headers that disagree.
    #[error("conflicting Content-Length headers")]
    ConflictingContentLength,
    /// A `Transfer-Encoding` whose last coding is not `chunked`.
    #[error("unsupported Transfer-Encoding")]
    UnsupportedTransferEncoding,
    /// A chunk-size line that is not hexadecimal, or chunk data not followed by a line end.
    #[error("invalid chunk")]
    InvalidChunk,
}

impl HttpError {
    /// True when a server would wait for more bytes rather than answer (go-ftw then sees
    /// an error, not a status).
    pub fn is_incomplete(&self) -> bool {
        matches!(self, HttpError::Incomplete(_))
    }

    /// The status a front end answers with: `None` when it would not answer at all
    /// (it waits for bytes that never come; go-ftw reports an error), 501 for an unknown
    /// transfer coding, 400 for the rest.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Incomplete(_) | HttpError::Empty => None,
            HttpError::UnsupportedTransferEncoding => Some(501),
            _ => Some(400),
        }
    }
}

impl HttpRequest {
    /// The value of the first header with this name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.as_slice())
    }

    /// All values of headers with this name, in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.as_slice())
    }

    /// True for a request line without a protocol (HTTP/0.9).
    pub fn is_http09(&self) -> bool {
        self.protocol.is_empty()
    }
}

/// Splits off one line; returns (line without terminator, rest). `None` when no line end.
fn next_line(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = input.iter().position(|&b| b == b'\n')?;
    let line = &input[..end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, &input[end + 1..]))
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if is_ws(*first) {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if is_ws(*last) {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Parses the request line and header fields only. Returns the request (with an empty
/// body) and the offset in `input` where the body starts. A runner can use this to give
/// the engine the headers of a request whose body framing [`parse_request`] refuses.
pub fn parse_head(input: &[u8]) -> Result<(HttpRequest, usize), HttpError> {
    let mut rest = input;
    // Skip empty lines before the request line (RFC 9112 §2.2).
    let line = loop {
        if rest.is_empty() {
            return Err(HttpError::Empty);
        }
        let Some((line, after)) = next_line(rest) else {
            if trim(rest).is_empty() {
                return Err(HttpError::Empty);
            }
            return Err(HttpError::Incomplete("request line has no line end"));
        };
        rest = after;
        if !line.is_empty() {
            break line;
        }
    };
    let mut req = HttpRequest {
        request_line: line.to_vec(),
        ..HttpRequest::default()
    };
    parse_request_line(line, &mut req)?;

    // Header fields.
    let mut number = 0;
    loop {
        let Some((line, after)) = next_line(rest) else {
            return Err(HttpError::Incomplete("no blank line after the headers"));
        };
        rest = after;
        if line.is_empty() {
            break;
        }
        number += 1;
        parse_field_line(line, number, &mut req.headers)?;
    }
    Ok((req, input.len() - rest.len()))
}

/// Parses one request from `input`.
pub fn parse_request(input: &[u8]) -> Result<HttpRequest, HttpError> {
    let (mut req, offset) = parse_head(input)?;
    let rest = &input[offset..];

    // Body.
    let te: Vec<&[u8]> = req.header_values("Transfer-Encoding").collect();
    if !te.is_empty() {
        let last = te
            .iter()
            .flat_map(|v| v.split(|&b| b == b','))
            .map(trim)
            .rfind(|c| !c.is_empty());
        if !last.is_some_and(|c| c.eq_ignore_ascii_case(b"chunked")) {
            return Err(HttpError::UnsupportedTransferEncoding);
        }
        let (body, trailers, after) = decode_chunked(rest)?;
        req.body = body;
        req.trailers = trailers;
        req.trailing = after.to_vec();
        req.framing = BodyFraming::Chunked;
        return Ok(req);
    }
    let mut length: Option<u64> = None;
    for value in req.header_values("Content-Length") {
        // A list like "5, 5" is one value repeated (RFC 9110 §8.6).
        for part in value.split(|&b| b == b',') {
            let n = parse_decimal(trim(part)).ok_or(HttpError::InvalidContentLength)?;
            if length.is_some_and(|l| l != n) {
                return Err(HttpError::ConflictingContentLength);
            }
            length = Some(n);
        }
    }
    match length {
        Some(n) => {
            let available = rest.len() as u64;
            if available < n {
                return Err(HttpError::Incomplete("body shorter than Content-Length"));
            }
            // n <= rest.len(), so it fits in usize.
            let n_usize = usize::try_from(n).unwrap_or(rest.len());
            req.body = rest[..n_usize].to_vec();
            req.trailing = rest[n_usize..].to_vec();
            req.framing = BodyFraming::ContentLength(n);
        }
        None => {
            req.body = rest.to_vec();
            req.framing = BodyFraming::UntilEnd;
        }
    }
    Ok(req)
}

fn parse_request_line(line: &[u8], req: &mut HttpRequest) -> Result<(), HttpError> {
    if line.first().is_some_and(|&b| is_ws(b)) {
        return Err(HttpError::LeadingWhitespace);
    }
    let method_end = line.iter().position(|&b| is_ws(b)).unwrap_or(line.len());
    req.method = line[..method_end].to_vec();
    let after = trim(&line[method_end..]);
    if after.is_empty() {
        return Err(HttpError::MissingUri);
    }
    // The protocol is the last word, when it looks like one and something precedes it.
    let last_ws = after.iter().rposition(|&b| is_ws(b));
    match last_ws {
        Some(i) if after[i + 1..].starts_with(b"HTTP/") => {
            req.protocol = after[i + 1..].to_vec();
            req.uri = trim(&after[..i]).to_vec();
        }
        _ => {
            req.uri = after.to_vec();
        }
    }
    if req.uri.is_empty() {
        return Err(HttpError::MissingUri);
    }
    Ok(())
}

fn parse_field_line(
    line: &[u8],
    number: usize,
    fields: &mut Vec<(Vec<u8>, Vec<u8>)>,
) -> Result<(), HttpError> {
    if line.first().is_some_and(|&b| is_ws(b)) {
        // obs-fold: continuation of the previous field's value.
        let Some((_, value)) = fields.last_mut() else {
            return Err(HttpError::InvalidHeader { line: number });
        };
        let more = trim(line);
        if !more.is_empty() {
            if !value.is_empty() {
                value.push(b' ');
            }
            value.extend_from_slice(more);
        }
        return Ok(());
    }
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return Err(HttpError::InvalidHeader { line: number });
    };
    let name = trim(&line[..colon]);
    if name.is_empty() {
        return Err(HttpError::InvalidHeader { line: number });
    }
    fields.push((name.to_vec(), trim(&line[colon + 1..]).to_vec()));
    Ok(())
}

fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

type Fields = Vec<(Vec<u8>, Vec<u8>)>;

fn decode_chunked(mut rest: &[u8]) -> Result<(Vec<u8>, Fields, &[u8]), HttpError> {
    let mut body = Vec::new();
    loop {
        let Some((line, after)) = next_line(rest) else {
            return Err(HttpError::Incomplete("chunk size line has no line end"));
        };
        let size_text = line.split(|&b| b == b';').next().unwrap_or_default();
        let size_text = trim(size_text);
        if size_text.is_empty() || !size_text.iter().all(u8::is_ascii_hexdigit) {
            return Err(HttpError::InvalidChunk);
        }
        let size = size_text
            .iter()
            .try_fold(0u64, |acc, &d| {
                let v = char::from(d).to_digit(16)?;
                acc.checked_mul(16)?.checked_add(u64::from(v))
            })
            .ok_or(HttpError::InvalidChunk)?;
        rest = after;
        if size == 0 {
            break;
        }
        if (rest.len() as u64) < size {
            return Err(HttpError::Incomplete("chunk shorter than its size"));
        }
        let n = usize::try_from(size).unwrap_or(rest.len());
        body.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        rest = if let Some(r) = rest.strip_prefix(b"\r\n") {
            r
        } else if let Some(r) = rest.strip_prefix(b"\n") {
            r
        } else if rest.is_empty() || rest == b"\r" {
            return Err(HttpError::Incomplete("chunk data has no line end"));
        } else {
            return Err(HttpError::InvalidChunk);
        };
    }
    let mut trailers = Vec::new();
    let mut number = 0;
    loop {
        // Input that ends after the last chunk (or inside the trailers) without the final
        // blank line is accepted: CRS tests written with YAML block scalars lose it.
        let Some((line, after)) = next_line(rest) else {
            if !rest.is_empty() {
                parse_field_line(rest, number + 1, &mut trailers)?;
            }
            rest = &rest[rest.len()..];
            break;
        };
        rest = after;
        if line.is_empty() {
            break;
        }
        number += 1;
        parse_field_line(line, number, &mut trailers)?;
    }
    Ok((body, trailers, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &[u8]) -> HttpRequest {
        parse_request(raw).unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(raw)))
    }

    #[test]
    fn simple_get() {
        let r = ok(b"GET /a?b=c HTTP/1.1\r\nHost: x\r\nhost: y\r\nX-A:  1 \r\n\r\n");
        assert_eq!(r.method, b"GET");
        assert_eq!(r.uri, b"/a?b=c");
        assert_eq!(r.protocol, b"HTTP/1.1");
        assert_eq!(
            r.headers,
            vec![
                (b"Host".to_vec(), b"x".to_vec()),
                (b"host".to_vec(), b"y".to_vec()),
                (b"X-A".to_vec(), b"1".to_vec())
            ]
        );
        assert_eq!(r.header("HOST"), Some(&b"x"[..]));
        assert_eq!(r.header_values("host").count(), 2);
        assert_eq!(r.framing, BodyFraming::UntilEnd);
        assert!(r.body.is_empty());
    }

    #[test]
    fn content_length_body_and_trailing_bytes() {
        let r = ok(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcdef");
        assert_eq!(r.body, b"abc");
        assert_eq!(r.trailing, b"def");
        assert_eq!(r.framing, BodyFraming::ContentLength(3));
        assert_eq!(
            parse_request(b"POST / HTTP/1.1\r\nContent-Length: 50\r\n\r\nxy"),
            Err(HttpError::Incomplete("body shorter than Content-Length"))
        );
        assert_eq!(
            parse_request(
                b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef"
            ),
            Err(HttpError::ConflictingContentLength)
        );
        assert_eq!(
            ok(b"POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nab").body,
            b"ab"
        );
        assert_eq!(
            parse_request(b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
            Err(HttpError::InvalidContentLength)
        );
        assert_eq!(
            parse_request(b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
            Err(HttpError::InvalidContentLength)
        );
    }

    #[test]
    fn no_framing_takes_the_rest() {
        let r = ok(b"POST / HTTP/1.1\r\nHost: x\r\n\r\nhello");
        assert_eq!(r.body, b"hello");
        assert_eq!(r.framing, BodyFraming::UntilEnd);
    }

    #[test]
    fn chunked() {
        let r = ok(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 1\r\n\r\n3;ext=1\r\nHi \r\n3\r\nCRS\r\n0\r\nX-T: 1\r\n\r\nNEXT");
        assert_eq!(r.body, b"Hi CRS");
        assert_eq!(r.framing, BodyFraming::Chunked);
        assert_eq!(r.trailers, vec![(b"X-T".to_vec(), b"1".to_vec())]);
        assert_eq!(r.trailing, b"NEXT");
        let lf = ok(b"POST / HTTP/1.1\nTransfer-Encoding: chunked\n\nA\n0123456789\n0\n\n");
        assert_eq!(lf.body, b"0123456789");
        assert_eq!(
            parse_request(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
            Err(HttpError::InvalidChunk)
        );
        assert!(
            parse_request(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFF\r\nab")
                .unwrap_err()
                .is_incomplete()
        );
        assert!(
            parse_request(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
                .unwrap_err()
                .is_incomplete()
        );
        // A missing blank line after the last chunk is tolerated at the end of input.
        let r = ok(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n");
        assert_eq!(r.body, b"abc");
        let r = ok(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1");
        assert_eq!(r.trailers, vec![(b"T".to_vec(), b"1".to_vec())]);
        assert_eq!(
            parse_request(
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n0\r\n\r\n"
            ),
            Err(HttpError::InvalidChunk)
        );
        assert_eq!(
            parse_request(
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n"
            ),
            Err(HttpError::InvalidChunk)
        );
        assert_eq!(
            parse_request(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
            Err(HttpError::UnsupportedTransferEncoding)
        );
    }

    #[test]
    fn lenient_request_lines() {
        let r = ok(b"GET /a b c HTTP/1.1\r\n\r\n");
        assert_eq!(
            (r.uri.as_slice(), r.protocol.as_slice()),
            (&b"/a b c"[..], &b"HTTP/1.1"[..])
        );
        let r = ok(b"GET\t/x\tHTTP/1.0\n\n");
        assert_eq!(
            (r.uri.as_slice(), r.protocol.as_slice()),
            (&b"/x"[..], &b"HTTP/1.0"[..])
        );
        let r = ok(b"G3T http://example.com:8080/x?y HTTP/3.0\r\n\r\n");
        assert_eq!(r.method, b"G3T");
        assert_eq!(r.uri, b"http://example.com:8080/x?y");
        let r = ok(b"GET / \r\nHost: x\r\n\r\n");
        assert!(r.is_http09());
        assert_eq!(r.uri, b"/");
        let r = ok(b"\r\n\r\nOPTIONS * HTTP/1.1\r\n\r\n");
        assert_eq!(r.uri, b"*");
        let r = ok(b"GET HTTP/1.1\r\n\r\n");
        assert_eq!(r.uri, b"HTTP/1.1");
        assert!(r.is_http09());
    }

    #[test]
    fn refused_request_lines() {
        assert_eq!(
            parse_request(b"     GET / HTTP/1.1\r\n\r\n"),
            Err(HttpError::LeadingWhitespace)
        );
        assert_eq!(parse_request(b"GET\r\n\r\n"), Err(HttpError::MissingUri));
        assert_eq!(parse_request(b""), Err(HttpError::Empty));
        assert_eq!(parse_request(b"\r\n\r\n"), Err(HttpError::Empty));
        assert!(
            parse_request(b"GET / HTTP/1.1")
                .unwrap_err()
                .is_incomplete()
        );
        assert!(
            parse_request(b"GET / HTTP/1.1\r\nHost: x\r\n")
                .unwrap_err()
                .is_incomplete()
        );
    }

    #[test]
    fn head_only_and_error_statuses() {
        let raw = b"POST / HTTP/1.1\r\nContent-Length: NotDigits\r\n\r\nxy";
        assert_eq!(parse_request(raw), Err(HttpError::InvalidContentLength));
        let (head, offset) = parse_head(raw).unwrap();
        assert_eq!(head.header("content-length"), Some(&b"NotDigits"[..]));
        assert_eq!(&raw[offset..], b"xy");
        assert_eq!(HttpError::InvalidContentLength.status(), Some(400));
        assert_eq!(HttpError::Incomplete("x").status(), None);
        assert_eq!(HttpError::UnsupportedTransferEncoding.status(), Some(501));
    }

    #[test]
    fn header_lines() {
        let r = ok(b"GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\tthree\r\nName : v\r\nE:\r\n\r\n");
        assert_eq!(r.headers[0], (b"X-A".to_vec(), b"one two three".to_vec()));
        assert_eq!(r.headers[1], (b"Name".to_vec(), b"v".to_vec()));
        assert_eq!(r.headers[2], (b"E".to_vec(), b"".to_vec()));
        assert_eq!(
            parse_request(b"GET / HTTP/1.1\r\nno colon\r\n\r\n"),
            Err(HttpError::InvalidHeader { line: 1 })
        );
        assert_eq!(
            parse_request(b"GET / HTTP/1.1\r\n: v\r\n\r\n"),
            Err(HttpError::InvalidHeader { line: 1 })
        );
        assert_eq!(
            parse_request(b"GET / HTTP/1.1\r\n folded\r\n\r\n"),
            Err(HttpError::InvalidHeader { line: 1 })
        );
    }

    #[test]
    fn never_panics_on_prefixes_and_garbage() {
        let samples: [&[u8]; 4] = [
            b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nA: b\r\n c\r\n\r\n5;x\r\nhello\r\n0\r\nT: 1\r\n\r\n",
            b"POST /x HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody",
            b"\xff\xfe \x00\r\n:\r\n\t\r\n\r\n",
            b"GET / HTTP/1.1\n\n",
        ];
        for s in samples {
            for end in 0..=s.len() {
                let _ = parse_request(&s[..end]);
            }
        }
        // A tiny deterministic generator over a small alphabet.
        let alphabet = b"GET /:\r\n\t0a;-,chunked";
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut buf = Vec::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 48) as usize;
            let mut s = state;
            for _ in 0..len {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                buf.push(alphabet[((s >> 33) as usize) % alphabet.len()]);
            }
            let _ = parse_request(&buf);
        }
    }
}
