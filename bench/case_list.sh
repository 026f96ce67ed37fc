#!/usr/bin/env bash
# The clerk's case list (GET /home) with 20,000 cases in the court, at 8
# concurrent clients, measured with wrk through the session cookie, and the
# size of every page of the list checked against 150 KB. See bench/README.md.
#
#   bench/case_list.sh            # SQLite (a fresh file in a temp folder)
#   bench/case_list.sh postgres   # PostgreSQL: a fresh database, dropped after
#
# Environment (defaults in brackets):
#   SKIP_BUILD=1          do not run cargo build
#   CARGO_TARGET_DIR [target]  where the binaries are
#   PROFILE [release]     which build to run (`debug` for a quick look only)
#   PORT [18182]          port the server listens on (127.0.0.1)
#   CASES [20000]         cases of the clerk's court
#   LOAD_SECONDS [15]     length of the load run
#   CONNECTIONS [8]       concurrent connections
#   PG_ADMIN_URL [postgres://postgres@127.0.0.1:5432/postgres]
#
# Needs curl, jq and wrk. Every step runs under `timeout`; the server is
# stopped (and the PostgreSQL database dropped) on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BACKEND=${1:-sqlite}
PORT=${PORT:-18182}
CASES=${CASES:-20000}
LOAD_SECONDS=${LOAD_SECONDS:-15}
CONNECTIONS=${CONNECTIONS:-8}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PROFILE=${PROFILE:-release}
BASE="http://127.0.0.1:$PORT"

for tool in curl jq wrk; do
    command -v "$tool" >/dev/null || { echo "case_list.sh: $tool is not installed" >&2; exit 1; }
done

WORK=$(mktemp -d -t kelisim-cases.XXXXXX)
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
    (cd "$ROOT" && timeout 3600 cargo build --release --example case_list_seed && timeout 3600 cargo build --release)
fi

case "$BACKEND" in
    sqlite) DATABASE_URL="sqlite://$WORK/cases.db" ;;
    postgres)
        PG_DB="kelisim_cases_$$"
        psql "$PG_ADMIN_URL" -qAt -c "CREATE DATABASE $PG_DB" >/dev/null
        DATABASE_URL="${PG_ADMIN_URL%/*}/$PG_DB"
        ;;
    *) echo "usage: $0 [sqlite|postgres]" >&2; exit 2 ;;
esac

log "seeding $BACKEND with $CASES cases"
timeout 900 "$TARGET/$PROFILE/examples/case_list_seed" --database-url "$DATABASE_URL" --cases "$CASES" >&2

log "starting the server on $BASE"
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

# The session cookie is the API token.
TOKEN=$(curl -fsS "$BASE/api/v1/auth/token" -H 'content-type: application/json' \
    -d '{"email":"bench-clerk@kelisim.test","password":"bench password 123"}' | jq -r .token)
[[ -n "$TOKEN" && "$TOKEN" != null ]] || { echo "no token" >&2; exit 1; }
COOKIE="kelisim_session=$TOKEN"

log "page sizes: first page and the next 20 pages of the list"
MAX_BYTES=0
PAGE="/home"
for _ in $(seq 21); do
    BODY=$(curl -fsS --max-time 10 -H "cookie: $COOKIE" "$BASE$PAGE")
    BYTES=${#BODY}
    (( BYTES > MAX_BYTES )) && MAX_BYTES=$BYTES
    # The next page's link; minijinja writes `/` and `=` in attributes as
    # character references.
    NEXT=$(grep -o 'href="&#x2f;home?[^"]*cursor[^"]*"' <<<"$BODY" | head -1 \
        | sed 's/^href="//; s/"$//; s/&#x2f;/\//g; s/&#x3d;/=/g; s/&amp;/\&/g' || true)
    [[ -n "$NEXT" ]] || break
    PAGE=$NEXT
done
echo "largest page: $MAX_BYTES bytes" >&2

# Warm up; not reported.
COOKIE="$COOKIE" timeout 30 wrk -t1 -c"$CONNECTIONS" -d2s -s "$ROOT/bench/case_list.lua" "$BASE" >/dev/null

log "case list, $CONNECTIONS connections, ${LOAD_SECONDS}s"
OUT=$(COOKIE="$COOKIE" timeout $((LOAD_SECONDS + 30)) wrk -t1 -c"$CONNECTIONS" -d"${LOAD_SECONDS}s" \
    --timeout 5s --latency -s "$ROOT/bench/case_list.lua" "$BASE")
echo "$OUT" | grep -v '^RESULT' >&2
RESULT=$(echo "$OUT" | sed -n 's/^RESULT //p')

if grep -qiE 'error|panic' "$WORK/server.log"; then
    log "server log (errors)"; grep -iE 'error|panic' "$WORK/server.log" | head -20 >&2
fi

jq -n --arg backend "$BACKEND" --arg profile "$PROFILE" --argjson r "$RESULT" --argjson max "$MAX_BYTES" --argjson cases "$CASES" \
    --arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" '
  {backend: $backend, profile: $profile, commit: $commit, cases: $cases, load: $r, largest_page_bytes: $max,
   targets: {p99_under_20ms: ($r.p99_ms < 20), pages_under_150kb: ($max < 153600), no_errors: ($r.errors == 0)}}'
