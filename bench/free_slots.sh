#!/usr/bin/env bash
# Free-slots benchmark: seeds a busy mediator, starts the release server and
# measures GET /api/v1/mediators/{id}/free-slots with wrk. See bench/README.md.
#
#   bench/free_slots.sh            # SQLite (a fresh file in a temp folder)
#   bench/free_slots.sh postgres   # PostgreSQL: creates a fresh database, drops it after
#
# Environment (defaults in brackets):
#   SKIP_BUILD=1          do not run cargo build
#   PORT [18181]          port the server listens on (127.0.0.1)
#   LATENCY_SECONDS [10]  length of each concurrency-1 latency run
#   LOAD_SECONDS [15]     length of the load run
#   CONNECTIONS [8]       concurrent connections of the load run
#   WRK_THREADS [1]       wrk threads of the load run
#   PROFILE_ITERATIONS [300]  in-process timing of each database read of a
#                         free-slots request (bench_seed --profile), 0 skips it
#   PG_ADMIN_URL [postgres://postgres@127.0.0.1:5432/postgres]
#   CARGO_TARGET_DIR [target]  where the release binaries are (built)
#
# Needs curl, jq and wrk (apt-get install -y wrk). Bounded: every step runs
# under `timeout`, and the server is stopped (and the PostgreSQL database
# dropped) on exit, however the script ends.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BACKEND=${1:-sqlite}
PORT=${PORT:-18181}
LATENCY_SECONDS=${LATENCY_SECONDS:-10}
LOAD_SECONDS=${LOAD_SECONDS:-15}
CONNECTIONS=${CONNECTIONS:-8}
WRK_THREADS=${WRK_THREADS:-1}
PROFILE_ITERATIONS=${PROFILE_ITERATIONS:-300}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
BASE="http://127.0.0.1:$PORT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

for tool in curl jq wrk; do
    command -v "$tool" >/dev/null || { echo "free_slots.sh: $tool is not installed" >&2; exit 1; }
done

WORK=$(mktemp -d -t kelisim-bench.XXXXXX)
SERVER_PID=""
PG_DB=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ -n "$PG_DB" ]]; then
        psql "$PG_ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '\n== %s\n' "$*" >&2; }

if [[ "${SKIP_BUILD:-}" != 1 ]]; then
    log "building (release)"
    (cd "$ROOT" && timeout 3600 cargo build --release --example bench_seed && timeout 3600 cargo build --release)
fi

case "$BACKEND" in
    sqlite) DATABASE_URL="sqlite://$WORK/bench.db" ;;
    postgres)
        PG_DB="kelisim_bench_$$"
        psql "$PG_ADMIN_URL" -qAt -c "CREATE DATABASE $PG_DB" >/dev/null
        DATABASE_URL="${PG_ADMIN_URL%/*}/$PG_DB"
        ;;
    *) echo "usage: $0 [sqlite|postgres]" >&2; exit 2 ;;
esac

log "seeding $BACKEND"
# Seeding, then (before the server starts) the in-process timings.
SEED=$(timeout 600 "$TARGET/release/examples/bench_seed" --database-url "$DATABASE_URL" \
    --profile "$PROFILE_ITERATIONS")
jq -c 'del(.profile)' <<<"$SEED" >&2
PROFILE=$(jq -c '.profile // {}' <<<"$SEED")
if [[ "$PROFILE_ITERATIONS" != 0 ]]; then
    log "in-process timings, $PROFILE_ITERATIONS runs each, one at a time (median / p99, microseconds)"
    jq -r 'del(.iterations) | to_entries[] | "\(.value.median_us)\t\(.value.p99_us)\t\(.key)"' <<<"$PROFILE" >&2
fi
MEDIATOR=$(jq -r .mediator_id <<<"$SEED")
FIRST_DAY=$(jq -r .first_day <<<"$SEED")
LAST_DAY=$(jq -r .last_day <<<"$SEED")
DAYS=$(( ($(date -ud "$LAST_DAY" +%s) - $(date -ud "$FIRST_DAY" +%s)) / 86400 + 1 ))

