#!/usr/bin/python3
"""In-process CPU per request: Django's test Client through the full middleware + DRF stack.

usage: source calib.env; ./bench_inprocess.py [N=3000] [WARMUP=300] [variants...]  2>>results/app_log.txt
Prints one line per variant: ms CPU/request (time.process_time), ms wall/request, queries/request.
"""
import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calibproj.settings")
import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
WARMUP = int(sys.argv[2]) if len(sys.argv) > 2 else 300
VARIANTS = sys.argv[3:] or ["tasks", "tasks_noside", "tasks_bridge", "bare"]
JOB, PROJECT, TOKEN = os.environ["CALIB_JOB"], os.environ["CALIB_PROJECT"], os.environ["CALIB_TOKEN"]
BODY = json.dumps({"batch_size": 4})


def url(variant):
    if variant == "bare":
        return "/api/v2/jobs/bare/"
    return f"/api/v2/jobs/{JOB}/{variant}/?project_id={PROJECT}"


client = Client(HTTP_AUTHORIZATION=f"Token {TOKEN}")


def one(u):
    r = client.post(u, BODY, content_type="application/json")
    if r.status_code != 200:
        raise SystemExit(f"{u}: HTTP {r.status_code} {r.content[:300]!r}")
    return r


tag = "cachalot" if settings.CACHALOT else "plain"
for v in VARIANTS:
    u = url(v)
    for _ in range(WARMUP):
        one(u)
    with CaptureQueriesContext(connection) as q:
        one(u)
    nq = len(q.captured_queries)
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(N):
        one(u)
    c1, w1 = time.process_time(), time.perf_counter()
    cpu_ms, wall_ms = (c1 - c0) * 1e3 / N, (w1 - w0) * 1e3 / N
    print(f"inproc {tag:8s} {v:13s} n={N} cpu_ms={cpu_ms:.3f} wall_ms={wall_ms:.3f} "
          f"cpu/wall={cpu_ms / wall_ms:.2f} sql={nq}", flush=True)
