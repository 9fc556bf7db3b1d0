#!/usr/bin/env bash
# The live sync's tests (tests/sync.rs) against a real PostgreSQL 15: a throwaway cluster on a
# free loopback port (apt's postgresql-15 installed when missing), the storefront schema loaded
# per test by tools/storefront/load.sh. The outage test stops and restarts that cluster and the
# TLS test turns TLS on in it, so those (`alone_`) run one at a time after the others. Where
# PostgreSQL cannot be installed, says so and passes.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/lib/postgres.sh
if ! pg_install; then
    echo "skipping the PostgreSQL sync tests: PostgreSQL 15 is not installed and could not be"
    exit 0
fi
pg_start fsync=off
trap pg_stop EXIT

# stop | start the same cluster on the same port, for the outage test.
ctl="$PG_DIR/ctl.sh"
cat >"$ctl" <<CTL
#!/usr/bin/env bash
source "$PWD/tools/lib/postgres.sh"
PG_DIR='$PG_DIR'
PG_OPTS='$PG_OPTS'
case "\$1" in
    stop) pg_ctl_as stop -m fast >/dev/null ;;
    start) pg_ctl_as start -w -l "\$PG_DIR/log" -o "\$PG_OPTS" >/dev/null ;;
esac
CTL

export VIVR_TEST_PG="$PG_URL" VIVR_TEST_PG_CTL="bash $ctl"
cargo test --locked --test sync -- --skip alone_
cargo test --locked --test sync alone_ -- --test-threads=1
