//! Configuration: one TOML (or JSON, by `.json` extension) file.
//!
//! Every field has a default except the sources, so a minimal file is
//! `[[sources]] type = "stdin"`. Unknown keys are errors: a typo in a
//! threshold should not silently fall back to a default.
//!
//! ```toml
//! [detection]
//! capacity = 20.0           # bucket size in score points
//! leak_per_second = 0.1     # points drained per second
//! min_requests = 3          # a block needs this many scored requests...
//! min_distinct_rules = 3    # ...or this many distinct rule ids
//! base_ttl_secs = 600
//! escalation_factor = 2.0   # 2nd block 20 min, 3rd 40 min, ...
//! max_ttl_secs = 86400
//!
//! [allowlist]
//! cidrs = ["10.0.0.0/8", "127.0.0.0/8"]
//!
//! [client_ip]
//! trusted_proxies = ["10.0.0.0/8"]
//!
//! [[sources]]
//! type = "file"
//! path = "/var/log/waf/audit.log"
//!
//! [enforcer]
//! type = "nftables"
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cidr::{Cidr, CidrSet};
use crate::error::ConfigError;

/// The whole configuration file.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Scoring thresholds.
    pub detection: DetectionConfig,
    /// Addresses that are never blocked.
    pub allowlist: AllowlistConfig,
    /// How the client address is found.
    pub client_ip: ClientIpConfig,
    /// Where audit records come from.
    pub sources: Vec<SourceConfig>,
    /// What enforces decisions.
    pub enforcer: EnforcerConfig,
    /// Daemon plumbing.
    pub daemon: DaemonConfig,
}

/// Leaky-bucket and escalation parameters.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DetectionConfig {
    /// Bucket capacity in score points; a source that fills it is blocked.
    pub capacity: f64,
    /// Points drained per second.
    pub leak_per_second: f64,
    /// A block needs at least this many scored requests in the bucket...
    pub min_requests: u32,
    /// ...or at least this many distinct rule ids (either is enough).
    pub min_distinct_rules: u32,
    /// Multiplier applied to a CRS total anomaly score when a record carries one.
    pub anomaly_weight: f64,
    /// Score points per severity name (`emergency` .. `debug`); missing names use the defaults.
    pub severity_weights: BTreeMap<String, f64>,
    /// Points for a match with no severity.
    pub unknown_severity_weight: f64,
    /// First block duration.
    pub base_ttl_secs: u64,
    /// Each repeat block multiplies the duration by this.
    pub escalation_factor: f64,
    /// Upper bound on a block duration.
    pub max_ttl_secs: u64,
    /// An offender is forgotten this long after its last block expired.
    pub offender_memory_secs: u64,
    /// Blocking whole neighbourhoods.
    pub subnet: SubnetConfig,
}

impl Default for DetectionConfig {
    fn default() -> Self {
        DetectionConfig {
            capacity: 20.0,
            leak_per_second: 0.1,
            min_requests: 3,
            min_distinct_rules: 3,
            anomaly_weight: 1.0,
            severity_weights: BTreeMap::new(),
            unknown_severity_weight: 2.0,
            base_ttl_secs: 600,
            escalation_factor: 2.0,
            max_ttl_secs: 86_400,
            offender_memory_secs: 86_400,
            subnet: SubnetConfig::default(),
        }
    }
}

/// When many addresses of one /24 (IPv4) or /64 (IPv6) are blocked, block the prefix.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SubnetConfig {
    /// Turn subnet aggregation on.
    pub enabled: bool,
    /// IPv4 prefix length.
    pub ipv4_prefix: u8,
    /// IPv6 prefix length.
    pub ipv6_prefix: u8,
    /// Distinct blocked addresses of one prefix within `window_secs` that block the prefix.
    pub min_offenders: u32,
    /// Window for counting neighbours.
    pub window_secs: u64,
}

impl Default for SubnetConfig {
    fn default() -> Self {
        SubnetConfig {
            enabled: true,
            ipv4_prefix: 24,
            ipv6_prefix: 64,
            min_offenders: 3,
            window_secs: 600,
        }
    }
}

/// Prefixes that are never blocked.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AllowlistConfig {
    /// Cluster ranges, health checkers, load balancers, ...
    pub cidrs: Vec<Cidr>,
}

