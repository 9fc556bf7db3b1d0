#!/usr/bin/env bash
# The demo storefront and the merchant's page in a real browser: installs Debian's Chromium
# when it is missing (as root) and playwright-core (pinned in tools/e2e/package-lock.json),
# indexes the demo catalog with the embedding model in a temp folder, serves it on a free
# loopback port (with an admin token, and the demo's frozen day as the store's today), and runs
# tools/e2e/storefront.mjs then tools/e2e/admin.mjs (screenshots in target/e2e/). Run by
# tools/test.sh after `cargo test`.
# Skips, saying so, only where Chromium cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
bin=${VIVR_BIN:-$target/debug/vivr-search}
chromium=/usr/bin/chromium

if [ ! -x "$chromium" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing Chromium (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q chromium >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } || true
fi
if [ ! -x "$chromium" ]; then
    echo "SKIPPED: the storefront browser tests need Chromium at $chromium, and it cannot be installed here (needs root and apt-get)"
    exit 0
fi
if ! command -v npm >/dev/null; then
    echo "npm not found: install Node.js (apt-get install nodejs npm) to run the browser tests" >&2
    exit 1
fi
(cd tools/e2e && npm ci --no-audit --no-fund --loglevel=error)
[ -n "${VIVR_BIN:-}" ] || cargo build --locked --quiet

source tools/lib/serve.sh
use_work_dir

export VIVR_MODELS_DIR=$root/models RUST_LOG=warn
echo "== demo index (with the embedding model)"
"$bin" --db "$work/catalog.db" --index-dir "$work/index" import data/demo >/dev/null
"$bin" --db "$work/catalog.db" --index-dir "$work/index" reindex >/dev/null 2>&1

# The admin page's token (test only, 16 characters at least) and the demo export's last day:
# the analytics count their periods from it.
export VIVR_ADMIN_TOKEN=e2e-admin-token-not-a-secret VIVR_TODAY=2026-11-06
serve_index "$bin" "$work/catalog.db" "$work/index" "$work/serve.log"

echo "== storefront in Chromium ($("$chromium" --version 2>/dev/null || echo chromium))"
mkdir -p "$target/e2e"
failed=0
node tools/e2e/storefront.mjs "http://127.0.0.1:$port" "$target/e2e" || failed=1
echo "== merchant's page in Chromium"
node tools/e2e/admin.mjs "http://127.0.0.1:$port" "$target/e2e" || failed=1
exit "$failed"
