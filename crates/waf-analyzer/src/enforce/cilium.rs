//! Cilium enforcer: a `CiliumCIDRGroup` with the blocked prefixes and one
//! `CiliumClusterwideNetworkPolicy` whose `ingressDeny` references it for the
//! WAF gateway's pods. Both are written with kube-rs by server-side apply
//! (`Patch::Apply` with `PatchParams::apply(field_manager).force()`, on the
//! wire `PATCH ...?fieldManager=waf-analyzer&force=true` with
//! `Content-Type: application/apply-patch+yaml` and a JSON body, which is
//! YAML), so the API server merges our fields and records us as their manager;
//! `force` takes over fields a person edited by hand, since the analyzer owns
//! them.
//!
//! The objects are typed structs ([`CiliumCidrGroup`],
//! [`CiliumClusterwideNetworkPolicy`]) with `k8s-openapi`'s `ObjectMeta` and a
//! hand-written [`kube::Resource`] implementation (no `kube-derive`, no
//! schema generation: we never install the CRDs, Cilium does).
//!
//! Connection: with no `api_url` configured, [`kube::Config::incluster`] (the
//! pod's ServiceAccount token, reloaded when it rotates, and the cluster CA,
//! over rustls); with `api_url`, that URL (tests, `kubectl proxy` on a
//! workstation), with an optional token file and CA file. kube's own retry
//! layer is off: the daemon retries with back-off and counts every failure.
//!
//! kube-rs is async; the analyzer is thread-based. The enforcer owns a
//! current-thread tokio runtime and blocks on each call from the daemon's
//! thread, so nothing else in the crate sees async code.
//!
//! Expiry: Kubernetes has no per-entry TTL, so the group carries the annotation
//! `waf-analyzer/entries` (a JSON map prefix → RFC 3339 expiry) and
//! `waf-analyzer/expires-at` (the latest expiry). Every sync sends only the
//! unexpired entries, so the reconcile loop removes what has run out; on start
//! the entries are read back and adopted, so a restart does not forget a block
//! nor keep one past its time.
//!
//! The policy sets `enableDefaultDeny: {ingress: false, egress: false}`: a
//! policy with only deny rules must not switch the gateway to default-deny
//! (that is the job of `deploy/cilium-network-policies.yaml`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, Patch, PatchParams};
use kube::{Client, Resource};
use serde::{Deserialize, Serialize};

use super::{Enforcer, SyncStats};
use crate::cidr::Cidr;
use crate::clock::{UnixMillis, format_rfc3339, parse_timestamp};
use crate::config::CiliumConfig;
use crate::decision::Block;
use crate::error::{EnforceError, HttpError};
use crate::http::snippet;

/// API group of both kinds.
pub const GROUP: &str = "cilium.io";
/// API group/version of `CiliumCIDRGroup`.
pub const CIDR_GROUP_API: &str = "cilium.io/v2alpha1";
/// API group/version of `CiliumClusterwideNetworkPolicy`.
pub const POLICY_API: &str = "cilium.io/v2";
/// Label value of `app.kubernetes.io/managed-by`.
pub const MANAGER: &str = "waf-analyzer";
/// Annotation with the latest expiry.
pub const ANN_EXPIRES_AT: &str = "waf-analyzer/expires-at";
/// Annotation with every entry's expiry.
pub const ANN_ENTRIES: &str = "waf-analyzer/entries";

/// `cilium.io/v2alpha1` `CiliumCIDRGroup`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CiliumCidrGroup {
    /// `cilium.io/v2alpha1`.
    #[serde(default)]
    pub api_version: String,
    /// `CiliumCIDRGroup`.
    #[serde(default)]
    pub kind: String,
    /// Metadata (cluster-scoped: no namespace).
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec.
    #[serde(default)]
    pub spec: CidrGroupSpec,
}

/// Spec of a CIDR group.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct CidrGroupSpec {
    /// The prefixes.
    #[serde(rename = "externalCIDRs", default)]
    pub external_cidrs: Vec<String>,
}

/// `cilium.io/v2` `CiliumClusterwideNetworkPolicy`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CiliumClusterwideNetworkPolicy {
    /// `cilium.io/v2`.
    #[serde(default)]
    pub api_version: String,
    /// `CiliumClusterwideNetworkPolicy`.
    #[serde(default)]
    pub kind: String,
    /// Metadata (cluster-scoped: no namespace).
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: PolicySpec,
}

