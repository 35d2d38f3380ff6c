//! The plugin configuration: JSON in, compiled rule sets and filter settings out.
//!
//! The keys that coraza-proxy-wasm users already write mean the same here, so their
//! configuration is a drop-in:
//!
//! ```json
//! {
//!   "directives_map": {
//!     "default": ["Include @recommended-conf", "SecRuleEngine On",
//!                 "Include @crs-setup.conf", "Include @owasp_crs/*.conf"],
//!     "detect":  ["Include @recommended-conf", "Include @crs-setup.conf",
//!                 "Include @owasp_crs/*.conf"]
//!   },
//!   "default_directives": "default",
//!   "per_authority_directives": { "staging.example.com": "detect" },
//!   "metric_labels": { "owner": "team-a" },
//!   "failure_mode": "deny",
//!   "audit_log": "log"
//! }
//! ```
//!
//! * `directives_map`: name → directive lines. Each list is one virtual file; its
//!   `Include`s name embedded files (see [`crate::embedded`]).
//! * `default_directives`: the set for authorities not listed below. Without it, such
//!   requests pass through uninspected (as in coraza-proxy-wasm).
//! * `per_authority_directives`: `:authority` (host, or host:port) → set name.
//! * `metric_labels`: appended to every metric name as `_key=value` tags.
//! * `failure_mode`: `deny` (default) answers 500 when the engine itself fails on a
//!   request; `allow` forwards it and counts the failure.
//! * `audit_log`: `log` (default) writes audit records to the Envoy log; `off` does not.
//! * `hold_response_headers`: `true` (default) holds the response headers while the
//!   response body is inspected, so that a phase-4 block (a data leak) answers with a
//!   local reply carrying the rule's status instead of a reset stream. Envoy 1.35 or later
//!   must set `allow_on_headers_stop_iteration: true` in the Wasm filter's `config` (beside
//!   `configuration`); without it the filter finds out on the first held response, which
//!   waits 5 seconds, and stops holding (see [`crate::hold`]). `false`: the headers go on
//!   at once, as with older Envoys.
//! * `fault_injection_header`: a request header whose presence makes the filter treat the
//!   request as an engine failure. For testing `failure_mode` end to end; never set it in
//!   production.
//!
//! Unknown keys are errors, so that a typo cannot silently turn a setting off. Every
//! directive set is compiled here, once per VM; any rule error fails the whole
//! configuration, with every error listed.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use waf_core::RuleSet;

use crate::embedded;

/// What happens to a request when the engine itself fails on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureMode {
    /// Answer 500; nothing uninspected reaches the backend.
    #[default]
    Deny,
    /// Forward the request uninspected, count and log the failure.
    Allow,
}

/// Where audit records go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditLog {
    /// One JSON line per record in the Envoy log, after [`crate::AUDIT_PREFIX`].
    #[default]
    Log,
    /// No audit records (error-log lines are still written).
    Off,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    directives_map: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    default_directives: Option<String>,
    #[serde(default)]
    per_authority_directives: BTreeMap<String, String>,
    #[serde(default)]
    metric_labels: BTreeMap<String, String>,
    #[serde(default)]
    failure_mode: FailureMode,
    #[serde(default)]
    audit_log: AuditLog,
    #[serde(default = "yes")]
    hold_response_headers: bool,
    #[serde(default)]
    fault_injection_header: Option<String>,
}

fn yes() -> bool {
    true
}

/// Why a configuration was refused. Its `Display` is the log line Envoy prints.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The plugin has no `configuration`.
    #[error("no plugin configuration: give at least directives_map and default_directives")]
    Empty,
    /// Not JSON, or JSON of the wrong shape (unknown key, wrong type).
    #[error("configuration is not valid: {0}")]
    Json(String),
    /// A name that `directives_map` lacks.
    #[error("{key} names directives {name:?}, which directives_map does not define")]
    UnknownDirectives {
        /// `default_directives` or `per_authority_directives[authority]`.
        key: String,
        /// The missing name.
        name: String,
    },
    /// `Include @owasp_crs/...` or `@crs-setup` without a CRS built in.
    #[error(
        "directives {name:?} include the embedded CRS, but this filter was built without one \
         (set WAF_CRS_DIR or install Debian's modsecurity-crs, then rebuild)"
    )]
    NoEmbeddedCrs {
        /// The directive set.
        name: String,
    },
    /// The rules do not compile.
    #[error("directives {name:?} do not compile:\n{errors}")]
    Rules {
        /// The directive set.
        name: String,
        /// Every error, one per line, with file, line and column.
        errors: String,
    },
    /// A metric label that would break the metric name.
    #[error("metric_labels: {0:?} may only hold letters, digits, '-' and '_'")]
    MetricLabel(String),
}

