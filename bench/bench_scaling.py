"""Scaling of the load generator with workers, side by side with plain Locust, and memory per user.

Part 1, throughput: nginx ``return 200`` (no access log: the target is not the bottleneck), and four
configurations interleaved (A B C D A B C D ...), each for ``--seconds`` with ``--users`` users and
no think time:

  scalectl-w1   scalectl loadtest bench/load_overhead.yaml --workers 1 (a master and one worker)
  scalectl-w2   the same, --workers 2
  locust-p1     plain Locust on the same work (bench/load_plain_locustfile.py), --processes 1
  locust-p2     the same, --processes 2

RPS is read in the steady state from nginx's own counter, as in bench_load_overhead.py.

Part 2, memory: ``scalectl loadtest bench/memory_users.yaml --workers 2`` at 1,000 and at 10,000
users (think time 4-6 s); the peak resident memory of the whole generator process tree (scalectl's
parent, the Locust master and the workers; psutil, every 0.5 s) once all users are running. Per
user = (peak at 10,000 - peak at 1,000) / 9,000.

    PYTHONPATH=. python bench/bench_scaling.py [--reps 3] [--seconds 20] [--users 200] [--window 8]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_load_overhead import run_measured  # noqa: E402

from tests.load.counting_nginx import counting_nginx  # noqa: E402

PY = sys.executable


def scalectl(host: str, users: int, seconds: int, workers: int, out: Path) -> list[str]:
    return [PY, "-m", "scalectl", "loadtest", "bench/load_overhead.yaml", "-u", str(users),
            "-d", f"{seconds}s", "--host", host, "--workers", str(workers), "--out", str(out),
            "--no-report"]  # fmt: skip


def locust(host: str, users: int, seconds: int, processes: int) -> list[str]:
    return [PY, "-m", "locust", "-f", "bench/load_plain_locustfile.py", "--headless", "-u", str(users),
            "-r", "500", "-t", f"{seconds}s", "--host", host, "--processes", str(processes),
            "--only-summary", "--loglevel", "ERROR"]  # fmt: skip


def throughput(args: argparse.Namespace, work: Path) -> None:
    results: dict[str, list[float]] = {"scalectl-w1": [], "scalectl-w2": [], "locust-p1": [], "locust-p2": []}
    with counting_nginx(access_log=False) as ngx:
        for rep in range(args.reps):
            cmds = {
                "scalectl-w1": scalectl(ngx.url, args.users, args.seconds, 1, work / f"w1-{rep}"),
                "scalectl-w2": scalectl(ngx.url, args.users, args.seconds, 2, work / f"w2-{rep}"),
                "locust-p1": locust(ngx.url, args.users, args.seconds, 1),
                "locust-p2": locust(ngx.url, args.users, args.seconds, 2),
            }
            for name, cmd in cmds.items():
                rps, _cpu, _n = run_measured(cmd, ngx.url, args.window)
                results[name].append(rps)
            print(f"rep {rep}: " + ", ".join(f"{k} {v[-1]:,.0f} rps" for k, v in results.items()), flush=True)
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"\nmedians of {args.reps} ({args.users} users, {args.window:g}-s steady-state window):")
    for k, v in med.items():
        print(f"  {k:12} {v:8,.0f} rps   (all: {', '.join(f'{x:,.0f}' for x in results[k])})")
    print(f"  scalectl 2 workers / 1 worker: {med['scalectl-w2'] / med['scalectl-w1']:.2f}")
    print(f"  plain Locust --processes 2 / 1: {med['locust-p2'] / med['locust-p1']:.2f}")
    print(f"  scalectl-w2 / locust-p2: {med['scalectl-w2'] / med['locust-p2']:.2f}")


def peak_rss(cmd: list[str], out: Path) -> tuple[int, int, dict]:
    """(peak RSS of the process tree while all users run, users then, run summary)."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    peak = 0
    try:
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            total = 0
            for p in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            peak = max(peak, total)
            time.sleep(0.5)
    finally:
        proc.wait()
    run = json.loads((out / "run.json").read_text())
    users = max((s["users"] for s in run["series"]), default=0)
    return peak, users, {"requests": run["total"]["requests"], "complete": run["complete"]}


def memory(args: argparse.Namespace, work: Path) -> None:
    rows = {}
    with counting_nginx(access_log=False) as ngx:
        for users in (1000, 10000):
            out = work / f"mem-{users}"
            cmd = [PY, "-m", "scalectl", "loadtest", "bench/memory_users.yaml", "-u", str(users),
                   "-d", f"{args.memory_seconds}s", "--host", ngx.url, "--workers", "2", "--out", str(out),
                   "--no-report"]  # fmt: skip
            rows[users] = peak_rss(cmd, out)
            peak, seen, summary = rows[users]
            print(
                f"{users:>6} users: peak generator RSS {peak / 2**20:,.0f} MiB, "
                f"users reached {seen}, {summary}"
            )
    per = (rows[10000][0] - rows[1000][0]) / 9000
    print(f"per simulated user: {per / 1024:.1f} KiB; 10,000 users in all: {rows[10000][0] / 2**30:.2f} GiB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--window", type=float, default=8.0)
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--memory-seconds", type=int, default=30)
    ap.add_argument("--only", choices=["throughput", "memory"], default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="scalectl-scaling-"))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    if args.only in (None, "throughput"):
        throughput(args, work)
    if args.only in (None, "memory"):
        memory(args, work)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
