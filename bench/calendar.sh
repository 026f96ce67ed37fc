#!/usr/bin/env bash
# The mediator's month calendar page under load: seeds, through the real
# API, a mediator with 1,000 sessions booked in one month, starts the
# release server and measures GET /calendar?view=month with wrk at 8
# concurrent clients. See bench/README.md.
#
#   bench/calendar.sh            # SQLite (a fresh file in a temp folder)
#   bench/calendar.sh postgres   # PostgreSQL: a fresh database, dropped after
#
# Environment (defaults in brackets):
#   SKIP_BUILD=1          do not run cargo build (CARGO_TARGET_DIR is honoured)
#   PROFILE [release]     the build to run: release, or debug for a quick look
#   PORT [18182]          port the server listens on (127.0.0.1)
#   SESSIONS [1000]       sessions booked in the month
#   LOAD_SECONDS [15]     length of the load run
#   CONNECTIONS [8]       concurrent connections of the load run
#   PG_ADMIN_URL [postgres://postgres@127.0.0.1:5432/postgres]
#
# Needs curl, jq and wrk. The server is stopped (and the PostgreSQL database
# dropped) on exit, however the script ends.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BACKEND=${1:-sqlite}
PORT=${PORT:-18182}
SESSIONS=${SESSIONS:-1000}
LOAD_SECONDS=${LOAD_SECONDS:-15}
CONNECTIONS=${CONNECTIONS:-8}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PROFILE=${PROFILE:-release}
BASE="http://127.0.0.1:$PORT"

for tool in curl jq wrk; do
    command -v "$tool" >/dev/null || { echo "calendar.sh: $tool is not installed" >&2; exit 1; }
done

WORK=$(mktemp -d -t kelisim-calendar.XXXXXX)
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
    (cd "$ROOT" && timeout 3600 cargo build --release)
fi

case "$BACKEND" in
    sqlite) DATABASE_URL="sqlite://$WORK/bench.db" ;;
    postgres)
        PG_DB="kelisim_calendar_$$"
        psql "$PG_ADMIN_URL" -qAt -c "CREATE DATABASE $PG_DB" >/dev/null
        DATABASE_URL="${PG_ADMIN_URL%/*}/$PG_DB"
        ;;
    *) echo "usage: $0 [sqlite|postgres]" >&2; exit 2 ;;
esac

ADMIN_PASSWORD="bench admin password 123"
(cd "$WORK" && KELISIM_DATABASE_URL="$DATABASE_URL" KELISIM_LOG=warn "$TARGET/$PROFILE/kelisim" migrate >/dev/null)
(cd "$WORK" && echo "$ADMIN_PASSWORD" | KELISIM_DATABASE_URL="$DATABASE_URL" KELISIM_LOG=warn \
    "$TARGET/$PROFILE/kelisim" user add --role admin --email admin@bench.test --name Admin --password-stdin >/dev/null)

# A server left over on the port would answer in place of this one (with
# its own users: every login a 401).
if curl -fsS -m 2 "$BASE/healthz" >/dev/null 2>&1; then
    echo "calendar.sh: something already answers on $BASE; stop it or set PORT" >&2
    exit 1
