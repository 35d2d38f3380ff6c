//! Building the bytes a stage sends, the way go-ftw builds them.
//!
//! The steps, in go-ftw's order (its `ftwhttp` request builder and `runner`):
//!
//! 1. `encoded_request` (base64, line breaks ignored) replaces everything: its bytes are the
//!    request. The deprecated `raw_request` (v1) is likewise sent as is, as UTF-8.
//! 2. Otherwise the request line is `METHOD SP URI SP VERSION CRLF` with defaults `GET`,
//!    `/`, `HTTP/1.1`, each sent verbatim (a method of `"     GET"` keeps its spaces; a
//!    version of `""` leaves `GET / ` followed by CRLF).
//! 3. Headers from the `headers` mapping are written sorted by name (byte order), each
//!    as `Name: value CRLF`. Nothing is added for `Host`: a test without one sends none.
//! 4. The body is `data` rendered as a Go template (see [`super::template`]), or
//!    `encoded_data` decoded from base64.
//! 5. With autocomplete on (the default; `autocomplete_headers: false` or v1
//!    `stop_magic: true` turn it off), and a non-empty body:
//!    * `Content-Type: application/x-www-form-urlencoded` is appended when no header of
//!      that name exists (names compare as Go's canonical MIME keys, i.e. ASCII
//!      case-insensitively);
//!    * when a Content-Type header's value *equals* (ASCII case-insensitively)
//!      `application/x-www-form-urlencoded` and the body contains neither `%` nor `+`
//!      (go-ftw's "unescaping changes nothing" test), each `&`-separated `key=value` has
//!      key and value escaped with Go's `url.QueryEscape`.
//! 6. Whatever autocomplete says: when any Content-Type value contains
//!    `multipart/form-data;` (ASCII case-insensitively), every `\n` of the body becomes
//!    `\r\n` (a `\r\n` already there becomes `\r\r\n`, as in go-ftw).
//! 7. With autocomplete on: `Connection: close` is appended when no `Connection` header
//!    exists; `Content-Length: <body length>` is appended when no `Content-Length` header
//!    exists and the body is non-empty or the method matches go-ftw's regex
//!    `^POST|PUT|PATCH|DELETE$` (which, by Go's precedence, means "starts with POST, or
//!    contains PUT or PATCH, or ends with DELETE").
//! 8. A blank line, then the body.

use base64::Engine as _;

use super::BuildError;
use super::model::Input;
use super::template;

/// How a stage's bytes were produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestSource {
    /// From method, URI, version, headers and data.
    Fields,
    /// From `encoded_request`.
    Encoded,
    /// From `raw_request`.
    Raw,
}

/// The bytes of one stage's request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltRequest {
    /// What would go on the wire.
    pub bytes: Vec<u8>,
    /// Where the bytes came from.
    pub source: RequestSource,
}

/// Whether go-ftw adds headers for this input: `autocomplete_headers` wins, then the
/// inverse of `stop_magic`, then the inverse of `no_autocomplete_headers`; default true.
pub fn autocomplete(input: &Input) -> bool {
    if let Some(v) = input.autocomplete_headers {
        return v;
    }
    if let Some(v) = input.stop_magic {
        return !v;
    }
    if let Some(v) = input.no_autocomplete_headers {
        return !v;
    }
    true
}

/// The body go-ftw sends before any autocomplete rewriting: rendered `data`, or decoded
/// `encoded_data`, or nothing.
pub fn body(input: &Input) -> Result<Vec<u8>, BuildError> {
    if let Some(data) = &input.data {
        return Ok(template::render(&data.text())?.into_bytes());
    }
    if let Some(encoded) = &input.encoded_data {
        return decode_base64(encoded).map_err(BuildError::EncodedData);
    }
    Ok(Vec::new())
}

