"""Benchmark the reference backend against a bare FastAPI app, in the same run.

    PYTHONPATH=. python bench/bench_target.py [--duration 10] [--connections 32]

wrk (Debian package ``wrk``) runs pinned to one CPU; each server (one uvicorn process) is pinned to
another. Measured, each for ``--duration`` seconds after a short warm-up:
  hello    GET /  of bench/hello_app.py (bare FastAPI: the reference rate)
  health   GET /health                   of target_app
  cached   GET /api/content/42           (cache-aside hit, in-process cache)
  uncached GET /api/content/42           with CACHE_ENABLED=0 (SQLite read, joined author, tags, SEO row)
Every target request carries a bearer identity and passes the rate limiter (limit set high enough
never to reject). Prints a Markdown table: requests/s, p50/p99 latency from wrk, ratio to hello.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scalectl.target import free_port, start_target, stop_target  # noqa: E402

TARGET_ENV = {
    "SEED_CONTENT_ROWS": "20000",
    "RATE_LIMIT_DEFAULT": "100000000/minute",
    "LLM_LATENCY_SCALE": "1.0",
}


def wrk(url: str, cpu: int, duration: float, connections: int) -> dict[str, float]:
    cmd = ["taskset", "-c", str(cpu), "wrk", "-t1", f"-c{connections}", f"-d{duration:.0f}s", "--latency",
           "-H", "Authorization: Bearer bench", url]  # fmt: skip
    subprocess.run([*cmd[:5], "-d2s", *cmd[6:]], capture_output=True, check=True)  # warm-up
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)

    def pct(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return {
        "rps": rps,
        "p50": pct("50"),
        "p99": pct("99"),
        "non2xx": float(non2xx.group(1)) if non2xx else 0.0,
    }


def hello_server(cpu: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = ["taskset", "-c", str(cpu), sys.executable, "-m", "uvicorn", "bench.hello_app:app",
           "--port", str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            httpx.get(url, timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the hello app did not start")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--connections", type=int, default=32)
    args = p.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    cpus = sorted(os.sched_getaffinity(0))
    load_cpu, server_cpu = cpus[0], cpus[-1]
    load_before = os.getloadavg()
    results: dict[str, dict[str, float]] = {}

    proc, url = hello_server(server_cpu)
    try:
        results["hello (bare FastAPI) GET /"] = wrk(url, load_cpu, args.duration, args.connections)
    finally:
        proc.terminate()
        proc.wait()

    work = Path(tempfile.mkdtemp(prefix="bench-target-"))
    try:
        for label, extra, path in [
            ("target GET /health", {}, "/health"),
            ("target GET /api/content/{id} cached", {}, "/api/content/42"),
            ("target GET /api/content/{id} uncached", {"CACHE_ENABLED": "0"}, "/api/content/42"),
        ]:
            info = start_target(env={**TARGET_ENV, **extra}, workdir=work)
            try:
                os.sched_setaffinity(info.replicas[0].pid, {server_cpu})
                results[label] = wrk(info.url + path, load_cpu, args.duration, args.connections)
            finally:
                stop_target(info)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    base = results["hello (bare FastAPI) GET /"]["rps"]
    load_after = os.getloadavg()[0]
    print(
        f"cpus: load generator on {load_cpu}, server on {server_cpu}; duration {args.duration:.0f}s, "
        f"{args.connections} connections; loadavg before {load_before[0]:.2f}, after {load_after:.2f}"
    )
    print(
        "\n| endpoint | req/s | p50 ms | p99 ms | non-2xx | ratio to hello |\n|---|---:|---:|---:|---:|---:|"
    )
    for label, r in results.items():
        cells = [f"{r['rps']:.0f}", f"{r['p50']:.2f}", f"{r['p99']:.2f}", f"{r['non2xx']:.0f}"]
        print(f"| {label} | {' | '.join(cells)} | {r['rps'] / base:.2f} |")


if __name__ == "__main__":
    main()
