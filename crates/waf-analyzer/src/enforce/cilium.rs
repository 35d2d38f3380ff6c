//! Cilium enforcer: a `CiliumCIDRGroup` with the blocked prefixes and one
//! `CiliumClusterwideNetworkPolicy` whose `ingressDeny` references it for the
//! WAF gateway's pods. Both are written by server-side apply
//! (`PATCH ...?fieldManager=waf-analyzer&force=true`,
//! `Content-Type: application/apply-patch+yaml`, a JSON body, which is YAML),
//! so the API server merges our fields and records us as their manager; `force`
//! takes over fields a person edited by hand, since the analyzer owns them.
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

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Enforcer, SyncStats};
use crate::cidr::Cidr;
use crate::clock::{UnixMillis, format_rfc3339, parse_timestamp};
use crate::config::CiliumConfig;
use crate::decision::Block;
use crate::error::{EnforceError, HttpError};
use crate::http::{BaseUrl, request, snippet};

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

/// `metadata` of the objects we write.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    /// Name (cluster-scoped objects: no namespace).
    pub name: String,
    /// Labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// `cilium.io/v2alpha1` `CiliumCIDRGroup`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CiliumCidrGroup {
    /// `cilium.io/v2alpha1`.
    pub api_version: String,
    /// `CiliumCIDRGroup`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
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
    pub api_version: String,
    /// `CiliumClusterwideNetworkPolicy`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: PolicySpec,
}

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
        metadata: ObjectMeta {
            name: name.into(),
            labels: managed_labels(),
            annotations,
        },
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
        metadata: ObjectMeta { name: cfg.policy_name.clone(), labels: managed_labels(), annotations },
        spec: PolicySpec {
            description: "Sources blocked by the WAF threat analyzer (entries expire; see the CIDR group annotations)"
                .into(),
            endpoint_selector: LabelSelector { match_labels: cfg.gateway_selector.clone() },
            ingress_deny: vec![IngressDenyRule { from_cidr_set: vec![CidrRule { cidr_group_ref: cfg.group_name.clone() }] }],
            enable_default_deny: DefaultDeny { ingress: false, egress: false },
        },
    }
}

/// Kubernetes API client for the two objects, and the enforcer on top.
pub struct CiliumEnforcer {
    cfg: CiliumConfig,
    base: BaseUrl,
    last_group: Option<Vec<Block>>,
    last_policy_expiry: Option<Option<UnixMillis>>,
}

impl CiliumEnforcer {
    /// Checks the URL; talks to the API server only from [`Enforcer::start`] on.
    pub fn new(cfg: CiliumConfig) -> Result<CiliumEnforcer, EnforceError> {
        let base = BaseUrl::parse(&cfg.api_url)?;
        Ok(CiliumEnforcer {
            cfg,
            base,
            last_group: None,
            last_policy_expiry: None,
        })
    }

    fn group_path(&self) -> String {
        format!(
            "/apis/{CIDR_GROUP_API}/ciliumcidrgroups/{}",
            self.cfg.group_name
        )
    }

    fn policy_path(&self) -> String {
        format!(
            "/apis/{POLICY_API}/ciliumclusterwidenetworkpolicies/{}",
            self.cfg.policy_name
        )
    }

    fn token(&self) -> Option<String> {
        let p: &PathBuf = self.cfg.token_file.as_ref()?;
        std::fs::read_to_string(p)
            .ok()
            .map(|t| t.trim().to_string())
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<crate::http::Response, HttpError> {
        let token = self.token().map(|t| format!("Bearer {t}"));
        let mut headers: Vec<(&str, &str)> = vec![("Accept", "application/json")];
        if let Some(t) = &token {
            headers.push(("Authorization", t));
        }
        if let Some(ct) = content_type {
            headers.push(("Content-Type", ct));
        }
        request(
            &self.base,
            method,
            path,
            &headers,
            body,
            Duration::from_secs(self.cfg.timeout_secs),
        )
    }

    fn apply<T: Serialize>(&self, path: &str, obj: &T) -> Result<(), HttpError> {
        let body = serde_json::to_vec(obj).map_err(|e| HttpError::Body {
            url: path.into(),
            message: e.to_string(),
        })?;
        let full = format!(
            "{path}?fieldManager={}&force=true",
            crate::http::encode_query(&self.cfg.field_manager)
        );
        let resp = self.call(
            "PATCH",
            &full,
            Some("application/apply-patch+yaml"),
            Some(&body),
        )?;
        if resp.status == 200 || resp.status == 201 {
            Ok(())
        } else {
            Err(HttpError::Status {
                method: "PATCH".into(),
                url: format!("{}{full}", self.cfg.api_url.trim_end_matches('/')),
                status: resp.status,
                body: snippet(&resp.body),
            })
        }
    }

    /// Reads the group's entries back (absent group: none).
    fn read_group(&self, now: UnixMillis) -> Result<Vec<Block>, HttpError> {
        let path = self.group_path();
        let resp = self.call("GET", &path, None, None)?;
        if resp.status == 404 {
            return Ok(Vec::new());
        }
        if resp.status != 200 {
            return Err(HttpError::Status {
                method: "GET".into(),
                url: path,
                status: resp.status,
                body: snippet(&resp.body),
            });
        }
        let g: CiliumCidrGroup =
            serde_json::from_slice(&resp.body).map_err(|e| HttpError::Body {
                url: path.clone(),
                message: e.to_string(),
            })?;
        let entries: BTreeMap<String, String> = g
            .metadata
            .annotations
            .get(ANN_ENTRIES)
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        let mut out = Vec::new();
        for c in &g.spec.external_cidrs {
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
        Ok(out)
    }
}

impl Enforcer for CiliumEnforcer {
    fn name(&self) -> &'static str {
        "cilium"
    }

    fn start(&mut self, now: UnixMillis) -> Result<Vec<Block>, EnforceError> {
        let held = self.read_group(now)?;
        self.apply(
            &self.policy_path(),
            &deny_policy(&self.cfg, held.iter().map(|b| b.expires_at).max()),
        )?;
        self.last_policy_expiry = Some(held.iter().map(|b| b.expires_at).max());
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
            self.apply(
                &self.group_path(),
                &cidr_group(&self.cfg.group_name, &desired),
            )?;
            stats.added = desired.iter().filter(|b| !before.contains(b)).count();
            stats.removed = before
                .iter()
                .filter(|b| !desired.iter().any(|d| d.cidr == b.cidr))
                .count();
            self.last_group = Some(desired.clone());
        }
        let latest = desired.iter().map(|b| b.expires_at).max();
        if full || self.last_policy_expiry != Some(latest) {
            self.apply(&self.policy_path(), &deny_policy(&self.cfg, latest))?;
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
    }
}