log "starting the server on $BASE"
(
    cd "$WORK"
    KELISIM_DATABASE_URL="$DATABASE_URL" KELISIM_BIND="127.0.0.1:$PORT" KELISIM_LOG=warn \
        KELISIM_LOGIN_MAX_FAILURES=1000 KELISIM_MAIL_SPOOL_DIR="$WORK/mail" \
        exec "$TARGET/release/kelisim" serve
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.2
done
curl -fsS "$BASE/readyz" >/dev/null

TOKEN=$(curl -fsS "$BASE/api/v1/auth/token" -H 'content-type: application/json' \
    -d '{"email":"bench-admin@kelisim.test","password":"bench password 123"}' | jq -r .token)
[[ -n "$TOKEN" && "$TOKEN" != null ]] || { echo "no token" >&2; exit 1; }

# Sanity: a weekday and a 60-day range answer 200 with slots.
slots() {
    curl -fsS --max-time 10 -H "authorization: Bearer $TOKEN" \
        "$BASE/api/v1/mediators/$MEDIATOR/free-slots?from=$1&to=$2&duration_minutes=60" | jq '.items | length'
}
log "sanity"
echo "slots on Tuesday 2027-03-02 (local day): $(slots 2027-03-01T19:00:00Z 2027-03-02T19:00:00Z)" >&2
echo "slots over 60 days from 2027-03-01:      $(slots 2027-02-28T19:00:00Z 2027-04-29T19:00:00Z)" >&2

# Server CPU time (user + system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
TICKS=$(getconf CLK_TCK)

# wrk MODE THREADS CONNECTIONS SECONDS: prints the RESULT line as JSON, with
# the server's CPU milliseconds per request added.
run_wrk() {
    local mode=$1 threads=$2 conns=$3 secs=$4 before after out
    before=$(cpu_ticks)
    out=$(TOKEN="$TOKEN" MEDIATOR="$MEDIATOR" MODE="$mode" FIRST_DAY="$FIRST_DAY" DAYS="$DAYS" \
        timeout $((secs + 30)) wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 5s --latency \
        -s "$ROOT/bench/free_slots.lua" "$BASE")
    after=$(cpu_ticks)
    echo "$out" | grep -v '^RESULT' >&2
    echo "$out" | sed -n 's/^RESULT //p' | jq -c --argjson t "$((after - before))" --argjson hz "$TICKS" \
        --argjson c "$conns" '. + {connections: $c, server_cpu_ms_per_request: ((($t / $hz) * 1000 / .requests) * 1000 | round / 1000)}'
}

# Warm up caches and the connection pool; not reported.
TOKEN="$TOKEN" MEDIATOR="$MEDIATOR" MODE=day FIRST_DAY="$FIRST_DAY" DAYS="$DAYS" \
    timeout 30 wrk -t1 -c"$CONNECTIONS" -d2s -s "$ROOT/bench/free_slots.lua" "$BASE" >/dev/null

# Ceilings of this machine: no database (/healthz) and one trivial query
# (/readyz, SELECT 1), same connections as the load run.
# /api/v1/auth/me is the token check alone (one statement) and a small JSON
# answer: with /healthz and /readyz it splits a free-slots request's cost.
baseline() {
    local out auth=()
    [[ "$1" == /api/* ]] && auth=(-H "authorization: Bearer $TOKEN")
    out=$(timeout 30 wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d5s --latency "${auth[@]}" "$BASE$1")
    jq -n --arg path "$1" --arg rps "$(awk '/Requests\/sec/{print $2}' <<<"$out")" \
        --arg p99 "$(awk '$1=="99%"{print $2}' <<<"$out")" '{path: $path, rps: ($rps|tonumber), p99: $p99}' -c
}
log "baselines: /healthz, /readyz and /api/v1/auth/me, $CONNECTIONS connections, 5s each"
BASELINES=$(jq -s -c . <<<"$(baseline /healthz; baseline /readyz; baseline /api/v1/auth/me)")
echo "$BASELINES" >&2

log "(a) 60-day range, 1 connection, ${LATENCY_SECONDS}s"
R60=$(run_wrk range60 1 1 "$LATENCY_SECONDS")
log "(b) single day, 1 connection, ${LATENCY_SECONDS}s"
R1=$(run_wrk day 1 1 "$LATENCY_SECONDS")
log "(c) single day, $CONNECTIONS connections, $WRK_THREADS wrk thread(s), ${LOAD_SECONDS}s"
RLOAD=$(run_wrk day "$WRK_THREADS" "$CONNECTIONS" "$LOAD_SECONDS")

if grep -qiE 'error|panic' "$WORK/server.log"; then
    log "server log (errors)"; grep -iE 'error|panic' "$WORK/server.log" | head -20 >&2
fi

log "results ($BACKEND)"
jq -n --arg backend "$BACKEND" --argjson a "$R60" --argjson b "$R1" --argjson c "$RLOAD" \
    --argjson p "$PROFILE" --argjson base "$BASELINES" --arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" '
  {backend: $backend, commit: $commit, range60_c1: $a, day_c1: $b, day_load: $c, baselines: $base,
   in_process_median_us: ($p | del(.iterations) | map_values(.median_us)),
   day_load_vs_healthz: ((($c.rps / ($base | map(select(.path == "/healthz"))[0].rps)) * 100 | round) / 100),
   targets: {
     range60_median_under_5ms: ($a.p50_ms < 5),
     load_at_least_3800_rps: ($c.rps >= 3800),
     load_p99_under_10ms: ($c.p99_ms < 10)},
   vs_easy_appointments_quoted: {
     rps_ratio: (($c.rps / 187) * 10 | round / 10),
     p99_ratio: ((129 / $c.p99_ms) * 10 | round / 10),
     sixty_days_one_call_ratio: ((830 / $a.p50_ms) | round),
     sixty_days_sixty_calls_ratio: ((830 / ($b.p50_ms * 60)) * 10 | round / 10)}}'
