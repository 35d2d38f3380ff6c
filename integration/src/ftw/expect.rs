//! What must be true of a stage's outcome, and the check that says whether it is.
//!
//! This module knows nothing of the engine: the runner turns whatever happened into an
//! [`Outcome`] (status, the ModSecurity-style error-log lines produced for this request,
//! the response text, or an error) and asks [`Expectation::check`].
//!
//! The semantics are go-ftw's (its `check` / `runner` and `waflog` packages):
//!
//! * `expect_error: true` → the stage passes exactly when there was an error, and nothing
//!   else is checked. Without it, an error fails the stage.
//! * `status` → the status must be one of the listed codes.
//! * `response_contains` → a regex that must match the response text.
//! * Log checks look at this stage's log lines only, one line at a time:
//!   `match_regex` / `log_contains` must match some line, `no_match_regex` /
//!   `no_log_contains` must match none. (go-ftw folds the v1 `log_contains` into
//!   `match_regex` when the v2 fields are absent; the suites never use both, and here
//!   both are checked when both are given.)
//! * Rule ids are read from every line with go-ftw's pattern
//!   `\[id \\?"(\d+)\\?"\]|"id":\s*"?(\d+)"?` (so both the native error-log form
//!   `[id "942100"]` and JSON audit logs count). `expect_ids` must all be present,
//!   `no_expect_ids` must all be absent.
//! * `isolated` → exactly one distinct rule id may appear. (go-ftw lets this replace the
//!   `expect_ids` result; here both must hold.)
//!
//! Regexes are compiled once, when the expectation is built, with the `regex` crate; Go's
//! RE2 syntax and `regex`'s agree on everything the suites use.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

use regex::bytes::Regex;

use super::ExpectationError;
use super::model::Output;

/// The checks for one stage, ready to run.
#[derive(Clone, Debug, Default)]
pub struct Expectation {
    /// Acceptable statuses; `None` when any will do.
    pub status: Option<Vec<u16>>,
    /// `log_contains`.
    pub log_contains: Option<Regex>,
    /// `no_log_contains`.
    pub no_log_contains: Option<Regex>,
    /// `log.expect_ids`.
    pub expect_ids: Vec<u32>,
    /// `log.no_expect_ids`.
    pub no_expect_ids: Vec<u32>,
    /// `log.match_regex`.
    pub match_regex: Option<Regex>,
    /// `log.no_match_regex`.
    pub no_match_regex: Option<Regex>,
    /// `response_contains`.
    pub response_contains: Option<Regex>,
    /// `expect_error`.
    pub expect_error: bool,
    /// `isolated`.
    pub isolated: bool,
    /// `retry_once` (for the runner; the check ignores it).
    pub retry_once: bool,
}

/// What happened to one stage's request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The response status, when there was a response.
    pub status: Option<u16>,
    /// The ModSecurity-style error-log lines produced for this request, one per line,
    /// each carrying `[id "N"]` for the rule that logged it.
    pub log: String,
    /// The response text. go-ftw matches `response_contains` against the whole response
    /// (status line, headers and body); give that when you have it, the body otherwise.
    pub response_body: Vec<u8>,
    /// Why there was no response (connection closed, timeout, unparseable request that a
    /// server would never answer, …).
    pub error: Option<String>,
}

/// Why a stage failed; its `Display` is one line.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// `expect_error` was set, but a response came.
    ExpectedError {
        /// The status that came instead.
        status: Option<u16>,
    },
    /// An error came, and none was expected.
    UnexpectedError(String),
    /// The status is not one of the expected ones.
    Status {
        /// The acceptable statuses.
        expected: Vec<u16>,
        /// What came (`None`: no status).
        got: Option<u16>,
    },
    /// `response_contains` did not match.
    ResponseContains(String),
    /// `log_contains` matched no line.
    LogContains(String),
    /// `no_log_contains` matched a line.
    NoLogContains(String),
    /// `match_regex` matched no line.
    MatchRegex(String),
    /// `no_match_regex` matched a line.
    NoMatchRegex(String),
    /// Some `expect_ids` were not logged.
    MissingIds {
        /// The ids not found.
        missing: Vec<u32>,
        /// Every id that was logged.
        logged: Vec<u32>,
    },
    /// Some `no_expect_ids` were logged.
    UnexpectedIds(Vec<u32>),
    /// `isolated` and not exactly one rule logged.
    NotIsolated(Vec<u32>),
}

