#!/usr/bin/env bash
# Runs every check CI runs: formatting, lints, then all tests of the workspace.
# Tests that need ../shared (CRS, libinjection vectors) skip with a printed reason without it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The Envoy filter's proxy-wasm glue only exists for wasm32: lint it there too.
cargo clippy -p waf-proxywasm --target wasm32-wasip1 --locked -- -D warnings
cargo test --workspace --locked
