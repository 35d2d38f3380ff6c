//! Microseconds per transaction with CRS v4 at paranoia level 1, all five phases: a benign
//! browser-like GET and an SQLi GET. The rule set is compiled once, as in production.
//!
//! Needs `../shared/crs/v4.28.0`; without it the bench prints why and measures nothing.

use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use integration::ftw::runner::{base_config, load_rules};
use waf_core::{RuleSet, Transaction, TransactionOptions};

const BROWSER_HEADERS: &[(&str, &str)] = &[
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

fn transaction(rules: &Arc<RuleSet>, uri: &str) -> Option<u16> {
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

fn crs_v4(c: &mut Criterion) {
    let crs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/crs/v4.28.0");
    if !crs.is_dir() {
        eprintln!("skipped: {} is absent", crs.display());
        return;
    }
    let rules = load_rules(&base_config(), Some(&crs), "", &[]).expect("CRS v4 compiles");
    let benign = "/catalog/shoes/running?size=42&color=blue&sort=price_asc";
    let sqli = "/catalog/shoes/running?size=42&id=1%27%20OR%20%271%27%3D%271";
    assert_eq!(
        transaction(&rules, benign),
        None,
        "benign request must pass"
    );
    assert_eq!(transaction(&rules, sqli), Some(403), "SQLi must be blocked");
    let mut group = c.benchmark_group("transaction CRS v4.28.0 PL1");
    group.bench_function("benign browser GET", |b| {
        b.iter(|| transaction(&rules, benign))
    });
    group.bench_function("SQLi GET", |b| b.iter(|| transaction(&rules, sqli)));
    group.finish();
}

criterion_group!(benches, crs_v4);
criterion_main!(benches);