/// Implements [`kube::Resource`] for a cluster-scoped Cilium kind.
macro_rules! cluster_resource {
    ($ty:ty, $kind:literal, $version:literal, $plural:literal) => {
        impl Resource for $ty {
            type DynamicType = ();
            type Scope = kube::core::ClusterResourceScope;

            fn kind(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($kind)
            }
            fn group(_: &()) -> Cow<'_, str> {
                Cow::Borrowed(GROUP)
            }
            fn version(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($version)
            }
            fn plural(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($plural)
            }
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    };
}

cluster_resource!(
    CiliumCidrGroup,
    "CiliumCIDRGroup",
    "v2alpha1",
    "ciliumcidrgroups"
);
cluster_resource!(
    CiliumClusterwideNetworkPolicy,
    "CiliumClusterwideNetworkPolicy",
    "v2",
    "ciliumclusterwidenetworkpolicies"
);

/// The rule.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PolicySpec {
    /// Human description.
    pub description: String,
    /// Pods the rule applies to.
    pub endpoint_selector: LabelSelector,
    /// Deny rules.
    pub ingress_deny: Vec<IngressDenyRule>,
    /// Keep default-deny off for this deny-only policy.
    pub enable_default_deny: DefaultDeny,
}

/// `matchLabels` selector.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    /// Labels.
    pub match_labels: BTreeMap<String, String>,
}

/// One `ingressDeny` entry.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IngressDenyRule {
    /// Sources.
    #[serde(rename = "fromCIDRSet")]
    pub from_cidr_set: Vec<CidrRule>,
}

/// A `fromCIDRSet` entry referencing a CIDR group.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CidrRule {
    /// Name of the `CiliumCIDRGroup`.
    pub cidr_group_ref: String,
}

/// `enableDefaultDeny`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DefaultDeny {
    /// Ingress.
    pub ingress: bool,
    /// Egress.
    pub egress: bool,
}

fn managed_labels() -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "app.kubernetes.io/managed-by".to_string(),
            MANAGER.to_string(),
        ),
        ("app.kubernetes.io/part-of".to_string(), "waf".to_string()),
    ])
}

fn meta(name: &str, annotations: BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        labels: Some(managed_labels()),
        annotations: (!annotations.is_empty()).then_some(annotations),
        ..ObjectMeta::default()
    }
}

/// Builds the CIDR group for `blocks` (all must be unexpired).
pub fn cidr_group(name: &str, blocks: &[Block]) -> CiliumCidrGroup {
    let entries: BTreeMap<String, String> = blocks
        .iter()
        .map(|b| (b.cidr.to_string(), format_rfc3339(b.expires_at)))
        .collect();
    let latest = blocks.iter().map(|b| b.expires_at).max();
    let mut annotations = BTreeMap::from([(
        ANN_ENTRIES.to_string(),
        serde_json::to_string(&entries).unwrap_or_else(|_| "{}".into()),
    )]);
    if let Some(l) = latest {
        annotations.insert(ANN_EXPIRES_AT.to_string(), format_rfc3339(l));
    }
    CiliumCidrGroup {
        api_version: CIDR_GROUP_API.into(),
        kind: "CiliumCIDRGroup".into(),
        metadata: meta(name, annotations),
        spec: CidrGroupSpec {
            external_cidrs: blocks.iter().map(|b| b.cidr.to_string()).collect(),
        },
    }
}

/// Builds the deny policy.
pub fn deny_policy(
    cfg: &CiliumConfig,
    latest_expiry: Option<UnixMillis>,
) -> CiliumClusterwideNetworkPolicy {
    let mut annotations = BTreeMap::new();
    if let Some(l) = latest_expiry {
        annotations.insert(ANN_EXPIRES_AT.to_string(), format_rfc3339(l));
    }
    CiliumClusterwideNetworkPolicy {
        api_version: POLICY_API.into(),
        kind: "CiliumClusterwideNetworkPolicy".into(),
        metadata: meta(&cfg.policy_name, annotations),
        spec: PolicySpec {
            description: "Sources blocked by the WAF threat analyzer (entries expire; see the CIDR group annotations)"
                .into(),
            endpoint_selector: LabelSelector { match_labels: cfg.gateway_selector.clone() },
            ingress_deny: vec![IngressDenyRule { from_cidr_set: vec![CidrRule { cidr_group_ref: cfg.group_name.clone() }] }],
            enable_default_deny: DefaultDeny { ingress: false, egress: false },
        },
    }
}

