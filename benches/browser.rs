//! The browser request every engine benchmark sends. Kept apart from `lib.rs` so that
//! `crates/waf-core/examples/crs_loop.rs`, which also builds for wasm (where this crate's
//! other dependencies do not), can include the same request with `#[path]`.

use std::sync::Arc;

use waf_core::{RuleSet, Transaction, TransactionOptions};

/// The page the benign benchmark request asks for.
pub const BENIGN_URI: &str = "/catalog/shoes/running?size=42&color=blue&sort=price_asc";

/// The request headers of a current desktop browser loading a shop page.
pub const BROWSER_HEADERS: &[(&str, &str)] = &[
    ("Host", "shop.example.com"),
    (
        "User-Agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    ),
    (
        "Accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    ),
    ("Accept-Language", "en-US,en;q=0.9,de;q=0.8"),
    ("Accept-Encoding", "gzip, deflate, br, zstd"),
    ("Referer", "https://shop.example.com/catalog?page=2"),
    ("Cookie", "session=5f2b9c1e8a7d4e3f; theme=dark; consent=1"),
    ("Sec-Fetch-Dest", "document"),
    ("Sec-Fetch-Mode", "navigate"),
    ("Upgrade-Insecure-Requests", "1"),
];

/// One browser GET of `uri` through all five phases, with a small HTML response; returns
/// the interruption status, if any.
pub fn browser_get(rules: &Arc<RuleSet>, uri: &str) -> Option<u16> {
    let mut tx = Transaction::new(Arc::clone(rules), TransactionOptions::default());
    tx.process_connection("203.0.113.7", 51234, "10.0.0.2", 443)
        .ok()?;
    tx.process_uri(uri.as_bytes(), b"GET", b"1.1").ok()?;
    for (n, v) in BROWSER_HEADERS {
        tx.add_request_header(n.as_bytes(), v.as_bytes()).ok()?;
    }
    let mut verdict = tx.process_request_headers().ok()?;
    if verdict.is_none() {
        verdict = tx.process_request_body().ok()?;
    }
    if verdict.is_none() {
        tx.add_response_header(b"Content-Type", b"text/html; charset=utf-8")
            .ok()?;
        tx.add_response_header(b"Content-Length", b"1024").ok()?;
        verdict = tx.process_response_headers(200, b"HTTP/1.1").ok()?;
    }
    if verdict.is_none() {
        tx.append_response_body(b"<html><body>Product list</body></html>")
            .ok()?;
        verdict = tx.process_response_body().ok()?;
    }
    tx.process_logging().ok()?;
    std::hint::black_box(tx.audit_record());
    verdict.map(|i| i.status)
}
