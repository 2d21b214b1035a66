#!/usr/bin/python3
"""Served CPU per request: gunicorn + 1 uvicorn worker (ASGI), driven by vegeta (open loop, rising
rates) and then wrk (closed loop, saturated). Worker CPU is read from /proc/<worker pid>/stat.

usage: source calib.env; ./bench_served.py VARIANT [--cachalot] [--rates 40,80,...] [--dur 8] [--wrk-dur 15]
  VARIANT: tasks | tasks_noside | tasks_bridge | bare
Every run is bounded: each vegeta step has a fixed duration; wrk has a fixed duration; the server is
stopped at the end. Traffic goes to 127.0.0.1 only.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
VEGETA = os.path.expanduser("~/go/bin/vegeta")
TICK = os.sysconf("SC_CLK_TCK")

ap = argparse.ArgumentParser()
ap.add_argument("variant")
ap.add_argument("--cachalot", action="store_true")
ap.add_argument("--rates", default="50,100,150,200,250,300,350,400,500")
ap.add_argument("--dur", type=float, default=8)
ap.add_argument("--wrk-dur", type=int, default=15)
ap.add_argument("--wrk-conns", type=int, default=8)
ap.add_argument("--port", type=int, default=18731)
ap.add_argument("--label", default="")
ap.add_argument("--query", default="", help="extra query string, e.g. sleep_ms=20")
ap.add_argument("--wsgi", action="store_true", help="gunicorn sync worker (WSGI) instead of uvicorn")
ap.add_argument("--sync-commit", default="", help="e.g. off (session-level synchronous_commit)")
a = ap.parse_args()

JOB, PROJECT, TOKEN = os.environ["CALIB_JOB"], os.environ["CALIB_PROJECT"], os.environ["CALIB_TOKEN"]
base = f"http://127.0.0.1:{a.port}"
path = "/api/v2/jobs/bare/" if a.variant == "bare" else f"/api/v2/jobs/{JOB}/{a.variant}/?project_id={PROJECT}"
if a.query:
    path += ("&" if "?" in path else "?") + a.query
body = json.dumps({"batch_size": 4})
rdir = os.path.join(HERE, "results")
os.makedirs(rdir, exist_ok=True)
with open(os.path.join(rdir, "body.json"), "w") as f:
    f.write(body)
targets = os.path.join(rdir, "targets.txt")
with open(targets, "w") as f:
    f.write(f"POST {base}{path}\nAuthorization: Token {TOKEN}\nContent-Type: application/json\n@{rdir}/body.json\n")
lua = os.path.join(rdir, "post.lua")
with open(lua, "w") as f:
    f.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
            f'wrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Token {TOKEN}"\n')

env = dict(os.environ, CALIB_CACHALOT="1" if a.cachalot else "0")
if a.sync_commit:
    env["CALIB_SYNC_COMMIT"] = a.sync_commit
app = ["calibproj.wsgi:application"] if a.wsgi else ["calibproj.asgi:application", "-k", "uvicorn.workers.UvicornWorker"]
applog = open(os.path.join(rdir, "served_app_log.txt"), "ab")
srv = subprocess.Popen(
    ["/usr/bin/gunicorn", *app, "--workers", "1",
     "--bind", f"127.0.0.1:{a.port}", "--chdir", HERE],
    env=env, stdout=applog, stderr=applog, start_new_session=True)


def stop():
    if srv.poll() is None:
        os.killpg(srv.pid, signal.SIGTERM)
        try:
            srv.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(srv.pid, signal.SIGKILL)


def worker_pid():
    kids = open(f"/proc/{srv.pid}/task/{srv.pid}/children").read().split()
    return int(kids[0]) if kids else None


def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK  # utime + stime, all threads


def post_once():
    req = urllib.request.Request(base + path, data=body.encode(), method="POST",
                                 headers={"Authorization": f"Token {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


tag = "+".join(["wsgi" if a.wsgi else "asgi"] + (["cachalot"] if a.cachalot else [])
               + ([f"sc={a.sync_commit}"] if a.sync_commit else []) + ([a.query] if a.query else []))
try:
    for _ in range(100):
        time.sleep(0.2)
        try:
            if post_once() == 200:
                break
        except OSError:
            pass
    else:
        raise SystemExit("server did not come up")
    pid = worker_pid()
    for _ in range(300):  # warm-up
        post_once()

    # 1) open loop, rising rates (vegeta)
    sat = 0
    for rate in [int(x) for x in a.rates.split(",")]:
        c0, t0 = cpu_s(pid), time.perf_counter()
        att = subprocess.run([VEGETA, "attack", f"-targets={targets}", f"-rate={rate}/s", f"-duration={a.dur}s",
                              "-timeout=10s", "-max-workers=64"], capture_output=True, check=True)
        c1, t1 = cpu_s(pid), time.perf_counter()
        rep = json.loads(subprocess.run([VEGETA, "report", "-type=json"], input=att.stdout,
                                        capture_output=True, check=True).stdout)
        n_ok = round(rep["requests"] * rep["success"])
        util = (c1 - c0) / (t1 - t0)
        print(f"served {tag:22s} {a.variant:13s} vegeta rate={rate:4d} thr={rep['throughput']:7.1f} ok={rep['success']:.3f} "
              f"p50={rep['latencies']['50th'] / 1e6:7.1f}ms p99={rep['latencies']['99th'] / 1e6:7.1f}ms "
              f"worker_cpu={util * 100:5.1f}% cpu_ms/req={(c1 - c0) * 1e3 / max(n_ok, 1):.3f}", flush=True)
        if rep["throughput"] < 0.9 * rate or rep["latencies"]["50th"] > 250e6:
            sat += 1
            if sat >= 2:
                break

    # 2) closed loop, saturated (wrk)
    c0, t0 = cpu_s(pid), time.perf_counter()
    out = subprocess.run(["wrk", "-t1", f"-c{a.wrk_conns}", f"-d{a.wrk_dur}s", "--latency", "-s", lua, base + path],
                         capture_output=True, text=True, check=True).stdout
    c1, t1 = cpu_s(pid), time.perf_counter()
    n = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: (.*)", out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+(\S+)", out).group(1)
    util = (c1 - c0) / (t1 - t0)
    print(f"served {tag:22s} {a.variant:13s} wrk    c={a.wrk_conns} rps={rps:7.1f} 1/rps={1e3 / rps:.3f}ms p50={p50} "
          f"non2xx={bad.group(1) if bad else 0} sockerr={errs.group(1) if errs else 'none'} "
          f"worker_cpu={util * 100:5.1f}% cpu_ms/req={(c1 - c0) * 1e3 / n:.3f}", flush=True)
finally:
    stop()
    applog.close()
