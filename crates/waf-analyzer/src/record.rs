//! Audit records: one JSON object per line, as Coraza and libmodsecurity3 write them.
//!
//! Two layouts are accepted, and fields are read liberally:
//!
//! * Coraza: `{"transaction":{...,"client_ip":..},"messages":[{"message":..,"data":{"id":942100,"severity":2,"msg":..,"data":..}}]}`
//! * libmodsecurity3: `{"transaction":{...,"client_ip":..,"messages":[{"message":..,"details":{"ruleId":"942100","severity":"2",..}}]}}`
//!
//! Rule ids and severities may be numbers or strings; a severity may also be a
//! name (`"CRITICAL"`). Fields we do not use are skipped without being built,
//! and a field of an unexpected type is treated as absent rather than failing
//! the whole record, so one odd producer does not blind the analyzer.
//!
//! CRS's blocking-evaluation rules (949110, 959100, 980130, 980170, ...) carry the
//! transaction's total anomaly score in their message; it is extracted into
//! [`AuditRecord::anomaly_score`] and those rules are not counted as attacks.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::cidr::canonical_ip;
use crate::clock::parse_timestamp;
use crate::error::RecordError;

/// Syslog-style severity, 0 (EMERGENCY) to 7 (DEBUG).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Severity(pub u8);

impl Severity {
    /// Reads `2`, `"2"`, `"CRITICAL"`, `"crit"`, ... Unknown text gives `None`.
    pub fn from_name(s: &str) -> Option<Severity> {
        let s = s.trim();
        if let Ok(n) = s.parse::<u8>() {
            return (n <= 7).then_some(Severity(n));
        }
        let n = match s.to_ascii_lowercase().as_str() {
            "emergency" | "emerg" => 0,
            "alert" => 1,
            "critical" | "crit" => 2,
            "error" | "err" => 3,
            "warning" | "warn" => 4,
            "notice" => 5,
            "info" | "informational" => 6,
            "debug" => 7,
            _ => return None,
        };
        Some(Severity(n))
    }
}

/// One rule match in a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMatch {
    /// Rule id, when the producer gave one that is a number.
    pub rule_id: Option<u32>,
    /// Severity, when given.
    pub severity: Option<Severity>,
}

/// The parts of an audit record the analyzer uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Transaction id (`id` or `unique_id`), used to drop replayed records.
    pub id: Option<String>,
    /// The peer address the WAF saw.
    pub client_ip: IpAddr,
    /// Raw `X-Forwarded-For` values, in header order.
    pub forwarded_for: Vec<String>,
    /// Time of the transaction in Unix milliseconds, when it could be read.
    pub timestamp_ms: Option<u64>,
    /// HTTP status sent to the client.
    pub status: Option<u16>,
    /// Attack rule matches (blocking-evaluation rules excluded).
    pub matches: Vec<RuleMatch>,
    /// Highest total anomaly score reported by CRS's evaluation rules.
    pub anomaly_score: Option<u32>,
}

/// Rule ids of CRS's blocking and correlation rules, which report totals, not attacks.
pub fn is_scoring_rule(id: u32) -> bool {
    matches!(id, 949110 | 949111 | 959100 | 959101 | 980100..=980199)
}

/// Finds the total anomaly score in a CRS evaluation message, e.g.
/// `Inbound Anomaly Score Exceeded (Total Score: 10)`,
/// `(Total Inbound Score: 5 - SQLI=5,...)` or `Inbound Scores: blocking=10, ...`.
pub fn anomaly_score_in(text: &str) -> Option<u32> {
    for marker in [
        "Total Score: ",
        "Total Inbound Score: ",
        "blocking=",
        "Total Score:",
    ] {
        if let Some(pos) = text.find(marker) {
            let rest = text[pos + marker.len()..].trim_start();
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if let Ok(n) = rest[..end].parse::<u32>() {
                return Some(n);
            }
        }
    }
    None
}

