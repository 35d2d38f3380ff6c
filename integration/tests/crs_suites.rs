//! The CRS regression suites, run in-process against the engine on every CI run.
//!
//! A failure not listed in `known-failures/` fails the test; a listed test that passes is
//! reported so the list can shrink. The suites come from `../shared/crs`; without it the
//! tests print why they skip.

use std::path::{Path, PathBuf};

use integration::ftw::overrides::load_own;
use integration::ftw::runner::run_suite;

fn run(version: &str, minimum_pass_rate: f64) {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let crs: PathBuf = manifest.join("../../shared/crs").join(version);
    if !crs.join("tests").is_dir() {
        println!("skipped: {} is absent", crs.display());
        return;
    }
    let known = load_own(&manifest.join(format!("known-failures/crs-{version}.yaml"))).unwrap();
    let report = run_suite(&crs, &crs.join("tests"), &known, None).unwrap();
    for line in report.detail_lines() {
        println!("{line}");
    }
    let total = report.passed + report.failed.len();
    println!(
        "CRS {version}: {} passed, {} failed ({} known), {} skipped, pass rate {:.2}%",
        report.passed,
        report.failed.len(),
        report.failed.len() - report.unexpected.len(),
        report.skipped,
        100.0 * report.passed as f64 / total as f64
    );
    assert!(total > 2000, "suspiciously few tests ran: {total}");
    assert!(
        report.unexpected.is_empty(),
        "unexpected failures: {:?}",
        report.unexpected
    );
    assert!(report.passed as f64 / total as f64 >= minimum_pass_rate);
}

#[test]
fn crs_v4_28_0_regression_suite() {
    run("v4.28.0", 0.995);
}

#[test]
fn crs_v3_3_10_regression_suite() {
    run("v3.3.10", 0.99);
}
