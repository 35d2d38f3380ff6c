//! `deploy/` manifests: parsed, checked against the schema rules we rely on
//! (Kubernetes and Cilium field names and shapes) and cross-checked with each
//! other and with the analyzer's configuration type. No cluster needed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use waf_analyzer::config::{Config, EnforcerConfig};

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn load(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(deploy_dir().join(name)).unwrap();
    let mut docs = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(&text) {
        let v: serde_yaml_ng::Value =
            serde::Deserialize::deserialize(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
        if v.is_null() {
            continue;
        }
        docs.push(serde_json::to_value(v).unwrap());
    }
    assert!(!docs.is_empty(), "{name} is empty");
    for d in &docs {
        for f in ["apiVersion", "kind"] {
            assert!(d[f].is_string(), "{name}: {f} missing in {d}");
        }
        let n = d["metadata"]["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: metadata.name missing"));
        assert!(
            n.len() <= 63
                && n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{n}"
        );
        let cluster_scoped = [
            "Namespace",
            "ClusterRole",
            "ClusterRoleBinding",
            "CiliumClusterwideNetworkPolicy",
        ];
        if !cluster_scoped.contains(&d["kind"].as_str().unwrap()) {
            assert_eq!(
                d["metadata"]["namespace"], "waf",
                "{name}: {n} must live in namespace waf"
            );
        }
    }
    docs
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind}/{name} missing"))
}

/// Pod template checks: selector matches labels, every mount has a volume, and
/// every container is locked down.
fn check_deployment(d: &Value) {
    let sel = d["spec"]["selector"]["matchLabels"].as_object().unwrap();
    let labels = &d["spec"]["template"]["metadata"]["labels"];
    for (k, v) in sel {
        assert_eq!(&labels[k], v, "selector {k} does not match the template");
    }
    let pod = &d["spec"]["template"]["spec"];
    let volumes: BTreeSet<&str> = pod["volumes"].as_array().map_or(BTreeSet::new(), |v| {
        v.iter().filter_map(|x| x["name"].as_str()).collect()
    });
    let mut containers: Vec<&Value> = pod["containers"].as_array().unwrap().iter().collect();
    containers.extend(pod["initContainers"].as_array().into_iter().flatten());
    for c in containers {
        assert!(c["image"].is_string());
        for m in c["volumeMounts"].as_array().into_iter().flatten() {
            assert!(
                volumes.contains(m["name"].as_str().unwrap()),
                "mount {m} has no volume"
            );
        }
        let sc = &c["securityContext"];
        assert_eq!(sc["allowPrivilegeEscalation"], false, "{}", c["name"]);
        assert_eq!(sc["readOnlyRootFilesystem"], true, "{}", c["name"]);
    }
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
}

const ENTITIES: &[&str] = &[
    "all",
    "world",
    "world-ipv4",
    "world-ipv6",
    "cluster",
    "host",
    "remote-node",
    "kube-apiserver",
    "init",
    "health",
    "unmanaged",
    "ingress",
];

/// Walks a Cilium rule list and checks field shapes.
fn check_cilium_rules(rules: &Value, dir: &str) {
    let Some(rules) = rules.as_array() else {
        return;
    };
    for r in rules {
        let obj = r.as_object().unwrap();
        for (k, v) in obj {
            let allowed = match dir {
                "ingress" => [
                    "fromEndpoints",
                    "fromEntities",
                    "fromCIDR",
                    "fromCIDRSet",
                    "toPorts",
                    "icmps",
                    "fromRequires",
                ]
                .as_slice(),
                _ => [
                    "toEndpoints",
                    "toEntities",
                    "toCIDR",
                    "toCIDRSet",
                    "toPorts",
                    "toFQDNs",
                    "toServices",
                    "icmps",
                    "toRequires",
                ]
                .as_slice(),
            };
            assert!(allowed.contains(&k.as_str()), "unknown {dir} field {k}");
            if k.ends_with("Entities") {
                for e in v.as_array().unwrap() {
                    assert!(
                        ENTITIES.contains(&e.as_str().unwrap()),
                        "unknown entity {e}"
                    );
                }
            }
            if k.ends_with("Endpoints") {
                for sel in v.as_array().unwrap() {
                    let ml = sel["matchLabels"].as_object().unwrap();
                    assert!(
                        !ml.contains_key("reserved"),
                        "`reserved: world` is not a label; use fromEntities"
                    );
                }
            }
            if k == "toPorts" {
                for tp in v.as_array().unwrap() {
                    for p in tp["ports"].as_array().unwrap() {
                        let port = p["port"]
                            .as_str()
                            .expect("ports are strings in Cilium's CRD");
                        assert!(port.parse::<u16>().is_ok(), "{port}");
                        assert!(
                            ["TCP", "UDP", "SCTP", "ANY"]
                                .contains(&p["protocol"].as_str().unwrap())
                        );
                    }
                }
            }
        }
    }
}

