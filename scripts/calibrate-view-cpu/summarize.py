#!/usr/bin/python3
"""Medians and ranges from a results/run_*.txt file (repetition sections only; one-off sections listed raw)."""
import re
import statistics
import sys
from collections import defaultdict

path = sys.argv[1]
section = ""
inproc, wrk, vmax, bg = defaultdict(list), defaultdict(list), defaultdict(list), []
vbest = {}
other = []
for line in open(path):
    line = line.rstrip()
    if line.startswith("## "):
        section = line
        continue
    if line.startswith("bgload"):
        bg.append(float(re.search(r"busy=\s*([\d.]+)", line).group(1)))
        continue
    rep = section.startswith("## rep")
    if not rep:
        if line.startswith(("inproc", "served")):
            other.append((section, line))
        continue
    m = re.match(r"inproc (\S+)\s+(\S+)\s+n=\d+ cpu_ms=([\d.]+) wall_ms=([\d.]+)", line)
    if m:
        inproc[(m[1], m[2])].append((float(m[3]), float(m[4])))
        continue
    m = re.match(r"served (\S+)\s+(\S+)\s+wrk .* rps=\s*([\d.]+) .*worker_cpu=\s*([\d.]+)% cpu_ms/req=([\d.]+)", line)
    if m:
        key = (m[1], m[2])
        wrk[key].append((float(m[3]), float(m[5]), float(m[4])))
        vmax[key].append(vbest.pop(key, 0.0))
        continue
    m = re.match(r"served (\S+)\s+(\S+)\s+vegeta rate=\s*\d+ thr=\s*([\d.]+)", line)
    if m:
        vbest[(m[1], m[2])] = max(vbest.get((m[1], m[2]), 0.0), float(m[3]))


def mr(xs, fmt="{:.2f}"):
    return f"{fmt.format(statistics.median(xs))} [{fmt.format(min(xs))}-{fmt.format(max(xs))}]"


print(f"background busy before runs (% of both cores): {mr(bg, '{:.0f}')}  (n={len(bg)})\n")
print("in-process (Django test Client), median [min-max] over repetitions")
print(f"{'settings':10s} {'view':13s} {'CPU ms/req':22s} {'wall ms/req':22s}")
for (tag, v), xs in inproc.items():
    print(f"{tag:10s} {v:13s} {mr([x[0] for x in xs]):22s} {mr([x[1] for x in xs]):22s}")
print("\nserved, 1 gunicorn worker process; wrk closed loop c=8 and best vegeta open-loop throughput")
print(f"{'server':14s} {'view':13s} {'wrk req/s':24s} {'CPU ms/req (/proc)':22s} {'worker CPU %':20s} {'vegeta best req/s':20s}")
for key, xs in wrk.items():
    print(f"{key[0]:14s} {key[1]:13s} {mr([x[0] for x in xs], '{:.0f}'):24s} {mr([x[1] for x in xs]):22s} "
          f"{mr([x[2] for x in xs], '{:.0f}'):20s} {mr(vmax[key], '{:.0f}'):20s}")
if other:
    print("\none-off runs (raw)")
    for s, l in other:
        print(f"{s[3:]:55.55s} | {l}")