/// How the client address is chosen.
///
/// The address is `transaction.client_ip` (the TCP peer the WAF saw). Only
/// when that peer is inside `trusted_proxies` is `X-Forwarded-For` read: from
/// right to left, skipping addresses that are themselves trusted proxies; the
/// first untrusted address is the client. An unparsable entry stops the walk
/// and the last trusted hop is used, so a client cannot choose its address by
/// sending a forged header through a proxy that appends.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClientIpConfig {
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<Cidr>,
}

/// One audit-record source.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SourceConfig {
    /// A JSON-lines file followed like `tail -F`.
    File {
        /// The file.
        path: PathBuf,
        /// Where the read offset is kept across restarts (default: `<path>.offset`
        /// is not used; without it the file is read from its current end).
        #[serde(default)]
        state_file: Option<PathBuf>,
        /// Read from the start when there is no saved offset (default false: start at the end).
        #[serde(default)]
        from_start: bool,
        /// Poll interval in milliseconds.
        #[serde(default = "default_poll_ms")]
        poll_ms: u64,
    },
    /// Standard input, one record per line.
    Stdin,
    /// Grafana Loki.
    Loki(LokiConfig),
}

fn default_poll_ms() -> u64 {
    250
}

/// Grafana Loki source.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LokiConfig {
    /// Base URL, e.g. `http://loki.monitoring:3100`.
    pub url: String,
    /// LogQL stream selector, e.g. `{app="waf-gateway"}`.
    pub query: String,
    /// `poll` (query_range) or `tail` (websocket).
    #[serde(default)]
    pub mode: LokiMode,
    /// `X-Scope-OrgID` for multi-tenant Loki.
    #[serde(default)]
    pub tenant: Option<String>,
    /// Seconds between polls.
    #[serde(default = "default_loki_interval")]
    pub poll_interval_secs: u64,
    /// Entries per request.
    #[serde(default = "default_loki_limit")]
    pub limit: u32,
    /// How far back to start on the first query.
    #[serde(default = "default_loki_lookback")]
    pub lookback_secs: u64,
    /// Query window ends this far behind now, so late-arriving entries are not skipped.
    #[serde(default = "default_loki_delay")]
    pub delay_secs: u64,
    /// Per-request timeout.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Where the poll cursor (ns) is kept across restarts; without it a restart
    /// starts `lookback_secs` back and relies on de-duplication.
    #[serde(default)]
    pub state_file: Option<PathBuf>,
}

fn default_loki_interval() -> u64 {
    5
}
fn default_loki_limit() -> u32 {
    1000
}
fn default_loki_lookback() -> u64 {
    300
}
fn default_loki_delay() -> u64 {
    2
}
fn default_timeout() -> u64 {
    10
}

/// How Loki is read.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LokiMode {
    /// `GET /loki/api/v1/query_range` every `poll_interval_secs`.
    #[default]
    Poll,
    /// `GET /loki/api/v1/tail` websocket.
    Tail,
}

/// The enforcer.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum EnforcerConfig {
    /// Print decisions only.
    #[default]
    DryRun,
    /// Host firewall.
    Nftables(NftablesConfig),
    /// Cilium objects in Kubernetes.
    Cilium(CiliumConfig),
}

/// nftables enforcer settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct NftablesConfig {
    /// Our own `inet` table.
    pub table: String,
    /// Command that runs nft, e.g. `["nft"]` or `["ip", "netns", "exec", "ns1", "nft"]`.
    pub command: Vec<String>,
    /// Hooks that get a drop rule (`input`, `forward`).
    pub hooks: Vec<String>,
    /// Chain priority.
    pub priority: i32,
}

impl Default for NftablesConfig {
    fn default() -> Self {
        NftablesConfig {
            table: "waf_analyzer".into(),
            command: vec!["nft".into()],
            hooks: vec!["input".into(), "forward".into()],
            priority: -10,
        }
    }
}

