//! The small HTTP client against broken servers on 127.0.0.1: every failure is
//! an error naming the URL, never a panic or a hang.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use waf_analyzer::http::{BaseUrl, request};

/// Serves one connection with `answer` (after reading the request head).
fn one_shot(answer: &'static [u8], hold: Duration) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = l.accept() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(answer);
            std::thread::sleep(hold);
        }
    });
    url
}

fn get(url: &str) -> Result<waf_analyzer::http::Response, waf_analyzer::error::HttpError> {
    request(
        &BaseUrl::parse(url).unwrap(),
        "GET",
        "/x",
        &[],
        None,
        Duration::from_millis(500),
    )
}

#[test]
fn broken_answers_are_errors() {
    let cases: [(&'static [u8], &str); 6] = [
        (b"SSH-2.0-OpenSSH\r\n", "no HTTP/1.x status line"),
        (b"HTTP/1.1 abc OK\r\n\r\n", "bad status code"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 10",
            "connection closed inside headers",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "bad chunk size",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n",
            "bad Content-Length",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
            "too large",
        ),
    ];
    for (answer, want) in cases {
        let url = one_shot(answer, Duration::from_millis(0));
        let e = get(&url).unwrap_err().to_string();
        assert!(e.contains(want) && e.contains("/x"), "{e} (wanted {want})");
    }
}

#[test]
fn short_body_and_silence_time_out() {
    let url = one_shot(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
        Duration::from_secs(2),
    );
    let t = Instant::now();
    assert!(get(&url).is_err());
    assert!(t.elapsed() < Duration::from_secs(2), "read timeout applies");
    let e = get("http://127.0.0.1:1").unwrap_err();
    assert!(e.is_transient());
}

#[test]
fn chunked_and_length_bodies_are_read() {
    let url = one_shot(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n", Duration::from_millis(0));
    assert_eq!(get(&url).unwrap().body, b"abcde");
    let url = one_shot(
        b"HTTP/1.0 404 Not Found\r\n\r\nbody until close",
        Duration::from_millis(0),
    );
    let r = get(&url).unwrap();
    assert_eq!(
        (r.status, r.body.as_slice()),
        (404, &b"body until close"[..])
    );
}
