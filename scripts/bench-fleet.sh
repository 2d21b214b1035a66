#!/usr/bin/env bash
# Fleet capacity: 10,000 workers at a 5 s poll in real time for 2 minutes
# against `hbharness serve` in another process; prints the schedule lag p99
# and the harness's own CPU (user+sys over wall, in cores).
source "$(dirname "$0")/bench-lib.sh"
SCENARIO=scenarios/bench/fleet-capacity.yaml
start_serve "$SCENARIO"
OUT=$(mktemp -d)
/usr/bin/time -f '%U %S %e %M' -o "$OUT/time" bin/hbharness run --scenario "$SCENARIO" --out "$OUT" \
  --target "$TARGET" --token dev-token --observe-db "$DB_URL" --slugs default >"$OUT/stdout" 2>"$OUT/stderr" || true
read -r user sys wall maxrss <"$OUT/time"
python3 - "$OUT/summary.json" "$user" "$sys" "$wall" "$maxrss" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); user, sys_, wall, rss = map(float, sys.argv[2:6])
lg = s["load_generator"]
print(f"fleet capacity: {s['requests']['total']} requests in {s['model_duration_s']:.0f} s "
      f"({s['requests']['total']/s['model_duration_s']:.0f} req/s), errors {s['requests']['errors']}")
print(f"schedule lag p99 {lg['schedule_lag_p99_ms']:.2f} ms, late {lg['late_sends']}, dropped {lg['dropped_sends']}, saturated {lg['saturated']}")
print(f"request latency p50 {s['requests']['p50_ms']:.2f} ms, p99 {s['requests']['p99_ms']:.2f} ms")
print(f"harness CPU {user+sys_:.1f} s over {wall:.1f} s wall = {(user+sys_)/wall:.2f} cores; max RSS {rss/1024:.0f} MiB")
PY
