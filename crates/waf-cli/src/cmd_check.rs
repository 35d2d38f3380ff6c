//! `waf check`: load rule files the way a deployment would (parse, then compile with the
//! engine, data files included) and report every problem.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use waf_core::{RuleErrors, RuleSet};
use waf_seclang::{ActionKind, Directive, FsLoader, ParseOutput, Parser};

#[derive(clap::Args)]
pub struct CheckArgs {
    /// A CRS directory: loads `crs-setup.conf` (or `crs-setup.conf.example`), then `rules/*.conf`.
    #[arg(long, value_name = "DIR")]
    pub crs: Option<PathBuf>,
    /// The setup file to use with `--crs` instead of the one in DIR (Debian keeps it in
    /// /etc/modsecurity/crs/crs-setup.conf).
    #[arg(long, value_name = "FILE", requires = "crs")]
    pub crs_setup: Option<PathBuf>,
    /// Rule files, loaded in order (after the CRS set when both are given).
    pub files: Vec<PathBuf>,
}

/// The files `--crs DIR` loads, in order.
pub fn crs_load_order(dir: &Path, setup: Option<&Path>) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    match setup {
        Some(s) => files.push(s.to_path_buf()),
        None => {
            let setup = ["crs-setup.conf", "crs-setup.conf.example"]
                .iter()
                .map(|n| dir.join(n))
                .find(|p| p.is_file());
            match setup {
                Some(s) => files.push(s),
                None => {
                    return Err(format!(
                        "{}: no crs-setup.conf or crs-setup.conf.example (give one with --crs-setup)",
                        dir.display()
                    ));
                }
            }
        }
    }
    let rules_dir = dir.join("rules");
    let entries =
        std::fs::read_dir(&rules_dir).map_err(|e| format!("{}: {e}", rules_dir.display()))?;
    let mut rules: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf") && p.is_file())
        .collect();
    rules.sort();
    files.extend(rules);
    Ok(files)
}

/// Rules as ModSecurity counts them: a chain is one rule.
pub fn count_rules(out: &ParseOutput) -> usize {
    let mut count = 0;
    let mut in_chain = false;
    for d in &out.ast.directives {
        match &d.node {
            Directive::Rule(rule) => {
                if !in_chain {
                    count += 1;
                }
                in_chain = rule.actions.iter().any(|a| a.kind == ActionKind::Chain);
            }
            // `SecAction` cannot continue a chain: it always starts a rule of its own.
            Directive::Action(_) => {
                count += 1;
                in_chain = false;
            }
            _ => {}
        }
    }
    count
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let mut files = Vec::new();
    if let Some(dir) = &args.crs {
        files = crs_load_order(dir, args.crs_setup.as_deref()).map_err(anyhow::Error::msg)?;
    }
    files.extend(args.files.iter().cloned());
    if files.is_empty() {
        anyhow::bail!("nothing to check: give rule files or --crs DIR");
    }
    let mut loader = FsLoader;
    let mut parser = Parser::new(&mut loader);
    for file in &files {
        parser.parse_file(&file.to_string_lossy(), None);
    }
    let out = parser.finish();
    let mut errors: Vec<String> = out.errors.iter().map(ToString::to_string).collect();
    let mut warnings: Vec<String> = out.warnings.iter().map(ToString::to_string).collect();
    let mut loaded = count_rules(&out);
    // Compile only what parsed cleanly: a skipped directive would only cause follow-up
    // errors (a chain without its link, a marker never defined).
    if errors.is_empty() {
        match RuleSet::compile(&out.ast, &mut loader) {
            Ok(compiled) => {
                loaded = compiled.rules.rule_count();
                warnings.extend(compiled.warnings.iter().map(ToString::to_string));
            }
            Err(RuleErrors(compile_errors)) => {
                errors.extend(compile_errors.iter().map(ToString::to_string))
            }
        }
    }
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    for line in errors.iter().chain(&warnings) {
        writeln!(stdout, "{line}")?;
    }
    writeln!(
        stdout,
        "rules: {loaded} loaded, {} errors, {} warnings",
        errors.len(),
        warnings.len()
    )?;
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
