#!/usr/bin/env bash
# The main job: build `waf` and load Debian's OWASP CRS with it, reporting every problem.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked -p waf-cli
exec target/release/waf check --crs /usr/share/modsecurity-crs \
    --crs-setup /etc/modsecurity/crs/crs-setup.conf "$@"
