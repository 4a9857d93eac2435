"""Benchmark the reference backend against a bare FastAPI app, in the same run.

    PYTHONPATH=. python bench/bench_target.py [--duration 5] [--rounds 3] [--connections 32]
        [--baseline DIR] [--only health,cached]

wrk (Debian package ``wrk``) runs pinned to one CPU; each server (one uvicorn process) is pinned to
another. Measured, each for ``--duration`` seconds after a short warm-up:
  hello    GET /  of bench/hello_app.py (bare FastAPI: the reference rate)
  health   GET /health                   of target_app
  cached   GET /api/content/42           (cache-aside hit, in-process cache)
  uncached GET /api/content/42           with CACHE_ENABLED=0 (two queries: content + author + SEO, tags),
                                         on SQLite (aiosqlite) and, when reachable, PostgreSQL (asyncpg)
Every target request carries a bearer identity and passes the rate limiter (limit set high enough
never to reject). ``--baseline DIR`` (another checkout, e.g. ``git archive main | tar -x -C DIR``)
also starts DIR's target_app for every row, with the same settings and pins, and measures both in the
same interleaved rounds ("[baseline]" rows). ``--only`` keeps some rows (health, cached, sqlite, pg).
Rounds are interleaved; prints a Markdown table of medians (requests/s, p50/p99 from
wrk) and the median per-round ratio to hello. PostgreSQL itself is not pinned.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scalectl.target import free_port, start_target, stop_target  # noqa: E402

HELLO = "hello (bare FastAPI) GET /"
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


@contextmanager
def postgres_url() -> Iterator[str | None]:
    """A scratch PostgreSQL database on 127.0.0.1:5432 (dropped after), or None when unreachable."""
    name = f"bench_target_{os.getpid()}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-qc"]
    if shutil.which("psql") is None or subprocess.run([*psql, f"CREATE DATABASE {name}"]).returncode != 0:
        yield None
        return
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)


def baseline_target(root: Path, env: dict[str, str], work: Path, cpu: int) -> tuple[subprocess.Popen, str]:
    """One replica of ``root``'s target_app (another checkout), pinned to ``cpu``."""
    port = free_port()
    child_env = {**os.environ, **env, "PYTHONPATH": str(root)}
    child_env.setdefault("DATABASE_URL", f"sqlite+aiosqlite:///{work / 'alwrity.db'}")
    cmd = ["taskset", "-c", str(cpu), sys.executable, "-m", "target_app.serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=work, env=child_env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(url + "/health/ready", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the baseline target in {root} did not start")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (the median is reported)")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--baseline", type=Path, default=None, help="another checkout to measure alongside")
    p.add_argument("--only", default="health,cached,sqlite,pg", help="rows to measure (comma-separated)")
    args = p.parse_args()
    only = set(args.only.split(","))
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    cpus = sorted(os.sched_getaffinity(0))
    load_cpu, server_cpu = cpus[0], cpus[-1]
    load_before = os.getloadavg()
    runs: dict[str, list[dict[str, float]]] = {}
    with ExitStack() as stack:
        hello, hello_url = hello_server(server_cpu)
        stack.callback(lambda: (hello.terminate(), hello.wait()))
        urls = {HELLO: hello_url}
        pg = stack.enter_context(postgres_url())
        variants = [
            ("health", "target GET /health", {}, "/health"),
            ("cached", "target GET /api/content/{id} cached", {}, "/api/content/42"),
            (
                "sqlite",
                "target GET /api/content/{id} uncached (SQLite)",
                {"CACHE_ENABLED": "0"},
                "/api/content/42",
            ),
        ]
        if pg:
            pg_env = {"CACHE_ENABLED": "0", "DATABASE_URL": pg}
            variants.append(
                ("pg", "target GET /api/content/{id} uncached (PostgreSQL)", pg_env, "/api/content/42")
            )
        for key, label, extra, path in variants:
            if key not in only:
                continue
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-target-")))
            info = start_target(env={**TARGET_ENV, **extra}, workdir=work)
            stack.callback(stop_target, info)
            os.sched_setaffinity(info.replicas[0].pid, {server_cpu})
            urls[label] = info.url + path
            if args.baseline is not None:
                bwork = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-baseline-")))
                proc, burl = baseline_target(
                    args.baseline.resolve(), {**TARGET_ENV, **extra}, bwork, server_cpu
                )
                stack.callback(lambda proc=proc: (proc.terminate(), proc.wait()))
                urls[label + " [baseline]"] = burl + path
        for _ in range(args.rounds):  # interleaved, so a burst of other load hits every row alike
            for label, url in urls.items():
                runs.setdefault(label, []).append(wrk(url, load_cpu, args.duration, args.connections))
    load_after = os.getloadavg()[0]
    print(
        f"cpus: load generator (wrk -t1) on {load_cpu}, each server on {server_cpu}; {args.rounds} rounds of "
        f"{args.duration:.0f}s, {args.connections} connections; loadavg before {load_before[0]:.2f}, "
        f"after {load_after:.2f}"
    )
    print("\n| endpoint | req/s (median) | p50 ms | p99 ms | non-2xx | ratio to hello (median of rounds) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, rs in runs.items():
        ratio = statistics.median(r["rps"] / h["rps"] for r, h in zip(rs, runs[HELLO], strict=True))
        med = {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99")}
        non2xx = sum(r["non2xx"] for r in rs)
        cells = [
            f"{med['rps']:.0f}",
            f"{med['p50']:.2f}",
            f"{med['p99']:.2f}",
            f"{non2xx:.0f}",
            f"{ratio:.2f}",
        ]
        print(f"| {label} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