fn one_line(s: &str) -> String {
    s.escape_debug().to_string()
}

fn ids(list: &[u32]) -> String {
    list.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::ExpectedError { status: Some(s) } => {
                write!(f, "expected an error, got status {s}")
            }
            Failure::ExpectedError { status: None } => {
                write!(f, "expected an error, got a response")
            }
            Failure::UnexpectedError(e) => write!(f, "unexpected error: {}", one_line(e)),
            Failure::Status { expected, got } => {
                let exp = expected
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join("|");
                match got {
                    Some(g) => write!(f, "status {g}, expected {exp}"),
                    None => write!(f, "no status, expected {exp}"),
                }
            }
            Failure::ResponseContains(p) => {
                write!(f, "response does not match /{}/", one_line(p))
            }
            Failure::LogContains(p) => {
                write!(f, "no log line matches log_contains /{}/", one_line(p))
            }
            Failure::NoLogContains(p) => {
                write!(f, "a log line matches no_log_contains /{}/", one_line(p))
            }
            Failure::MatchRegex(p) => {
                write!(f, "no log line matches match_regex /{}/", one_line(p))
            }
            Failure::NoMatchRegex(p) => {
                write!(f, "a log line matches no_match_regex /{}/", one_line(p))
            }
            Failure::MissingIds { missing, logged } => write!(
                f,
                "expected ids not logged: {} (logged: {})",
                ids(missing),
                if logged.is_empty() {
                    "none".to_owned()
                } else {
                    ids(logged)
                }
            ),
            Failure::UnexpectedIds(found) => write!(f, "unexpected ids logged: {}", ids(found)),
            Failure::NotIsolated(found) => write!(
                f,
                "isolated test logged {} rules: {}",
                found.len(),
                ids(found)
            ),
        }
    }
}

impl std::error::Error for Failure {}

fn compile(
    field: &'static str,
    pattern: &Option<String>,
) -> Result<Option<Regex>, ExpectationError> {
    match pattern {
        None => Ok(None),
        Some(p) if p.is_empty() => Ok(None),
        Some(p) => Regex::new(p)
            .map(Some)
            .map_err(|e| ExpectationError::Regex {
                field,
                pattern: p.clone(),
                message: one_line(&e.to_string()),
            }),
    }
}

