//! `waf ftw`: the CRS regression suites (go-ftw YAML), run in-process.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use integration::ftw::overrides::{Overrides, load_own};
use integration::ftw::runner::run_suite;

#[derive(clap::Args)]
pub struct FtwArgs {
    /// The CRS directory (crs-setup.conf.example and rules/).
    #[arg(long, value_name = "DIR")]
    pub crs: PathBuf,
    /// The go-ftw test directory (e.g. tests/ of the CRS release).
    #[arg(long, value_name = "DIR")]
    pub tests: PathBuf,
    /// Known failures and overrides (YAML list of {test, reason}).
    #[arg(long, value_name = "FILE")]
    pub overrides: Option<PathBuf>,
    /// Only tests whose id starts with this (e.g. `942100`).
    #[arg(long)]
    pub filter: Option<String>,
}

pub fn run(args: FtwArgs) -> anyhow::Result<ExitCode> {
    let overrides = match &args.overrides {
        Some(path) => load_own(path)?,
        None => Overrides::default(),
    };
    let report = run_suite(&args.crs, &args.tests, &overrides, args.filter.as_deref())
        .map_err(anyhow::Error::msg)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (id, rule, reason) in &report.failed {
        let known = if report.unexpected.contains(id) {
            ""
        } else {
            " (known)"
        };
        writeln!(out, "FAIL {id} [rule {rule}]{known}: {reason}")?;
    }
    for id in &report.fixed {
        writeln!(
            out,
            "FIXED {id}: listed as a known failure but passes; remove it from the list"
        )?;
    }
    writeln!(
        out,
        "ftw: {} passed, {} failed, {} skipped",
        report.passed,
        report.failed.len(),
        report.skipped
    )?;
    Ok(if report.unexpected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
