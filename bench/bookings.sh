#!/usr/bin/env bash
# Booking benchmark: sustained bookings per second (each with its 3 outbox
# emails) as a ratio to bare single-row insert transactions on the same
# database and disk. See bench/README.md ("Bookings").
#
#   bench/bookings.sh             # SQLite, then PostgreSQL
#   bench/bookings.sh sqlite      # SQLite only (a fresh file in a temp folder)
#   bench/bookings.sh postgres    # PostgreSQL only: creates a fresh database, drops it after
#
# Environment (defaults in brackets):
#   SKIP_BUILD=1             do not run cargo build
#   BOOKINGS [2000]          bookings (and bare inserts) per round and setting
#   ROUNDS [2]               rounds before the history round
#   MEDIATORS [20]           mediators
#   CASES_PER_MEDIATOR [50]  accepted cases per mediator
#   HISTORY [1000]           past sessions added per mediator before the last round (0: none)
#   CONCURRENCY [1]          bookers (and bare inserters) at once, closed loop
#   SQLITE_SETTINGS [full,normal]   synchronous (full: as db::connect opens it)
#   PG_SETTINGS [on,off]            synchronous_commit (on: as db::connect opens it)
#   PG_ADMIN_URL [postgres://postgres@127.0.0.1:5432/postgres]
#   TIMEOUT [1800]           seconds allowed per database
#
# Prints one JSON document per database on stdout (progress on stderr).
# Bounded: every step runs under `timeout`; the temp folder and the
# PostgreSQL database are removed on exit, however the script ends.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WHICH=${1:-both}
BOOKINGS=${BOOKINGS:-2000}
ROUNDS=${ROUNDS:-2}
MEDIATORS=${MEDIATORS:-20}
CASES_PER_MEDIATOR=${CASES_PER_MEDIATOR:-50}
HISTORY=${HISTORY:-1000}
CONCURRENCY=${CONCURRENCY:-1}
SQLITE_SETTINGS=${SQLITE_SETTINGS:-full,normal}
PG_SETTINGS=${PG_SETTINGS:-on,off}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
TIMEOUT=${TIMEOUT:-1800}
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/bench_bookings"

case "$WHICH" in
    sqlite | postgres | both) ;;
    *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac
for tool in jq timeout; do
    command -v "$tool" >/dev/null || { echo "bookings.sh: $tool is not installed" >&2; exit 1; }
done

WORK=$(mktemp -d -t kelisim-bookings.XXXXXX)
PG_DB=""
BENCH_PID=""
cleanup() {
    if [[ -n "$BENCH_PID" ]] && kill -0 "$BENCH_PID" 2>/dev/null; then
        kill -TERM "$BENCH_PID" 2>/dev/null || true
        wait "$BENCH_PID" 2>/dev/null || true
    fi
    if [[ -n "$PG_DB" ]]; then
        timeout 60 psql "$PG_ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" \
            >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '\n== %s\n' "$*" >&2; }

if [[ "${SKIP_BUILD:-}" != 1 ]]; then
    log "building (release)"
    (cd "$ROOT" && timeout 3600 cargo build --release --example bench_bookings)
fi

# run URL SETTINGS: runs the example, prints its JSON with the command and
# the machine's state added.
run() {
    local url=$1 settings=$2 out
    local args=(--database-url "$url" --mediators "$MEDIATORS"
        --cases-per-mediator "$CASES_PER_MEDIATOR" --bookings "$BOOKINGS" --rounds "$ROUNDS"
        --history "$HISTORY" --settings "$settings" --concurrency "$CONCURRENCY")
    log "bench_bookings ${args[*]}"
    echo "rustc processes running at the start: $(pgrep -c -x rustc || true); load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    timeout "$TIMEOUT" "$BIN" "${args[@]}" >"$WORK/out.json" &
    BENCH_PID=$!
    wait "$BENCH_PID"
    BENCH_PID=""
    jq -c --arg cmd "bench_bookings ${args[*]}" \
        --arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
        --arg date "$(date -u +%FT%TZ)" \
        '{command: $cmd, commit: $commit, date: $date} + .' "$WORK/out.json"
}

if [[ "$WHICH" == sqlite || "$WHICH" == both ]]; then
    run "sqlite://$WORK/bookings.db" "$SQLITE_SETTINGS"
fi

if [[ "$WHICH" == postgres || "$WHICH" == both ]]; then
    PG_DB="kelisim_bookings_$$"
    timeout 60 psql "$PG_ADMIN_URL" -qAt -c "CREATE DATABASE $PG_DB" >/dev/null
    run "${PG_ADMIN_URL%/*}/$PG_DB" "$PG_SETTINGS"
    timeout 60 psql "$PG_ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
    PG_DB=""
fi
