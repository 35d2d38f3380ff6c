//! A demo backend on 127.0.0.1: enough of albedo (the backend CRS tests are written for)
//! to answer go-ftw requests, plus a page that leaks an SQL error for response rules.
//!
//! * `POST /reflect` with JSON `{"status", "headers", "body", "encodedBody"}` answers
//!   with exactly that (albedo's contract);
//! * `GET /leak` answers `text/html` holding a MySQL error message;
//! * anything else: `200` with the greeting (or no body, as albedo, when it is empty).
//!
//! One thread per connection, keep-alive, HTTP/1.1 only (Envoy speaks HTTP/1.1 to it).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use base64::Engine as _;

use crate::ftw::http::{BodyFraming, HttpRequest, parse_request};

/// The page `/leak` serves.
pub const LEAK_PAGE: &str = "<html><body>You have an error in your SQL syntax; check the manual \
that corresponds to your MySQL server version for the right syntax to use near '' at line 1\
</body></html>";

/// A running backend; stops accepting when dropped.
#[derive(Debug)]
pub struct Backend {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl Backend {
    /// Listens on `127.0.0.1:port` (0: any free port).
    pub fn start(port: u16, greeting: &str) -> std::io::Result<Backend> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let greeting: Arc<str> = Arc::from(greeting);
        let flag = Arc::clone(&stop);
        thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(conn) = conn {
                    let greeting = Arc::clone(&greeting);
                    thread::spawn(move || serve(conn, &greeting));
                }
            }
        });
        Ok(Backend { port, stop })
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(mut conn: TcpStream, greeting: &str) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(60)));
    let _ = conn.set_nodelay(true);
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        let request = loop {
            if !buffer.is_empty() {
                match parse_request(&buffer) {
                    Ok(r) => break Some(r),
                    Err(e) if e.is_incomplete() => {}
                    Err(_) => break None,
                }
            }
            match conn.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let Some(mut request) = request else {
            let _ = conn.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            return;
        };
        buffer = if request.framing == BodyFraming::UntilEnd {
            request.body.clear();
            Vec::new()
        } else {
            std::mem::take(&mut request.trailing)
        };
        let close = request
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case(b"close"));
        let (status, headers, body) = respond(&request, greeting);
        let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status)).into_bytes();
        for (name, value) in &headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        out.extend_from_slice(&body);
        if conn.write_all(&out).is_err() || close {
            let _ = conn.shutdown(Shutdown::Both);
            return;
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

type Response = (u16, Vec<(String, String)>, Vec<u8>);

fn respond(request: &HttpRequest, greeting: &str) -> Response {
    let path = request.uri.split(|&b| b == b'?').next().unwrap_or_default();
    if path.ends_with(b"/leak") {
        return (
            200,
            vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            LEAK_PAGE.as_bytes().to_vec(),
        );
    }
    if request.method == b"POST" && path.ends_with(b"/reflect") {
        return reflect(&request.body);
    }
    if greeting.is_empty() {
        return (200, Vec::new(), Vec::new());
    }
    (
        200,
        vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
        greeting.as_bytes().to_vec(),
    )
}

/// albedo's `/reflect`.
fn reflect(spec: &[u8]) -> Response {
    let mut response: Response = (200, Vec::new(), Vec::new());
    let Ok(spec) = serde_json::from_slice::<serde_json::Value>(spec) else {
        return response;
    };
    if let Some(status) = spec
        .get("status")
        .and_then(|s| s.as_u64())
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..=599).contains(s))
    {
        response.0 = status;
    }
    if let Some(headers) = spec.get("headers").and_then(|h| h.as_object()) {
        for (name, value) in headers {
            let value = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if !name.eq_ignore_ascii_case("content-length") {
                response.1.push((name.clone(), value));
            }
        }
    }
    if let Some(body) = spec.get("body").and_then(|b| b.as_str()) {
        response.2 = body.as_bytes().to_vec();
    }
    if let Some(encoded) = spec.get("encodedBody").and_then(|b| b.as_str())
        && let Ok(body) = base64::engine::general_purpose::STANDARD.decode(encoded)
    {
        response.2 = body;
    }
    let has_type = response
        .1
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    if !has_type && !response.2.is_empty() {
        response
            .1
            .push(("Content-Type".into(), sniff(&response.2).into()));
    }
    response
}

/// Go's content sniffing, reduced to what the CRS tests send.
fn sniff(body: &[u8]) -> &'static str {
    let start = body
        .iter()
        .position(|b| !b" \t\r\n\x0c".contains(b))
        .unwrap_or(body.len());
    let head: Vec<u8> = body[start..]
        .iter()
        .take(16)
        .map(u8::to_ascii_uppercase)
        .collect();
    if head.starts_with(b"<!DOCTYPE HTML")
        || head.starts_with(b"<HTML")
        || head.starts_with(b"<BODY")
        || head.starts_with(b"<SCRIPT")
        || head.starts_with(b"<!--")
        || head.starts_with(b"<P")
        || head.starts_with(b"<A")
        || head.starts_with(b"<DIV")
        || head.starts_with(b"<HEAD")
        || head.starts_with(b"<TITLE")
        || head.starts_with(b"<TABLE")
    {
        "text/html; charset=utf-8"
    } else if head.starts_with(b"<?XML") {
        "text/xml; charset=utf-8"
    } else if body
        .iter()
        .take(512)
        .any(|&b| b < 0x09 || (0x0e..0x1b).contains(&b) || b == 0x0b)
    {
        "application/octet-stream"
    } else {
        "text/plain; charset=utf-8"
    }
}
