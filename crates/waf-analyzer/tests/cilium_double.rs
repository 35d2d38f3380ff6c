//! The Cilium enforcer (kube-rs) against a local double of the Kubernetes API
//! server (no cluster can run here). The double speaks the API server's wire
//! protocol over plain HTTP/1.1 for the two calls we make: `GET` of a
//! cluster-scoped custom object (200 with the object, 404 with a `Status`) and
//! server-side apply (`PATCH` with `Content-Type: application/apply-patch+yaml`,
//! `fieldManager` and `force` query parameters; 201 on create, 200 on update;
//! 409/500 on request). It checks method, path, the exact query parameters,
//! field manager, content type and body, and validates the body against the
//! rules of the Cilium CRDs we rely on.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Double, Reply, Request};
use serde_json::{Value, json};
use waf_analyzer::clock::{format_rfc3339, now_ms};
use waf_analyzer::config::{CiliumConfig, Config, EnforcerConfig, SourceConfig};
use waf_analyzer::enforce::{CiliumEnforcer, Enforcer};
use waf_analyzer::error::EnforceError;
use waf_analyzer::metrics::Metrics;
use waf_analyzer::{Block, Cidr};

const GROUP_PATH: &str = "/apis/cilium.io/v2alpha1/ciliumcidrgroups/waf-blocked";
const POLICY_PATH: &str = "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies/waf-deny-blocked";

fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

