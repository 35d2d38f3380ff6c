#!/usr/bin/env bash
# End-to-end test on kind + Cilium:
#   1. a kind cluster without the default CNI, Cilium installed with helm;
#   2. our images built and loaded (analyzer, proxy-wasm filter);
#   3. Loki + promtail, then deploy/ applied (analyzer thresholds lowered for the test);
#   4. an "attacker" container on the kind network sends attacks and gets 403s;
#   5. the CiliumCIDRGroup lists the attacker, the deny policy exists, and the
#      attacker's traffic is dropped while another client still gets 200;
#   6. after the block's TTL the entry is gone and the attacker gets through again.
#
# Runs where docker (with a daemon), kind, kubectl and helm exist; prints why it
# skips elsewhere and exits 0. KEEP=1 keeps the cluster afterwards.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cluster="${CLUSTER:-waf-e2e}"
ttl="${BLOCK_TTL_SECS:-60}"

skip() { echo "SKIP: $*"; exit 0; }
for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done
docker info >/dev/null 2>&1 || skip "no docker daemon reachable"

log() { echo "==> $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() {
  docker rm -f waf-attacker waf-client >/dev/null 2>&1 || true
  if [[ "${KEEP:-0}" != 1 ]]; then kind delete cluster --name "$cluster" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

log "kind cluster $cluster without the default CNI"
cat >"$here/.kind-config.yaml" <<YAML
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  disableDefaultCNI: true
nodes:
- role: control-plane
- role: worker
YAML
kind create cluster --name "$cluster" --config "$here/.kind-config.yaml" --wait 60s

log "Cilium"
helm repo add cilium https://helm.cilium.io >/dev/null 2>&1 || true
helm repo add grafana https://grafana.github.io/helm-charts >/dev/null 2>&1 || true
helm repo update >/dev/null
helm install cilium cilium/cilium --namespace kube-system \
  --set ipam.mode=kubernetes --set image.pullPolicy=IfNotPresent \
  --set operator.replicas=1 --wait --timeout 10m
kubectl -n kube-system rollout status ds/cilium --timeout=5m
kubectl wait --for=condition=Established crd/ciliumcidrgroups.cilium.io --timeout=120s

log "images"
docker build -t localhost/waf-analyzer:dev -f "$here/Dockerfile.analyzer" "$root"
docker build -t localhost/waf-proxywasm:dev -f "$here/Dockerfile.proxywasm" "$root"
kind load docker-image --name "$cluster" localhost/waf-analyzer:dev localhost/waf-proxywasm:dev

log "Loki + promtail"
kubectl create namespace monitoring --dry-run=client -o yaml | kubectl apply -f -
helm install loki grafana/loki --namespace monitoring --wait --timeout 10m \
  --set deploymentMode=SingleBinary --set loki.auth_enabled=false \
  --set loki.commonConfig.replication_factor=1 --set loki.storage.type=filesystem \
  --set loki.useTestSchema=true --set singleBinary.replicas=1 \
  --set read.replicas=0 --set write.replicas=0 --set backend.replicas=0 \
  --set chunksCache.enabled=false --set resultsCache.enabled=false --set gateway.enabled=false
helm install promtail grafana/promtail --namespace monitoring --wait \
  --set "config.clients[0].url=http://loki.monitoring.svc.cluster.local:3100/loki/api/v1/push"

log "deploy/"
kubectl apply -f "$root/deploy/waf-gateway-full.yaml"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=waf.test" \
  -keyout "$here/.tls.key" -out "$here/.tls.crt" >/dev/null 2>&1
kubectl -n waf create secret tls waf-gateway-tls --cert="$here/.tls.crt" --key="$here/.tls.key" \
  --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f "$root/deploy/cilium-network-policies.yaml"
kubectl apply -f "$root/deploy/threat-analyzer.yaml"
# In kind, clients live on the docker network (172.18.0.0/16), which the
# production allowlist covers; allow only the pod network and the nodes here.
nodes="$(kubectl get nodes -o jsonpath='{range .items[*]}"{.status.addresses[?(@.type=="InternalIP")].address}/32",{end}')"
kubectl -n waf get configmap waf-analyzer-config -o jsonpath='{.data.analyzer\.toml}' \
  | sed -e "s|^cidrs = .*|cidrs = [${nodes} \"10.0.0.0/8\", \"127.0.0.0/8\"]|" \
        -e "s|^base_ttl_secs = .*|base_ttl_secs = ${ttl}|" \
        -e "s|^query = .*|query = '{namespace=\"waf\"} \|= \"client_ip\"'|" >"$here/.analyzer.toml"
kubectl -n waf create configmap waf-analyzer-config --from-file=analyzer.toml="$here/.analyzer.toml" \
  --dry-run=client -o yaml | kubectl apply -f -
kubectl -n waf rollout restart deploy/waf-analyzer
kubectl -n waf rollout status deploy/waf-gateway --timeout=5m
kubectl -n waf rollout status deploy/backend --timeout=5m
kubectl -n waf rollout status deploy/waf-analyzer --timeout=5m

node_ip="$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')"
node_port="$(kubectl -n waf get svc waf-gateway -o jsonpath='{.spec.ports[?(@.name=="http")].nodePort}')"
# externalTrafficPolicy: Local answers only on nodes that run a gateway pod.
gw_node="$(kubectl -n waf get pods -l app.kubernetes.io/name=waf-gateway -o jsonpath='{.items[0].status.hostIP}')"
target="http://${gw_node:-$node_ip}:${node_port}"
docker run -d --name waf-attacker --network kind curlimages/curl:8.10.1 sleep 3600 >/dev/null
docker run -d --name waf-client --network kind curlimages/curl:8.10.1 sleep 3600 >/dev/null
attacker_ip="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' waf-attacker)"
code() { docker exec "$1" curl -s -o /dev/null -m 5 -w '%{http_code}' "$2" || true; }

log "baseline: $target answers 200"
for _ in $(seq 1 30); do [[ "$(code waf-client "$target/")" == 200 ]] && break; sleep 2; done
[[ "$(code waf-client "$target/")" == 200 ]] || fail "gateway does not answer 200"
[[ "$(code waf-attacker "$target/")" == 200 ]] || fail "attacker container cannot reach the gateway"

log "attacks from $attacker_ip are answered 403"
for i in $(seq 1 8); do
  c="$(code waf-attacker "$target/?id=1%27%20or%20%271%27=%271&n=$i")"
  [[ "$c" == 403 ]] || fail "attack $i got $c, expected 403"
done

log "the analyzer blocks the attacker"
blocked=""
for _ in $(seq 1 60); do
  if kubectl get ciliumcidrgroups.cilium.io waf-blocked -o jsonpath='{.spec.externalCIDRs}' 2>/dev/null | grep -q "$attacker_ip/32"; then
    blocked=1; break
  fi
  sleep 2
done
[[ -n "$blocked" ]] || { kubectl -n waf logs deploy/waf-analyzer -c analyzer --tail=50 || true; fail "attacker never appeared in CiliumCIDRGroup waf-blocked"; }
kubectl get ciliumclusterwidenetworkpolicies.cilium.io waf-deny-blocked -o yaml | grep -q "cidrGroupRef: waf-blocked" \
  || fail "deny policy missing"
kubectl get ciliumcidrgroups.cilium.io waf-blocked -o json | grep -q '"waf-analyzer/expires-at": "20' \
  || fail "expires-at annotation missing"

log "attacker traffic is dropped, other clients pass"
sleep 3
[[ "$(code waf-attacker "$target/")" == 000 ]] || fail "attacker still reaches the gateway"
[[ "$(code waf-client "$target/")" == 200 ]] || fail "innocent client blocked"

log "the block expires after ${ttl}s"
gone=""
for _ in $(seq 1 $(( (ttl + 90) / 3 ))); do
  if ! kubectl get ciliumcidrgroups.cilium.io waf-blocked -o jsonpath='{.spec.externalCIDRs}' | grep -q "$attacker_ip/32"; then
    gone=1; break
  fi
  sleep 3
done
[[ -n "$gone" ]] || fail "block did not expire"
sleep 3
[[ "$(code waf-attacker "$target/")" == 200 ]] || fail "attacker still dropped after expiry"
log "PASS"
echo "1 passed, 0 failed"
