#!/usr/bin/env bash
# Email delivery benchmark: messages per second that `kelisim serve` hands to
# a local SMTP server. See bench/README.md ("Email delivery").
#
#   bench/delivery.sh            # SQLite (a fresh file in a temp folder)
#   bench/delivery.sh postgres   # PostgreSQL: creates a fresh database, drops it after
#
# What it does: starts a counting SMTP server (aiosmtpd, bench/delivery_helper.py
# sink), migrates a fresh database, starts the release server with
# KELISIM_SMTP_URL pointing at it, then writes COUNT pending outbox messages
# in ONE transaction straight into the database (delivery_helper.py seed) and
# times from that commit until the SMTP server has received them all. Then
# LATENCY_SAMPLES single messages, one at a time into the idle service: the
# time from each commit to its arrival (the worker polls every second).
#
# Environment (defaults in brackets):
#   SKIP_BUILD=1          do not run cargo build --release
#   COUNT [5000]          messages of the throughput run
#   LATENCY_SAMPLES [10]  single messages timed after it (0 skips)
#   PORT [18182]          HTTP port of the server (127.0.0.1)
#   SMTP_PORT [12525]     port of the counting SMTP server (127.0.0.1)
#   PG_ADMIN_URL [postgres://postgres@127.0.0.1:5432/postgres]
#   KELISIM_*             passed on to the server (e.g. KELISIM_DATABASE_MAX_CONNECTIONS)
#
# Needs: python3 with aiosmtpd (pip install aiosmtpd==1.4.6; the test suite
# itself does not need it), curl, jq, and for postgres psql
# (apt-get install -y jq curl postgresql-client). Bounded: every wait has a
# timeout, and the processes are stopped (and the PostgreSQL database
# dropped) on exit, however the script ends.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BACKEND=${1:-sqlite}
COUNT=${COUNT:-5000}
LATENCY_SAMPLES=${LATENCY_SAMPLES:-10}
PORT=${PORT:-18182}
SMTP_PORT=${SMTP_PORT:-12525}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
HELPER="$ROOT/bench/delivery_helper.py"

for tool in curl jq python3; do
    command -v "$tool" >/dev/null || { echo "delivery.sh: $tool is not installed" >&2; exit 1; }
done
python3 -c 'import aiosmtpd' 2>/dev/null || { echo "delivery.sh: pip install aiosmtpd==1.4.6" >&2; exit 1; }

WORK=$(mktemp -d -t kelisim-delivery.XXXXXX)
SERVER_PID=""
SINK_PID=""
PG_DB=""
stop_pid() {
    local pid=$1
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop_pid "$SERVER_PID"
    stop_pid "$SINK_PID"
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
    (cd "$ROOT" && timeout 3600 cargo build --release --bin kelisim)
fi

case "$BACKEND" in
    sqlite) DATABASE_URL="sqlite://$WORK/bench.db" ;;
    postgres)
        command -v psql >/dev/null || { echo "delivery.sh: psql is not installed" >&2; exit 1; }
        PG_DB="kelisim_delivery_bench_$$"
        psql "$PG_ADMIN_URL" -qAt -c "CREATE DATABASE $PG_DB" >/dev/null
        DATABASE_URL="${PG_ADMIN_URL%/*}/$PG_DB"
        ;;
    *) echo "usage: $0 [sqlite|postgres]" >&2; exit 2 ;;
esac

STATUS="$WORK/sink.json"
log "starting the counting SMTP server on 127.0.0.1:$SMTP_PORT"
python3 "$HELPER" sink --port "$SMTP_PORT" --status "$STATUS" >"$WORK/sink.log" 2>&1 &
SINK_PID=$!
for _ in $(seq 100); do
    [[ -s "$STATUS" ]] && break
    kill -0 "$SINK_PID" 2>/dev/null || { cat "$WORK/sink.log" >&2; exit 1; }
    sleep 0.1
done
[[ -s "$STATUS" ]] || { echo "the SMTP server did not start" >&2; exit 1; }

log "migrating $BACKEND"
(cd "$WORK" && KELISIM_DATABASE_URL="$DATABASE_URL" KELISIM_LOG=warn \
    timeout 120 "$ROOT/target/release/kelisim" migrate >/dev/null)

