//! Runs go-ftw suites in-process: each stage's request goes through a [`Transaction`] on a
//! CRS rule set configured the way the CRS project's own harness configures its WAFs
//! (DetectionOnly through rule 900005, paranoia level 4, the 900005 limits), and the
//! ModSecurity-style log lines it produces are checked against the stage's expectations.
//!
//! What stands in for the pieces a real deployment has:
//! - the HTTP front end: [`super::http`] parses the request and [`super::frontend`]
//!   applies httpd's checks; a request httpd would refuse gets its status (400) and never
//!   reaches the engine;
//! - the backend: albedo's behaviour — `POST /reflect` answers with the status, headers
//!   and body its JSON names; anything else is `200` with no body.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use waf_core::{Intervention, RuleSet, Transaction, TransactionOptions};
use waf_seclang::{MemoryLoader, OverlayLoader};

use super::expect::{Expectation, Outcome};
use super::frontend::{FrontEnd, front_end};
use super::http::{self, HttpRequest};
use super::model::Stage;
use super::overrides::{Action, Overrides};
use super::{FileSelection, load_dir};

/// Engine settings in force before CRS loads: ModSecurity's recommended values (with the
/// request body processors CRS expects for XML and JSON) and `SecRuleEngine On`.
pub fn base_config() -> String {
    format!(
        "{}\nSecRuleEngine On\n",
        waf_core::config::RECOMMENDED_SETTINGS
    )
}

/// The CRS 4 test settings (rule 900005 of the CRS 4 regression-test README), loaded
/// after `crs-setup.conf`.
pub const TEST_SETTINGS_V4: &str = r#"
SecDefaultAction "phase:3,log,auditlog,pass"
SecDefaultAction "phase:4,log,auditlog,pass"
SecDefaultAction "phase:5,log,auditlog,pass"
SecAction "id:900005,phase:1,nolog,pass,ctl:ruleEngine=DetectionOnly,ctl:ruleRemoveById=910000,\
    setvar:tx.blocking_paranoia_level=4,setvar:tx.crs_validate_utf8_encoding=1,\
    setvar:tx.arg_name_length=100,setvar:tx.arg_length=400,setvar:tx.total_arg_length=64000,\
    setvar:tx.max_num_args=255,setvar:tx.max_file_size=64100,setvar:tx.combined_file_sizes=65535"
"#;

/// The CRS 3.3 test settings: 900005 as in the CRS 3.3 harness README, plus what its
/// containers set: the argument and file-size limits of the `owasp/modsecurity-crs`
/// image's defaults, `COMBINED_FILE_SIZES`, and XML-attribute inspection (900511).
pub const TEST_SETTINGS_V3: &str = r#"
SecDefaultAction "phase:3,log,auditlog,pass"
SecDefaultAction "phase:4,log,auditlog,pass"
SecDefaultAction "phase:5,log,auditlog,pass"
SecAction "id:900005,phase:1,nolog,pass,ctl:ruleEngine=DetectionOnly,ctl:ruleRemoveById=910000,\
    setvar:tx.paranoia_level=4,setvar:tx.crs_validate_utf8_encoding=1,\
    setvar:tx.arg_name_length=100,setvar:tx.arg_length=400,setvar:tx.combined_file_sizes=65535,\
    setvar:tx.max_num_args=255,setvar:tx.total_arg_length=64000,setvar:tx.max_file_size=1048576"
SecAction "id:900511,phase:1,pass,nolog,setvar:tx.crs_xml_attr_inspect=1"
"#;

/// Which harness settings fit a CRS setup file: CRS 3 names its paranoia setting
/// `tx.paranoia_level`, CRS 4 `tx.blocking_paranoia_level`.
fn test_settings_for(setup_text: &str) -> &'static str {
    let version = setup_text
        .split("crs_setup_version=")
        .nth(1)
        .and_then(|rest| rest.chars().next());
    if version == Some('3') {
        TEST_SETTINGS_V3
    } else {
        TEST_SETTINGS_V4
    }
}