impl Expectation {
    /// Builds the checks for one stage's `output`.
    pub fn from_output(output: &Output) -> Result<Self, ExpectationError> {
        let status = match &output.status {
            None => None,
            // go-ftw: status 0 means "no expectation".
            Some(spec) if spec.0.iter().all(|&s| s == 0) => None,
            Some(spec) => Some(
                spec.0
                    .iter()
                    .map(|&s| u16::try_from(s).map_err(|_| ExpectationError::Status(s)))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let log = &output.log;
        Ok(Expectation {
            status,
            log_contains: compile("log_contains", &output.log_contains)?,
            no_log_contains: compile("no_log_contains", &output.no_log_contains)?,
            expect_ids: log
                .expect_ids
                .as_ref()
                .map(|v| v.0.clone())
                .unwrap_or_default(),
            no_expect_ids: log
                .no_expect_ids
                .as_ref()
                .map(|v| v.0.clone())
                .unwrap_or_default(),
            match_regex: compile("log.match_regex", &log.match_regex)?,
            no_match_regex: compile("log.no_match_regex", &log.no_match_regex)?,
            response_contains: compile("response_contains", &output.response_contains)?,
            expect_error: output.expect_error.unwrap_or(false),
            isolated: output.isolated.unwrap_or(false),
            retry_once: output.retry_once.unwrap_or(false),
        })
    }

    /// Whether `outcome` meets every expectation; the first unmet one otherwise.
    pub fn check(&self, outcome: &Outcome) -> Result<(), Failure> {
        if self.expect_error {
            return match outcome.error {
                Some(_) => Ok(()),
                None => Err(Failure::ExpectedError {
                    status: outcome.status,
                }),
            };
        }
        if let Some(e) = &outcome.error {
            return Err(Failure::UnexpectedError(e.clone()));
        }
        if let Some(expected) = &self.status
            && !outcome.status.is_some_and(|s| expected.contains(&s))
        {
            return Err(Failure::Status {
                expected: expected.clone(),
                got: outcome.status,
            });
        }
        if let Some(re) = &self.response_contains
            && !re.is_match(&outcome.response_body)
        {
            return Err(Failure::ResponseContains(re.as_str().to_owned()));
        }
        let any_line = |re: &Regex| outcome.log.lines().any(|l| re.is_match(l.as_bytes()));
        if let Some(re) = &self.log_contains
            && !any_line(re)
        {
            return Err(Failure::LogContains(re.as_str().to_owned()));
        }
        if let Some(re) = &self.match_regex
            && !any_line(re)
        {
            return Err(Failure::MatchRegex(re.as_str().to_owned()));
        }
        let logged = logged_ids(&outcome.log);
        let missing: Vec<u32> = self
            .expect_ids
            .iter()
            .copied()
            .filter(|id| !logged.contains(id))
            .collect();
        if !missing.is_empty() {
            return Err(Failure::MissingIds {
                missing,
                logged: logged.into_iter().collect(),
            });
        }
        if self.isolated && logged.len() != 1 {
            return Err(Failure::NotIsolated(logged.into_iter().collect()));
        }
        if let Some(re) = &self.no_log_contains
            && any_line(re)
        {
            return Err(Failure::NoLogContains(re.as_str().to_owned()));
        }
        if let Some(re) = &self.no_match_regex
            && any_line(re)
        {
            return Err(Failure::NoMatchRegex(re.as_str().to_owned()));
        }
        let unexpected: Vec<u32> = self
            .no_expect_ids
            .iter()
            .copied()
            .filter(|id| logged.contains(id))
            .collect();
        if !unexpected.is_empty() {
            return Err(Failure::UnexpectedIds(unexpected));
        }
        Ok(())
    }
}

/// The distinct rule ids in a log, read the way go-ftw reads them.
pub fn logged_ids(log: &str) -> BTreeSet<u32> {
    static ID: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let Some(re) = ID
        .get_or_init(|| regex::Regex::new(r#"\[id \\?"(\d+)\\?"\]|"id":\s*"?(\d+)"?"#).ok())
        .as_ref()
    else {
        return BTreeSet::new();
    };
    let mut out = BTreeSet::new();
    for line in log.lines() {
        for caps in re.captures_iter(line) {
            for group in [1, 2] {
                if let Some(id) = caps.get(group).and_then(|m| m.as_str().parse().ok()) {
                    out.insert(id);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftw::model::{LogSpec, OneOrMany, StatusSpec};

    const LINE_942100: &str = r#"[client 127.0.0.1] ModSecurity: Warning. detected SQLi [file "x.conf"] [line "1"] [id "942100"] [msg "SQL Injection"]"#;
    const LINE_949110: &str =
        r#"ModSecurity: Access denied [id "949110"] [msg "Inbound Anomaly Score Exceeded"]"#;

    fn log(lines: &[&str]) -> Outcome {
        Outcome {
            status: Some(200),
            log: lines.join("\n"),
            ..Outcome::default()
        }
    }

    fn exp(f: impl FnOnce(&mut Output)) -> Expectation {
        let mut o = Output::default();
        f(&mut o);
        Expectation::from_output(&o).unwrap()
    }

    #[test]
    fn ids_are_read_like_go_ftw() {
        let ids = logged_ids(&format!(
            "{LINE_942100}\n{LINE_949110}\n{{\"id\": \"920100\"}}\n[id \\\"941100\\\"]\n[id \"99999999999\"]"
        ));
        assert_eq!(
            ids.into_iter().collect::<Vec<_>>(),
            vec![920100, 941100, 942100, 949110]
        );
    }

    #[test]
    fn expect_and_no_expect_ids() {
        let e = exp(|o| {
            o.log = LogSpec {
                expect_ids: Some(OneOrMany(vec![942100])),
                no_expect_ids: Some(OneOrMany(vec![920100])),
                ..LogSpec::default()
            }
        });
        assert_eq!(e.check(&log(&[LINE_942100, LINE_949110])), Ok(()));
        let err = e.check(&log(&[LINE_949110])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected ids not logged: 942100 (logged: 949110)"
        );
        let err = e
            .check(&log(&[LINE_942100, r#"[id "920100"]"#]))
            .unwrap_err();
        assert_eq!(err, Failure::UnexpectedIds(vec![920100]));
    }

    #[test]
    fn v1_log_contains_is_a_per_line_regex() {
        let e = exp(|o| o.log_contains = Some(r#"id "942100""#.into()));
        assert!(e.check(&log(&[LINE_942100])).is_ok());
        assert_eq!(
            e.check(&log(&[])).unwrap_err().to_string(),
            "no log line matches log_contains /id \\\"942100\\\"/"
        );
        let e = exp(|o| o.no_log_contains = Some("^ModSecurity: Access".into()));
        assert!(e.check(&log(&[LINE_942100])).is_ok());
        assert!(matches!(
            e.check(&log(&[LINE_942100, LINE_949110])),
            Err(Failure::NoLogContains(_))
        ));
        // Per line: `.` does not cross lines, anchors are per line.
        let e = exp(|o| o.log_contains = Some("942100.*949110".into()));
        assert!(e.check(&log(&[LINE_942100, LINE_949110])).is_err());
    }

    #[test]
    fn match_regex_and_no_match_regex() {
        let e = exp(|o| o.log.no_match_regex = Some(r#"\[id "\d+"\]"#.into()));
        assert!(e.check(&log(&["nothing"])).is_ok());
        assert!(matches!(
            e.check(&log(&[LINE_942100])),
            Err(Failure::NoMatchRegex(_))
        ));
        let e = exp(|o| o.log.match_regex = Some("Anomaly Score".into()));
        assert!(e.check(&log(&[LINE_949110])).is_ok());
        assert!(matches!(
            e.check(&log(&[LINE_942100])),
            Err(Failure::MatchRegex(_))
        ));
    }

    #[test]
    fn status_one_or_many() {
        let e = exp(|o| o.status = Some(StatusSpec(vec![403, 400])));
        assert!(
            e.check(&Outcome {
                status: Some(400),
                ..Outcome::default()
            })
            .is_ok()
        );
        let err = e
            .check(&Outcome {
                status: Some(200),
                ..Outcome::default()
            })
            .unwrap_err();
        assert_eq!(err.to_string(), "status 200, expected 403|400");
        let err = e.check(&Outcome::default()).unwrap_err();
        assert_eq!(err.to_string(), "no status, expected 403|400");
        assert!(
            exp(|o| o.status = Some(StatusSpec(vec![0])))
                .status
                .is_none()
        );
        assert!(
            Expectation::from_output(&Output {
                status: Some(StatusSpec(vec![70000])),
                ..Output::default()
            })
            .is_err()
        );
    }

    #[test]
    fn expect_error() {
        let e = exp(|o| o.expect_error = Some(true));
        assert!(
            e.check(&Outcome {
                error: Some("timeout".into()),
                ..Outcome::default()
            })
            .is_ok()
        );
        assert_eq!(
            e.check(&Outcome {
                status: Some(400),
                ..Outcome::default()
            })
            .unwrap_err()
            .to_string(),
            "expected an error, got status 400"
        );
        let plain = exp(|_| {});
        assert_eq!(
            plain
                .check(&Outcome {
                    error: Some("reset\nby peer".into()),
                    ..Outcome::default()
                })
                .unwrap_err()
                .to_string(),
            "unexpected error: reset\\nby peer"
        );
        assert!(plain.check(&Outcome::default()).is_ok());
    }

    #[test]
    fn response_contains_is_a_regex() {
        let e = exp(|o| o.response_contains = Some("HTTP/1.1 40[03]".into()));
        let mut out = Outcome {
            status: Some(403),
            response_body: b"HTTP/1.1 403 Forbidden\r\n".to_vec(),
            ..Outcome::default()
        };
        assert!(e.check(&out).is_ok());
        out.response_body = b"HTTP/1.1 200 OK".to_vec();
        assert!(matches!(e.check(&out), Err(Failure::ResponseContains(_))));
    }

    #[test]
    fn isolated() {
        let e = exp(|o| {
            o.isolated = Some(true);
            o.log.expect_ids = Some(OneOrMany(vec![942100]));
        });
        assert!(e.check(&log(&[LINE_942100])).is_ok());
        assert_eq!(
            e.check(&log(&[LINE_942100, LINE_949110]))
                .unwrap_err()
                .to_string(),
            "isolated test logged 2 rules: 942100,949110"
        );
    }

    #[test]
    fn bad_regex_is_a_typed_error() {
        let err = Expectation::from_output(&Output {
            log_contains: Some("(".into()),
            ..Output::default()
        })
        .unwrap_err();
        assert!(matches!(
            err,
            ExpectationError::Regex {
                field: "log_contains",
                ..
            }
        ));
        assert!(!err.to_string().contains('\n'));
    }
}
