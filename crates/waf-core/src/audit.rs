//! What a transaction leaves behind: one ModSecurity-style error-log line per matched
//! logging rule, and one JSON audit record per relevant transaction (Coraza's layout).
//!
//! The engine writes neither anywhere; it hands them to the caller.
//!
//! # Escaping
//!
//! Request data inside a log line is escaped so that it cannot forge a field: `"`, `[`,
//! `]`, `\` and every non-printable byte become `\xHH`. A query value such as
//! `x] [id "12345"]` therefore cannot make a reader believe rule 12345 matched (it does
//! with libmodsecurity 3.0.9, which escapes nothing there). The JSON record is escaped by
//! the JSON encoder.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use waf_seclang::{EngineMode, Severity};

use crate::transaction::Transaction;

/// One matched rule that logs, with everything a log line or audit message needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch {
    pub id: u64,
    pub phase: u8,
    pub file: String,
    pub line: u32,
    /// `msg` with macros expanded.
    pub msg: Vec<u8>,
    /// `logdata` with macros expanded.
    pub data: Vec<u8>,
    pub severity: Option<Severity>,
    pub ver: Option<String>,
    pub rev: Option<String>,
    pub maturity: Option<u8>,
    pub accuracy: Option<u8>,
    pub tags: Vec<Vec<u8>>,
    pub operator: &'static str,
    pub operator_argument: String,
    pub matched_var_name: Vec<u8>,
    pub matched_var: Vec<u8>,
    /// The rule has `log` (default) rather than `nolog`.
    pub log: bool,
    pub audit_log: bool,
    /// The rule's disruptive action was deny/drop/redirect (taken or, in detection-only
    /// mode, only logged).
    pub disruptive: bool,
    pub hostname: String,
    pub uri: Vec<u8>,
    pub unique_id: String,
}

/// Escapes bytes for a `[field "..."]` of a log line.
pub fn escape_log(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'"' | b'[' | b']' | b'\\' => {
                let _ = write!(out, "\\x{b:02x}");
            }
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl RuleMatch {
    /// The ModSecurity-style line, e.g.
    /// `ModSecurity: Warning. Matched "Operator `Rx' with parameter `...' against variable
    /// `ARGS:id' (Value: `...' ) [file "..."] [line "12"] [id "942100"] ... [msg "..."]`.
    /// `interrupted` gives the status and phase when the rule interrupted the request.
    pub fn error_log_line(&self, interrupted: Option<(u16, u8)>) -> String {
        let mut line = String::from("ModSecurity: ");
        match interrupted {
            Some((status, phase)) => {
                let _ = write!(line, "Access denied with code {status} (phase {phase}). ");
            }
            None => line.push_str("Warning. "),
        }
        let mut value = self.matched_var.as_slice();
        if value.len() > 200 {
            value = &value[..200];
        }
        let _ = write!(
            line,
            "Matched \"Operator `{}' with parameter `{}' against variable `{}' (Value: `{}' ) ",
            self.operator,
            escape_log(self.operator_argument.as_bytes()),
            escape_log(&self.matched_var_name),
            escape_log(value),
        );
        let _ = write!(
            line,
            "[file \"{}\"] [line \"{}\"] [id \"{}\"] ",
            escape_log(self.file.as_bytes()),
            self.line,
            self.id
        );
        if let Some(rev) = self.rev.as_deref().filter(|r| !r.is_empty()) {
            // Like ModSecurity 2, an empty revision is left out rather than printed empty.
            let _ = write!(line, "[rev \"{}\"] ", escape_log(rev.as_bytes()));
        }
        let _ = write!(
            line,
            "[msg \"{}\"] [data \"{}\"] ",
            escape_log(&self.msg),
            escape_log(&self.data)
        );
        let _ = write!(
            line,
            "[severity \"{}\"] ",
            self.severity
                .map_or(String::new(), |s| (s as u8).to_string())
        );
        let _ = write!(
            line,
            "[ver \"{}\"] ",
            escape_log(self.ver.as_deref().unwrap_or("").as_bytes())
        );
        let _ = write!(
            line,
            "[maturity \"{}\"] [accuracy \"{}\"] ",
            self.maturity.unwrap_or(0),
            self.accuracy.unwrap_or(0)
        );
        for tag in &self.tags {
            let _ = write!(line, "[tag \"{}\"] ", escape_log(tag));
        }
        let _ = write!(
            line,
            "[hostname \"{}\"] [uri \"{}\"] [unique_id \"{}\"]",
            escape_log(self.hostname.as_bytes()),
            escape_log(&self.uri),
            escape_log(self.unique_id.as_bytes()),
        );
        line
    }
}

/// A transaction id from the clock and a process-wide counter, when the caller gives none.
pub(crate) fn default_id(now_micros: i64) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:x}{:06x}", now_micros, n & 0xff_ffff)
}

/// The JSON audit record (Coraza's layout: `transaction` and `messages`).
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub transaction: AuditTransaction,
    pub messages: Vec<AuditMessage>,
}

