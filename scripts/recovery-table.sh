#!/usr/bin/env bash
# The README's recovery table: one 40 s fault at 1m per run, 10 workers on one
# key, time scale 0.05, per fault kind and failure policy (about 8 minutes).
# Usage: bash scripts/recovery-table.sh   (after `make build`)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/hbharness
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=out/recovery/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

row() { # kind policy extra-fault-fields release label
  local name="$1-$2$5"
  cat > "$tmp/$name.yaml" <<YAML
name: recovery
duration: 4m
time_scale: 0.05
fixtures: {projects: 1, pipelines: 1, services_per_key: 2, jobs_per_key: 1}
allowed_errors: 100000
settings: {release_on_enqueue_failure: $4}
fleet:
  - {name: adc, workers: 10, behaviour: active, poll_every: 5s, jitter: 1s, start: spread, batch_size: 4}
faults:
  - {kind: $1, at: 1m, for: 40s$3}
YAML
  "$bin" run --scenario "$tmp/$name.yaml" --failure-policy "$2" --out "$out/$name" >/dev/null 2>&1 || true
  python3 - "$out/$name/summary.json" "$name" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); f = s['faults'][0]
rec, bound = f.get('recovery_s'), f.get('recovery_bound_s')
v = {x['name']: x['outcome'] for x in s['invariants']}
print("%-40s max staleness %6.1f s  recovery %6s s  bound %4s s  dispatches during %3d  recovers_after_fault %s" % (
    sys.argv[2], s['max_staleness_s'], "-" if rec is None else "%.1f" % rec, "-" if bound is None else "%.0f" % bound,
    f['during']['dispatches'], v['recovers_after_fault']))
PY
}

for k in broker-down broker-blackhole; do for rel in false true; do row "$k" fail-closed "" "$rel" "-release-$rel"; done; done
row broker-slow fail-closed ", latency: 2s" false ""
for k in redis-down redis-blackhole redis-restart; do for p in fail-closed fail-open fail-open-local; do row "$k" "$p" "" false ""; done; done
for k in redis-slow db-slow; do row "$k" fail-closed ", latency: 2s" false ""; done
for k in redis-evict db-down db-lock worker-stall worker-crash; do row "$k" fail-closed "" false ""; done
row clock-skew fail-closed ", offset: -90s" false ""
echo "files: $out"
