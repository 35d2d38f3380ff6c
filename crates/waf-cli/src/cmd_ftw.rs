//! `waf ftw`: the CRS regression suites (go-ftw YAML), run in-process, or over the wire
//! against a running Envoy with our filter (`--target`, `--envoy-log`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use integration::ftw::overrides::{Overrides, load_own};
use integration::ftw::runner::run_suite;
use integration::ftw::wire::{self, WireTarget};

#[derive(clap::Args)]
pub struct FtwArgs {
    /// The CRS directory (crs-setup.conf.example and rules/); in-process runs only.
    #[arg(long, value_name = "DIR", required_unless_present = "target")]
    pub crs: Option<PathBuf>,
    /// The go-ftw test directory (e.g. tests/ of the CRS release).
    #[arg(long, value_name = "DIR")]
    pub tests: PathBuf,
    /// Known failures and overrides (YAML list of {test, reason}).
    #[arg(long, value_name = "FILE")]
    pub overrides: Option<PathBuf>,
    /// Only tests whose id starts with this (e.g. `942100`).
    #[arg(long)]
    pub filter: Option<String>,
    /// Send the requests over the wire to this front end (`http://127.0.0.1:PORT`), e.g.
    /// a gateway started with `waf up --ftw`.
    #[arg(long, value_name = "URL", requires = "envoy_log")]
    pub target: Option<String>,
    /// Envoy's log, where the filter writes its lines (with --target).
    #[arg(long, value_name = "FILE")]
    pub envoy_log: Option<PathBuf>,
}

pub fn run(args: FtwArgs) -> anyhow::Result<ExitCode> {
    let overrides = match &args.overrides {
        Some(path) => load_own(path)?,
        None => Overrides::default(),
    };
    let report = match (&args.target, &args.envoy_log, &args.crs) {
        (Some(url), Some(log), _) => {
            let target = WireTarget::parse(url, log).map_err(anyhow::Error::msg)?;
            wire::run_suite(&target, &args.tests, &overrides, args.filter.as_deref())
                .map_err(anyhow::Error::msg)?
        }
        (_, _, Some(crs)) => run_suite(crs, &args.tests, &overrides, args.filter.as_deref())
            .map_err(anyhow::Error::msg)?,
        _ => return Err(anyhow::anyhow!("give --crs, or --target with --envoy-log")),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in report.detail_lines() {
        writeln!(out, "{line}").context("stdout")?;
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
