"""CPU per request of the reference backend, in process: the app called as an ASGI callable (no
HTTP, no sockets), ``time.process_time`` over N calls, so a busy shared host moves it far less than a
wrk rate. With ``--baseline DIR`` the same is measured for another checkout's target_app, in
interleaved rounds (each round: one fresh process per checkout, alternating which goes first).

    PYTHONPATH=. python bench/bench_target_cpu.py [--calls 4000] [--rounds 5] [--baseline DIR]

Rows: GET /health; GET /api/content/42 cached (cache-aside hit, bearer identity, rate limiter on with
a limit that never rejects); GET / of bench/hello_app.py (bare FastAPI) as the reference.
Prints the median µs of CPU per call of each row and checkout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    "SEED_CONTENT_ROWS": "2000",
    "RATE_LIMIT_DEFAULT": "100000000/minute",
    "EVENT_LOOP_LAG_INTERVAL_S": "5",
}
ROWS = {"health": "/health", "cached": "/api/content/42", "hello": "/"}


async def _call(app, path: str) -> int:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"bench"), (b"authorization", b"Bearer bench")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
    }  # fmt: skip
    status = 0

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _child(row: str, calls: int) -> float:
    if row == "hello":
        sys.path.insert(0, str(ROOT))
        from bench.hello_app import app

        lifespan = None
    else:
        from target_app.app import create_app
        from target_app.config import Settings

        work = tempfile.mkdtemp(prefix="bench-cpu-")
        app = create_app(Settings.from_env({**ENV, "DATABASE_URL": f"sqlite+aiosqlite:///{work}/a.db"}))
        lifespan = app.router.lifespan_context(app)
    if lifespan is not None:
        await lifespan.__aenter__()
    try:
        for _ in range(200):  # warm: the cache is filled, code paths are hot
            assert await _call(app, ROWS[row]) == 200
        start = time.process_time()
        for _ in range(calls):
            await _call(app, ROWS[row])
        return (time.process_time() - start) / calls * 1e6
    finally:
        if lifespan is not None:
            await lifespan.__aexit__(None, None, None)


def _measure(root: Path, row: str, calls: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(root), "PROMETHEUS_DISABLE_CREATED_SERIES": "True"}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", row, "--calls", str(calls)]
    out = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["us"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=4000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--baseline", type=Path, default=None, help="another checkout to measure alongside")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps({"us": asyncio.run(_child(args.child, args.calls))}))
        return
    roots = {"this checkout": ROOT}
    if args.baseline is not None:
        roots["baseline"] = args.baseline.resolve()
    results: dict[tuple[str, str], list[float]] = {}
    load_before = os.getloadavg()[0]
    for i in range(args.rounds):
        order = list(roots.items()) if i % 2 == 0 else list(reversed(roots.items()))
        for row in ("hello", "health", "cached"):
            for name, root in order:
                if row == "hello" and name != "this checkout":
                    continue
                results.setdefault((row, name), []).append(_measure(root, row, args.calls))
    load_after = os.getloadavg()[0]
    print(f"{args.rounds} rounds x {args.calls} calls; loadavg {load_before:.2f} -> {load_after:.2f}")
    print("\n| row | checkout | CPU µs per call (median) | min | max |")
    print("|---|---|---:|---:|---:|")
    for (row, name), us in results.items():
        print(f"| {row} | {name} | {statistics.median(us):.1f} | {min(us):.1f} | {max(us):.1f} |")


if __name__ == "__main__":
    main()
