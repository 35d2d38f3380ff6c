#!/usr/bin/env bash
# The engine's cost per CRS transaction natively and as wasm32-wasip1 under V8 (Node), in
# one run: what the Envoy filter pays for the engine, apart from Envoy itself.
#
#   benches/wasm/run.sh [COUNT (default 3000)]
# CRS: WAF_CRS_DIR, else ../shared/crs/v4.28.0. Needs node (with node:wasi) and the
# wasm32-wasip1 target. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-3000}
CRS=${WAF_CRS_DIR:-$(cd .. && pwd)/shared/crs/v4.28.0}
TARGET=${CARGO_TARGET_DIR:-target}
command -v node >/dev/null || { echo "bench: node is missing" >&2; exit 1; }

cargo build -q --release -p waf-core --example crs_loop
cargo build -q --release -p waf-core --example crs_loop --target wasm32-wasip1
native=$("$TARGET/release/examples/crs_loop" "$CRS" "$COUNT")
# Node 20 here crashes (SIGSEGV) while shutting down after the program has printed its
# result, so the exit status is ignored and the printed line is required instead.
wasm=$(node --no-warnings benches/wasm/wasi_run.mjs \
    "$TARGET/wasm32-wasip1/release/examples/crs_loop.wasm" "$CRS" "$COUNT" 2>/dev/null || true)
grep -q transactions <<<"$wasm" || { echo "bench: the wasm run printed no result" >&2; exit 1; }
echo "native:      $native"
echo "wasm (V8):   $wasm"
us() { awk '{ v = $3; sub(/µs.*/, "", v); print v }' <<<"$1"; }
awk -v n="$(us "$native")" -v w="$(us "$wasm")" 'BEGIN { printf "wasm/native: %.2f\n", w / n }'
