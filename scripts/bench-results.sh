#!/usr/bin/env bash
# Cost of streaming every request to results.bin, as a ratio: in one
# `go test -bench` run, the fleet with and without the results sink,
# alternating over five rounds after a warm-up (about 25 s); prints the
# median CPU per request of each and their ratio.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/usr/local/go/bin:$HOME/go/bin"
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
go test -run '^$' -bench '^BenchmarkFleetResults$' -benchtime 1x ./harness/fleet/ | tee "$OUT"
python3 - "$OUT" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = {k: float(v) for v, k in re.findall(r"([\d.]+) ([\w/-]+-(?:without|with)|cost-ratio)\b", text)}
need = ["cpu-us/req-without", "cpu-us/req-with", "cost-ratio", "lag-p99-ms-without", "lag-p99-ms-with"]
stalls = re.search(r"(\d+) stalls", text)
if any(k not in m for k in need) or not stalls:
    sys.exit("bench-results: the benchmark did not print its figures")
print(f"results.bin streaming: {m['cpu-us/req-without']:.1f} µs CPU per request without, {m['cpu-us/req-with']:.1f} with "
      f"(median of 5 alternating rounds); cost ratio with/without {m['cost-ratio']:.2f}; "
      f"schedule lag p99 {m['lag-p99-ms-without']:.2f} ms without, {m['lag-p99-ms-with']:.2f} ms with; "
      f"the fleet waited for the stream {stalls[1]} times")
PY