fn is_label_key(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    prefix.is_none_or(is_dns1123_subdomain)
        && !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// The checks the API server and the Cilium CRD schemas would apply to our objects.
pub fn validate(obj: &Value, kind: &str) -> Result<(), String> {
    let meta = &obj["metadata"];
    let name = meta["name"].as_str().ok_or("metadata.name missing")?;
    if !is_dns1123_subdomain(name) {
        return Err(format!("bad name {name}"));
    }
    if meta.get("namespace").is_some() {
        return Err("cluster-scoped object has a namespace".into());
    }
    for field in ["labels", "annotations"] {
        if let Some(m) = meta.get(field) {
            for (k, v) in m.as_object().ok_or("labels not a map")? {
                if !is_label_key(k) {
                    return Err(format!("bad {field} key {k}"));
                }
                if !v.is_string() {
                    return Err(format!("{field} {k} not a string"));
                }
            }
        }
    }
    if meta["labels"]["app.kubernetes.io/managed-by"] != "waf-analyzer" {
        return Err("managed-by label missing".into());
    }
    match kind {
        "CiliumCIDRGroup" => {
            if obj["apiVersion"] != "cilium.io/v2alpha1" {
                return Err("apiVersion".into());
            }
            let cidrs = obj["spec"]["externalCIDRs"]
                .as_array()
                .ok_or("spec.externalCIDRs must be a list")?;
            for c in cidrs {
                let s = c.as_str().ok_or("externalCIDRs entry not a string")?;
                if !s.contains('/') || s.parse::<Cidr>().is_err() {
                    return Err(format!("externalCIDRs entry {s} is not a CIDR"));
                }
            }
            let entries: BTreeMap<String, String> = serde_json::from_str(
                meta["annotations"]["waf-analyzer/entries"]
                    .as_str()
                    .ok_or("entries annotation")?,
            )
            .map_err(|e| e.to_string())?;
            if entries.len() != cidrs.len() {
                return Err("entries annotation does not match externalCIDRs".into());
            }
        }
        "CiliumClusterwideNetworkPolicy" => {
            if obj["apiVersion"] != "cilium.io/v2" {
                return Err("apiVersion".into());
            }
            let spec = &obj["spec"];
            if spec["endpointSelector"]["matchLabels"]
                .as_object()
                .is_none_or(|m| m.is_empty())
            {
                return Err("endpointSelector.matchLabels must select the gateway".into());
            }
            let rules = spec["ingressDeny"].as_array().ok_or("ingressDeny")?;
            for r in rules {
                for s in r["fromCIDRSet"].as_array().ok_or("fromCIDRSet")? {
                    let n = ["cidr", "cidrGroupRef", "cidrGroupSelector"]
                        .iter()
                        .filter(|k| s.get(**k).is_some())
                        .count();
                    if n != 1 {
                        return Err("fromCIDRSet entry needs exactly one of cidr/cidrGroupRef/cidrGroupSelector".into());
                    }
                }
            }
            if spec.get("ingress").is_some() || spec.get("egress").is_some() {
                return Err("the deny policy must not allow anything".into());
            }
            if spec["enableDefaultDeny"]["ingress"] != false {
                return Err("deny-only policy must not enable default deny".into());
            }
        }
        _ => return Err("unknown kind".into()),
    }
    Ok(())
}

/// In-memory API server for our two objects.
struct Api {
    objects: Mutex<BTreeMap<String, Value>>,
    fail_next: Mutex<Vec<u16>>,
    patches: AtomicUsize,
}

impl Api {
    fn new() -> Arc<Api> {
        Arc::new(Api {
            objects: Mutex::new(BTreeMap::new()),
            fail_next: Mutex::new(Vec::new()),
            patches: AtomicUsize::new(0),
        })
    }

    fn status(code: u16, reason: &str, msg: &str) -> Reply {
        Reply::json(
            code,
            json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":msg,"reason":reason,"code":code})
                .to_string(),
        )
    }

    fn handle(&self, r: &Request) -> Reply {
        let kind = match r.path.as_str() {
            GROUP_PATH => "CiliumCIDRGroup",
            POLICY_PATH => "CiliumClusterwideNetworkPolicy",
            _ => return Api::status(404, "NotFound", &format!("no route {}", r.path)),
        };
        match r.method.as_str() {
            "GET" => match self.objects.lock().unwrap().get(&r.path) {
                Some(o) => Reply::json(200, o.to_string()),
                None => Api::status(404, "NotFound", "not found"),
            },
            "PATCH" => {
                self.patches.fetch_add(1, Ordering::Relaxed);
                if let Some(code) = self.fail_next.lock().unwrap().pop() {
                    return Api::status(
                        code,
                        if code == 409 {
                            "Conflict"
                        } else {
                            "InternalError"
                        },
                        "injected",
                    );
                }
                if r.header("content-type") != Some("application/apply-patch+yaml") {
                    return Api::status(
                        415,
                        "UnsupportedMediaType",
                        "apply needs application/apply-patch+yaml",
                    );
                }
                // kube-rs sends `?&force=true&fieldManager=...`: exactly these
                // two parameters (no dryRun, nothing else).
                let mut params: Vec<&str> = r
                    .target
                    .split_once('?')
                    .map(|(_, q)| q.split('&').filter(|p| !p.is_empty()).collect())
                    .unwrap_or_default();
                params.sort_unstable();
                if params != ["fieldManager=waf-analyzer", "force=true"] {
                    return Api::status(400, "BadRequest", &format!("query {params:?}"));
                }
                if r.header("accept") != Some("application/json") {
                    return Api::status(406, "NotAcceptable", "expected Accept: application/json");
                }
                if r.query.get("fieldManager").map(String::as_str) != Some("waf-analyzer") {
                    return Api::status(422, "Invalid", "fieldManager is required for apply");
                }
                if r.query.get("force").map(String::as_str) != Some("true") {
                    return Api::status(422, "Invalid", "expected force=true");
                }
                let obj: Value = match serde_json::from_slice(&r.body) {
                    Ok(v) => v,
                    Err(e) => return Api::status(400, "BadRequest", &e.to_string()),
                };
                if obj["kind"] != kind
                    || !r
                        .path
                        .ends_with(obj["metadata"]["name"].as_str().unwrap_or("?"))
                {
                    return Api::status(400, "BadRequest", "kind/name do not match the URL");
                }
                if let Err(e) = validate(&obj, kind) {
                    return Api::status(422, "Invalid", &e);
                }
                let created = self
                    .objects
                    .lock()
                    .unwrap()
                    .insert(r.path.clone(), obj.clone())
                    .is_none();
                Reply::json(if created { 201 } else { 200 }, obj.to_string())
            }
            _ => Api::status(405, "MethodNotAllowed", "method"),
        }
    }

    fn group_cidrs(&self) -> Vec<String> {
        self.objects
            .lock()
            .unwrap()
            .get(GROUP_PATH)
            .and_then(|g| g["spec"]["externalCIDRs"].as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    }
}

fn serve(api: &Arc<Api>) -> Double {
    let a = api.clone();
    Double::start(Arc::new(move |r: &Request| a.handle(r)))
}

fn cfg(url: &str) -> CiliumConfig {
    CiliumConfig {
        api_url: Some(url.into()),
        timeout_secs: 2,
        ..CiliumConfig::default()
    }
}

fn c(s: &str) -> Cidr {
    s.parse().unwrap()
}

#[test]
fn applies_group_and_policy_with_field_manager_and_expires_entries() {
    let api = Api::new();
    let server = serve(&api);
    let mut e = CiliumEnforcer::new(cfg(&server.url())).unwrap();
    assert_eq!(e.start(now_ms()).unwrap(), vec![]);
    let now = now_ms();
    let blocks = vec![
        Block {
            cidr: c("198.51.100.0/24"),
            expires_at: now + 60_000,
        },
        Block {
            cidr: c("203.0.113.7"),
            expires_at: now + 1_000,
        },
    ];
    e.sync(&blocks, now, false).unwrap();
    assert_eq!(api.group_cidrs(), vec!["198.51.100.0/24", "203.0.113.7/32"]);

    let reqs = server.requests();
    // GET group (404), apply policy, apply group, apply policy (new expires-at).
    let seq: Vec<(String, String)> = reqs
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(seq[0], ("GET".into(), GROUP_PATH.into()));
    for r in reqs.iter().filter(|r| r.method == "PATCH") {
        assert_eq!(
            r.header("content-type"),
            Some("application/apply-patch+yaml")
        );
        assert!(!r.query.contains_key("dryRun"));
        assert!(r.header("authorization").is_none(), "no token configured");
    }
    assert_eq!(seq[1], ("PATCH".into(), POLICY_PATH.into()));
    assert!(seq.contains(&("PATCH".into(), GROUP_PATH.into())));
    let policy = api.objects.lock().unwrap()[POLICY_PATH].clone();
    assert_eq!(
        policy["spec"]["ingressDeny"][0]["fromCIDRSet"][0]["cidrGroupRef"],
        "waf-blocked"
    );
    assert_eq!(
        policy["metadata"]["annotations"]["waf-analyzer/expires-at"],
        format_rfc3339(now + 60_000)
    );

    // Unchanged state: no request. Later: the expired entry is removed.
    let before = server.requests().len();
    e.sync(&blocks, now, false).unwrap();
    assert_eq!(server.requests().len(), before);
    e.sync(&blocks, now + 2_000, false).unwrap();
    assert_eq!(api.group_cidrs(), vec!["198.51.100.0/24"]);
}

#[test]
fn restart_adopts_unexpired_entries_only() {
    let api = Api::new();
    let now = now_ms();
    let entries = json!({"203.0.113.7/32": format_rfc3339(now - 5_000), "198.51.100.0/24": format_rfc3339(now + 120_000)});
    api.objects.lock().unwrap().insert(
        GROUP_PATH.into(),
        json!({"apiVersion":"cilium.io/v2alpha1","kind":"CiliumCIDRGroup",
               "metadata":{"name":"waf-blocked","resourceVersion":"7","labels":{"app.kubernetes.io/managed-by":"waf-analyzer"},
                           "annotations":{"waf-analyzer/entries": entries.to_string()}},
               "spec":{"externalCIDRs":["203.0.113.7/32","198.51.100.0/24","192.0.2.9/32"]}}),
    );
    let server = serve(&api);
    let mut e = CiliumEnforcer::new(cfg(&server.url())).unwrap();
    let held = e.start(now).unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].cidr, c("198.51.100.0/24"));
    assert!(held[0].expires_at.abs_diff(now + 120_000) < 1_000);
    e.sync(&held, now, true).unwrap();
    assert_eq!(
        api.group_cidrs(),
        vec!["198.51.100.0/24"],
        "entries without time or past it are dropped"
    );
}