impl AuditRecord {
    /// Parses one line. Leading/trailing whitespace is ignored, and so is a
    /// prefix before the first `{` (a container runtime's or Envoy's log
    /// header such as `[2026-11-24 04:21:41.123][12][info][wasm] wasm log: `).
    pub fn parse(line: &str) -> Result<AuditRecord, RecordError> {
        let line = line.trim();
        let json = match line.find('{') {
            Some(i) if i > 0 => &line[i..],
            _ => line,
        };
        let raw: RawRecord<'_> = serde_json::from_str(json)?;
        let tx = raw.transaction.0.unwrap_or_default();
        let ip_text = tx.client_ip.0.ok_or(RecordError::MissingClientIp)?;
        let ip_text = ip_text.trim();
        // Some producers write "1.2.3.4:5678" or "[::1]:80"; strip a port.
        let client_ip = parse_ip_lenient(ip_text)
            .ok_or_else(|| RecordError::BadClientIp(ip_text.to_string()))?;

        let mut matches = Vec::new();
        let mut anomaly_score: Option<u32> = None;
        let all = raw
            .messages
            .0
            .into_iter()
            .flatten()
            .chain(tx.messages.0.into_iter().flatten());
        for m in all {
            let d = m.data.0.or(m.details.0).unwrap_or_default();
            let rule_id = d.id.0.or(d.rule_id.0).and_then(|s| s.as_u32());
            let severity = d.severity.0.and_then(|s| s.as_severity());
            let text_score = || {
                [
                    m.message.0.as_deref(),
                    d.msg.0.as_deref(),
                    d.data.0.as_deref(),
                ]
                .into_iter()
                .flatten()
                .find_map(anomaly_score_in)
            };
            let scoring = match rule_id {
                Some(id) => is_scoring_rule(id),
                None => [m.message.0.as_deref(), d.msg.0.as_deref()]
                    .into_iter()
                    .flatten()
                    .any(|t| t.contains("Anomaly Score")),
            };
            if scoring {
                if let Some(s) = text_score() {
                    anomaly_score = Some(anomaly_score.map_or(s, |a| a.max(s)));
                }
            } else {
                matches.push(RuleMatch { rule_id, severity });
            }
        }
        let timestamp_ms = tx
            .unix_timestamp
            .0
            .and_then(|s| s.as_f64())
            .and_then(unix_to_ms)
            .or_else(|| tx.timestamp.0.as_deref().and_then(parse_timestamp))
            .or_else(|| tx.time_stamp.0.as_deref().and_then(parse_timestamp));
        let status = tx
            .response
            .0
            .and_then(|r| r.status.0.or(r.http_code.0))
            .and_then(|s| s.as_u32())
            .and_then(|s| u16::try_from(s).ok());
        Ok(AuditRecord {
            id: tx.id.0.or(tx.unique_id.0).map(Cow::into_owned),
            client_ip,
            forwarded_for: tx
                .request
                .0
                .and_then(|r| r.headers.0)
                .map(|f| f.0)
                .unwrap_or_default(),
            timestamp_ms,
            status,
            matches,
            anomaly_score,
        })
    }
}

/// Parses `1.2.3.4`, `1.2.3.4:80`, `::1`, `[::1]:80`; IPv4-mapped IPv6 becomes IPv4.
pub fn parse_ip_lenient(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical_ip(ip));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let end = rest.find(']')?;
        return rest[..end].parse::<IpAddr>().ok().map(canonical_ip);
    }
    let (host, port) = s.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// Unix time in s, ms, µs or ns (guessed from magnitude) to milliseconds.
fn unix_to_ms(t: f64) -> Option<u64> {
    if !t.is_finite() || t <= 0.0 {
        return None;
    }
    let ms = if t > 1e17 {
        t / 1e6
    } else if t > 1e14 {
        t / 1e3
    } else if t > 1e11 {
        t
    } else {
        t * 1e3
    };
    Some(ms as u64)
}

// ---- raw shapes -------------------------------------------------------------

#[derive(Deserialize)]
struct RawRecord<'a> {
    #[serde(borrow, default)]
    transaction: LooseElem<RawTx<'a>>,
    #[serde(borrow, default)]
    messages: Loose<Vec<RawMessage<'a>>>,
}

#[derive(Deserialize, Default)]
struct RawTx<'a> {
    #[serde(borrow, default)]
    client_ip: Loose<Cow<'a, str>>,
    #[serde(borrow, default)]
    id: Loose<Cow<'a, str>>,
    #[serde(borrow, default)]
    unique_id: Loose<Cow<'a, str>>,
    #[serde(borrow, default)]
    unix_timestamp: Loose<Scalar<'a>>,
    #[serde(borrow, default)]
    timestamp: Loose<Cow<'a, str>>,
    #[serde(borrow, default)]
    time_stamp: Loose<Cow<'a, str>>,
    #[serde(default)]
    request: LooseElem<RawRequest>,
    #[serde(borrow, default)]
    response: LooseElem<RawResponse<'a>>,
    #[serde(borrow, default)]
    messages: Loose<Vec<RawMessage<'a>>>,
}

