//! Runs a fixed number of CRS v4 transactions, for instruction counts that do not depend
//! on machine load: `valgrind --tool=callgrind --toggle-collect='*transaction_loop::run*'
//! target/release/examples/transaction_loop 200`.

use std::path::Path;
use std::sync::Arc;

use integration::ftw::runner::{base_config, load_rules};

fn main() {
    let crs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/crs/v4.28.0");
    let rules = load_rules(&base_config(), Some(&crs), "", &[]).expect("CRS v4 compiles");
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let uri = std::env::args()
        .nth(2)
        .unwrap_or_else(|| benches::BENIGN_URI.into());
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
        benches::browser_get(rules, uri);
    }
}