/// Builds the request bytes for one stage.
pub fn build_request(input: &Input) -> Result<BuiltRequest, BuildError> {
    if let Some(encoded) = input.encoded_request.as_deref().filter(|s| !s.is_empty()) {
        if input.data.as_ref().is_some_and(|d| !d.text().is_empty()) {
            return Err(BuildError::DataAndEncodedRequest);
        }
        let bytes = decode_base64(encoded).map_err(BuildError::EncodedRequest)?;
        return Ok(BuiltRequest {
            bytes,
            source: RequestSource::Encoded,
        });
    }
    if let Some(raw) = input.raw_request.as_deref().filter(|s| !s.is_empty()) {
        return Ok(BuiltRequest {
            bytes: raw.as_bytes().to_vec(),
            source: RequestSource::Raw,
        });
    }

    let method = input.method.as_ref().map_or("GET", |m| m.as_str());
    let uri = input.uri.as_ref().map_or("/", |u| u.as_str());
    let version = input.version.as_ref().map_or("HTTP/1.1", |v| v.as_str());

    let mut headers: Vec<(String, String)> = match &input.ordered_headers {
        Some(list) => list
            .iter()
            .map(|h| (h.name.0.clone(), h.value.0.clone()))
            .collect(),
        // BTreeMap iterates in byte order of the names: Go's sort.Strings order.
        None => input
            .headers
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect(),
    };
    let mut data = body(input)?;
    let auto = autocomplete(input);

    if auto && !data.is_empty() {
        if !has_header(&headers, "Content-Type") {
            headers.push((
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ));
        }
        let form = headers.iter().any(|(k, v)| {
            same_name(k, "Content-Type")
                && v.eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
        if form && !data.contains(&b'%') && !data.contains(&b'+') {
            data = encode_form(&data);
        }
    }

    let multipart = headers.iter().any(|(k, v)| {
        same_name(k, "Content-Type") && v.to_ascii_lowercase().contains("multipart/form-data;")
    });
    if multipart {
        data = lf_to_crlf(&data);
    }

    if auto {
        if !has_header(&headers, "Connection") {
            headers.push(("Connection".to_owned(), "close".to_owned()));
        }
        if !has_header(&headers, "Content-Length")
            && (!data.is_empty() || method_wants_length(method))
        {
            headers.push(("Content-Length".to_owned(), data.len().to_string()));
        }
    }

    let mut bytes = Vec::with_capacity(64 + uri.len() + data.len() + headers.len() * 32);
    bytes.extend_from_slice(method.as_bytes());
    bytes.push(b' ');
    bytes.extend_from_slice(uri.as_bytes());
    bytes.push(b' ');
    bytes.extend_from_slice(version.as_bytes());
    bytes.extend_from_slice(b"\r\n");
    for (name, value) in &headers {
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(b": ");
        bytes.extend_from_slice(value.as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(&data);
    Ok(BuiltRequest {
        bytes,
        source: RequestSource::Fields,
    })
}

/// Builds one request per URI when the stage uses `uris` (schema v2.x: "the same test
/// against several URIs"; `uri` is then ignored), otherwise the single request of
/// [`build_request`].
pub fn build_requests(input: &Input) -> Result<Vec<BuiltRequest>, BuildError> {
    match input.uris.as_deref() {
        Some(uris) if !uris.is_empty() => uris
            .iter()
            .map(|uri| {
                let one = Input {
                    uri: Some(uri.clone()),
                    uris: None,
                    ..input.clone()
                };
                build_request(&one)
            })
            .collect(),
        _ => Ok(vec![build_request(input)?]),
    }
}

/// go-ftw's `^POST|PUT|PATCH|DELETE$`, with Go's alternation precedence.
fn method_wants_length(method: &str) -> bool {
    method.starts_with("POST")
        || method.contains("PUT")
        || method.contains("PATCH")
        || method.ends_with("DELETE")
}

fn has_header(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(k, _)| same_name(k, name))
}

/// Compares names as Go's `textproto.CanonicalMIMEHeaderKey` would: ASCII
/// case-insensitively when the name is a valid token, byte for byte otherwise.
fn same_name(a: &str, b: &str) -> bool {
    if a.bytes().all(is_token_byte) {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Escapes each `key=value` of a form body with Go's `url.QueryEscape`.
fn encode_form(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 2);
    let mut rest = data;
    while !rest.is_empty() {
        let (token, next) = match rest.iter().position(|&b| b == b'&') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        match token.iter().position(|&b| b == b'=') {
            Some(i) => {
                query_escape(&token[..i], &mut out);
                out.push(b'=');
                query_escape(&token[i + 1..], &mut out);
            }
            None => query_escape(token, &mut out),
        }
        out.push(b'&');
        rest = next;
    }
    out.pop();
    out
}

/// Go's `url.QueryEscape`: unreserved bytes stay, space becomes `+`, the rest `%XX`.
fn query_escape(input: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in input {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b);
        } else if b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
}

fn lf_to_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 16);
    for &b in data {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Go's `base64.StdEncoding.DecodeString`: padded standard alphabet; `\r` and `\n`
/// anywhere are ignored, anything else foreign is an error.
fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let cleaned: Vec<u8> = text.bytes().filter(|&b| b != b'\r' && b != b'\n').collect();
    base64::engine::general_purpose::STANDARD
        .decode(cleaned)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftw::model::{Data, Scalar};
    use std::collections::BTreeMap;

    fn input() -> Input {
        Input::default()
    }

    fn headers(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, Scalar>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Scalar((*v).to_owned())))
                .collect(),
        )
    }

    fn text(b: &BuiltRequest) -> String {
        String::from_utf8(b.bytes.clone()).unwrap()
    }

    #[test]
    fn defaults_and_sorted_headers_and_connection_close() {
        let mut i = input();
        i.headers = headers(&[
            ("User-Agent", "t"),
            ("Host", "localhost"),
            ("Accept", "*/*"),
        ]);
        let b = build_request(&i).unwrap();
        assert_eq!(
            text(&b),
            "GET / HTTP/1.1\r\nAccept: */*\r\nHost: localhost\r\nUser-Agent: t\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn no_host_is_added() {
        let b = build_request(&input()).unwrap();
        assert_eq!(text(&b), "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    }

    #[test]
    fn post_without_data_gets_content_length_zero() {
        let mut i = input();
        i.method = Some(Scalar("POST".into()));
        assert_eq!(
            text(&build_request(&i).unwrap()),
            "POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        );
        // go-ftw's regex quirk: "contains PUT", "ends with DELETE".
        assert!(method_wants_length("XPUTX"));
        assert!(method_wants_length("UNDELETE"));
        assert!(!method_wants_length("GET"));
        assert!(!method_wants_length("DELETEX"));
    }

    #[test]
    fn data_gets_form_content_type_and_is_escaped() {
        let mut i = input();
        i.method = Some(Scalar("POST".into()));
        i.data = Some(Data::Text("a b=c'd&e&=x".into()));
        assert_eq!(
            text(&build_request(&i).unwrap()),
            "POST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\nContent-Length: 14\r\n\r\na+b=c%27d&e&=x"
        );
    }

    #[test]
    fn already_escaped_data_is_sent_as_is() {
        let mut i = input();
        i.data = Some(Data::Text("a=%27&b=c+d".into()));
        assert!(text(&build_request(&i).unwrap()).ends_with("\r\n\r\na=%27&b=c+d"));
    }

    #[test]
    fn other_content_type_is_not_escaped_and_existing_headers_win() {
        let mut i = input();
        i.data = Some(Data::Text("{\"a\": 1}".into()));
        i.headers = headers(&[
            ("content-type", "application/json"),
            ("connection", "keep-alive"),
            ("content-length", "3"),
        ]);
        assert_eq!(
            text(&build_request(&i).unwrap()),
            "GET / HTTP/1.1\r\nconnection: keep-alive\r\ncontent-length: 3\r\ncontent-type: application/json\r\n\r\n{\"a\": 1}"
        );
    }

    #[test]
    fn autocomplete_off_sends_exactly_what_is_written() {
        for i in [
            Input {
                autocomplete_headers: Some(false),
                ..input()
            },
            Input {
                stop_magic: Some(true),
                ..input()
            },
            Input {
                no_autocomplete_headers: Some(true),
                ..input()
            },
        ] {
            let mut i = i;
            i.method = Some(Scalar("POST".into()));
            i.data = Some(Data::Text("a b".into()));
            assert_eq!(
                text(&build_request(&i).unwrap()),
                "POST / HTTP/1.1\r\n\r\na b"
            );
        }
        assert!(autocomplete(&Input {
            autocomplete_headers: Some(true),
            stop_magic: Some(true),
            ..input()
        }));
    }

    #[test]
    fn multipart_newlines_become_crlf_even_without_autocomplete() {
        let mut i = input();
        i.autocomplete_headers = Some(false);
        i.headers = headers(&[("Content-Type", "Multipart/Form-Data; boundary=x")]);
        i.data = Some(Data::Text("--x\nA: b\r\n\n--x--\n".into()));
        let t = text(&build_request(&i).unwrap());
        assert!(
            t.ends_with("\r\n\r\n--x\r\nA: b\r\r\n\r\n--x--\r\n"),
            "{t:?}"
        );
        // Without the `;` go-ftw leaves the body alone.
        i.headers = headers(&[("Content-Type", "multipart/form-data")]);
        assert!(text(&build_request(&i).unwrap()).ends_with("--x\nA: b\r\n\n--x--\n"));
    }

    #[test]
    fn multipart_content_length_counts_converted_body() {
        let mut i = input();
        i.method = Some(Scalar("POST".into()));
        i.headers = headers(&[("Content-Type", "multipart/form-data; boundary=x")]);
        i.data = Some(Data::Text("a\nb\n".into()));
        assert!(text(&build_request(&i).unwrap()).ends_with("Content-Length: 6\r\n\r\na\r\nb\r\n"));
    }

    #[test]
    fn request_line_fields_are_verbatim() {
        let mut i = input();
        i.method = Some(Scalar("     GET".into()));
        i.version = Some(Scalar(String::new()));
        i.uri = Some(Scalar("/a b?c=<d>".into()));
        assert!(text(&build_request(&i).unwrap()).starts_with("     GET /a b?c=<d> \r\n"));
    }

    #[test]
    fn templates_in_data() {
        let mut i = input();
        i.autocomplete_headers = Some(false);
        i.data = Some(Data::Text("x={{ \"1\" | repeat 5 }}".into()));
        assert!(text(&build_request(&i).unwrap()).ends_with("\r\n\r\nx=11111"));
        i.data = Some(Data::Text("{{ nope }}".into()));
        assert!(matches!(build_request(&i), Err(BuildError::Template(_))));
    }

    #[test]
    fn data_lists_are_joined_with_crlf() {
        let mut i = input();
        i.autocomplete_headers = Some(false);
        i.data = Some(Data::Lines(vec!["a".into(), "b".into()]));
        assert!(text(&build_request(&i).unwrap()).ends_with("\r\n\r\na\r\nb"));
    }

    #[test]
    fn encoded_request_replaces_everything() {
        let mut i = input();
        i.method = Some(Scalar("POST".into()));
        i.encoded_request = Some("R0VUIC8g\nSFRUUC8xLjANCg0K".into());
        let b = build_request(&i).unwrap();
        assert_eq!(b.source, RequestSource::Encoded);
        assert_eq!(b.bytes, b"GET / HTTP/1.0\r\n\r\n");
        i.encoded_request = Some("R0VUIC8g SFRU".into());
        assert!(matches!(
            build_request(&i),
            Err(BuildError::EncodedRequest(_))
        ));
        i.encoded_request = Some("R0VUIC8gSFRUUC8xLjANCg0K".into());
        i.data = Some(Data::Text("x".into()));
        assert_eq!(build_request(&i), Err(BuildError::DataAndEncodedRequest));
    }

    #[test]
    fn encoded_data_is_the_body() {
        let mut i = input();
        i.autocomplete_headers = Some(false);
        i.encoded_data = Some("AAEC".into());
        assert!(
            build_request(&i)
                .unwrap()
                .bytes
                .ends_with(b"\r\n\r\n\x00\x01\x02")
        );
    }

    #[test]
    fn raw_request_is_utf8_verbatim() {
        let mut i = input();
        i.raw_request = Some("POST / HTTP/1.0\r\n\r\ntest=\u{ac}\u{ed}\0\u{5}".into());
        let b = build_request(&i).unwrap();
        assert_eq!(b.source, RequestSource::Raw);
        assert!(b.bytes.ends_with(b"test=\xc2\xac\xc3\xad\x00\x05"));
    }

    #[test]
    fn ordered_headers_keep_their_order_and_duplicates() {
        use crate::ftw::model::HeaderTuple;
        let mut i = input();
        i.autocomplete_headers = Some(false);
        i.headers = headers(&[("A", "ignored")]);
        i.ordered_headers = Some(vec![
            HeaderTuple {
                name: Scalar("Z".into()),
                value: Scalar("1".into()),
            },
            HeaderTuple {
                name: Scalar("Z".into()),
                value: Scalar("2".into()),
            },
        ]);
        assert_eq!(
            text(&build_request(&i).unwrap()),
            "GET / HTTP/1.1\r\nZ: 1\r\nZ: 2\r\n\r\n"
        );
    }

    #[test]
    fn uris_give_one_request_each() {
        let mut i = input();
        i.autocomplete_headers = Some(false);
        i.uri = Some(Scalar("/ignored".into()));
        i.uris = Some(vec![Scalar("/a".into()), Scalar("/b".into())]);
        let all = build_requests(&i).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(text(&all[1]), "GET /b HTTP/1.1\r\n\r\n");
        i.uris = None;
        assert_eq!(
            text(&build_requests(&i).unwrap()[0]),
            "GET /ignored HTTP/1.1\r\n\r\n"
        );
    }

    #[test]
    fn odd_header_names_compare_exactly() {
        assert!(same_name("content-type", "Content-Type"));
        assert!(!same_name("Content-Type ", "Content-Type"));
    }
}