/// The load order of a CRS directory: its setup file, then `rules/*.conf` by name.
pub fn crs_files(crs_dir: &Path) -> Result<(PathBuf, Vec<PathBuf>), String> {
    let setup = ["crs-setup.conf", "crs-setup.conf.example"]
        .iter()
        .map(|n| crs_dir.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("{}: no crs-setup.conf(.example)", crs_dir.display()))?;
    let mut rules: Vec<PathBuf> = std::fs::read_dir(crs_dir.join("rules"))
        .map_err(|e| format!("{}: {e}", crs_dir.join("rules").display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    rules.sort();
    Ok((setup, rules))
}

/// Compiles rules in this order: `base` (inline text), then CRS's setup file, then
/// `after_setup` (inline), then CRS's rules, then `extra` files.
pub fn load_rules(
    base: &str,
    crs_dir: Option<&Path>,
    after_setup: &str,
    extra: &[PathBuf],
) -> Result<Arc<RuleSet>, String> {
    let mut memory = MemoryLoader::new();
    memory
        .insert("<base>", base)
        .insert("<after setup>", after_setup);
    let mut files: Vec<String> = vec!["<base>".into()];
    if let Some(dir) = crs_dir {
        let (setup, rules) = crs_files(dir)?;
        files.push(setup.display().to_string());
        files.push("<after setup>".into());
        files.extend(rules.iter().map(|p| p.display().to_string()));
    }
    files.extend(extra.iter().map(|p| p.display().to_string()));
    let mut loader = OverlayLoader::new(memory);
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    let compiled = RuleSet::load(&mut loader, &names).map_err(|e| e.to_string())?;
    Ok(Arc::new(compiled.rules))
}

/// Compiles CRS from `crs_dir` as the CRS test harness does.
pub fn load_crs(crs_dir: &Path) -> Result<Arc<RuleSet>, String> {
    let (setup, _) = crs_files(crs_dir)?;
    let setup_text =
        std::fs::read_to_string(&setup).map_err(|e| format!("{}: {e}", setup.display()))?;
    load_rules(
        &base_config(),
        Some(crs_dir),
        test_settings_for(&setup_text),
        &[],
    )
}

/// The backend's answer to a request (albedo's `/reflect`, or an empty 200).
pub struct BackendResponse {
    pub status: u16,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub body: Vec<u8>,
}

fn backend(request: &HttpRequest) -> BackendResponse {
    let path = request.uri.split(|&b| b == b'?').next().unwrap_or_default();
    if request.method == b"POST" && path.ends_with(b"/reflect") {
        reflect(&request.body)
    } else {
        BackendResponse {
            status: 200,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

/// albedo's `/reflect`: answers with the status (100-599), headers and body (or
/// base64 `encodedBody`) that the JSON request body names, typed the way its Go server
/// types a body that comes without a Content-Type.
pub fn reflect(spec: &[u8]) -> BackendResponse {
    let mut response = BackendResponse {
        status: 200,
        headers: Vec::new(),
        body: Vec::new(),
    };
    let Ok(spec) = serde_json::from_slice::<serde_json::Value>(spec) else {
        return response;
    };
    if let Some(status) = spec
        .get("status")
        .and_then(|s| s.as_u64())
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..=599).contains(s))
    {
        response.status = status;
    }
    if let Some(headers) = spec.get("headers").and_then(|h| h.as_object()) {
        for (name, value) in headers {
            let value = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            // The length is the server's to set.
            if !name.eq_ignore_ascii_case("content-length") {
                response
                    .headers
                    .push((name.as_bytes().to_vec(), value.into_bytes()));
            }
        }
    }
    if let Some(body) = spec.get("body").and_then(|b| b.as_str()) {
        response.body = body.as_bytes().to_vec();
    }
    if let Some(encoded) = spec.get("encodedBody").and_then(|b| b.as_str())
        && let Ok(body) = base64::engine::general_purpose::STANDARD.decode(encoded)
    {
        response.body = body;
    }
    let has_type = response
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(b"content-type"));
    if !has_type && !response.body.is_empty() {
        response.headers.push((
            b"Content-Type".to_vec(),
            sniff_content_type(&response.body).as_bytes().to_vec(),
        ));
    }
    response
}

/// The content type Go's `net/http` gives a body written without one (albedo is a Go
/// server): HTML and XML by their first tag, otherwise plain text unless binary.
fn sniff_content_type(body: &[u8]) -> &'static str {
    let start = body
        .iter()
        .position(|b| !b" \t\r\n\x0c".contains(b))
        .unwrap_or(body.len());
    let head: Vec<u8> = body[start..]
        .iter()
        .take(16)
        .map(u8::to_ascii_uppercase)
        .collect();
    const HTML: &[&[u8]] = &[
        b"<!DOCTYPE HTML",
        b"<HTML",
        b"<HEAD",
        b"<SCRIPT",
        b"<IFRAME",
        b"<H1",
        b"<DIV",
        b"<FONT",
        b"<TABLE",
        b"<A",
        b"<STYLE",
        b"<TITLE",
        b"<B",
        b"<BODY",
        b"<BR",
        b"<P",
        b"<!--",
    ];
    let tag_end = |tag: &[u8]| matches!(head.get(tag.len()), Some(b' ' | b'>'));
    if HTML
        .iter()
        .any(|t| head.starts_with(t) && (t == b"<!--" || tag_end(t)))
    {
        "text/html; charset=utf-8"
    } else if head.starts_with(b"<?XML") {
        "text/xml; charset=utf-8"
    } else if body
        .iter()
        .take(512)
        .any(|&b| b < 0x09 || (0x0e..0x1b).contains(&b) || b == 0x0b)
    {
        "application/octet-stream"
    } else {
        "text/plain; charset=utf-8"
    }
}

/// A request taken through every phase.
pub struct Evaluated {
    pub transaction: Transaction,
    /// The interruption, if a rule interrupted.
    pub verdict: Option<Intervention>,
    /// What the client gets: the intervention's status or the backend's.
    pub status: u16,
    /// The backend's response body (empty when interrupted before it).
    pub response_body: Vec<u8>,
}

impl Evaluated {
    /// The error-log lines of every matched logging rule, one per line.
    pub fn log_lines(&self) -> String {
        let mut log = String::new();
        for m in self.transaction.matched_rules().iter().filter(|m| m.log) {
            let interrupted = self
                .verdict
                .as_ref()
                .filter(|i| i.rule_id == m.id)
                .map(|i| (i.status, i.phase));
            log.push_str(&m.error_log_line(interrupted));
            log.push('\n');
        }
        log
    }
}

/// Runs a parsed request through all five phases, with albedo's behaviour standing in for
/// the backend.
pub fn evaluate_request(
    rules: &Arc<RuleSet>,
    request: &HttpRequest,
    options: TransactionOptions,
) -> Evaluated {
    let mut tx = Transaction::new(Arc::clone(rules), options);
    let _ = tx.process_connection("127.0.0.1", 40000, "127.0.0.1", 80);
    let version = request
        .protocol
        .strip_prefix(b"HTTP/")
        .unwrap_or(&request.protocol)
        .to_vec();
    let _ = tx.process_uri(&request.uri, &request.method, &version);
    for (name, value) in &request.headers {
        let _ = tx.add_request_header(name, value);
    }
    let mut verdict = tx.process_request_headers().ok().flatten();
    if verdict.is_none() {
        let _ = tx.append_request_body(&request.body);
        verdict = tx.process_request_body().ok().flatten();
    }
    let mut status = verdict.as_ref().map_or(200, |i| i.status);
    let mut response_body = Vec::new();
    if verdict.is_none() {
        let response = backend(request);
        for (name, value) in &response.headers {
            let _ = tx.add_response_header(name, value);
        }
        verdict = tx
            .process_response_headers(response.status, b"HTTP/1.1")
            .ok()
            .flatten();
        if verdict.is_none() {
            let _ = tx.append_response_body(&response.body);
            verdict = tx.process_response_body().ok().flatten();
        }
        status = verdict.as_ref().map_or(response.status, |i| i.status);
        response_body = response.body;
    }
    let _ = tx.process_logging();
    Evaluated {
        transaction: tx,
        verdict,
        status,
        response_body,
    }
}

/// Sends one raw request through a transaction and reports what a go-ftw run would see.
pub fn run_request(rules: &Arc<RuleSet>, raw: &[u8]) -> Outcome {
    let parsed = http::parse_request(raw).map(front_end);
    let request = match parsed {
        Ok(FrontEnd::Forward(r)) => r,
        Ok(FrontEnd::Reject(status, _)) => {
            return Outcome {
                status: Some(status),
                ..Outcome::default()
            };
        }
        Ok(FrontEnd::Close(reason)) => {
            return Outcome {
                error: Some(reason.to_string()),
                ..Outcome::default()
            };
        }
        Err(e) => {
            return match e.status() {
                Some(status) => Outcome {
                    status: Some(status),
                    ..Outcome::default()
                },
                None => Outcome {
                    error: Some(e.to_string()),
                    ..Outcome::default()
                },
            };
        }
    };
    let evaluated = evaluate_request(rules, &request, TransactionOptions::default());
    let mut response_text = Vec::new();
    if evaluated.verdict.is_none() {
        response_text = format!("HTTP/1.1 {}\r\n\r\n", evaluated.status).into_bytes();
        response_text.extend_from_slice(&evaluated.response_body);
    }
    Outcome {
        status: Some(evaluated.status),
        log: evaluated.log_lines(),
        response_body: response_text,
        error: None,
    }
}

/// How one test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Failed(String),
    Skipped(String),
}

