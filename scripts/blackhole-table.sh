#!/usr/bin/env bash
# The README's blackhole findings (model seconds): what a request waits, and how long a view
# holds its thread and database connection, when Redis or the broker stops
# answering for 40 s, under Antenna's clients and under the fixes. 10 workers
# on one key, time scale 0.5 (so timeouts of 2 s and up are not floored to
# modeltime.MinTimeout); about 9 minutes.
# Usage: bash scripts/blackhole-table.sh   (after `make build`; BROKER_URL
# as for any run: the RabbitMQ rows need amqp://guest:guest@127.0.0.1:5672/)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/hbharness
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=out/blackhole/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

row() { # label kind settings [broker-url]
  cat > "$tmp/$1.yaml" <<YAML
name: blackhole
duration: 2m30s
time_scale: 0.5
fixtures: {projects: 1, pipelines: 1, services_per_key: 2, jobs_per_key: 1}
allowed_errors: 100000
settings: {$3}
fleet:
  - {name: adc, workers: 10, behaviour: active, poll_every: 5s, jitter: 1s, start: spread, batch_size: 4}
faults:
  - {kind: $2, at: 50s, for: 40s}
YAML
  BROKER_URL="${4:-${BROKER_URL:-}}" "$bin" run --scenario "$tmp/$1.yaml" --out "$out/$1" >/dev/null 2>&1 || true
  python3 - "$out/$1/summary.json" "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); f = s['faults'][0]; d = f['during']
errs = ", ".join(f"{k} {v}" for k, v in sorted((d.get('errors_by_endpoint') or {}).items()) if v) or "none"
views = s.get('views', {}).get('by_route', {})
held = ", ".join(f"{r} max {v['max_s']:.1f} s" for r, v in sorted(views.items()))
p99 = d.get('p99_ms', 0) / 1000 / s['time_scale']
print(f"{sys.argv[2]:22s} requests' p99 during it {p99:5.1f} s · errors {errs:10s} · views held (server side): {held}")
rec = f.get('recovery_s')
print(f"{'':22s} dispatches during it {d['dispatches']} · max staleness {s['max_staleness_s']:.1f} s · recovered in "
      + ("-" if rec is None else f"{rec:.1f} s"))
PY
}

row redis-none redis-blackhole ""
row redis-read-5s redis-blackhole "redis_read_timeout: 5s"
row redis-read-2s redis-blackhole "redis_read_timeout: 2s"
row broker-list-4s broker-blackhole ""
row broker-list-40s broker-blackhole "broker_connect_timeout: 40s"
if [ -n "${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}" ]; then
  amqp=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}
  row broker-rabbitmq-4s broker-blackhole "" "$amqp"
  row broker-rabbitmq-40s broker-blackhole "broker_connect_timeout: 40s" "$amqp"
fi
echo "files: $out"