log "starting the server on 127.0.0.1:$PORT"
(
    cd "$WORK"
    KELISIM_DATABASE_URL="$DATABASE_URL" KELISIM_BIND="127.0.0.1:$PORT" KELISIM_LOG=warn \
        KELISIM_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" KELISIM_MAIL_SPOOL_DIR="$WORK/mail" \
        exec "$ROOT/target/release/kelisim" serve
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null

# CPU time (user + system) of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS=$(getconf CLK_TCK)
received() { jq -r .count "$STATUS"; }

# Waits until the SMTP server has received $1 messages in all; prints the
# epoch time the last one arrived.
wait_received() {
    local want=$1 limit=$2 start
    start=$(date +%s)
    while (( $(received) < want )); do
        if (( $(date +%s) - start > limit )); then
            echo "only $(received) of $want messages arrived within ${limit}s" >&2
            tail -20 "$WORK/server.log" >&2
            exit 1
        fi
        sleep 0.02
    done
    jq -r .last "$STATUS"
}

log "throughput: $COUNT messages enqueued in one transaction"
SERVER_CPU0=$(cpu_ticks "$SERVER_PID")
SINK_CPU0=$(cpu_ticks "$SINK_PID")
COMMITTED=$(timeout 300 python3 "$HELPER" seed --database-url "$DATABASE_URL" --count "$COUNT" --tag batch)
LAST=$(wait_received "$COUNT" 600)
SERVER_CPU1=$(cpu_ticks "$SERVER_PID")
SINK_CPU1=$(cpu_ticks "$SINK_PID")
sleep 1.5 # one more poll: a duplicate would show now
THROUGHPUT=$(jq -c --argjson committed "$COMMITTED" --argjson last "$LAST" --argjson n "$COUNT" \
    --argjson scpu $((SERVER_CPU1 - SERVER_CPU0)) --argjson kcpu $((SINK_CPU1 - SINK_CPU0)) \
    --argjson hz "$TICKS" '{
        messages: $n,
        received: .count, distinct_message_ids: .distinct, duplicates: .duplicates,
        first_arrival_after_commit_s: ((.first - $committed) * 1000 | round / 1000),
        commit_to_last_arrival_s: (($last - $committed) * 1000 | round / 1000),
        messages_per_second: ($n / ($last - $committed) | round),
        messages_per_second_first_to_last: (($n - 1) / ($last - .first) | round),
        kelisim_cpu_ms_per_message: (($scpu / $hz) * 1000 / $n * 1000 | round / 1000),
        smtp_server_cpu_ms_per_message: (($kcpu / $hz) * 1000 / $n * 1000 | round / 1000)
    }' "$STATUS")
echo "$THROUGHPUT" | jq . >&2

if [[ "$BACKEND" == postgres ]]; then
    STATES=$(psql "$DATABASE_URL" -qAt -c "SELECT status || '=' || count(*) FROM outbox_messages GROUP BY status" | paste -sd' ')
else
    STATES=$(python3 - "$WORK/bench.db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(" ".join(f"{s}={n}" for s, n in c.execute("SELECT status, count(*) FROM outbox_messages GROUP BY status")))
EOF
)
fi
echo "outbox: $STATES" >&2

LATENCIES="[]"
if (( LATENCY_SAMPLES > 0 )); then
    log "latency: $LATENCY_SAMPLES single messages, one at a time"
    for i in $(seq "$LATENCY_SAMPLES"); do
        # Start at a random point of the worker's one-second poll.
        sleep "0.$(( RANDOM % 10 ))$(( RANDOM % 10 ))"
        before=$(received)
        committed=$(timeout 60 python3 "$HELPER" seed --database-url "$DATABASE_URL" --count 1 --tag "latency-$i")
        last=$(wait_received $((before + 1)) 30)
        LATENCIES=$(jq -c --argjson l "$(jq -n --argjson a "$committed" --argjson b "$last" '($b - $a) * 1000 | round')" '. + [$l]' <<<"$LATENCIES")
    done
    echo "commit → arrival (ms): $LATENCIES" >&2
fi

jq -n --arg backend "$BACKEND" --argjson t "$THROUGHPUT" --argjson lat "$LATENCIES" --arg states "$STATES" '{
    backend: $backend, throughput: $t, outbox: $states,
    target_messages_per_second: 300, meets_target: ($t.messages_per_second >= 300 and $t.duplicates == 0),
    latency_ms: (if ($lat | length) > 0 then {samples: $lat, median: ($lat | sort | .[(length / 2 | floor)]), max: ($lat | max)} else null end)
}'