/// The unexpired entries of a group read back from the API server. Prefixes
/// that do not parse, or have no recorded expiry, are dropped (the next apply
/// removes them).
pub fn held_blocks(group: &CiliumCidrGroup, now: UnixMillis) -> Vec<Block> {
    let entries: BTreeMap<String, String> = group
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANN_ENTRIES))
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let mut out = Vec::new();
    for c in &group.spec.external_cidrs {
        let Ok(cidr) = c.parse::<Cidr>() else {
            continue;
        };
        let exp = entries
            .get(c)
            .or_else(|| entries.get(&cidr.to_string()))
            .and_then(|t| parse_timestamp(t));
        if let Some(exp) = exp.filter(|e| *e > now) {
            out.push(Block {
                cidr,
                expires_at: exp,
            });
        }
    }
    out
}

/// Turns a kube-rs error into our error with the method and URL in it.
fn http_error(e: kube::Error, method: &str, url: &str) -> HttpError {
    match e {
        kube::Error::Api(s) if s.code >= 100 => HttpError::Status {
            method: method.into(),
            url: url.into(),
            status: s.code,
            body: snippet(format!("{}: {}", s.reason, s.message).as_bytes()),
        },
        kube::Error::SerdeError(e) => HttpError::Body {
            url: url.into(),
            message: e.to_string(),
        },
        e @ (kube::Error::HyperError(_) | kube::Error::Service(_)) => HttpError::Io {
            method: method.into(),
            url: url.into(),
            source: std::io::Error::other(error_chain(&e)),
        },
        e => HttpError::Protocol {
            method: method.into(),
            url: url.into(),
            message: error_chain(&e),
        },
    }
}

/// `outer: inner: innermost`, so a connect error says what failed.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// Kubernetes API client for the two objects, and the enforcer on top.
pub struct CiliumEnforcer {
    cfg: CiliumConfig,
    /// API server base URL, for error messages.
    base: String,
    runtime: tokio::runtime::Runtime,
    client: Client,
    last_group: Option<Vec<Block>>,
    last_policy_expiry: Option<Option<UnixMillis>>,
}

impl CiliumEnforcer {
    /// Builds the kube-rs client (in-cluster configuration, or `api_url`);
    /// talks to the API server only from [`Enforcer::start`] on.
    pub fn new(cfg: CiliumConfig) -> Result<CiliumEnforcer, EnforceError> {
        let config = kube_config(&cfg)?;
        let base = config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_string();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| HttpError::Io {
                method: "start runtime for".into(),
                url: base.clone(),
                source: e,
            })?;
        // rustls needs one process-wide crypto provider; only ring is built in.
        // An error means one is installed already, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // The client spawns its request buffer on the runtime it is built in.
        let client = {
            let _guard = runtime.enter();
            Client::try_from(config).map_err(|e| HttpError::Url {
                url: base.clone(),
                message: format!("cannot build the Kubernetes client: {}", error_chain(&e)),
            })?
        };
        Ok(CiliumEnforcer {
            cfg,
            base,
            runtime,
            client,
            last_group: None,
            last_policy_expiry: None,
        })
    }

    fn url<K: Resource<DynamicType = ()>>(&self, name: &str) -> String {
        format!("{}{}/{name}", self.base, K::url_path(&(), None))
    }

    /// Runs one API call to completion on the enforcer's runtime, bounded by
    /// the configured timeout.
    fn block_on<T>(
        &self,
        method: &str,
        url: &str,
        fut: impl Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, HttpError> {
        let limit = Duration::from_secs(self.cfg.timeout_secs.max(1));
        self.runtime
            .block_on(async { tokio::time::timeout(limit, fut).await })
            .map_err(|_| HttpError::Io {
                method: method.into(),
                url: url.into(),
                source: std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within {limit:?}"),
                ),
            })?
            .map_err(|e| http_error(e, method, url))
    }

    /// Server-side apply of one of our objects (created when absent).
    fn apply<K>(&self, obj: &K) -> Result<(), HttpError>
    where
        K: Resource<DynamicType = (), Scope = kube::core::ClusterResourceScope>
            + Clone
            + std::fmt::Debug
            + Serialize
            + serde::de::DeserializeOwned,
    {
        let name = obj.meta().name.clone().unwrap_or_default();
        let url = self.url::<K>(&name);
        let api: Api<K> = Api::all(self.client.clone());
        let params = PatchParams::apply(&self.cfg.field_manager).force();
        self.block_on("PATCH", &url, async {
            api.patch(&name, &params, &Patch::Apply(obj)).await
        })
        .map(|_| ())
    }

    /// Reads the group's entries back (absent group: none).
    fn read_group(&self, now: UnixMillis) -> Result<Vec<Block>, HttpError> {
        let name = &self.cfg.group_name;
        let url = self.url::<CiliumCidrGroup>(name);
        let api: Api<CiliumCidrGroup> = Api::all(self.client.clone());
        let group = self.block_on("GET", &url, api.get_opt(name))?;
        Ok(group.map(|g| held_blocks(&g, now)).unwrap_or_default())
    }
}

