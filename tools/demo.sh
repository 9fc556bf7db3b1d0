#!/usr/bin/env bash
# Quick start: build, import the bundled demo catalog, build the index, and serve the API on
# 127.0.0.1:7700 (ctrl-c to stop). Re-running is safe: the import is idempotent and each
# reindex publishes a new generation.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
    echo "cargo is missing: install Rust with rustup (https://rustup.rs)" >&2
    exit 1
fi
bash tools/install-models.sh
cargo build --release --locked
bin=target/release/vivr-search
"$bin" import data/demo
"$bin" reindex
# The demo export is a store frozen on its last day: order deadlines and analytics periods
# count from it. The admin page (/admin) needs a token with analytics:read: a fresh one each run
# unless VIVR_ADMIN_TOKEN is set.
export VIVR_TODAY=${VIVR_TODAY:-2026-11-06}
export VIVR_ADMIN_TOKEN=${VIVR_ADMIN_TOKEN:-$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')}
cat <<HELP

The merchant's page is http://127.0.0.1:7700/admin, with the token $VIVR_ADMIN_TOKEN
(also: VIVR_TODAY=$VIVR_TODAY target/release/vivr-search report).
HELP
cat <<'HELP'

vivr-search is serving the demo catalog on http://127.0.0.1:7700.

Open http://127.0.0.1:7700/ in a browser for the demo storefront. MCP clients can connect to
http://127.0.0.1:7700/mcp, or start `target/release/vivr-search mcp` over stdio.

Try, from another terminal:

  curl -s localhost:7700/v1/search -H 'content-type: application/json' \
       -d '{"q": "canpé velours", "limit": 3, "facets": ["category", "price"]}'
  curl -s localhost:7700/api/ai/search -H 'content-type: application/json' \
       -d '{"query": "lampe moderne moins de 200 euros", "limit": 3}'
  curl -s localhost:7700/api/ai/search/suggest -H 'content-type: application/json' \
       -d '{"query": "tapis rouge pas ch"}'
  curl -s localhost:7700/v1/products/prod_0000001
  curl -s localhost:7700/v1/recommend -H 'content-type: application/json' \
       -d '{"kind": "complete-the-look", "productId": "prod_0000001", "limit": 4}'
  target/release/vivr-search search "lampe de chevet laiton"

Claude refines submitted searches when ANTHROPIC_API_KEY is set (see the README); without it
everything is local.

HELP
exec "$bin" serve
