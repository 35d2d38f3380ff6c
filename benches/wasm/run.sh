#!/usr/bin/env bash
# The engine's cost per CRS transaction natively and as wasm32-wasip1 under V8 (Node), in
# one run: what the Envoy filter pays for the engine, apart from Envoy itself. Each is
# measured warm, then with EVICT_KIB of memory written between transactions (its own time
# taken off), as a proxy's own work between two requests pushes the engine's data out of
# the caches.
#
#   benches/wasm/run.sh [COUNT (default 10000; V8 tiers hot code up while it runs)] [EVICT_KIB (default 2048)]
# CRS: WAF_CRS_DIR, else ../shared/crs/v4.28.0. Needs node (with node:wasi) and the
# wasm32-wasip1 target. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-10000}
EVICT_KIB=${2:-2048}
CRS=${WAF_CRS_DIR:-$(cd .. && pwd)/shared/crs/v4.28.0}
TARGET=${CARGO_TARGET_DIR:-target}
command -v node >/dev/null || { echo "bench: node is missing" >&2; exit 1; }

cargo build -q --release -p waf-core --example crs_loop
cargo build -q --release -p waf-core --example crs_loop --target wasm32-wasip1
us() { grep -o '[0-9.]*µs' <<<"$1" | tr -d 'µs'; }
# measure EVICT: prints "native wasm" in microseconds.
measure() {
    local native wasm
    native=$("$TARGET/release/examples/crs_loop" "$CRS" "$COUNT" "$1")
    # Node 20 here crashes (SIGSEGV) while shutting down after the program has printed
    # its result, so the exit status is ignored and the printed line is required instead.
    wasm=$(node --no-warnings benches/wasm/wasi_run.mjs \
        "$TARGET/wasm32-wasip1/release/examples/crs_loop.wasm" "$CRS" "$COUNT" "$1" 2>/dev/null || true)
    grep -q transactions <<<"$wasm" || { echo "bench: the wasm run printed no result" >&2; exit 1; }
    echo "$(us "$native") $(us "$wasm")"
}
read -r WARM_N WARM_W < <(measure 0)
read -r COLD_N COLD_W < <(measure "$EVICT_KIB")
echo "$COUNT transactions of the shop GET, CRS $(basename "$CRS"), time per transaction:"
printf "%-34s %12s %12s %12s\n" "" "native" "wasm (V8)" "wasm/native"
row() { awk -v l="$1" -v n="$2" -v w="$3" 'BEGIN { printf "%-34s %10.1fµs %10.1fµs %12.2f\n", l, n, w, w / n }'; }
row "warm" "$WARM_N" "$WARM_W"
row "after ${EVICT_KIB} KiB of other work" "$COLD_N" "$COLD_W"