/// The configuration, compiled.
#[derive(Debug)]
pub struct Settings {
    /// Every directive set, by name.
    pub rule_sets: BTreeMap<String, Arc<RuleSet>>,
    /// The set for authorities without their own.
    pub default_directives: Option<String>,
    /// Lower-cased authority → set name.
    pub per_authority: BTreeMap<String, String>,
    pub failure_mode: FailureMode,
    pub audit_log: AuditLog,
    /// Hold response headers while the response body is inspected (see the module docs).
    pub hold_response_headers: bool,
    /// `_key=value` pieces appended to metric names.
    pub metric_suffix: String,
    /// Lower-cased header name (see the module docs).
    pub fault_injection_header: Option<String>,
    /// Warnings from rule loading, one line each, to log once.
    pub warnings: Vec<String>,
}

impl Settings {
    /// Parses and compiles the plugin configuration.
    pub fn parse(bytes: &[u8]) -> Result<Settings, ConfigError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ConfigError::Empty);
        }
        let raw: RawConfig =
            serde_json::from_slice(bytes).map_err(|e| ConfigError::Json(e.to_string()))?;
        if let Some(name) = &raw.default_directives
            && !raw.directives_map.contains_key(name)
        {
            return Err(ConfigError::UnknownDirectives {
                key: "default_directives".into(),
                name: name.clone(),
            });
        }
        for (authority, name) in &raw.per_authority_directives {
            if !raw.directives_map.contains_key(name) {
                return Err(ConfigError::UnknownDirectives {
                    key: format!("per_authority_directives[{authority:?}]"),
                    name: name.clone(),
                });
            }
        }
        let mut metric_suffix = String::new();
        for (key, value) in &raw.metric_labels {
            for part in [key, value] {
                if part.is_empty()
                    || !part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    return Err(ConfigError::MetricLabel(part.clone()));
                }
            }
            metric_suffix.push_str(&format!("_{key}={value}"));
        }
        let mut rule_sets = BTreeMap::new();
        let mut warnings = Vec::new();
        for (name, lines) in &raw.directives_map {
            let (rules, mut w) = compile_directives(name, lines)?;
            warnings.append(&mut w);
            rule_sets.insert(name.clone(), Arc::new(rules));
        }
        Ok(Settings {
            rule_sets,
            default_directives: raw.default_directives,
            per_authority: raw
                .per_authority_directives
                .into_iter()
                .map(|(a, n)| (a.to_ascii_lowercase(), n))
                .collect(),
            failure_mode: raw.failure_mode,
            audit_log: raw.audit_log,
            hold_response_headers: raw.hold_response_headers,
            metric_suffix,
            fault_injection_header: raw.fault_injection_header.map(|h| h.to_ascii_lowercase()),
            warnings,
        })
    }

    /// The rule set for a request's `:authority`: an exact match, then the host without
    /// its port, then the default. `None`: the request is not inspected.
    pub fn rules_for(&self, authority: &str) -> Option<&Arc<RuleSet>> {
        let authority = authority.to_ascii_lowercase();
        let host = strip_port(&authority);
        let name = self
            .per_authority
            .get(&authority)
            .or_else(|| self.per_authority.get(host))
            .or(self.default_directives.as_ref())?;
        self.rule_sets.get(name)
    }
}

/// `host:port` → `host`, `[v6]:port` → `[v6]`; anything else unchanged.
fn strip_port(authority: &str) -> &str {
    match authority.rfind(':') {
        Some(i)
            if !authority[i + 1..].is_empty()
                && authority[i + 1..].bytes().all(|b| b.is_ascii_digit())
                && (authority.starts_with('[') == authority[..i].ends_with(']')) =>
        {
            &authority[..i]
        }
        _ => authority,
    }
}

/// The virtual file name a directive set loads as (it shows in rule errors and in
/// `[file ...]` of log lines).
pub fn directives_file(name: &str) -> String {
    format!("<directives:{name}>")
}