/// Cilium enforcer settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CiliumConfig {
    /// API server base URL (`http://` or `https://`). Unset (the default):
    /// the in-cluster configuration, i.e. `KUBERNETES_SERVICE_HOST`/`_PORT`,
    /// the pod's ServiceAccount token and the cluster CA. Set it for tests or a
    /// `kubectl proxy` on a workstation.
    pub api_url: Option<String>,
    /// With `api_url`: bearer-token file sent as `Authorization` (re-read when
    /// it changes).
    pub token_file: Option<PathBuf>,
    /// With an `https://` `api_url`: PEM file of the CA that signed the API
    /// server's certificate (default: the system's roots).
    pub ca_file: Option<PathBuf>,
    /// `CiliumCIDRGroup` name.
    pub group_name: String,
    /// `CiliumClusterwideNetworkPolicy` name.
    pub policy_name: String,
    /// Server-side-apply field manager.
    pub field_manager: String,
    /// Labels selecting the WAF gateway pods.
    pub gateway_selector: BTreeMap<String, String>,
    /// Per-request timeout.
    pub timeout_secs: u64,
}

impl Default for CiliumConfig {
    fn default() -> Self {
        CiliumConfig {
            api_url: None,
            token_file: None,
            ca_file: None,
            group_name: "waf-blocked".into(),
            policy_name: "waf-deny-blocked".into(),
            field_manager: "waf-analyzer".into(),
            gateway_selector: BTreeMap::from([(
                "app.kubernetes.io/name".into(),
                "waf-gateway".into(),
            )]),
            timeout_secs: 10,
        }
    }
}

/// Daemon plumbing.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonConfig {
    /// Prometheus endpoint; `None` turns it off.
    pub metrics_listen: Option<SocketAddr>,
    /// Decisions are batched and sent to the enforcer at most this often.
    pub flush_interval_ms: u64,
    /// Full reconciliation with the enforcer backend.
    pub reconcile_interval_secs: u64,
    /// Remembered record ids for dropping replays.
    pub dedup_capacity: usize,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            metrics_listen: Some(SocketAddr::from(([127, 0, 0, 1], 9464))),
            flush_interval_ms: 200,
            reconcile_interval_secs: 30,
            dedup_capacity: 200_000,
        }
    }
}

impl Config {
    /// Reads and validates a file (`.json` as JSON, anything else as TOML).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates text; `path` is used for the format and in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let cfg: Config = if is_json {
            serde_json::from_str(text).map_err(|e| ConfigError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
        } else {
            toml::from_str(text).map_err(|e| ConfigError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
        };
        cfg.validate(path)?;
        Ok(cfg)
    }