#[derive(Deserialize, Default)]
struct RawRequest {
    #[serde(default)]
    headers: Loose<ForwardedFor>,
}

#[derive(Deserialize, Default)]
struct RawResponse<'a> {
    #[serde(borrow, default)]
    status: Loose<Scalar<'a>>,
    #[serde(borrow, default)]
    http_code: Loose<Scalar<'a>>,
}

#[derive(Deserialize, Default)]
struct RawMessage<'a> {
    #[serde(borrow, default)]
    message: Loose<Cow<'a, str>>,
    #[serde(borrow, default)]
    data: LooseElem<RawDetails<'a>>,
    #[serde(borrow, default)]
    details: LooseElem<RawDetails<'a>>,
}

#[derive(Deserialize, Default)]
struct RawDetails<'a> {
    #[serde(borrow, default)]
    id: Loose<Scalar<'a>>,
    #[serde(borrow, default, rename = "ruleId")]
    rule_id: Loose<Scalar<'a>>,
    #[serde(borrow, default)]
    severity: Loose<Scalar<'a>>,
    #[serde(borrow, default)]
    msg: Loose<Cow<'a, str>>,
    #[serde(borrow, default)]
    data: Loose<Cow<'a, str>>,
}

/// A number or a string, as producers disagree on which to write.
enum Scalar<'a> {
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
}

impl Scalar<'_> {
    fn as_f64(&self) -> Option<f64> {
        match self {
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Float(f) => Some(*f),
            Scalar::Str(s) => s.trim().parse().ok(),
        }
    }
    fn as_u32(&self) -> Option<u32> {
        match self {
            Scalar::Int(i) => u32::try_from(*i).ok(),
            Scalar::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX) => {
                Some(*f as u32)
            }
            Scalar::Float(_) => None,
            Scalar::Str(s) => s.trim().parse().ok(),
        }
    }
    fn as_severity(&self) -> Option<Severity> {
        match self {
            Scalar::Str(s) => Severity::from_name(s),
            other => other
                .as_u32()
                .filter(|n| *n <= 7)
                .map(|n| Severity(n as u8)),
        }
    }
}

/// `Some(T)` when the value has the expected type, `None` for `null` or any
/// other type (which is skipped instead of failing the record).
struct Loose<T>(Option<T>);

impl<T> Default for Loose<T> {
    fn default() -> Self {
        Loose(None)
    }
}

/// Types that can be read loosely: the visitor returns `None` for the wrong kind.
trait LooseKind<'de>: Sized {
    fn from_str_borrowed(_s: &'de str) -> Option<Self> {
        None
    }
    fn from_string(_s: String) -> Option<Self> {
        None
    }
    fn from_i64(_v: i64) -> Option<Self> {
        None
    }
    fn from_u64(v: u64) -> Option<Self> {
        i64::try_from(v).ok().and_then(Self::from_i64)
    }
    fn from_f64(_v: f64) -> Option<Self> {
        None
    }
    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Option<Self>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

impl<'de: 'a, 'a> LooseKind<'de> for Cow<'a, str> {
    fn from_str_borrowed(s: &'de str) -> Option<Self> {
        Some(Cow::Borrowed(s))
    }
    fn from_string(s: String) -> Option<Self> {
        Some(Cow::Owned(s))
    }
    fn from_i64(v: i64) -> Option<Self> {
        Some(Cow::Owned(v.to_string()))
    }
    fn from_f64(v: f64) -> Option<Self> {
        Some(Cow::Owned(v.to_string()))
    }
}

impl<'de: 'a, 'a> LooseKind<'de> for Scalar<'a> {
    fn from_str_borrowed(s: &'de str) -> Option<Self> {
        Some(Scalar::Str(Cow::Borrowed(s)))
    }
    fn from_string(s: String) -> Option<Self> {
        Some(Scalar::Str(Cow::Owned(s)))
    }
    fn from_i64(v: i64) -> Option<Self> {
        Some(Scalar::Int(v))
    }
    fn from_u64(v: u64) -> Option<Self> {
        Some(match i64::try_from(v) {
            Ok(i) => Scalar::Int(i),
            Err(_) => Scalar::Float(v as f64),
        })
    }
    fn from_f64(v: f64) -> Option<Self> {
        Some(Scalar::Float(v))
    }
}

