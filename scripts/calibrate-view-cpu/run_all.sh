#!/bin/bash
# All measurements: 3 interleaved repetitions, a few one-off checks, then one pass beside two CPU hogs.
# Needs calib.env from ./setup_db.sh. Output: results/run_<time>.txt (app log lines go to results/*log*.txt).
set -uo pipefail
cd "$(dirname "$0")"
source ./calib.env
REPS=${REPS:-3}
EXTRAS=${EXTRAS:-1}   # 0: repetitions only (no one-off checks, no CPU-hog pass)
OUT=results/run_$(date +%Y%m%dT%H%M%S).txt
mkdir -p results
log() { echo "$@" | tee -a "$OUT"; }
run() { ./bgload.py 2 | tee -a "$OUT"; "$@" 2>>results/app_log.txt | tee -a "$OUT"; }
log "# $(date -Is) $(nproc) cores; $(/usr/bin/python3 --version)"

for rep in $(seq 1 "$REPS"); do
  log "## rep $rep"
  run ./bench_inprocess.py 3000 300
  run env CALIB_CACHALOT=1 ./bench_inprocess.py 3000 300 tasks bare
  for v in tasks tasks_noside bare; do run ./bench_served.py "$v" --dur 6; done
  run ./bench_served.py tasks --dur 6 --cachalot
  run ./bench_served.py tasks --dur 6 --sync-commit off
  run ./bench_served.py bare --dur 6 --wsgi
  run ./bench_served.py tasks --dur 6 --wsgi
done

if [ "$EXTRAS" = 1 ]; then
log "## once: waits inside a sync view under uvicorn (serialisation check)"
run ./bench_served.py bare --dur 6 --rates 25,50,100 --query sleep_ms=20
run ./bench_served.py tasks_bridge --dur 6 --rates 25,50,100
run ./bench_served.py tasks_bridge --dur 6 --rates 25,50,100 --query nats_ms=20

log "## once: beside two CPU hogs"
( while :; do :; done ) & H1=$!
( while :; do :; done ) & H2=$!
trap 'kill $H1 $H2 2>/dev/null' EXIT
sleep 1
run ./bench_inprocess.py 3000 300 tasks bare
for v in tasks bare; do run ./bench_served.py "$v" --dur 6; done
kill $H1 $H2; trap - EXIT
fi
log "# done $(date -Is)"
