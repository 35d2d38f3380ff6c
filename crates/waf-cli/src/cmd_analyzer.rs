//! `waf analyzer`: the threat analyzer daemon and its offline replay.

use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use waf_analyzer::config::{Config, EnforcerConfig};
use waf_analyzer::metrics::Metrics;

#[derive(Args)]
pub struct AnalyzerArgs {
    #[command(subcommand)]
    command: AnalyzerCommand,
}

#[derive(Subcommand)]
enum AnalyzerCommand {
    /// Run sources → detection → enforcement until SIGINT/SIGTERM.
    Run {
        /// Configuration file (TOML, or JSON with a .json extension).
        #[arg(long)]
        config: PathBuf,
        /// Print decisions instead of enforcing them, whatever the config says.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print what would have been blocked for a recorded audit log ("-" for stdin).
    Replay {
        /// JSON-lines audit log.
        file: PathBuf,
        /// Detection settings (defaults when omitted).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Validate a configuration file and print it with defaults filled in.
    CheckConfig {
        /// Configuration file.
        config: PathBuf,
    },
}

pub fn run(args: AnalyzerArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AnalyzerCommand::Run { config, dry_run } => {
            let mut cfg = Config::load(&config)?;
            if cfg.sources.is_empty() {
                anyhow::bail!("{}: no [[sources]] configured", config.display());
            }
            if dry_run {
                cfg.enforcer = EnforcerConfig::DryRun;
            }
            let enforcer = waf_analyzer::enforce::from_config(&cfg.enforcer)?;
            let stop = Arc::new(AtomicBool::new(false));
            waf_analyzer::daemon::install_signal_handlers(&stop)
                .context("installing signal handlers")?;
            let metrics = Arc::new(Metrics::default());
            let summary = waf_analyzer::daemon::run(&cfg, enforcer, stop, metrics)?;
            eprintln!(
                "waf analyzer: {} lines, {} decisions, {} active blocks at exit",
                summary.lines, summary.decisions, summary.active
            );
            Ok(ExitCode::SUCCESS)
        }
        AnalyzerCommand::Replay { file, config } => {
            let cfg = match config {
                Some(p) => Config::load(&p)?,
                None => Config::default(),
            };
            let started = Instant::now();
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            let summary = if file.as_os_str() == "-" {
                let stdin = std::io::stdin();
                waf_analyzer::replay::replay(&cfg, &mut stdin.lock(), &mut out)?
            } else {
                let f = std::fs::File::open(&file)
                    .with_context(|| format!("opening {}", file.display()))?;
                let mut r = BufReader::with_capacity(1 << 20, f);
                waf_analyzer::replay::replay(&cfg, &mut r, &mut out)?
            };
            out.flush()?;
            for (line, err) in &summary.malformed {
                eprintln!("{}:{line}: {err}", file.display());
            }
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "waf analyzer replay: {} records ({} malformed, {} duplicates, {} allowlisted), {} decisions, {:.0} records/s",
                summary.records,
                summary.malformed_count,
                summary.duplicates,
                summary.allowlisted,
                summary.decisions.len(),
                summary.records as f64 / secs.max(1e-9)
            );
            Ok(ExitCode::SUCCESS)
        }
        AnalyzerCommand::CheckConfig { config } => {
            let cfg = Config::load(&config)?;
            println!("{}", cfg.to_pretty_json());
            Ok(ExitCode::SUCCESS)
        }
    }
}
