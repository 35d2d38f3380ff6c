//! Known failures and changed expectations, per suite.
//!
//! Our own format is a YAML list, one entry per test, each with a reason:
//!
//! ```yaml
//! - test: "942100-1"
//!   reason: "needs libinjection fingerprint sos"
//! - test: "920100-8"
//!   reason: "our front end accepts a colon in the path, as Go does"
//!   output:            # optional: replaces the test's output (go-ftw semantics)
//!     status: 200
//!     log:
//!       no_expect_ids: [920100]
//! ```
//!
//! An entry without `output` marks a known failure: the runner runs the test and reports
//! it as expected-to-fail. An entry with `output` is an override: the runner checks the
//! new output instead.
//!
//! Two foreign formats are read too, so that our list can be compared with others:
//!
//! * go-ftw platform overrides (`version`, `meta`, `test_overrides[]` with `rule_id`,
//!   `test_ids`, `stage_ids`, `reason`, `retry_once`, `output`): CRS's
//!   `harness/*-overrides.yaml` and Coraza's `*.ftw-overrides.yml`;
//! * go-ftw run configuration (`testoverride: { ignore: {ID: reason} }`): Coraza's
//!   `.ftw.yml` files, whose ignored tests are not run at all.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::Deserialize;

use super::LoadError;
use super::model::{Output, Scalar};

/// Which tests an override applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// One test, by id (`"942100-1"`).
    Test(String),
    /// Every test of a rule (a go-ftw override without `test_ids`).
    Rule(u32),
}

/// What an override does.
#[derive(Clone, Debug)]
pub enum Action {
    /// The test is known to fail; run it, report it as expected-to-fail.
    KnownFailure,
    /// The test is not run at all (go-ftw `ignore`).
    Ignore,
    /// The test's output is replaced by this one (for `stages`, or every stage if empty;
    /// stage numbers are 0-based as in go-ftw).
    Output {
        /// The replacement.
        output: Box<Output>,
        /// The stages it applies to; empty means all.
        stages: Vec<u32>,
    },
}

/// One override.
#[derive(Clone, Debug)]
pub struct Override {
    /// The tests it applies to.
    pub selector: Selector,
    /// Why (may be empty in foreign files).
    pub reason: String,
    /// What it does.
    pub action: Action,
    /// go-ftw `retry_once`.
    pub retry_once: bool,
}

/// A list of overrides for one suite.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// In file order.
    pub entries: Vec<Override>,
}

impl Overrides {
    /// The first override that applies to test `id` of rule `rule_id`: an exact test match
    /// wins over a whole-rule match.
    pub fn find(&self, id: &str, rule_id: u32) -> Option<&Override> {
        self.entries
            .iter()
            .find(|o| matches!(&o.selector, Selector::Test(t) if t == id))
            .or_else(|| {
                self.entries
                    .iter()
                    .find(|o| o.selector == Selector::Rule(rule_id))
            })
    }

