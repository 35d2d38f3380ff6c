//! Runs one browser-like GET through CRS (all five phases) a number of times and prints
//! the time per transaction. It builds for the host and for `wasm32-wasip1`, so the
//! engine's cost under a wasm runtime — what the Envoy filter pays — can be measured
//! apart from Envoy (`benches/wasm/run.sh` runs it under Node's V8 and natively).
//!
//! `crs_loop CRS_DIR [COUNT]`

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use waf_core::{RuleSet, Transaction, TransactionOptions};
use waf_seclang::{FsLoader, MemoryLoader, OverlayLoader};

const HEADERS: &[(&str, &str)] = &[
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

fn load(crs: &Path) -> Result<Arc<RuleSet>, String> {
    let setup = ["crs-setup.conf", "crs-setup.conf.example"]
        .iter()
        .map(|n| crs.join(n))
        .find(|p| p.is_file())
        .ok_or("no crs-setup.conf(.example)")?;
    let mut rules: Vec<String> = std::fs::read_dir(crs.join("rules"))
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .map(|p| p.display().to_string())
        .collect();
    rules.sort();
    let mut memory = MemoryLoader::new();
    let base = format!(
        "{}\nSecRuleEngine On\n",
        waf_core::config::RECOMMENDED_SETTINGS
    );
    memory.insert("<base>", &base);
    let mut names = vec!["<base>".to_string(), setup.display().to_string()];
    names.extend(rules);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut loader = OverlayLoader::new(memory);
    let _ = FsLoader;
    let compiled = RuleSet::load(&mut loader, &names).map_err(|e| e.to_string())?;
    Ok(Arc::new(compiled.rules))
}

fn browser_get(rules: &Arc<RuleSet>) -> Option<u16> {
    let mut tx = Transaction::new(Arc::clone(rules), TransactionOptions::default());
    tx.process_connection("203.0.113.7", 51234, "10.0.0.2", 443)
        .ok()?;
    let uri = b"/catalog/shoes/running?size=42&color=blue&sort=price_asc";
    tx.process_uri(uri, b"GET", b"1.1").ok()?;
    for (n, v) in HEADERS {
        tx.add_request_header(n.as_bytes(), v.as_bytes()).ok()?;
    }
    let mut verdict = tx.process_request_headers().ok()?;
    if verdict.is_none() {
        verdict = tx.process_request_body().ok()?;
    }
    if verdict.is_none() {
        tx.add_response_header(b"Content-Type", b"text/html; charset=utf-8")
            .ok()?;
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

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(crs) = args.next() else {
        eprintln!("usage: crs_loop CRS_DIR [COUNT]");
        std::process::exit(2);
    };
    let count: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let rules = match load(Path::new(&crs)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("crs_loop: {e}");
            std::process::exit(1);
        }
    };
    // Warm up lazily built regex state, then measure.
    for _ in 0..50 {
        browser_get(&rules);
    }
    let start = Instant::now();
    for _ in 0..count {
        std::hint::black_box(browser_get(&rules));
    }
    let per = start.elapsed() / count.max(1);
    println!("{count} transactions, {per:?} each");
}
