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

/// albedo's `/reflect`, as the in-process runner answers it.
fn reflect(spec: &[u8]) -> Response {
    let r = crate::ftw::runner::reflect(spec);
    let headers = r
        .headers
        .into_iter()
        .map(|(n, v)| {
            (
                String::from_utf8_lossy(&n).into_owned(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect();
    (r.status, headers, r.body)
}