    /// The test ids named by exact selectors, sorted.
    pub fn test_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .entries
            .iter()
            .filter_map(|o| match &o.selector {
                Selector::Test(t) => Some(t.as_str()),
                Selector::Rule(_) => None,
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

#[derive(Deserialize)]
struct OwnEntry {
    test: Scalar,
    reason: String,
    #[serde(default)]
    output: Option<Output>,
    #[serde(default)]
    retry_once: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlatformFile {
    meta: PlatformMeta,
    test_overrides: Vec<PlatformEntry>,
}

/// `meta` of a go-ftw platform override file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PlatformMeta {
    /// `engine`, e.g. `coraza`.
    pub engine: Option<Scalar>,
    /// `platform`, e.g. `go`, `nginx`.
    pub platform: Option<Scalar>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlatformEntry {
    rule_id: u32,
    test_ids: Vec<u32>,
    stage_ids: Vec<u32>,
    reason: Option<String>,
    retry_once: Option<bool>,
    output: Option<Output>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RunConfig {
    testoverride: RunOverride,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RunOverride {
    ignore: BTreeMap<String, Option<Scalar>>,
    forcepass: BTreeMap<String, Option<Scalar>>,
    forcefail: BTreeMap<String, Option<Scalar>>,
}

fn yaml_error(path: &Path, e: &serde_norway::Error) -> LoadError {
    LoadError::Yaml {
        path: path.to_path_buf(),
        message: e.to_string().replace(['\n', '\r'], " "),
    }
}

fn read(path: &Path) -> Result<String, LoadError> {
    let bytes = fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8 {
        path: path.to_path_buf(),
    })
}

/// Parses our own format.
pub fn parse_own(text: &str, path: &Path) -> Result<Overrides, LoadError> {
    let list: Option<Vec<OwnEntry>> =
        serde_norway::from_str(text).map_err(|e| yaml_error(path, &e))?;
    let entries = list
        .unwrap_or_default()
        .into_iter()
        .map(|e| Override {
            selector: Selector::Test(e.test.0),
            reason: e.reason,
            action: match e.output {
                Some(output) => Action::Output {
                    output: Box::new(output),
                    stages: Vec::new(),
                },
                None => Action::KnownFailure,
            },
            retry_once: e.retry_once.unwrap_or(false),
        })
        .collect();
    Ok(Overrides { entries })
}

/// Parses a go-ftw platform override file; returns its `meta` beside the overrides.
pub fn parse_platform(text: &str, path: &Path) -> Result<(PlatformMeta, Overrides), LoadError> {
    let file: Option<PlatformFile> =
        serde_norway::from_str(text).map_err(|e| yaml_error(path, &e))?;
    let file = file.unwrap_or_default();
    let mut entries = Vec::new();
    for e in file.test_overrides {
        let reason = e.reason.unwrap_or_default().trim_end().to_owned();
        let action = match e.output {
            Some(output) => Action::Output {
                output: Box::new(output),
                stages: e.stage_ids.clone(),
            },
            None => Action::KnownFailure,
        };
        let retry_once = e.retry_once.unwrap_or(false);
        if e.test_ids.is_empty() {
            entries.push(Override {
                selector: Selector::Rule(e.rule_id),
                reason,
                action,
                retry_once,
            });
        } else {
            for t in e.test_ids {
                entries.push(Override {
                    selector: Selector::Test(format!("{}-{t}", e.rule_id)),
                    reason: reason.clone(),
                    action: action.clone(),
                    retry_once,
                });
            }
        }
    }
    Ok((file.meta, Overrides { entries }))
}

/// Parses the `testoverride` part of a go-ftw run configuration (`.ftw.yml`).
/// `ignore` becomes [`Action::Ignore`]; `forcefail` and `forcepass` become
/// [`Action::KnownFailure`] (their reasons say which).
pub fn parse_run_config(text: &str, path: &Path) -> Result<Overrides, LoadError> {
    let config: Option<RunConfig> =
        serde_norway::from_str(text).map_err(|e| yaml_error(path, &e))?;
    let config = config.unwrap_or_default();
    let mut entries = Vec::new();
    let o = config.testoverride;
    for (map, action, prefix) in [
        (o.ignore, Action::Ignore, ""),
        (o.forcefail, Action::KnownFailure, "forcefail: "),
        (o.forcepass, Action::KnownFailure, "forcepass: "),
    ] {
        for (id, reason) in map {
            entries.push(Override {
                selector: Selector::Test(id),
                reason: format!("{prefix}{}", reason.map(|r| r.0).unwrap_or_default()),
                action: action.clone(),
                retry_once: false,
            });
        }
    }
    Ok(Overrides { entries })
}

/// Reads our own format from a file.
pub fn load_own(path: &Path) -> Result<Overrides, LoadError> {
    parse_own(&read(path)?, path)
}

/// Reads a go-ftw platform override file.
pub fn load_platform(path: &Path) -> Result<(PlatformMeta, Overrides), LoadError> {
    parse_platform(&read(path)?, path)
}

/// Reads a go-ftw run configuration's `testoverride`.
pub fn load_run_config(path: &Path) -> Result<Overrides, LoadError> {
    parse_run_config(&read(path)?, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_format() {
        let o = parse_own(
            "- test: \"942100-1\"\n  reason: needs sos\n- test: 920100-8\n  reason: colon\n  output:\n    status: 200\n",
            Path::new("x.yaml"),
        )
        .unwrap();
        assert_eq!(o.entries.len(), 2);
        assert!(matches!(
            o.find("942100-1", 942100).unwrap().action,
            Action::KnownFailure
        ));
        assert!(matches!(
            o.find("920100-8", 920100).unwrap().action,
            Action::Output { .. }
        ));
        assert!(o.find("920100-9", 920100).is_none());
        assert_eq!(o.test_ids(), vec!["920100-8", "942100-1"]);
        assert!(
            parse_own("", Path::new("e.yaml"))
                .unwrap()
                .entries
                .is_empty()
        );
        assert!(parse_own("- test: x\n", Path::new("bad.yaml")).is_err());
        assert!(parse_own("{a: [", Path::new("bad.yaml")).is_err());
    }

    #[test]
    fn platform_format() {
        let text = "version: v0\nmeta:\n  engine: coraza\n  platform: go\n  annotations:\n    - purpose: x\ntest_overrides:\n  - rule_id: 920100\n    test_ids: [4, 5]\n    reason: |\n      not reached\n    output:\n      status: 404\n  - rule_id: 932200\n    reason: all\n    retry_once: true\n";
        let (meta, o) = parse_platform(text, Path::new("p.yaml")).unwrap();
        assert_eq!(meta.engine.unwrap().0, "coraza");
        assert_eq!(o.entries.len(), 3);
        assert_eq!(o.find("920100-5", 920100).unwrap().reason, "not reached");
        let all = o.find("932200-17", 932200).unwrap();
        assert!(all.retry_once);
        assert_eq!(all.selector, Selector::Rule(932200));
    }

    #[test]
    fn run_config_format() {
        let text = "---\ntestoverride:\n  ignore:\n    920100-4: 'not reached'\n    920280-3: ''\n    920430-5:\n";
        let o = parse_run_config(text, Path::new("c.yml")).unwrap();
        assert_eq!(o.entries.len(), 3);
        assert!(matches!(
            o.find("920280-3", 920280).unwrap().action,
            Action::Ignore
        ));
        assert_eq!(o.find("920100-4", 920100).unwrap().reason, "not reached");
    }
}
