"""Server-side telemetry through a Prometheus server vs a direct /metrics scrape vs the client's count.

Two replicas of a FastAPI app instrumented with prometheus-fastapi-instrumentator (uvicorn), a real
Prometheus (Debian package) scraping both every second, one ``scalectl loadtest`` against replica A
with both ``--metrics-url A/metrics`` and ``--prometheus-url ... --prometheus-selector 'job="api"'``:
the same run read three ways. Prints a Markdown table (docs/benchmarks.md).

    PYTHONPATH=. flock /tmp/scalectl-bench.lock .venv/bin/python bench/bench_telemetry_sources.py
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from scalectl.analysis.signals import build_signals
from scalectl.storage import load_run
from tests.telemetry import servers

ROUTE = "/items/{item_id}"
SCENARIO = """\
version: 1
name: telemetry-sources
requests:
  - path: /items/{{id}}
    params: {{id: {{range: [1, 50]}}}}
load:
  model: closed
  stages: [{{users: {users}, spawn_rate: 20, duration: {duration}s}}]
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=4)
    ap.add_argument("--duration", type=int, default=20)
    args = ap.parse_args()
    binary = servers.prometheus_binary()
    if binary is None:
        print("prometheus is not installed (apt-get install prometheus)", file=sys.stderr)
        return 3
    work = Path(tempfile.mkdtemp(prefix="bench-telemetry-"))
    procs, replicas = [], []
    try:
        for i in range(2):
            port = servers.free_port()
            cmd = servers.app_command("prometheus-fastapi-instrumentator", port)
            procs.append(servers.start(cmd, f"http://127.0.0.1:{port}/metrics", work / f"r{i}.log"))
            replicas.append(f"127.0.0.1:{port}")
        prom, url = servers.start_prometheus(binary, replicas, work)
        procs.append(prom)
        while len(httpx.get(url + "/api/v1/query", params={"query": "up == 1"}).json()["data"]["result"]) < 2:
            time.sleep(0.5)
        sc = work / "s.yaml"
        sc.write_text(SCENARIO.format(users=args.users, duration=args.duration))
        a = replicas[0]
        out = work / "run"
        cmd = [
            sys.executable, "-m", "scalectl", "loadtest", str(sc), "--host", f"http://{a}", "--out", str(out),
            "--no-report", "--metrics-url", f"http://{a}/metrics",
            "--prometheus-url", url, "--prometheus-selector", 'job="api"',
        ]  # fmt: skip
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    finally:
        for p in reversed(procs):
            servers.stop(p)
    run = load_run(out)
    sig = build_signals(run)
    rows = []
    for label, src in (("direct /metrics scrape (--metrics-url)", "metrics-0"), ("Prometheus server", a)):
        df = sig.replicas[src]
        counted = float(df[f"http_route_rps[{ROUTE}]"].sum())
        lat = df["http_latency_mean_s"].dropna()
        cpu = df["cpu_percent"].dropna()
        rows.append((label, counted, float(np.median(lat)) * 1000, float(np.median(cpu))))
    print(f"run {run.run_id}: {args.users} users, {args.duration} s; client: {run.total.requests} requests, "
          f"{run.total.rps:.1f} req/s, mean latency {run.total.latency_ms.mean:.1f} ms\n")  # fmt: skip
    print("| source | requests counted (item route) | vs client | median mean latency ms | median CPU % |")
    print("|---|---:|---:|---:|---:|")
    for label, counted, lat, cpu in rows:
        diff = (counted - run.total.requests) / run.total.requests
        print(f"| {label} | {counted:,.0f} | {diff:+.1%} | {lat:.1f} | {cpu:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
