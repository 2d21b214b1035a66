#!/usr/bin/env bash
# Attack overhead: in one run, against the same `hbharness serve`, the
# highest /tasks rate a plain `vegeta attack` reaches and the rate an
# open-model attack through the harness reaches; prints their ratio.
source "$(dirname "$0")/bench-lib.sh"
command -v vegeta >/dev/null || go install github.com/tsenart/vegeta/v12@v12.13.0
SCENARIO=scenarios/bench/attack-max.yaml
start_serve "$SCENARIO"
OUT=$(mktemp -d)
printf '{"batch_size":1}' >"$OUT/body"
printf 'POST %s/api/v2/jobs/1/tasks/\nAuthorization: Token dev-token\nContent-Type: application/json\n@%s\n' "$TARGET" "$OUT/body" >"$OUT/targets"
vegeta attack -targets "$OUT/targets" -rate 0 -max-workers 64 -duration 10s | vegeta report -type json >"$OUT/vegeta.json"
bin/hbharness run --scenario "$SCENARIO" --out "$OUT/h" --target "$TARGET" --token dev-token \
  --observe-db "$DB_URL" --jobs 1 >"$OUT/stdout" 2>"$OUT/stderr" || true
python3 - "$OUT/vegeta.json" "$OUT/h/summary.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
plain = v["throughput"]
harness = s["requests"]["ok"] / s["model_duration_s"]
print(f"plain vegeta attack: {plain:.0f} req/s (success {v['success']:.3f}, p99 {v['latencies']['99th']/1e6:.1f} ms)")
print(f"harness attack:      {harness:.0f} req/s ok (p99 {s['requests']['p99_ms']:.1f} ms)")
print(f"ratio harness/plain: {harness/plain:.2f}")
PY