/// Runs every stage of a test; the first failing stage decides.
pub fn run_test(rules: &Arc<RuleSet>, stages: &[Stage], overrides: Option<&Action>) -> Verdict {
    run_stages(stages, overrides, |raw| run_request(rules, raw))
}

/// Runs every stage of a test, sending each request with `send` (in-process or over the
/// wire); the first failing stage decides.
pub fn run_stages(
    stages: &[Stage],
    overrides: Option<&Action>,
    mut send: impl FnMut(&[u8]) -> Outcome,
) -> Verdict {
    if let Some(Action::Ignore) = overrides {
        return Verdict::Skipped("ignored by override".into());
    }
    for (index, stage) in stages.iter().enumerate() {
        let mut expectation = match stage.expectation() {
            Ok(e) => e,
            Err(e) => return Verdict::Failed(format!("bad expectation: {e}")),
        };
        if let Some(Action::Output { output, stages }) = overrides
            && (stages.is_empty() || stages.contains(&(index as u32)))
        {
            match Expectation::from_output(output) {
                Ok(e) => expectation = e,
                Err(e) => return Verdict::Failed(format!("bad override: {e}")),
            }
        }
        let outcome = match stage.request() {
            Ok(built) => send(&built.bytes),
            Err(e) => Outcome {
                error: Some(e.to_string()),
                ..Outcome::default()
            },
        };
        if let Err(failure) = expectation.check(&outcome) {
            if std::env::var_os("WAF_FTW_SHOW_LOG").is_some() {
                eprintln!("--- log of failing stage {}:\n{}", index + 1, outcome.log);
            }
            return Verdict::Failed(if stages.len() > 1 {
                format!("stage {}: {failure}", index + 1)
            } else {
                failure.to_string()
            });
        }
    }
    Verdict::Passed
}