#[test]
fn conflicts_and_server_errors_are_errors_not_panics() {
    let api = Api::new();
    let server = serve(&api);
    let mut e = CiliumEnforcer::new(cfg(&server.url())).unwrap();
    e.start(now_ms()).unwrap();
    api.fail_next.lock().unwrap().extend([500, 409]);
    let b = vec![Block {
        cidr: c("203.0.113.7"),
        expires_at: now_ms() + 60_000,
    }];
    let err = e.sync(&b, now_ms(), false).unwrap_err().to_string();
    assert!(
        err.contains("409") && err.contains("ciliumcidrgroups"),
        "{err}"
    );
    let err = e.sync(&b, now_ms(), false).unwrap_err().to_string();
    assert!(err.contains("500"), "{err}");
    e.sync(&b, now_ms(), false).unwrap();
    assert_eq!(api.group_cidrs(), vec!["203.0.113.7/32"]);

    // Nothing listening: an I/O error with the URL in it, worth retrying.
    let dead = CiliumEnforcer::new(cfg("http://127.0.0.1:1"))
        .unwrap()
        .start(now_ms())
        .unwrap_err();
    assert!(dead.to_string().contains("127.0.0.1:1"), "{dead}");
    assert!(
        matches!(&dead, EnforceError::Kube(h) if h.is_transient()),
        "{dead:?}"
    );
    // https is built in (rustls); only malformed URLs are refused up front.
    CiliumEnforcer::new(cfg("https://kubernetes.default.svc")).unwrap();
    assert!(CiliumEnforcer::new(cfg("ftp://kubernetes.default")).is_err());
}

