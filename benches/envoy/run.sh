#!/usr/bin/env bash
# Envoy with one worker, three setups in one run, measured with wrk on 127.0.0.1:
#   baseline  Envoy without the filter, benign browser-like GET
#   benign    Envoy with waf-proxywasm + CRS (PL1, blocking), the same GET
#   sqli      the same filter, a GET carrying an SQL injection (answered 403)
# Prints req/s, p50, p99 and the ratio to the baseline, then Envoy's RSS with the filter
# loaded and after REQUESTS more requests (default 1,000,000; it must not grow).
#
#   benches/envoy/run.sh [duration (default 20s)] [connections (default 16)]
# CRS: WAF_CRS_DIR, else ../shared/crs/v4.28.0 when present, else Debian's.
# Needs: wrk (apt install wrk), Envoy in .venv (scripts/setup.sh), the wasm32-wasip1 target.
# Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-20s}
CONNECTIONS=${2:-16}
REQUESTS=${REQUESTS:-1000000}
TARGET=${CARGO_TARGET_DIR:-target}
OUT=target/bench-envoy
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt install wrk)" >&2; exit 1; }

cargo build -q --release -p waf-cli
WAF="$TARGET/release/waf"

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -INT -- "-$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start NAME PORT ADMIN [extra args]: a gateway in its own session; waits until ready.
start() {
    local name=$1 port=$2 admin=$3; shift 3
    setsid "$WAF" up --concurrency 1 --port "$port" --admin-port "$admin" --dir "$OUT/$name" "$@" \
        >"$OUT/$name.out" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 600); do
        if curl -sf "http://127.0.0.1:$admin/ready" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    echo "bench: $name did not start; see $OUT/$name.out" >&2; exit 1
}

envoy_pid() { awk '/^WAF gateway up/ {print $5}' "$OUT/$1.out"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# A browser names the site: a bare IP address in Host is itself a CRS finding (920350),
# which would log a warning and an audit record for every "benign" request.
BROWSER=(-H "Host: shop.example.com" -H "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    -H "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    -H "Accept-Language: en-US,en;q=0.5" -H "Accept-Encoding: gzip, deflate"
    -H "Referer: http://localhost/catalog/index.html" -H "Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark"
    -H "Upgrade-Insecure-Requests: 1")
BENIGN_PATH="/catalog/item.php?id=42&color=blue&sort=price&page=2"
SQLI_PATH="/catalog/item.php?id=1%27%20OR%20%271%27%3D%271&sort=price"

# measure NAME URL: one wrk run; prints "req/s p50 p99".
measure() {
    local out
    out=$(wrk -t 2 -c "$CONNECTIONS" -d "$DURATION" --latency "${BROWSER[@]}" "$2")
    echo "$out" >"$OUT/$1.wrk"
    local rps p50 p99
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    echo "$rps $p50 $p99"
}

CRS_ARGS=()
CRS_LABEL="CRS 3.3 (Debian)"
CRS=${WAF_CRS_DIR:-../shared/crs/v4.28.0}
if [ -d "$CRS/rules" ]; then CRS_ARGS=(--crs "$(cd "$CRS" && pwd)"); CRS_LABEL="CRS $(basename "$CRS")"; fi

start baseline 18090 19990 --no-filter "${CRS_ARGS[@]}"
start filter 18091 19991 "${CRS_ARGS[@]}"
FILTER_ENVOY=$(envoy_pid filter)
RSS_LOADED=$(rss_kib "$FILTER_ENVOY")

curl -s -o /dev/null -w "bench: benign through the filter -> %{http_code}\n" "${BROWSER[@]}" "http://127.0.0.1:18091$BENIGN_PATH"
curl -s -o /dev/null -w "bench: sqli through the filter -> %{http_code}\n" "${BROWSER[@]}" "http://127.0.0.1:18091$SQLI_PATH"

read -r B_RPS B_P50 B_P99 < <(measure baseline "http://127.0.0.1:18090$BENIGN_PATH")
read -r F_RPS F_P50 F_P99 < <(measure benign "http://127.0.0.1:18091$BENIGN_PATH")
read -r S_RPS S_P50 S_P99 < <(measure sqli "http://127.0.0.1:18091$SQLI_PATH")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", 100 * a / b }'; }

echo
printf "%-28s %12s %10s %10s %10s\n" "setup (1 Envoy worker)" "req/s" "p50" "p99" "vs none"
printf "%-28s %12s %10s %10s %10s\n" "no filter, benign GET" "$B_RPS" "$B_P50" "$B_P99" "100%"
printf "%-28s %12s %10s %10s %10s\n" "$CRS_LABEL PL1, benign" "$F_RPS" "$F_P50" "$F_P99" "$(ratio "$F_RPS" "$B_RPS")"
printf "%-28s %12s %10s %10s %10s\n" "$CRS_LABEL PL1, SQLi (403)" "$S_RPS" "$S_P50" "$S_P99" "$(ratio "$S_RPS" "$B_RPS")"

# RSS after REQUESTS more benign requests (wrk sends about that many in a bounded time).
SECONDS_NEEDED=$(awk -v n="$REQUESTS" -v r="$F_RPS" 'BEGIN { s = int(n / r) + 1; print (s < 3600 ? s : 3600) }')
RSS_WARM=$(rss_kib "$FILTER_ENVOY")
wrk -t 2 -c "$CONNECTIONS" -d "${SECONDS_NEEDED}s" "${BROWSER[@]}" "http://127.0.0.1:18091$BENIGN_PATH" >"$OUT/soak.wrk"
SENT=$(awk '/requests in/ {print $1}' "$OUT/soak.wrk")
RSS_AFTER=$(rss_kib "$FILTER_ENVOY")
echo
echo "Envoy RSS with the filter: loaded $((RSS_LOADED / 1024)) MiB, after the three runs $((RSS_WARM / 1024)) MiB, after $SENT more requests $((RSS_AFTER / 1024)) MiB"
