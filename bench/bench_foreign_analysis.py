"""What the analysis says about services nobody on the team wrote (issue 11): gunicorn sync workers
with a 100 ms handler, no /metrics, measured with ``scalectl loadtest --host`` on stairs of
1, 2, 4, 8 (and 16) users, 4 s each.

    PYTHONPATH=. flock /tmp/scalectl-bench.lock .venv/bin/python bench/bench_foreign_analysis.py

For each service (worker count × handler kind: ``sleep`` waits, ``cpu`` computes) it prints the top
finding, its category, Little's-law estimate of the requests served at once (plateau throughput ×
mean latency at the lowest load) against the configured worker count, and whether any code finding
appeared. The services run one after another, on this machine's loopback, with the generator on the
same cores.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "tests" / "analysis" / "apps"


def scenario(users: list[int], seconds: int) -> str:
    stages = "\n".join(f"    - {{users: {u}, spawn_rate: 100, duration: {seconds}s}}" for u in users)
    return (
        'version: 1\nname: foreign\nslo: ["p95<250ms"]\nthink_time: 0s\n'
        "requests:\n  - path: /\n    expect: [200]\n"
        f"load:\n  model: closed\n  stages:\n{stages}\n"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(workers: int, kind: str, handler_ms: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(
        [*cmd, "--chdir", str(APPS), "sync_wsgi:app"],
        env={**os.environ, "HANDLER_MS": str(handler_ms), "HANDLER_KIND": kind},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            httpx.get(url, timeout=2)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit("gunicorn did not start")


def measure(workers: int, kind: str, handler_ms: float, users: list[int], seconds: int) -> dict:
    proc, url = start(workers, kind, handler_ms)
    try:
        with tempfile.TemporaryDirectory() as d:
            sc = Path(d) / "foreign.yaml"
            sc.write_text(scenario(users, seconds))
            out = Path(d) / "run"
            cmd = [str(Path(sys.executable).parent / "scalectl"), "loadtest", str(sc), "--host", url]
            subprocess.run([*cmd, "--out", str(out), "--no-report"], check=True, capture_output=True)
            analysis = json.loads((out / "analysis.json").read_text())
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    findings = analysis["findings"]
    top = findings[0] if findings else None
    little = None
    if top is not None:
        little = next(
            (e["observed"] for e in top["evidence"] if e["metric"].startswith("Little's law")), None
        )
    return {
        "workers": workers,
        "kind": kind,
        "top": top["rule"] if top else "-",
        "category": top["category"] if top else "-",
        "served_at_once": little,
        "code_findings": [f["rule"] for f in findings if f["category"] == "code"],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--handler-ms", type=float, default=100.0)
    ap.add_argument("--seconds", type=int, default=4)
    args = ap.parse_args()
    cases = [
        (1, "sleep", [1, 2, 4, 8]),
        (2, "sleep", [1, 2, 4, 8]),
        (4, "sleep", [1, 2, 4, 8, 16]),
        (2, "cpu", [1, 2, 4, 8]),
    ]
    print("| workers | handler | top finding | category | Little: served at once | code findings |")
    print("|---:|---|---|---|---:|---|")
    for workers, kind, users in cases:
        r = measure(workers, kind, args.handler_ms, users, args.seconds)
        print(
            f"| {r['workers']} | {r['kind']} | `{r['top']}` | {r['category']} | "
            f"{r['served_at_once'] if r['served_at_once'] is not None else '-'} | "
            f"{', '.join(r['code_findings']) or 'none'} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