impl<'de, T: Deserialize<'de>> LooseKind<'de> for Vec<T> {
    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Option<Self>, A::Error> {
        let mut out = Vec::new();
        // An element of the wrong shape fails the record: elements are our own
        // structs whose fields are themselves loose, so only non-objects fail.
        while let Some(x) = seq.next_element::<LooseElem<T>>()? {
            if let Some(x) = x.0 {
                out.push(x);
            }
        }
        Ok(Some(out))
    }
}

/// A value that is read as `T` when it is a JSON object and skipped otherwise.
struct LooseElem<T>(Option<T>);

impl<T> Default for LooseElem<T> {
    fn default() -> Self {
        LooseElem(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LooseElem<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = LooseElem<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|t| LooseElem(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LooseElem(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LooseElem(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LooseElem(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LooseElem(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LooseElem(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(LooseElem(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(LooseElem(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `X-Forwarded-For` values from a header map; header values may be a string
/// (libmodsecurity3) or a list of strings (Coraza).
#[derive(Default)]
struct ForwardedFor(Vec<String>);

impl<'de> LooseKind<'de> for ForwardedFor {
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key.eq_ignore_ascii_case("x-forwarded-for") {
                let v: Loose<StrOrList> = map.next_value()?;
                out.extend(v.0.map(|v| v.0).unwrap_or_default());
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Some(ForwardedFor(out)))
    }
}

struct StrOrList(Vec<String>);

impl<'de> LooseKind<'de> for StrOrList {
    fn from_str_borrowed(s: &'de str) -> Option<Self> {
        Some(StrOrList(vec![s.to_string()]))
    }
    fn from_string(s: String) -> Option<Self> {
        Some(StrOrList(vec![s]))
    }
    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Option<Self>, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<Loose<Cow<'de, str>>>()? {
            out.extend(v.0.map(Cow::into_owned));
        }
        Ok(Some(StrOrList(out)))
    }
}

impl<'de, T: LooseKind<'de>> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: LooseKind<'de>> Visitor<'de> for V<T> {
            type Value = Loose<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Loose(T::from_str_borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Loose(T::from_string(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Loose(T::from_string(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Loose(T::from_i64(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Loose(T::from_u64(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Loose(T::from_f64(v)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Ok(Loose(T::from_seq(seq)?))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Ok(Loose(T::from_map(map)?))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORAZA: &str = r#"{"transaction":{"timestamp":"2024/01/02 03:04:05","unix_timestamp":1704164645123456789,"id":"abc123","client_ip":"203.0.113.7","client_port":41234,"host_ip":"10.0.0.5","host_port":80,"server_id":"gw","request":{"method":"GET","protocol":"HTTP/1.1","uri":"/?q=1' or 1=1","headers":{"X-Forwarded-For":["198.51.100.1, 10.0.0.9"],"host":["example.com"]}},"response":{"status":403},"producer":{"connector":"waf","version":"0.1"}},"messages":[{"actionset":"","message":"SQL Injection Attack Detected via libinjection","data":{"file":"REQUEST-942.conf","line":10,"id":942100,"rev":"","msg":"SQL Injection Attack Detected via libinjection","data":"Matched Data: s&1c","severity":2,"ver":"OWASP_CRS/4.0","maturity":0,"accuracy":0,"tags":["attack-sqli"],"raw":""}},{"message":"Inbound Anomaly Score Exceeded (Total Score: 10)","data":{"id":949110,"msg":"Inbound Anomaly Score Exceeded (Total Score: 10)","severity":0}}]}"#;

    const MODSEC: &str = r#"{"transaction":{"client_ip":"2001:db8::7","time_stamp":"Tue Nov 24 04:21:41 2026","server_id":"x","client_port":5555,"host_ip":"::1","host_port":80,"unique_id":"1764","request":{"method":"GET","http_version":1.1,"uri":"/","headers":{"x-forwarded-for":"198.51.100.2"}},"response":{"http_code":403,"headers":{}},"producer":{"modsecurity":"ModSecurity v3.0.12"},"messages":[{"message":"XSS Attack Detected via libinjection","details":{"match":"detected XSS using libinjection.","reference":"v9,31t:utf8toUnicode","ruleId":"941100","file":"/usr/share/modsecurity-crs/rules/REQUEST-941.conf","lineNumber":"55","data":"Matched Data: XSS data found","severity":"2","ver":"OWASP_CRS/3.3.4","rev":"","tags":["attack-xss"],"maturity":"0","accuracy":"0"}},{"message":"Inbound Anomaly Score Exceeded (Total Score: 5)","details":{"ruleId":"949110","severity":"2","data":""}}]}}"#;

    #[test]
    fn coraza_layout() {
        let r = AuditRecord::parse(CORAZA).unwrap();
        assert_eq!(r.client_ip.to_string(), "203.0.113.7");
        assert_eq!(r.id.as_deref(), Some("abc123"));
        assert_eq!(r.forwarded_for, vec!["198.51.100.1, 10.0.0.9".to_string()]);
        assert_eq!(r.timestamp_ms, Some(1_704_164_645_123));
        assert_eq!(r.status, Some(403));
        assert_eq!(
            r.matches,
            vec![RuleMatch {
                rule_id: Some(942100),
                severity: Some(Severity(2))
            }]
        );
        assert_eq!(r.anomaly_score, Some(10));
    }

    #[test]
    fn modsecurity_layout() {
        let r = AuditRecord::parse(MODSEC).unwrap();
        assert_eq!(r.client_ip.to_string(), "2001:db8::7");
        assert_eq!(r.id.as_deref(), Some("1764"));
        assert_eq!(r.forwarded_for, vec!["198.51.100.2".to_string()]);
        assert!(r.timestamp_ms.is_some());
        assert_eq!(r.status, Some(403));
        assert_eq!(
            r.matches,
            vec![RuleMatch {
                rule_id: Some(941100),
                severity: Some(Severity(2))
            }]
        );
        assert_eq!(r.anomaly_score, Some(5));
    }

    #[test]
    fn severity_names_and_odd_types() {
        let line = r#"{"transaction":{"client_ip":"1.2.3.4:555","request":{"headers":7},"response":"x"},"messages":[{"data":{"id":"930120","severity":"CRITICAL"}},{"data":{"id":1.5,"severity":"bogus"}},42,{"data":{"id":{"a":1},"severity":[1]}}]}"#;
        let r = AuditRecord::parse(line).unwrap();
        assert_eq!(r.client_ip.to_string(), "1.2.3.4");
        assert_eq!(r.matches.len(), 3);
        assert_eq!(
            r.matches[0],
            RuleMatch {
                rule_id: Some(930120),
                severity: Some(Severity(2))
            }
        );
        assert_eq!(
            r.matches[1],
            RuleMatch {
                rule_id: None,
                severity: None
            }
        );
    }

    #[test]
    fn v3_and_v4_score_texts() {
        assert_eq!(
            anomaly_score_in("Inbound Anomaly Score Exceeded (Total Inbound Score: 15 - SQLI=10)"),
            Some(15)
        );
        assert_eq!(
            anomaly_score_in("Anomaly Scores: (Inbound Scores: blocking=8, detection=8)"),
            Some(8)
        );
        assert_eq!(anomaly_score_in("nothing here"), None);
    }

    #[test]
    fn malformed_lines_are_errors_not_panics() {
        for bad in [
            "",
            "{",
            "[]",
            "null",
            "\"str\"",
            r#"{"transaction":{}}"#,
            r#"{"transaction":{"client_ip":"not-an-ip"}}"#,
            r#"{"transaction":{"client_ip":"1.2.3.4""#,
            &CORAZA[..CORAZA.len() / 2],
        ] {
            assert!(AuditRecord::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn log_prefix_before_the_record_is_skipped() {
        let line = format!("[2026-11-24 04:21:41.123][12][info][wasm] wasm log waf: {CORAZA}");
        assert_eq!(
            AuditRecord::parse(&line).unwrap().client_ip.to_string(),
            "203.0.113.7"
        );
    }

    #[test]
    fn ipv4_mapped_client_becomes_ipv4() {
        let r = AuditRecord::parse(r#"{"transaction":{"client_ip":"::ffff:9.9.9.9"}}"#).unwrap();
        assert_eq!(r.client_ip.to_string(), "9.9.9.9");
        assert!(r.matches.is_empty());
    }
}
