#!/usr/bin/env bash
# Mixed-load benchmark: 50 courts, 2,000 mediators, 20,000 cases with their
# sessions; 100 concurrent clients mixing free slots, matches, bookings,
# moves and reads for 60 s against real `kelisim serve` processes, on SQLite
# (one instance) and PostgreSQL (one and two instances). See bench/README.md
# ("Mixed load") and examples/bench_mixed.rs.
#
#   bench/mixed.sh                 # all three runs
#   bench/mixed.sh sqlite          # one of: sqlite, postgres1, postgres2
#   bench/mixed.sh --smoke         # PostgreSQL, 1 and 2 instances, 5 s, 2,000 cases,
#                                  # 20 clients, debug build (what .ci/run runs)
#
# Environment (defaults in brackets):
#   CARGO_TARGET_DIR [target]   where the binaries are built
#   PROFILE [release]           cargo profile (release, or dev for a quick try)
#   SKIP_BUILD=1                do not run cargo build
#   SECONDS_EACH [60] CASES [20000] MEDIATORS [2000] COURTS [50] CLIENTS [100]
#   THINK_MS [0]                mean pause of a client between requests (0: back to back)
#   PG_ADMIN_URL [postgres://postgres@127.0.0.1:5432/postgres]
#
# Prints one JSON document per run on stdout (progress on stderr); exits
# non-zero if any run saw an unexpected answer (anything but 2xx, and 409
# for bookings and moves). Bounded: every run is under `timeout`; the temp
# folder and the PostgreSQL databases are removed on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=()
SMOKE=""
for arg in "$@"; do
    case "$arg" in
        --smoke) SMOKE=1 ;;
        sqlite | postgres1 | postgres2) RUNS+=("$arg") ;;
        *) echo "usage: $0 [--smoke] [sqlite|postgres1|postgres2]..." >&2; exit 2 ;;
    esac
done
if [[ -n "$SMOKE" ]]; then
    : "${PROFILE:=dev}" "${SECONDS_EACH:=5}" "${CASES:=2000}" "${MEDIATORS:=200}" "${COURTS:=10}" "${CLIENTS:=20}"
    ((${#RUNS[@]})) || RUNS=(postgres1 postgres2)
fi
((${#RUNS[@]})) || RUNS=(sqlite postgres1 postgres2)
PROFILE=${PROFILE:-release}
SECONDS_EACH=${SECONDS_EACH:-60}
CASES=${CASES:-20000}
MEDIATORS=${MEDIATORS:-2000}
COURTS=${COURTS:-50}
CLIENTS=${CLIENTS:-100}
# Mean pause of each client between requests (ms); 0 = back to back.
THINK_MS=${THINK_MS:-0}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
DIR=$([[ "$PROFILE" == dev ]] && echo debug || echo "$PROFILE")

WORK=$(mktemp -d -t kelisim-mixed.XXXXXX)
PG_DBS=()
cleanup() {
    for db in "${PG_DBS[@]}"; do
        timeout 60 psql "$PG_ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
            >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '\n== %s\n' "$*" >&2; }

if [[ "${SKIP_BUILD:-}" != 1 ]]; then
    log "building ($PROFILE)"
    (cd "$ROOT" && timeout 3600 cargo build --profile "$PROFILE" --bin kelisim --example bench_mixed)
fi

status=0
for run in "${RUNS[@]}"; do
    case "$run" in
        sqlite) url="sqlite://$WORK/mixed.db"; instances=1 ;;
        postgres*)
            db="kelisim_mixed_$$_${run}"
            PG_DBS+=("$db")
            psql "$PG_ADMIN_URL" -qAt -c "CREATE DATABASE $db" >/dev/null
            url="${PG_ADMIN_URL%/*}/$db"
            instances=${run#postgres}
            ;;
    esac
    log "$run: $instances instance(s), $CLIENTS clients (pause ${THINK_MS} ms), ${SECONDS_EACH}s, $CASES cases"
    (cd "$WORK" && timeout $((SECONDS_EACH + 600)) "$TARGET/$DIR/examples/bench_mixed" \
        --database-url "$url" --bin "$TARGET/$DIR/kelisim" --instances "$instances" \
        --seconds "$SECONDS_EACH" --cases "$CASES" --mediators "$MEDIATORS" --courts "$COURTS" \
        --clients "$CLIENTS" --think-ms "$THINK_MS") || status=1
done
exit $status
