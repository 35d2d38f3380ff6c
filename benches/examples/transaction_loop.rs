//! Runs a fixed number of CRS v4 transactions, for instruction counts that do not depend
//! on machine load: `valgrind --tool=callgrind --toggle-collect='*transaction_loop::run*'
//! target/release/examples/transaction_loop 200`.

use std::path::Path;
use std::sync::Arc;

use integration::ftw::runner::{base_config, load_rules};
use waf_core::{Transaction, TransactionOptions};

fn main() {
    let crs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/crs/v4.28.0");
    let rules = load_rules(&base_config(), Some(&crs), "", &[]).expect("CRS v4 compiles");
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let uri = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "/catalog/shoes/running?size=42&color=blue&sort=price_asc".into());
    let start = std::time::Instant::now();
    run(&rules, count, &uri);
    let per = start.elapsed() / count.max(1) as u32;
    println!("{count} transactions, {per:?} each (wall clock; use callgrind for instructions)");
}

/// The measured loop, kept out of line so that `valgrind --tool=callgrind
/// --toggle-collect=*transaction_loop::run*` counts it alone.
#[inline(never)]
fn run(rules: &Arc<waf_core::RuleSet>, count: usize, uri: &str) {
    for _ in 0..count {
        let mut tx = Transaction::new(Arc::clone(rules), TransactionOptions::default());
        let _ = tx.process_connection("203.0.113.7", 51234, "10.0.0.2", 443);
        let _ = tx.process_uri(uri.as_bytes(), b"GET", b"1.1");
        for (n, v) in [
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
        ] {
            let _ = tx.add_request_header(n.as_bytes(), v.as_bytes());
        }
        let _ = tx.process_request_headers();
        let _ = tx.process_request_body();
        let _ = tx.add_response_header(b"Content-Type", b"text/html; charset=utf-8");
        let _ = tx.process_response_headers(200, b"HTTP/1.1");
        let _ = tx.append_response_body(b"<html><body>Product list</body></html>");
        let _ = tx.process_response_body();
        let _ = tx.process_logging();
        std::hint::black_box(tx.audit_record());
    }
}