/// Compiles one directive set against the embedded files.
pub fn compile_directives(
    name: &str,
    lines: &[String],
) -> Result<(RuleSet, Vec<String>), ConfigError> {
    let text = lines.join("\n");
    if !embedded::has_crs() && (text.contains("@owasp_crs") || text.contains("@crs-setup")) {
        return Err(ConfigError::NoEmbeddedCrs { name: name.into() });
    }
    let file = directives_file(name);
    let mut loader = embedded::loader();
    loader.insert(file.as_str(), text);
    match RuleSet::load(&mut loader, &[file.as_str()]) {
        Ok(compiled) => Ok((
            compiled.rules,
            compiled
                .warnings
                .iter()
                .map(|w| format!("directives {name:?}: {}", w.message))
                .collect(),
        )),
        Err(errors) => Err(ConfigError::Rules {
            name: name.into(),
            errors: errors.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Settings, ConfigError> {
        Settings::parse(json.as_bytes())
    }

    #[test]
    fn inline_directives_compile_and_route_by_authority() {
        let s = parse(
            r#"{"directives_map": {
                  "a": ["SecRuleEngine On", "SecRule ARGS \"@rx x\" \"id:1,phase:1,deny\""],
                  "b": ["SecRuleEngine DetectionOnly"]},
                "default_directives": "a",
                "per_authority_directives": {"Staging.Example": "b"},
                "metric_labels": {"owner": "team-a"}}"#,
        )
        .unwrap();
        assert_eq!(s.rule_sets.len(), 2);
        let a = Arc::as_ptr(&s.rule_sets["a"]);
        let b = Arc::as_ptr(&s.rule_sets["b"]);
        assert_eq!(s.rules_for("example.com").map(Arc::as_ptr), Some(a));
        assert_eq!(s.rules_for("staging.example").map(Arc::as_ptr), Some(b));
        assert_eq!(
            s.rules_for("STAGING.example:8080").map(Arc::as_ptr),
            Some(b)
        );
        assert_eq!(s.failure_mode, FailureMode::Deny);
        assert_eq!(s.audit_log, AuditLog::Log);
        assert!(s.hold_response_headers);
        assert_eq!(s.metric_suffix, "_owner=team-a");
    }

    #[test]
    fn without_default_unlisted_authorities_are_not_inspected() {
        let s = parse(r#"{"directives_map": {"a": []}, "per_authority_directives": {"x": "a"}}"#)
            .unwrap();
        assert!(s.rules_for("x").is_some());
        assert!(s.rules_for("y").is_none());
    }

    #[test]
    fn bad_configurations_name_the_problem() {
        assert!(matches!(parse(""), Err(ConfigError::Empty)));
        let e = parse("{").unwrap_err().to_string();
        assert!(e.starts_with("configuration is not valid"), "{e}");
        let e = parse(r#"{"directive_map": {}}"#).unwrap_err().to_string();
        assert!(e.contains("unknown field `directive_map`"), "{e}");
        let e = parse(r#"{"directives_map": {}, "default_directives": "nope"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("default_directives names directives \"nope\""),
            "{e}"
        );
        let e = parse(r#"{"directives_map": {"a": []}, "per_authority_directives": {"h": "z"}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("per_authority_directives[\"h\"]"), "{e}");
        let e = parse(r#"{"directives_map": {"a": ["SecRule ARGS \"@rx (\" \"id:1\""]}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("directives \"a\" do not compile"), "{e}");
        assert!(e.contains("<directives:a>"), "{e}");
        let e = parse(r#"{"directives_map": {}, "failure_mode": "maybe"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown variant `maybe`"), "{e}");
        let e = parse(r#"{"directives_map": {}, "metric_labels": {"a b": "c"}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("metric_labels"), "{e}");
    }

    #[test]
    fn recommended_conf_is_embedded() {
        let s = parse(
            r#"{"directives_map": {"a": ["Include @recommended-conf", "SecRuleEngine On"]},
                "default_directives": "a", "failure_mode": "allow", "audit_log": "off",
                "hold_response_headers": false}"#,
        )
        .unwrap();
        let rules = s.rules_for("h").unwrap();
        assert!(rules.config().request_body_access);
        assert_eq!(s.failure_mode, FailureMode::Allow);
        assert_eq!(s.audit_log, AuditLog::Off);
        assert!(!s.hold_response_headers);
    }

    #[test]
    fn embedded_crs_loads_or_is_refused_clearly() {
        let result = parse(
            r#"{"directives_map": {"crs": ["Include @recommended-conf", "SecRuleEngine On",
                 "Include @crs-setup.conf", "Include @owasp_crs/*.conf"]},
                "default_directives": "crs"}"#,
        );
        if embedded::has_crs() {
            let s = result.unwrap();
            assert!(s.rules_for("h").unwrap().rule_count() > 100);
        } else {
            let e = result.unwrap_err().to_string();
            assert!(e.contains("built without one"), "{e}");
        }
    }

    #[test]
    fn strip_port_keeps_ipv6_literals() {
        assert_eq!(strip_port("a.b:80"), "a.b");
        assert_eq!(strip_port("[::1]:80"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
        assert_eq!(strip_port("a.b"), "a.b");
    }
}
