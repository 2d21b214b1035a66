#!/usr/bin/env bash
# Cost of streaming every request to results.bin: in one `go test -bench`
# run, the fleet with and without the results sink, alternating (-count 5);
# prints the median CPU per request of each and their ratio.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/usr/local/go/bin:$HOME/go/bin"
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
go test -run '^$' -bench '^BenchmarkFleetResults$' -benchtime 1x -count 5 ./harness/fleet/ | tee "$OUT"
python3 - "$OUT" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"BenchmarkFleetResults/sink=(\w+)\S*\s.*?([\d.]+) cpu-us/req.*?([\d.]+) lag-p99-ms", line)
    if m:
        runs.setdefault(m[1], []).append((float(m[2]), float(m[3])))
if set(runs) != {"none", "file"}:
    sys.exit("bench-results: the benchmark printed no figures for both sinks")
cpu = {k: statistics.median(c for c, _ in v) for k, v in runs.items()}
lag = {k: statistics.median(l for _, l in v) for k, v in runs.items()}
print(f"results.bin streaming: {cpu['none']:.2f} µs CPU per request without, {cpu['file']:.2f} with "
      f"(median of {len(runs['none'])}); cost ratio with/without {cpu['file']/cpu['none']:.2f}; "
      f"schedule lag p99 {lag['none']:.2f} ms without, {lag['file']:.2f} ms with")
PY
