#!/usr/bin/env bash
# The seed's hotspot on this machine: in one run, `hbharness serve
# --strategy S --seed default` for inline and for the view gate, each hit by
# vegeta's CLI at RATE req/s of POST /tasks with 64 workers for DURATION;
# prints each one's latency, errors, and the lock waits and deadlocks its
# /metrics counted, then inline's p99 over the view gate's.
#
# Twice: with Antenna's defaults, where vegeta, which never posts a result,
# has the job's 1,000 unacknowledged tasks (max_ack_pending) out within
# seconds, and every /tasks after waits out its 0.5 s for none; and with
# max_ack_pending lifted out of the way (upstream's NATS_MAX_ACK_PENDING),
# every /tasks finding tasks, as under a fleet that posts its results.
#   RATE=400 DURATION=20s BATCH=1 bash scripts/bench-hotspot.sh
source "$(dirname "$0")/bench-lib.sh"
command -v vegeta >/dev/null || go install github.com/tsenart/vegeta/v12@v12.13.0
RATE=${RATE:-400}
DURATION=${DURATION:-20s}
BATCH=${BATCH:-1}
OUT=$(mktemp -d)
printf '{"batch_size":%d}' "$BATCH" >"$OUT/body"

metric() { # metrics-file series -> value (0 if absent)
  awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print 0 }' "$1"
}

bench() { # label extra-serve-flags...
local label=$1; shift
echo "== $label"
for strategy in view-gate inline; do
  log="$OUT/$strategy.log"
  DATABASE_URL="$DB_URL" bin/hbharness serve --addr 127.0.0.1:0 --seed default --strategy "$strategy" \
    --key-prefix "$PREFIX$strategy:" "$@" >"$log" 2>&1 &
  SERVE_PID=$!
  TARGET=
  for _ in $(seq 1 100); do
    TARGET=$(grep -o 'http://[0-9.:]*' "$log" | head -1 || true)
    [ -n "$TARGET" ] && break
    sleep 0.1
  done
  [ -n "$TARGET" ] || { cat "$log"; echo "serve did not start" >&2; exit 2; }
  printf 'POST %s/api/v2/jobs/1/tasks/\nAuthorization: Token dev-token\nContent-Type: application/json\n@%s\n' \
    "$TARGET" "$OUT/body" >"$OUT/targets"
  vegeta attack -targets "$OUT/targets" -rate "$RATE" -max-workers 64 -duration "$DURATION" >"$OUT/$strategy.bin"
  vegeta report -type json <"$OUT/$strategy.bin" >"$OUT/$strategy.json"
  curl -s "$TARGET/metrics" >"$OUT/$strategy.metrics"
  kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=
  python3 - "$strategy" "$OUT/$strategy.json" \
    "$(metric "$OUT/$strategy.metrics" db_lock_wait_seconds_total)" \
    "$(metric "$OUT/$strategy.metrics" db_deadlocks_total)" \
    "$(metric "$OUT/$strategy.metrics" heartbeat_deadlock_errors_total)" \
    "$(metric "$OUT/$strategy.metrics" web_refused_total)" <<'PY'
import json, sys
name, path, waits, deadlocks, lost, refused = sys.argv[1:]
v = json.load(open(path))
lat = v["latencies"]
codes = ", ".join(f"{k}: {n}" for k, n in sorted(v["status_codes"].items()))
print(f"{name:10s} sent {v['requests']} at {v['rate']:.0f}/s, throughput {v['throughput']:.0f}/s, "
      f"p50 {lat['50th']/1e6:.1f} ms, p99 {lat['99th']/1e6:.1f} ms, max {lat['max']/1e6:.1f} ms; codes {codes}")
print(f"{'':10s} lock waits {float(waits):.1f} backend-s, deadlocks {float(deadlocks):.0f} (pg_stat_database; "
      f"{float(lost):.0f} lost by heartbeat UPDATEs), refused for want of a connection {float(refused):.0f}")
PY
done
python3 - "$OUT/inline.json" "$OUT/view-gate.json" <<'PY'
import json, sys
i, g = (json.load(open(p))["latencies"]["99th"] for p in sys.argv[1:])
print(f"inline p99 / view-gate p99 = {i/g:.1f}x")
PY
}
bench "Antenna's defaults (max_ack_pending 1000)"
bench "tasks always available (max_ack_pending lifted)" --nats-max-ack-pending 1000000
