//! Microseconds per transaction with CRS v4 at paranoia level 1, all five phases: a benign
//! browser-like GET and an SQLi GET. The rule set is compiled once, as in production.
//!
//! Needs `../shared/crs/v4.28.0`; without it the bench prints why and measures nothing.

use std::path::Path;

use benches::browser_get;
use criterion::{Criterion, criterion_group, criterion_main};
use integration::ftw::runner::{base_config, load_rules};

fn crs_v4(c: &mut Criterion) {
    let crs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/crs/v4.28.0");
    if !crs.is_dir() {
        eprintln!("skipped: {} is absent", crs.display());
        return;
    }
    let rules = load_rules(&base_config(), Some(&crs), "", &[]).expect("CRS v4 compiles");
    let benign = benches::BENIGN_URI;
    let sqli = "/catalog/shoes/running?size=42&id=1%27%20OR%20%271%27%3D%271";
    assert_eq!(
        browser_get(&rules, benign),
        None,
        "benign request must pass"
    );
    assert_eq!(browser_get(&rules, sqli), Some(403), "SQLi must be blocked");
    let mut group = c.benchmark_group("transaction CRS v4.28.0 PL1");
    group.bench_function("benign browser GET", |b| {
        b.iter(|| browser_get(&rules, benign))
    });
    group.bench_function("SQLi GET", |b| b.iter(|| browser_get(&rules, sqli)));
    group.finish();
}

criterion_group!(benches, crs_v4);
criterion_main!(benches);
