//! The web server in front of the WAF, as the CRS tests assume it: Apache httpd 2.4 with
//! its default strict request parsing (`HttpProtocolOptions Strict`).
//!
//! CRS regression tests were written against real servers, and some expect the server's
//! own answer rather than the WAF's: a `400` for a request line httpd refuses, or a
//! request the WAF sees only after httpd normalised it. This module stands in for that
//! server in the in-process runner, with exactly the checks below, each a documented httpd
//! behaviour. A refused request never reaches the engine, as with httpd.

use super::http::{BodyFraming, HttpRequest};

/// What the front end does with a parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrontEnd {
    /// Passed on to the WAF (possibly normalised).
    Forward(HttpRequest),
    /// Answered by the server itself with this status.
    Reject(u16, &'static str),
    /// Not answered at all (an HTTP/0.9 request line: httpd refuses 0.9 and closes).
    Close(&'static str),
}

/// Hosts httpd accepts: letters, digits, `-`, `.`, `_`, and `:`/`[`/`]` for ports and IPv6
/// literals (its `fix_hostname` rejects everything else with 400), not empty.
fn valid_host(host: &[u8]) -> bool {
    !host.is_empty()
        && host.iter().all(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':' | b'[' | b']')
        })
}

/// A request target httpd refuses: one starting with a backslash, one with a fragment or
/// whitespace, or a `CONNECT` target without a port.
fn invalid_target(method: &[u8], uri: &[u8]) -> bool {
    if uri.first() == Some(&b'\\') || uri.iter().any(|b| b.is_ascii_whitespace() || *b == b'#') {
        return true;
    }
    method == b"CONNECT"
        && match uri.iter().rposition(|&b| b == b':') {
            Some(p) => p == 0 || p + 1 == uri.len() || !uri[p + 1..].iter().all(u8::is_ascii_digit),
            None => true,
        }
}

/// Applies httpd's checks and normalisations to a parsed request.
pub fn front_end(mut request: HttpRequest) -> FrontEnd {
    let protocol = request.protocol.as_slice();
    if protocol.is_empty() {
        // Three or more words where the last is no protocol: a malformed request line.
        if request
            .request_line
            .split(u8::is_ascii_whitespace)
            .filter(|w| !w.is_empty())
            .count()
            > 2
        {
            return FrontEnd::Reject(400, "protocol is not HTTP/x");
        }
        return FrontEnd::Close("HTTP/0.9 request line");
    }
    let Some(version) = protocol.strip_prefix(b"HTTP/") else {
        return FrontEnd::Reject(400, "protocol is not HTTP/x");
    };
    if version.first() == Some(&b'0') || !version.first().is_some_and(u8::is_ascii_digit) {
        return FrontEnd::Reject(400, "protocol version below 1.0");
    }
    if invalid_target(&request.method, &request.uri) {
        return FrontEnd::Reject(400, "invalid request target");
    }
    if let Some(host) = request.header("Host") {
        // An empty Host is allowed only before HTTP/1.1.
        if !(valid_host(host) || host.is_empty() && protocol == b"HTTP/1.0") {
            return FrontEnd::Reject(400, "invalid Host header");
        }
    }
    if request.headers.iter().any(|(_, v)| v.contains(&b'\r')) {
        return FrontEnd::Reject(400, "bare CR in a header field");
    }
    // RFC 9112 6.3: with Transfer-Encoding, Content-Length is ignored; httpd removes it.
    if request.framing == BodyFraming::Chunked {
        request
            .headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case(b"content-length"));
    }
    // Without Content-Length or chunked coding a request has no body; trailing bytes
    // would be the next request on the connection.
    if request.framing == BodyFraming::UntilEnd {
        request.body.clear();
    }
    // httpd keeps one field per name, joining repeated ones with ", ".
    let mut merged: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(request.headers.len());
    for (name, value) in request.headers {
        match merged
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            Some((_, existing)) => {
                existing.extend_from_slice(b", ");
                existing.extend_from_slice(&value);
            }
            None => merged.push((name, value)),
        }
    }
    request.headers = merged;
    FrontEnd::Forward(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftw::http::parse_request;

    fn verdict(raw: &str) -> FrontEnd {
        front_end(parse_request(raw.as_bytes()).unwrap())
    }

    #[test]
    fn refuses_what_httpd_refuses() {
        assert_eq!(
            verdict("GET / HTTP/0.9\r\nHost: a\r\n\r\n"),
            FrontEnd::Reject(400, "protocol version below 1.0")
        );
        assert_eq!(
            verdict("GET / JUNK/1.0\r\nHost: a\r\n\r\n"),
            FrontEnd::Reject(400, "protocol is not HTTP/x")
        );
        assert_eq!(
            verdict("GET \\ HTTP/1.1\r\nHost: a\r\n\r\n"),
            FrontEnd::Reject(400, "invalid request target")
        );
        assert_eq!(
            verdict("GET /#f HTTP/1.1\r\nHost: a\r\n\r\n"),
            FrontEnd::Reject(400, "invalid request target")
        );
        assert_eq!(
            verdict("CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n"),
            FrontEnd::Reject(400, "invalid request target")
        );
        assert_eq!(
            verdict("GET / HTTP/1.1\r\nHost: a%00\r\n\r\n"),
            FrontEnd::Reject(400, "invalid Host header")
        );
        assert_eq!(
            verdict("GET / HTTP/1.1\r\nHost: \r\n\r\n"),
            FrontEnd::Reject(400, "invalid Host header")
        );
        assert!(matches!(
            verdict("CONNECT example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n"),
            FrontEnd::Forward(_)
        ));
        assert!(matches!(
            verdict("GET / HTTP/2\r\nHost: a\r\n\r\n"),
            FrontEnd::Forward(_)
        ));
    }

    #[test]
    fn normalises_like_httpd() {
        let FrontEnd::Forward(r) = verdict(
            "POST / HTTP/1.1\r\nHost: a\r\nA: 1\r\na: 2\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
        ) else {
            panic!()
        };
        assert_eq!(r.header("a"), Some(&b"1, 2"[..]));
        assert_eq!(r.header("content-length"), None);
        let FrontEnd::Forward(r) = verdict("POST / HTTP/1.1\r\nHost: a\r\n\r\nbody") else {
            panic!()
        };
        assert!(r.body.is_empty());
    }
}
