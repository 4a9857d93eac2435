"""nginx answering ``return 200`` with an access log: the server's own count of the requests it served.

Used by the distributed-mode tests (tests/load/test_distributed_counts.py) and the benches
(bench/bench_distributed_counts.py, bench/bench_scaling.py). nginx runs as our own process with a
temporary configuration on a free loopback port; it is far faster than the load generator, so the
generator is the bottleneck.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

STATUS_PATH = "/nginx_status"

_CONF = """
{user}worker_processes {workers};
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 16384; }}
http {{
  log_format counted '$request_uri $status';
  {access_log};
  client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d};
  uwsgi_temp_path {d}; scgi_temp_path {d};
  server {{ listen 127.0.0.1:{port} backlog=8192; keepalive_requests 10000000;
    location = {status} {{ access_log off; stub_status; }}
    location / {{ return 200 "ok"; }} }}
}}
"""


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


@dataclass
class CountingNginx:
    url: str
    workdir: Path
    pid: int

    def served(self) -> int:
        """Requests in the access log (the status page is not logged)."""
        log = self.workdir / "access.log"
        if not log.exists():
            return 0
        with open(log, "rb") as fh:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))

    def served_total(self) -> int:
        """nginx's own counter (stub_status), which counts the status requests too."""
        text = httpx.get(self.url + STATUS_PATH, timeout=5).text
        return int(text.splitlines()[2].split()[2])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def counting_nginx(workers: int = 1, access_log: bool = True) -> Iterator[CountingNginx]:
    """Start nginx (not installed → RuntimeError); stop it on exit. Without ``access_log`` only
    ``served_total`` counts (a lighter server for throughput benches)."""
    nginx = find_nginx()
    if nginx is None:
        raise RuntimeError("nginx is not installed (.ci/run installs Debian's nginx-light)")
    d = Path(tempfile.mkdtemp(prefix="scalectl-nginx-"))
    port = _free_port()
    user = "user root root;\n" if os.geteuid() == 0 else ""
    conf = d / "nginx.conf"
    log = f"access_log {d}/access.log counted" if access_log else "access_log off"
    conf.write_text(
        _CONF.format(user=user, workers=workers, d=d, port=port, status=STATUS_PATH, access_log=log)
    )
    proc = subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(d)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(url + STATUS_PATH, timeout=1)
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = (d / "error.log").read_text()[-500:]
                    raise RuntimeError(f"nginx did not start: {tail}") from None
                time.sleep(0.05)
        yield CountingNginx(url=url, workdir=d, pid=proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(d, ignore_errors=True)
