"""Overhead of scalectl's measurement vs plain Locust, in one run, when the generator is the bottleneck.

Target: nginx answering ``return 200`` (far faster than one Locust process), on a free port.
Four configurations, interleaved (A B C D A B C D ...), each one Locust process, 50 users, no wait:

  plain      ``locust -f bench/load_plain_locustfile.py`` (hand-written FastHttpUser)
  plugin     the same, plus scalectl's recording plugin (``-f plain,plugin``), no scalectl parent
  scenario   ``scalectl loadtest bench/load_overhead.yaml`` (generated user + scalectl recording + telemetry)
  injected   ``scalectl loadtest --locustfile bench/load_plain_locustfile.py`` (+ recording)

Measured in the steady state, the same way for all three: once requests flow, wait 2 s, then over a
``--window`` of seconds read the target's own request counter (nginx ``stub_status``) and the CPU
time (user+system) of the launched command's whole live process tree (psutil), so scalectl's parent
(CLI, telemetry sampler) counts against it. Achieved RPS = requests / window; CPU per request =
CPU seconds / requests.

    PYTHONPATH=. python bench/bench_load_overhead.py [--seconds 18] [--window 8] [--reps 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
NGINX_CONF = """
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d};
  uwsgi_temp_path {d}; scgi_temp_path {d};
  server {{ listen 127.0.0.1:{port}; keepalive_requests 1000000;
    location = /nginx_status {{ stub_status; }}
    location / {{ return 200 "ok"; }} }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def served(host: str) -> int:
    text = httpx.get(host + "/nginx_status", timeout=5).text
    return int(text.splitlines()[2].split()[2])  # "accepts handled requests" line


def tree_cpu(pid: int) -> float:
    total = 0.0
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def run_measured(cmd: list[str], host: str, window: float) -> tuple[float, float, int]:
    """(rps, cpu seconds, requests) over the steady-state window."""
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        last = served(host)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.25)
            now = served(host)
            if now - last > 50:
                break
            last = now
        time.sleep(2.0)
        r0, c0, t0 = served(host), tree_cpu(proc.pid), time.monotonic()
        time.sleep(window)
        r1, c1, t1 = served(host), tree_cpu(proc.pid), time.monotonic()
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    n = r1 - r0 - 1  # minus one status read
    return n / (t1 - t0), c1 - c0, n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=18)
    ap.add_argument("--window", type=float, default=8.0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--users", type=int, default=50)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="scalectl-bench-"))
    port = free_port()
    (work / "nginx.conf").write_text(NGINX_CONF.format(d=work, port=port))
    nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(work / "nginx.conf")])
    host = f"http://127.0.0.1:{port}"
    time.sleep(1)
    results: dict[str, list[tuple[float, float, float]]] = {
        "plain": [],
        "plugin": [],
        "scenario": [],
        "injected": [],
    }
    plugin = work / "scalectl_plugin.py"
    plugin.write_text("from scalectl.load import plugin as p\np.install()\n")
    py = sys.executable

    def locust(files: str) -> list[str]:
        """Plain Locust, headless, with the bench's users and length (``-f files``)."""
        run = ["-u", str(args.users), "-r", "500", "-t", f"{args.seconds}s", "--host", host]
        return [py, "-m", "locust", "-f", files, "--headless", *run, "--only-summary", "--loglevel", "ERROR"]

    try:
        for rep in range(args.reps):
            cmds = {
                "plain": locust("bench/load_plain_locustfile.py"),
                "plugin": locust(f"bench/load_plain_locustfile.py,{plugin}"),
                "scenario": [
                    py,
                    "-m",
                    "scalectl",
                    "loadtest",
                    "bench/load_overhead.yaml",
                    "-u",
                    str(args.users),
                ],
                "injected": [
                    py,
                    "-m",
                    "scalectl",
                    "loadtest",
                    "--locustfile",
                    "bench/load_plain_locustfile.py",
                    "-u",
                    str(args.users),
                ],
            }
            for name, cmd in cmds.items():
                if name in ("scenario", "injected"):
                    cmd += ["-d", f"{args.seconds}s", "--host", host, "--out", str(work / f"{name}-{rep}")]
                results[name].append(run_measured(cmd, host, args.window))
            print(
                f"rep {rep}: "
                + ", ".join(f"{k} {v[-1][0]:.0f} rps {v[-1][1]:.2f} cpu-s" for k, v in results.items())
            )
    finally:
        nginx.terminate()
        nginx.wait()
        shutil.rmtree(work, ignore_errors=True)
    plain_rps = statistics.median(r[0] for r in results["plain"])
    plain_cpr = statistics.median(r[1] / r[2] for r in results["plain"])
    print(
        f"\nplain Locust: {plain_rps:,.0f} rps, {plain_cpr * 1e6:.0f} µs CPU/request (median of {args.reps})"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for name in ("plugin", "scenario", "injected"):
        rps = statistics.median(r[0] for r in results[name])
        cpr = statistics.median(r[1] / r[2] for r in results[name])
        print(
            f"scalectl {name}: {rps:,.0f} rps (ratio {rps / plain_rps:.3f}), {cpr * 1e6:.0f} µs CPU/request "
            f"(ratio {cpr / plain_cpr:.3f})"
        )


if __name__ == "__main__":
    main()