fn allows_port(rules: &Value, entity_or_label: &str, port: &str) -> bool {
    rules.as_array().into_iter().flatten().any(|r| {
        let peer = r["fromEntities"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(r["toEntities"].as_array().into_iter().flatten())
            .any(|e| e == entity_or_label)
            || r["toEndpoints"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(r["fromEndpoints"].as_array().into_iter().flatten())
                .any(|s| {
                    s["matchLabels"]
                        .as_object()
                        .is_some_and(|m| m.values().any(|v| v == entity_or_label))
                });
        peer && r["toPorts"].as_array().into_iter().flatten().any(|tp| {
            tp["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["port"] == port)
        })
    })
}

#[test]
fn gateway_manifest() {
    let docs = load("waf-gateway-full.yaml");
    let svc = find(&docs, "Service", "waf-gateway");
    assert_eq!(
        svc["spec"]["externalTrafficPolicy"], "Local",
        "client addresses must survive"
    );
    assert_eq!(svc["spec"]["type"], "LoadBalancer");
    let ports: Vec<i64> = svc["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["port"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, vec![80, 443]);
    let dep = find(&docs, "Deployment", "waf-gateway");
    check_deployment(dep);
    let pod = &dep["spec"]["template"]["spec"];
    assert_eq!(
        svc["spec"]["selector"]["app.kubernetes.io/name"],
        dep["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
    );
    let tls = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "tls")
        .unwrap();
    assert_eq!(tls["secret"]["secretName"], "waf-gateway-tls");
    for v in pod["volumes"].as_array().unwrap() {
        if let Some(cm) = v["configMap"]["name"].as_str() {
            find(&docs, "ConfigMap", cm);
        }
    }
    // Envoy's own config: valid YAML, the wasm filter loads the file the init container writes.
    let cm = find(&docs, "ConfigMap", "waf-gateway-envoy");
    let envoy: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(cm["data"]["envoy.yaml"].as_str().unwrap()).unwrap();
    let envoy = serde_json::to_value(envoy).unwrap();
    let text = envoy.to_string();
    assert!(
        text.contains("envoy.filters.http.wasm")
            && text.contains("/etc/envoy/wasm/waf_proxywasm.wasm")
    );
    assert!(text.contains("/etc/envoy/tls/tls.crt"));
    let listeners: Vec<i64> = envoy["static_resources"]["listeners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["address"]["socket_address"]["port_value"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(listeners, vec![8080, 8443]);
    // The filter configuration Envoy hands to the wasm VM is JSON.
    let filter = &envoy["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
        ["http_filters"][0];
    assert_eq!(filter["name"], "envoy.filters.http.wasm");
    let conf = filter["typed_config"]["config"]["configuration"]["value"]
        .as_str()
        .unwrap();
    let conf: Value = serde_json::from_str(conf)
        .unwrap_or_else(|e| panic!("filter configuration is not JSON: {e}"));
    assert!(conf.to_string().contains("SecAuditLogFormat JSON"));
    let init = &pod["initContainers"][0];
    assert!(
        init["command"]
            .to_string()
            .contains("/etc/envoy/wasm/waf_proxywasm.wasm")
    );
    check_deployment(find(&docs, "Deployment", "backend"));
}

#[test]
fn cilium_policies() {
    let docs = load("cilium-network-policies.yaml");
    let raw = std::fs::read_to_string(deploy_dir().join("cilium-network-policies.yaml")).unwrap();
    let code: String = raw
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        !code.contains("reserved: world") && !code.contains("reserved:world"),
        "use fromEntities: [world]"
    );
    for d in &docs {
        assert_eq!(d["apiVersion"], "cilium.io/v2");
        assert!(
            d["kind"] == "CiliumNetworkPolicy" || d["kind"] == "CiliumClusterwideNetworkPolicy"
        );
        assert!(
            d["spec"]["endpointSelector"].is_object(),
            "endpointSelector required"
        );
        check_cilium_rules(&d["spec"]["ingress"], "ingress");
        check_cilium_rules(&d["spec"]["egress"], "egress");
    }
    let deny = find(&docs, "CiliumNetworkPolicy", "default-deny");
    assert_eq!(deny["spec"]["endpointSelector"], serde_json::json!({}));
    assert_eq!(deny["spec"]["ingress"], serde_json::json!([{}]));
    assert_eq!(deny["spec"]["egress"], serde_json::json!([{}]));

    let gw = find(&docs, "CiliumNetworkPolicy", "waf-gateway");
    assert_eq!(
        gw["spec"]["endpointSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "waf-gateway"
    );
    assert!(
        allows_port(&gw["spec"]["ingress"], "world", "8080")
            && allows_port(&gw["spec"]["ingress"], "world", "8443")
    );
    assert!(allows_port(&gw["spec"]["egress"], "backend", "8080"));
    // The ports the policy opens are the gateway's container ports.
    let gateway = load("waf-gateway-full.yaml");
    let ports: Vec<String> = find(&gateway, "Deployment", "waf-gateway")["spec"]["template"]["spec"]["containers"][0]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["containerPort"].to_string())
        .collect();
    assert_eq!(ports, vec!["8080", "8443"]);

    let be = find(&docs, "CiliumNetworkPolicy", "backend");
    assert!(allows_port(&be["spec"]["ingress"], "waf-gateway", "8080"));
    let an = find(&docs, "CiliumNetworkPolicy", "waf-analyzer");
    assert!(allows_port(&an["spec"]["egress"], "kube-apiserver", "6443"));
    assert!(allows_port(&an["spec"]["egress"], "loki", "3100"));
}

#[test]
fn analyzer_manifest_matches_its_config_and_rbac() {
    let docs = load("threat-analyzer.yaml");
    let dep = find(&docs, "Deployment", "waf-analyzer");
    check_deployment(dep);
    let pod = &dep["spec"]["template"]["spec"];
    let sa = pod["serviceAccountName"].as_str().unwrap();
    find(&docs, "ServiceAccount", sa);
    let binding = find(&docs, "ClusterRoleBinding", "waf-analyzer");
    assert_eq!(binding["subjects"][0]["name"], sa);
    assert_eq!(binding["roleRef"]["name"], "waf-analyzer");

    // The role covers only the Cilium kinds the analyzer manages.
    let role = find(&docs, "ClusterRole", "waf-analyzer");
    let mut names = BTreeSet::new();
    for r in role["rules"].as_array().unwrap() {
        assert_eq!(r["apiGroups"], serde_json::json!(["cilium.io"]));
        for res in r["resources"].as_array().unwrap() {
            assert!(
                ["ciliumcidrgroups", "ciliumclusterwidenetworkpolicies"]
                    .contains(&res.as_str().unwrap()),
                "{res}"
            );
        }
        for v in r["verbs"].as_array().unwrap() {
            assert!(
                ["get", "patch", "create"].contains(&v.as_str().unwrap()),
                "verb {v} not needed (server-side apply is a patch)"
            );
        }
        // `create` cannot be limited by name; everything else is.
        if r["resourceNames"].is_null() {
            assert_eq!(r["verbs"], serde_json::json!(["create"]));
        }
        for n in r["resourceNames"].as_array().into_iter().flatten() {
            names.insert(n.as_str().unwrap().to_string());
        }
    }

    // The embedded config is a valid analyzer config naming the same objects.
    let cm = find(&docs, "ConfigMap", "waf-analyzer-config");
    let cfg = Config::parse(
        cm["data"]["analyzer.toml"].as_str().unwrap(),
        Path::new("analyzer.toml"),
    )
    .unwrap();
    let EnforcerConfig::Cilium(c) = &cfg.enforcer else {
        panic!("cilium enforcer expected")
    };
    assert!(
        names.contains(&c.group_name) && names.contains(&c.policy_name),
        "{names:?}"
    );
    // In-cluster configuration: no API URL, no token or CA file, no sidecar;
    // the pod mounts its ServiceAccount token.
    assert_eq!(c.api_url, None, "the analyzer uses the in-cluster config");
    assert!(c.token_file.is_none() && c.ca_file.is_none());
    assert_eq!(
        pod["containers"].as_array().unwrap().len(),
        1,
        "no kubectl proxy sidecar"
    );
    assert_ne!(pod["automountServiceAccountToken"], false);
    assert!(!Value::Array(docs.clone()).to_string().contains("kubectl"));
    // The gateway selector selects the gateway's pods.
    let gateway = load("waf-gateway-full.yaml");
    let labels =
        &find(&gateway, "Deployment", "waf-gateway")["spec"]["template"]["metadata"]["labels"];
    for (k, v) in &c.gateway_selector {
        assert_eq!(labels[k], *v);
    }
    assert!(!cfg.sources.is_empty());
    // The CLI arguments point at the mounted config.
    let analyzer = &pod["containers"][0];
    let args: Vec<&str> = analyzer["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(&args[..3], &["analyzer", "run", "--config"]);
    let mount = analyzer["volumeMounts"][0]["mountPath"].as_str().unwrap();
    assert!(args[3].starts_with(mount));
    assert_eq!(cfg.daemon.metrics_listen.map(|a| a.port()), Some(9464));
    assert!(analyzer["ports"].to_string().contains("9464"));
}