    /// Checks values that parse but cannot work.
    pub fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let bad = |field: &str, message: &str| {
            Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                field: field.into(),
                message: message.into(),
            })
        };
        let d = &self.detection;
        if !(d.capacity.is_finite() && d.capacity > 0.0) {
            return bad("detection.capacity", "must be a positive number");
        }
        if !(d.leak_per_second.is_finite() && d.leak_per_second >= 0.0) {
            return bad("detection.leak_per_second", "must be zero or positive");
        }
        if !(d.anomaly_weight.is_finite() && d.anomaly_weight >= 0.0) {
            return bad("detection.anomaly_weight", "must be zero or positive");
        }
        if !(d.unknown_severity_weight.is_finite() && d.unknown_severity_weight >= 0.0) {
            return bad(
                "detection.unknown_severity_weight",
                "must be zero or positive",
            );
        }
        for (name, w) in &d.severity_weights {
            if crate::record::Severity::from_name(name).is_none() {
                return bad(
                    "detection.severity_weights",
                    &format!("unknown severity {name:?}"),
                );
            }
            if !(w.is_finite() && *w >= 0.0) {
                return bad(
                    "detection.severity_weights",
                    &format!("{name}: must be zero or positive"),
                );
            }
        }
        if d.base_ttl_secs == 0 {
            return bad("detection.base_ttl_secs", "must be at least 1");
        }
        if d.max_ttl_secs < d.base_ttl_secs {
            return bad("detection.max_ttl_secs", "must not be below base_ttl_secs");
        }
        if !(d.escalation_factor.is_finite() && d.escalation_factor >= 1.0) {
            return bad("detection.escalation_factor", "must be at least 1.0");
        }
        if d.subnet.ipv4_prefix == 0 || d.subnet.ipv4_prefix > 32 {
            return bad("detection.subnet.ipv4_prefix", "must be 1..=32");
        }
        if d.subnet.ipv6_prefix == 0 || d.subnet.ipv6_prefix > 128 {
            return bad("detection.subnet.ipv6_prefix", "must be 1..=128");
        }
        if d.subnet.enabled && d.subnet.min_offenders < 2 {
            return bad("detection.subnet.min_offenders", "must be at least 2");
        }
        for s in &self.sources {
            match s {
                SourceConfig::Loki(l) => {
                    if l.limit == 0 {
                        return bad("sources.limit", "must be at least 1");
                    }
                    if l.timeout_secs == 0 {
                        return bad("sources.timeout_secs", "must be at least 1");
                    }
                    if l.query.trim().is_empty() {
                        return bad("sources.query", "must not be empty");
                    }
                }
                SourceConfig::File { poll_ms, .. } if *poll_ms == 0 => {
                    return bad("sources.poll_ms", "must be at least 1");
                }
                _ => {}
            }
        }
        if self
            .sources
            .iter()
            .filter(|s| matches!(s, SourceConfig::Stdin))
            .count()
            > 1
        {
            return bad("sources", "stdin can be listed once");
        }
        match &self.enforcer {
            EnforcerConfig::Nftables(n) => {
                if n.command.is_empty() {
                    return bad("enforcer.command", "must name the nft program");
                }
                if n.table.is_empty()
                    || !n
                        .table
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    return bad("enforcer.table", "must be letters, digits and _");
                }
                for h in &n.hooks {
                    if !matches!(h.as_str(), "input" | "forward" | "prerouting") {
                        return bad("enforcer.hooks", &format!("unsupported hook {h:?}"));
                    }
                }
            }
            EnforcerConfig::Cilium(c) => {
                if c.gateway_selector.is_empty() {
                    return bad("enforcer.gateway_selector", "must select the gateway pods");
                }
                if c.timeout_secs == 0 {
                    return bad("enforcer.timeout_secs", "must be at least 1");
                }
                if c.api_url.is_none() && (c.token_file.is_some() || c.ca_file.is_some()) {
                    return bad(
                        "enforcer.token_file",
                        "token_file and ca_file need api_url; in the cluster the ServiceAccount is used",
                    );
                }
            }
            EnforcerConfig::DryRun => {}
        }
        if self.daemon.flush_interval_ms == 0 || self.daemon.reconcile_interval_secs == 0 {
            return bad("daemon", "intervals must be at least 1");
        }
        Ok(())
    }

    /// The configuration with every default filled in, as indented JSON.
    pub fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The allowlist as a set.
    pub fn allowlist(&self) -> CidrSet {
        CidrSet::new(self.allowlist.cidrs.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_and_full() {
        let c = Config::parse("[[sources]]\ntype = \"stdin\"\n", Path::new("a.toml")).unwrap();
        assert_eq!(c.sources, vec![SourceConfig::Stdin]);
        assert_eq!(c.enforcer, EnforcerConfig::DryRun);
        let full = r#"
            [detection]
            capacity = 10
            severity_weights = { critical = 7.0 }
            [detection.subnet]
            min_offenders = 4
            [allowlist]
            cidrs = ["10.0.0.0/8", "::1"]
            [[sources]]
            type = "file"
            path = "/tmp/x.log"
            [[sources]]
            type = "loki"
            url = "http://127.0.0.1:3100"
            query = '{app="waf"}'
            mode = "tail"
            [enforcer]
            type = "nftables"
            table = "waf_t"
        "#;
        let c = Config::parse(full, Path::new("a.toml")).unwrap();
        assert_eq!(c.detection.capacity, 10.0);
        assert_eq!(c.allowlist.cidrs.len(), 2);
        assert!(matches!(&c.sources[1], SourceConfig::Loki(l) if l.mode == LokiMode::Tail));
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            ("[detection]\ncapacity = 0\n", "detection.capacity"),
            ("[detection]\ncapcity = 1\n", "capcity"),
            ("[allowlist]\ncidrs = [\"10.0.0.0/99\"]\n", "10.0.0.0/99"),
            ("[enforcer]\ntype = \"iptables\"\n", "iptables"),
            ("[detection]\nseverity_weights = { loud = 1.0 }\n", "loud"),
            (
                "[[sources]]\ntype = \"loki\"\nurl = \"x\"\nquery = \"\"\n",
                "sources.query",
            ),
            ("this is not toml", "a.toml"),
        ];
        for (text, needle) in cases {
            let e = Config::parse(text, Path::new("a.toml"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{e} should mention {needle}");
        }
        let e = Config::parse("{\"detection\": 5}", Path::new("c.json"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.json"), "{e}");
    }
}
