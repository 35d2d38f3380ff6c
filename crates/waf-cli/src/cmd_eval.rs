//! `waf eval`: one raw HTTP request through the engine, for people tuning rules.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use integration::ftw::http::parse_request;
use integration::ftw::runner::{base_config, evaluate_request, load_rules};
use waf_core::TransactionOptions;

#[derive(clap::Args)]
pub struct EvalArgs {
    /// A CRS directory (setup file, then rules/*.conf), loaded after ModSecurity's
    /// recommended settings with `SecRuleEngine On`.
    #[arg(long, value_name = "DIR")]
    pub crs: Option<PathBuf>,
    /// More rule files, loaded after CRS (exclusions, your own rules).
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// The raw HTTP/1.x request; `-` or absent reads standard input.
    #[arg(long, value_name = "FILE")]
    pub request: Option<PathBuf>,
    /// Print the JSON audit record instead of the summary.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let mut raw = Vec::new();
    match args.request.as_deref() {
        Some(path) if path.as_os_str() != "-" => raw = std::fs::read(path)?,
        _ => {
            std::io::stdin().read_to_end(&mut raw)?;
        }
    }
    let request = parse_request(&raw).map_err(|e| anyhow::anyhow!("not an HTTP request: {e}"))?;
    let rules = load_rules(&base_config(), args.crs.as_deref(), "", &args.rules)
        .map_err(anyhow::Error::msg)?;
    let now_micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    let options = TransactionOptions {
        now_micros,
        ..TransactionOptions::default()
    };
    let evaluated = evaluate_request(&rules, &request, options);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        writeln!(
            out,
            "{}",
            evaluated.transaction.build_audit_record().to_json()
        )?;
    } else {
        match &evaluated.verdict {
            Some(i) => writeln!(
                out,
                "decision: blocked with status {} by rule {} in phase {}",
                i.status, i.rule_id, i.phase
            )?,
            None => writeln!(out, "decision: allowed (status {})", evaluated.status)?,
        }
        for m in evaluated.transaction.matched_rules() {
            let severity = m.severity.map_or("-", |s| s.name());
            writeln!(
                out,
                "matched {} [{severity}] {} | {}",
                m.id,
                String::from_utf8_lossy(&m.msg),
                String::from_utf8_lossy(&m.data)
            )?;
        }
    }
    Ok(if evaluated.verdict.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