/// kube-rs sends the token file's bytes as they are (re-reading the file as
/// it rotates), and a header value cannot end in a newline: say so up front
/// instead of failing every request.
fn check_token_file(path: &std::path::Path) -> Result<(), HttpError> {
    let bad = |m: String| HttpError::Url {
        url: format!("token_file {}", path.display()),
        message: m,
    };
    let token = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    if token.is_empty() {
        return Err(bad("empty".into()));
    }
    if token.trim() != token || token.bytes().any(|b| b.is_ascii_control()) {
        return Err(bad(
            "the token must not have surrounding whitespace or a trailing newline".into(),
        ));
    }
    Ok(())
}

/// The kube-rs configuration for `cfg`.
fn kube_config(cfg: &CiliumConfig) -> Result<kube::Config, HttpError> {
    let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
    let mut config = match cfg.api_url.as_deref().map(str::trim) {
        None | Some("") => kube::Config::incluster().map_err(|e| HttpError::Url {
            url: "in-cluster".into(),
            message: format!(
                "no api_url configured and no in-cluster configuration \
                 (KUBERNETES_SERVICE_HOST and the ServiceAccount files): {}",
                error_chain(&e)
            ),
        })?,
        Some(url) => {
            let bad = |m: String| HttpError::Url {
                url: url.to_string(),
                message: m,
            };
            let mut config = kube::Config::new(url.parse().map_err(|e| bad(format!("{e}")))?);
            let uri = &config.cluster_url;
            if !matches!(uri.scheme_str(), Some("http" | "https")) {
                return Err(bad("must start with http:// or https://".into()));
            }
            if uri.host().is_none_or(str::is_empty) {
                return Err(bad("no host".into()));
            }
            if uri.query().is_some() {
                return Err(bad("no query allowed in the base URL".into()));
            }
            let authority = uri.authority().map_or("", |a| a.as_str());
            let host_port = authority.rsplit('@').next().unwrap_or("");
            let after_host = host_port.rsplit_once(']').map_or(host_port, |(_, r)| r);
            if let Some((_, port)) = after_host.rsplit_once(':')
                && port.parse::<u16>().is_err()
            {
                return Err(bad(format!("bad port {port:?}")));
            }
            if let Some(t) = &cfg.token_file {
                check_token_file(t)?;
                config.auth_info.token_file = Some(t.to_string_lossy().into_owned());
            }
            if let Some(ca) = &cfg.ca_file {
                // The file is re-read periodically (CA rotation).
                config.root_cert_file = Some(ca.clone());
            }
            if cfg.ca_file.is_some() || url.starts_with("http://") {
                // An explicit (possibly empty) root store: kube otherwise loads
                // the system's roots, which a plain-HTTP URL does not need and
                // a minimal image may not have.
                config.root_cert = Some(Vec::new());
            }
            config
        }
    };
    config.connect_timeout = Some(timeout);
    config.read_timeout = Some(timeout);
    config.write_timeout = Some(timeout);
    // The daemon retries with back-off and counts each failure.
    config.default_retry = false;
    Ok(config)
}