impl AuditRecord {
    /// One line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditTransaction {
    pub timestamp: String,
    pub unix_timestamp: i64,
    pub id: String,
    pub client_ip: String,
    pub client_port: u16,
    pub host_ip: String,
    pub host_port: u16,
    pub server_id: String,
    pub request: AuditRequest,
    pub response: AuditResponse,
    pub producer: AuditProducer,
    pub highest_severity: String,
    pub is_interrupted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditRequest {
    pub method: String,
    pub protocol: String,
    pub uri: String,
    pub http_version: String,
    pub headers: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub length: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditResponse {
    pub protocol: String,
    pub status: u16,
    pub headers: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditProducer {
    pub connector: String,
    pub version: String,
    pub server: String,
    pub rule_engine: String,
    pub stopwatch: String,
    pub rulesets: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditMessage {
    pub actionset: String,
    pub message: String,
    pub data: AuditMessageData,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditMessageData {
    pub file: String,
    pub line: u32,
    pub id: u64,
    pub rev: String,
    pub msg: String,
    pub data: String,
    pub severity: u8,
    pub ver: String,
    pub maturity: u8,
    pub accuracy: u8,
    pub tags: Vec<String>,
    pub raw: String,
}

fn headers_map(pairs: &[(Vec<u8>, Vec<u8>)]) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut map = std::collections::BTreeMap::<String, Vec<String>>::new();
    for (k, v) in pairs {
        map.entry(lossy(k).to_ascii_lowercase())
            .or_default()
            .push(lossy(v));
    }
    map
}

pub(crate) fn build_record(tx: &Transaction) -> AuditRecord {
    let parts = &tx.overrides.audit_log_parts;
    let now = tx.now_micros();
    let (y, mo, d, h, mi, s, _) = crate::transaction::utc_parts(now);
    let r = &tx.req;
    let status = tx.intervention.as_ref().map_or(tx.res.status, |i| i.status);
    let interrupted = tx.intervention.as_ref().map(|i| (i.status, i.phase));
    let messages = tx
        .matches
        .iter()
        .filter(|m| m.audit_log)
        .map(|m| AuditMessage {
            actionset: String::new(),
            message: lossy(&m.msg),
            data: AuditMessageData {
                file: m.file.clone(),
                line: m.line,
                id: m.id,
                rev: m.rev.clone().unwrap_or_default(),
                msg: lossy(&m.msg),
                data: lossy(&m.data),
                severity: m.severity.map_or(0, |s| s as u8),
                ver: m.ver.clone().unwrap_or_default(),
                maturity: m.maturity.unwrap_or(0),
                accuracy: m.accuracy.unwrap_or(0),
                tags: m.tags.iter().map(|t| lossy(t)).collect(),
                raw: m.error_log_line(
                    interrupted
                        .filter(|_| tx.intervention.as_ref().is_some_and(|i| i.rule_id == m.id)),
                ),
            },
        })
        .collect();
    let engine = match tx.overrides.engine {
        EngineMode::On => "On",
        EngineMode::Off => "Off",
        EngineMode::DetectionOnly => "DetectionOnly",
    };
    AuditRecord {
        transaction: AuditTransaction {
            timestamp: format!("{y:04}/{mo:02}/{d:02} {h:02}:{mi:02}:{s:02}"),
            unix_timestamp: now.saturating_mul(1000),
            id: tx.id().to_string(),
            client_ip: r.client_ip.clone(),
            client_port: r.client_port,
            host_ip: r.server_ip.clone(),
            host_port: r.server_port,
            server_id: String::new(),
            request: AuditRequest {
                method: lossy(&r.method),
                protocol: lossy(&r.protocol),
                uri: lossy(&r.uri_raw),
                http_version: lossy(r.protocol.strip_prefix(b"HTTP/").unwrap_or(&r.protocol)),
                headers: if parts.contains('B') {
                    headers_map(&r.headers)
                } else {
                    Default::default()
                },
                body: (parts.contains('C') || parts.contains('I'))
                    .then(|| lossy(&r.body))
                    .filter(|b| !b.is_empty()),
                length: r.body.len(),
            },
            response: AuditResponse {
                protocol: lossy(&tx.res.protocol),
                status,
                headers: if parts.contains('F') {
                    headers_map(&tx.res.headers)
                } else {
                    Default::default()
                },
                body: parts
                    .contains('E')
                    .then(|| lossy(&tx.res.body))
                    .filter(|b| !b.is_empty()),
            },
            producer: AuditProducer {
                connector: String::new(),
                version: env!("CARGO_PKG_VERSION").to_string(),
                server: String::new(),
                rule_engine: engine.to_string(),
                stopwatch: String::new(),
                rulesets: tx.rules().config.component_signatures.clone(),
            },
            highest_severity: tx
                .vars
                .highest_severity
                .map_or(String::new(), |s| s.to_string()),
            is_interrupted: tx.intervention.is_some(),
        },
        messages: if parts.contains('H') || parts.contains('K') {
            messages
        } else {
            Vec::new()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_cannot_forge_fields() {
        let forged = escape_log(br#"x] [line "1"] [id "12345"]"#);
        assert!(!forged.contains('"'));
        assert!(!forged.contains('['));
        assert_eq!(escape_log(b"a\nb\\\xff"), "a\\x0ab\\x5c\\xff");
    }
}