#[test]
fn sends_the_service_account_token_and_times_out() {
    let api = Api::new();
    let server = serve(&api);
    let dir = std::env::temp_dir().join(format!("waf-analyzer-token-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let token = dir.join("token");
    // A trailing newline is refused with a message (kube-rs sends the bytes).
    std::fs::write(&token, "t0ken-1\n").unwrap();
    let err = CiliumEnforcer::new(CiliumConfig {
        token_file: Some(token.clone()),
        ..cfg(&server.url())
    })
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("newline") && err.contains("token"), "{err}");
    std::fs::write(&token, "t0ken-1").unwrap();
    let mut e = CiliumEnforcer::new(CiliumConfig {
        token_file: Some(token.clone()),
        ..cfg(&server.url())
    })
    .unwrap();
    e.start(now_ms()).unwrap();
    for r in server.requests() {
        assert_eq!(r.header("authorization"), Some("Bearer t0ken-1"), "{r:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);

    // A server that accepts and never answers in time: a timeout error.
    let slow = Double::start(Arc::new(|_: &Request| Reply {
        delay: Some(Duration::from_secs(3)),
        ..Reply::json(200, "{}")
    }));
    let t = Instant::now();
    let err = CiliumEnforcer::new(CiliumConfig {
        timeout_secs: 1,
        ..cfg(&slow.url())
    })
    .unwrap()
    .start(now_ms())
    .unwrap_err();
    assert!(
        t.elapsed() < Duration::from_millis(2_500),
        "{:?}",
        t.elapsed()
    );
    assert!(
        matches!(&err, EnforceError::Kube(h) if h.is_transient()),
        "{err:?}"
    );
}

#[test]
fn malformed_answers_are_errors_not_panics() {
    for (status, body) in [
        (200, "not json"),
        (200, "[1,2]"),
        (200, r#"{"spec":{"externalCIDRs":"x"}}"#),
        (404, "plain text"),
        (500, ""),
        (599, "{}"),
        (302, ""),
    ] {
        let d = Double::start(Arc::new(move |_: &Request| Reply::json(status, body)));
        let r = CiliumEnforcer::new(cfg(&d.url())).unwrap().start(now_ms());
        assert!(r.is_err(), "{status} {body}: {r:?}");
    }
}

#[test]
fn daemon_retries_until_the_api_server_accepts_and_loses_no_decision() {
    let api = Api::new();
    let server = serve(&api);
    let dir = std::env::temp_dir().join(format!("waf-analyzer-cilium-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("audit.log");
    let mut lines = String::new();
    for i in 0..4 {
        lines.push_str(&format!(
            "{{\"transaction\":{{\"unique_id\":\"u{i}\",\"client_ip\":\"203.0.113.66\",\"messages\":[{{\"details\":{{\"ruleId\":\"932100\",\"severity\":\"CRITICAL\"}}}}]}}}}\n"
        ));
    }
    std::fs::write(&log, "").unwrap();
    let mut config = Config {
        sources: vec![SourceConfig::File {
            path: log.clone(),
            state_file: None,
            from_start: true,
            poll_ms: 20,
        }],
        ..Config::default()
    };
    config.enforcer = EnforcerConfig::Cilium(cfg(&server.url()));
    config.daemon.metrics_listen = None;
    config.daemon.flush_interval_ms = 20;
    let stop = Arc::new(AtomicBool::new(false));
    let metrics = Arc::new(Metrics::default());
    let enforcer = waf_analyzer::enforce::from_config(&config.enforcer).unwrap();
    let h = {
        let (config, stop, metrics) = (config.clone(), stop.clone(), metrics.clone());
        std::thread::spawn(move || waf_analyzer::daemon::run(&config, enforcer, stop, metrics))
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline && !api.objects.lock().unwrap().contains_key(POLICY_PATH) {
        std::thread::sleep(Duration::from_millis(20));
    }
    // Started. Now the next three applies fail (conflict, then server errors)
    // while the attack arrives.
    api.fail_next.lock().unwrap().extend([500, 500, 409]);
    std::fs::write(&log, lines).unwrap();
    while Instant::now() < deadline && api.group_cidrs().is_empty() {
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    h.join().unwrap().unwrap();
    assert_eq!(api.group_cidrs(), vec!["203.0.113.66/32"]);
    assert_eq!(
        metrics.errors_enforcer.load(Ordering::Relaxed),
        3,
        "errors counted"
    );
    assert_eq!(metrics.decisions_address.load(Ordering::Relaxed), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