impl Enforcer for CiliumEnforcer {
    fn name(&self) -> &'static str {
        "cilium"
    }

    fn start(&mut self, now: UnixMillis) -> Result<Vec<Block>, EnforceError> {
        let held = self.read_group(now)?;
        let latest = held.iter().map(|b| b.expires_at).max();
        self.apply(&deny_policy(&self.cfg, latest))?;
        self.last_policy_expiry = Some(latest);
        Ok(held)
    }

    fn sync(
        &mut self,
        desired: &[Block],
        now: UnixMillis,
        full: bool,
    ) -> Result<SyncStats, EnforceError> {
        let desired: Vec<Block> = desired
            .iter()
            .filter(|b| b.expires_at > now)
            .copied()
            .collect();
        let mut stats = SyncStats::default();
        if full || self.last_group.as_ref() != Some(&desired) {
            let before = self.last_group.clone().unwrap_or_default();
            self.apply(&cidr_group(&self.cfg.group_name, &desired))?;
            stats.added = desired.iter().filter(|b| !before.contains(b)).count();
            stats.removed = before
                .iter()
                .filter(|b| !desired.iter().any(|d| d.cidr == b.cidr))
                .count();
            self.last_group = Some(desired.clone());
        }
        let latest = desired.iter().map(|b| b.expires_at).max();
        if full || self.last_policy_expiry != Some(latest) {
            self.apply(&deny_policy(&self.cfg, latest))?;
            self.last_policy_expiry = Some(latest);
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_have_the_fields_cilium_reads() {
        let b = vec![Block {
            cidr: "203.0.113.0/24".parse().unwrap(),
            expires_at: 1_795_494_101_000,
        }];
        let g = serde_json::to_value(cidr_group("waf-blocked", &b)).unwrap();
        assert_eq!(g["apiVersion"], "cilium.io/v2alpha1");
        assert_eq!(g["kind"], "CiliumCIDRGroup");
        assert_eq!(g["spec"]["externalCIDRs"][0], "203.0.113.0/24");
        assert_eq!(
            g["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "waf-analyzer"
        );
        assert_eq!(
            g["metadata"]["annotations"]["waf-analyzer/expires-at"],
            "2026-11-24T04:21:41Z"
        );
        let p = serde_json::to_value(deny_policy(
            &CiliumConfig::default(),
            Some(1_795_494_101_000),
        ))
        .unwrap();
        assert_eq!(
            p["spec"]["ingressDeny"][0]["fromCIDRSet"][0]["cidrGroupRef"],
            "waf-blocked"
        );
        assert_eq!(
            p["spec"]["endpointSelector"]["matchLabels"]["app.kubernetes.io/name"],
            "waf-gateway"
        );
        assert_eq!(p["spec"]["enableDefaultDeny"]["ingress"], false);
        assert!(p["metadata"].get("namespace").is_none());
        // Only the fields we own go into the apply body.
        let keys: Vec<&String> = p["metadata"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["annotations", "labels", "name"]);
    }

    #[test]
    fn resource_paths_are_the_crd_paths() {
        assert_eq!(
            CiliumCidrGroup::url_path(&(), None),
            "/apis/cilium.io/v2alpha1/ciliumcidrgroups"
        );
        assert_eq!(CiliumCidrGroup::api_version(&()), CIDR_GROUP_API);
        assert_eq!(
            CiliumClusterwideNetworkPolicy::url_path(&(), None),
            "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies"
        );
        assert_eq!(CiliumClusterwideNetworkPolicy::api_version(&()), POLICY_API);
    }

    #[test]
    fn held_blocks_tolerates_odd_objects() {
        let g: CiliumCidrGroup = serde_json::from_str(r#"{"metadata":{"name":"x"}}"#).unwrap();
        assert!(held_blocks(&g, 0).is_empty());
        let g: CiliumCidrGroup = serde_json::from_str(
            r#"{"metadata":{"annotations":{"waf-analyzer/entries":"not json"}},
                "spec":{"externalCIDRs":["10.0.0.1","nope"]}}"#,
        )
        .unwrap();
        assert!(held_blocks(&g, 0).is_empty());
    }

    #[test]
    fn without_api_url_the_in_cluster_config_is_required() {
        if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
            return; // running in a pod: the in-cluster config may well work
        }
        let err = CiliumEnforcer::new(CiliumConfig::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("in-cluster"), "{err}");
    }

    #[test]
    fn unreadable_ca_or_token_files_are_config_errors() {
        let dir = std::env::temp_dir().join(format!("waf-analyzer-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let garbage = dir.join("ca.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let missing = dir.join("missing");
        for (ca, token) in [
            (Some(missing.clone()), None),
            (Some(garbage.clone()), None),
            (None, Some(missing.clone())),
            (None, Some(garbage.clone())),
        ] {
            let cfg = CiliumConfig {
                api_url: Some("https://127.0.0.1:6443".into()),
                ca_file: ca.clone(),
                token_file: token.clone(),
                ..CiliumConfig::default()
            };
            let err = CiliumEnforcer::new(cfg).err();
            assert!(err.is_some(), "{ca:?} {token:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_urls_are_config_errors() {
        for url in ["ftp://x", "http://", "not a url", "http://h:notaport"] {
            let cfg = CiliumConfig {
                api_url: Some(url.into()),
                ..CiliumConfig::default()
            };
            assert!(CiliumEnforcer::new(cfg).is_err(), "{url}");
        }
    }
}
