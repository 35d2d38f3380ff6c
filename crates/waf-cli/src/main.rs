//! `waf`: the command-line front end. Each subcommand is a thin layer over a library crate.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd_analyzer;
mod cmd_check;
mod cmd_detect;
mod cmd_eval;
mod cmd_ftw;
mod cmd_up;

#[derive(Parser)]
#[command(
    name = "waf",
    version,
    about = "A Rust web application firewall for OWASP CRS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse rule files (or a CRS directory) and report every error as file:line:col.
    Check(cmd_check::CheckArgs),
    /// Threat analyzer: audit logs in, timed L3/L4 blocks out (`run`, `replay`).
    Analyzer(cmd_analyzer::AnalyzerArgs),
    /// SQLi/XSS detection (libinjection-compatible), one input per line on stdin.
    Detect(cmd_detect::DetectArgs),
    /// Evaluate one raw HTTP request and print the decision and matched rules.
    Eval(cmd_eval::EvalArgs),
    /// Run CRS regression tests (go-ftw YAML) in-process and report pass counts.
    Ftw(cmd_ftw::FtwArgs),
    /// Local gateway: Envoy with the filter and CRS on 127.0.0.1:8080, a demo backend.
    Up(cmd_up::UpArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => cmd_check::run(args),
        Command::Analyzer(args) => cmd_analyzer::run(args),
        Command::Detect(args) => cmd_detect::run(args),
        Command::Ftw(args) => cmd_ftw::run(args),
        Command::Eval(args) => cmd_eval::run(args),
        Command::Up(args) => cmd_up::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("waf: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Output piped into `head` is not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