fi
log "starting the server on $BASE ($BACKEND)"
(
    cd "$WORK"
    KELISIM_DATABASE_URL="$DATABASE_URL" KELISIM_BIND="127.0.0.1:$PORT" KELISIM_LOG=warn \
        KELISIM_LOGIN_MAX_FAILURES=1000 KELISIM_MAIL_SPOOL_DIR="$WORK/mail" \
        exec "$TARGET/$PROFILE/kelisim" serve
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.2
done

api() { # METHOD PATH TOKEN [JSON]; fails showing the problem on an error status
    local out status
    out=$(curl -sS -w '\n%{http_code}' -X "$1" "$BASE$2" -H "authorization: Bearer $3" \
        -H 'content-type: application/json' ${4:+-d "$4"})
    status=${out##*$'\n'}
    out=${out%$'\n'*}
    if [[ "$status" != 2* ]]; then echo "$1 $2 → $status: $out" >&2; return 1; fi
    printf '%s\n' "$out"
}
token() {
    curl -fsS "$BASE/api/v1/auth/token" -H 'content-type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"$ADMIN_PASSWORD\"}" | jq -r .token
}

log "seeding through the API: a court, a mediator free every day, a case, $SESSIONS sessions"
ADMIN=$(token admin@bench.test)
COURT=$(api POST /api/v1/courts "$ADMIN" \
    '{"code":"BNC","name":"Bench court","timezone":"Asia/Almaty","default_language":"ru"}' | jq -r .id)
api POST /api/v1/users "$ADMIN" "{\"email\":\"clerk@bench.test\",\"name\":\"Clerk\",\"role\":\"clerk\",\"court_id\":\"$COURT\",\"language\":\"ru\",\"password\":\"$ADMIN_PASSWORD\"}" >/dev/null
MUSER=$(api POST /api/v1/users "$ADMIN" "{\"email\":\"mediator@bench.test\",\"name\":\"Mediator\",\"role\":\"mediator\",\"language\":\"ru\",\"password\":\"$ADMIN_PASSWORD\"}" | jq -r .id)
MEDIATOR=$(api POST /api/v1/mediators "$ADMIN" "{\"name\":\"Bench Mediator\",\"email\":\"bm@bench.test\",\"user_id\":\"$MUSER\",\"registry_number\":\"BN-1\",\"kind\":\"professional\",\"certified_until\":\"2035-12-31\",\"specialties\":[\"civil\",\"family\"],\"languages\":[\"ru\",\"kk\"],\"court_ids\":[\"$COURT\"],\"max_active_cases\":50,\"timezone\":\"Asia/Almaty\"}" | jq -r .id)
CLERK=$(token clerk@bench.test)
MTOKEN=$(token mediator@bench.test)
WEEKLY=$(jq -nc '{weekly: [range(1;8) | {weekday: ., start: "00:00", end: "24:00"}]}')
api PUT "/api/v1/mediators/$MEDIATOR/availability" "$MTOKEN" "$WEEKLY" >/dev/null
# Next month, whole: every session is in the future and before the deadline.
MONTH=$(date -u -d "$(date -u +%Y-%m-01) +1 month" +%Y-%m-01)
DEADLINE=$(date -u -d "$MONTH +3 months" +%Y-%m-%d)
CASE=$(api POST /api/v1/cases "$CLERK" "{\"court_id\":\"$COURT\",\"court_case_number\":\"2-1/2026\",\"category\":\"family\",\"summary\":\"Bench case\",\"language\":\"ru\",\"mediation_deadline\":\"$DEADLINE\",\"parties\":[{\"role\":\"claimant\",\"name\":\"A\",\"email\":\"a@bench.test\",\"language\":\"ru\"},{\"role\":\"respondent\",\"name\":\"B\",\"email\":\"b@bench.test\",\"language\":\"kk\"}]}" | jq -r .id)
api POST "/api/v1/cases/$CASE/assignment" "$CLERK" "{\"mediator_id\":\"$MEDIATOR\"}" >/dev/null
api POST "/api/v1/cases/$CASE/assignment/accept" "$MTOKEN" '{}' >/dev/null
# 48 sessions a day, 15 minutes each, every 30 minutes on the slot grid
# (the gap is the default 15-minute buffer between sessions): 21 days.
for i in $(seq 0 $((SESSIONS - 1))); do
    day=$((i / 48)); slot=$((i % 48))
    start=$(date -u -d "$MONTH +$day days +$((slot * 30)) minutes" +%Y-%m-%dT%H:%M:%SZ)
    echo "{\"starts_at\":\"$start\",\"duration_minutes\":15,\"online_url\":\"https://video.bench.test/r\",\"format\":\"joint\"}"
done | while read -r body; do
    api POST "/api/v1/cases/$CASE/sessions" "$MTOKEN" "$body" >/dev/null
done
URL="$BASE/calendar?view=month&date=$MONTH"
COOKIE="kelisim_session=$MTOKEN"
BYTES=$(curl -fsS -H "cookie: $COOKIE" "$URL" | wc -c)
GZIP_BYTES=$(curl -fsS -H "cookie: $COOKIE" -H 'accept-encoding: gzip' "$URL" | wc -c)
SHOWN=$(curl -fsS -H "cookie: $COOKIE" "$URL" | grep -o 'class="session"' | wc -l)
echo "month page: $BYTES bytes ($GZIP_BYTES as sent with gzip), $SHOWN session entries shown" >&2

if [[ -n "${SINGLE:-}" ]]; then
    log "one connection, 5s"
    timeout 40 wrk -t1 -c1 -d5s --latency -H "cookie: $COOKIE" "$URL" | grep -E "50%|99%|Requests/sec" >&2
fi
log "warm-up"
timeout 30 wrk -t1 -c"$CONNECTIONS" -d2s -H "cookie: $COOKIE" "$URL" >/dev/null
log "GET /calendar?view=month, $CONNECTIONS connections, ${LOAD_SECONDS}s"
OUT=$(timeout $((LOAD_SECONDS + 30)) wrk -t2 -c"$CONNECTIONS" -d"${LOAD_SECONDS}s" --timeout 5s --latency \
    -H "cookie: $COOKIE" "$URL")
echo "$OUT" >&2
if grep -qiE 'error|panic' "$WORK/server.log"; then
    log "server log (errors)"; grep -iE 'error|panic' "$WORK/server.log" | head -20 >&2
fi
P99=$(awk '$1=="99%"{print $2}' <<<"$OUT")
P50=$(awk '$1=="50%"{print $2}' <<<"$OUT")
RPS=$(awk '/Requests\/sec/{print $2}' <<<"$OUT")
NON2XX=$(awk '/Non-2xx/{print $4}' <<<"$OUT")
jq -n --arg backend "$BACKEND" --arg p50 "$P50" --arg p99 "$P99" --arg rps "$RPS" \
    --arg non2xx "${NON2XX:-0}" --argjson bytes "$BYTES" --argjson gzip "$GZIP_BYTES" \
    --argjson sessions "$SESSIONS" --argjson c "$CONNECTIONS" \
    --arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    '{backend: $backend, commit: $commit, sessions_in_month: $sessions, connections: $c,
      rps: ($rps|tonumber), p50: $p50, p99: $p99, non_2xx: $non2xx,
      page_bytes: $bytes, page_bytes_gzip: $gzip}'
