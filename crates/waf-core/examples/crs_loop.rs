//! Runs one browser-like GET through CRS (all five phases) a number of times and prints
//! the time per transaction. It builds for the host and for `wasm32-wasip1`, so the
//! engine's cost under a wasm runtime — what the Envoy filter pays — can be measured
//! apart from Envoy (`benches/wasm/run.sh` runs it under Node's V8 and natively).
//!
//! `crs_loop CRS_DIR [COUNT] [EVICT_KIB]`: with `EVICT_KIB`, that much memory is written
//! between transactions (its own time taken off), as a proxy's own work would push the
//! engine's data out of the caches.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use waf_core::RuleSet;
use waf_seclang::{MemoryLoader, OverlayLoader};

// The same request as the criterion benchmark and `transaction_loop`.
#[path = "../../../benches/browser.rs"]
mod browser;

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
    let compiled = RuleSet::load(&mut loader, &names).map_err(|e| e.to_string())?;
    Ok(Arc::new(compiled.rules))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(crs) = args.next() else {
        eprintln!("usage: crs_loop CRS_DIR [COUNT] [EVICT_KIB]");
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
        browser::browser_get(&rules, browser::BENIGN_URI);
    }
    // With a size in KiB, that much memory is written between transactions: a proxy runs
    // its own code between two requests, and the engine then finds less of its rules and
    // state in the caches. The writing is timed alone too and taken off, rather than
    // reading the clock around each transaction (a slow call under WASI).
    let evict_kib: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let mut other_work = vec![0u8; evict_kib * 1024];
    let mut evict = |round: u32| {
        for byte in other_work.iter_mut().step_by(64) {
            *byte = byte.wrapping_add(round as u8);
        }
    };
    let start = Instant::now();
    for round in 0..count {
        evict(round);
        std::hint::black_box(browser::browser_get(&rules, browser::BENIGN_URI));
    }
    let total = start.elapsed();
    let start = Instant::now();
    for round in 0..count {
        evict(round);
    }
    std::hint::black_box(&other_work);
    let per = total.saturating_sub(start.elapsed()) / count.max(1);
    println!("{count} transactions, {per:?} each");
}
