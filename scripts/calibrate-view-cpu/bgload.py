#!/usr/bin/python3
"""Print how busy the machine is (all CPUs, %) over a short window: the background load
(other sessions, CPU hogs) that a measurement shares the 2 cores with."""
import sys
import time


def snap():
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = f[3] + f[4]
    return sum(f), idle


secs = float(sys.argv[1]) if len(sys.argv) > 1 else 2
t0, i0 = snap()
time.sleep(secs)
t1, i1 = snap()
busy = 100 * (1 - (i1 - i0) / (t1 - t0))
print(f"bgload busy={busy:5.1f}% of all cores (2 cores => 100% = both busy) load1={open('/proc/loadavg').read().split()[0]}")