/// The result of a suite run.
#[derive(Debug, Default)]
pub struct Report {
    pub passed: usize,
    pub skipped: usize,
    /// `(test id, rule id, reason)` of every failure, known or not.
    pub failed: Vec<(String, u32, String)>,
    /// Failures that the overrides do not list.
    pub unexpected: Vec<String>,
    /// Tests listed as known failures that passed.
    pub fixed: Vec<String>,
}

impl Report {
    /// One line per failure (`FAIL id [rule N] (known): reason`) and per listed test that
    /// now passes (`FIXED id: ...`), in that order.
    pub fn detail_lines(&self) -> impl Iterator<Item = String> + '_ {
        let failures = self.failed.iter().map(|(id, rule, reason)| {
            let known = if self.unexpected.contains(id) {
                ""
            } else {
                " (known)"
            };
            format!("FAIL {id} [rule {rule}]{known}: {reason}")
        });
        let fixed = self.fixed.iter().map(|id| {
            format!("FIXED {id}: listed as a known failure but passes; remove it from the list")
        });
        failures.chain(fixed)
    }
}

/// Runs a whole suite directory against a CRS directory.
pub fn run_suite(
    crs_dir: &Path,
    tests_dir: &Path,
    overrides: &Overrides,
    filter: Option<&str>,
) -> Result<Report, String> {
    let rules = load_crs(crs_dir)?;
    run_tests(tests_dir, overrides, filter, |stages, action| {
        run_test(&rules, stages, action)
    })
}

/// Runs every test of a suite directory with `run` and tallies the verdicts against the
/// overrides (known failures, fixed tests).
pub fn run_tests(
    tests_dir: &Path,
    overrides: &Overrides,
    filter: Option<&str>,
    mut run: impl FnMut(&[Stage], Option<&Action>) -> Verdict,
) -> Result<Report, String> {
    let suite = load_dir(tests_dir, FileSelection::AllYaml).map_err(|e| e.to_string())?;
    let mut report = Report::default();
    for (_, test) in suite.tests() {
        if filter.is_some_and(|f| !test.id.starts_with(f)) {
            continue;
        }
        let entry = overrides.find(&test.id, test.rule_id);
        let known_failure = matches!(entry.map(|o| &o.action), Some(Action::KnownFailure));
        match run(&test.stages, entry.map(|o| &o.action)) {
            Verdict::Passed => {
                report.passed += 1;
                if known_failure {
                    report.fixed.push(test.id.clone());
                }
            }
            Verdict::Skipped(_) => report.skipped += 1,
            Verdict::Failed(reason) => {
                if !known_failure {
                    report.unexpected.push(test.id.clone());
                }
                report.failed.push((test.id.clone(), test.rule_id, reason));
            }
        }
    }
    Ok(report)
}
