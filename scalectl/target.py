"""Start and stop the bundled reference backend (``target_app``) as processes: replicas and nginx.

Replicas are separate uvicorn processes (``python -m target_app.serve``). Without nginx they share
the public port through SO_REUSEPORT (the kernel spreads connections); with ``lb="nginx"`` a real
nginx runs a generated ``least_conn`` upstream in front of them. Every replica also listens on a
private port of its own, so its ``/metrics`` can be scraped separately. ``start_target`` returns
once every replica answers ``/health/ready``; ``stop_target`` drains (SIGTERM, nginx SIGQUIT) and
leaves no process behind. A JSON state file lets ``scalectl target status/down`` find a detached
target from another invocation.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

from scalectl import layout
from scalectl.errors import InputError, TargetError
from scalectl.target_nginx import HOST, find_nginx, nginx_conf, spawn_nginx

LB_CHOICES = ("auto", "single", "reuseport", "nginx")
__all__ = [
    "ReplicaInfo",
    "TargetInfo",
    "find_nginx",
    "nginx_conf",
    "running_target",
    "start_target",
    "stop_target",
]
#: Where the CLI keeps its target (SQLite file, logs, nginx prefix, state.json).
DEFAULT_WORKDIR = layout.target_dir()
STATE_FILE = "state.json"
_PROJECT_ROOT = Path(__file__).resolve().parents[1]  # the folder holding scalectl/ and target_app/


@dataclass(frozen=True)
class ReplicaInfo:
    index: int
    pid: int
    url: str
    metrics_url: str
    cpus: tuple[int, ...] | None


@dataclass(frozen=True)
class TargetInfo:
    url: str
    replicas: tuple[ReplicaInfo, ...]
    lb: str  # "single" | "reuseport" | "nginx"
    lb_pid: int | None
    env: dict[str, str]
    #: Optional additions: the working folder, and whether stop_target removes it (a temporary one).
    workdir: str | None = None
    temp_workdir: bool = False


@dataclass(frozen=True)
class ReplicaHealth:
    index: int
    pid: int
    url: str
    alive: bool
    ready: bool
    detail: str = ""


@dataclass
class _Started:
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    nginx: subprocess.Popen[bytes] | None = None


# ---------------------------------------------------------------------------------------- helpers
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _check_port_free(port: int) -> None:
    """Bind without SO_REUSEPORT: fails if anything (a reuseport group included) listens on the port.

    SO_REUSEADDR lets connections of an earlier run in TIME_WAIT pass (not a listener)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError as exc:
            raise TargetError(
                f"port {port} on {HOST} is busy ({exc.strerror})", hint="choose another --port"
            ) from None


def _cpu_sets(replicas: int, per_replica: int | None) -> list[tuple[int, ...] | None]:
    if per_replica is None:
        return [None] * replicas
    available = sorted(os.sched_getaffinity(0))
    if per_replica < 1 or per_replica > len(available):
        raise InputError(f"--cpus-per-replica must be between 1 and {len(available)} (the usable CPUs)")
    return [
        tuple(sorted({available[(i * per_replica + j) % len(available)] for j in range(per_replica)}))
        for i in range(replicas)
    ]


def _log_tail(path: Path, lines: int = 8) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def _http_ok(url: str, timeout: float = 1.0) -> tuple[bool, str]:
    import httpx

    try:
        r = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return False, type(exc).__name__
    return r.status_code == 200, f"HTTP {r.status_code}"


def _lb_mode(replicas: int, lb: str) -> str:
    """How the replicas share the port (``auto``: one replica → single, more → reuseport); exit 2 for
    a count or a choice that cannot work."""
    if replicas < 1:
        raise InputError(f"--replicas must be at least 1 (got {replicas})")
    if lb not in LB_CHOICES:
        raise InputError(f"--lb must be one of {', '.join(LB_CHOICES)} (got {lb!r})")
    if lb == "single" and replicas > 1:
        raise InputError("--lb single runs one replica; use reuseport or nginx for more")
    return ("single" if replicas == 1 else "reuseport") if lb == "auto" else lb


# ---------------------------------------------------------------------------------------- start
def start_target(
    *,
    replicas: int = 1,
    port: int | None = None,
    lb: str = "auto",
    cpus_per_replica: int | None = None,
    env: Mapping[str, str] | None = None,
    workdir: Path | None = None,
    ready_timeout: float = 60.0,
) -> TargetInfo:
    """Start ``replicas`` processes of the reference backend; return once all are ready."""
    mode = _lb_mode(replicas, lb)
    cpu_sets = _cpu_sets(replicas, cpus_per_replica)
    nginx_bin = find_nginx() if mode == "nginx" else None
    if mode == "nginx" and nginx_bin is None:
        raise TargetError(
            "nginx is not installed", hint="apt-get install -y nginx-light, or use --lb reuseport"
        )
    if port is None:
        port = free_port()
    else:
        _check_port_free(port)

    temp = workdir is None
    wd = Path(tempfile.mkdtemp(prefix="scalectl-target-")) if workdir is None else Path(workdir)
    wd = wd.resolve()
    wd.mkdir(parents=True, exist_ok=True)
    knobs = dict(env or {})
    knobs.setdefault("DATABASE_URL", f"sqlite+aiosqlite:///{wd / 'alwrity.db'}")
    if mode == "nginx":
        knobs.setdefault("TRUSTED_PROXIES", HOST)
    child_env = {**os.environ, **knobs}
    child_env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(_PROJECT_ROOT), os.environ.get("PYTHONPATH")])
    )

    started = _Started()
    try:
        infos = _spawn_replicas(started, wd, port, mode, cpu_sets, child_env, ready_timeout)
        lb_pid = None
        if mode == "nginx":
            assert nginx_bin is not None
            lb_pid = _spawn_nginx(started, nginx_bin, wd, port, infos, knobs, ready_timeout)
        url = f"http://{HOST}:{port}"
        ok, detail = _wait_http(f"{url}/health/ready", ready_timeout, started)
        if not ok:
            raise TargetError(f"the target does not answer on {url}: {detail}")
    except BaseException:
        _terminate(started, timeout=5.0)
        if temp:
            shutil.rmtree(wd, ignore_errors=True)
        raise
    return TargetInfo(
        url=url, replicas=tuple(infos), lb=mode, lb_pid=lb_pid, env=knobs, workdir=str(wd), temp_workdir=temp
    )


def _spawn_replicas(
    started: _Started,
    wd: Path,
    port: int,
    mode: str,
    cpu_sets: list[tuple[int, ...] | None],
    child_env: dict[str, str],
    ready_timeout: float,
) -> list[ReplicaInfo]:
    port_files = []
    for i, cpus in enumerate(cpu_sets):
        port_file = wd / f"replica-{i}.port"
        port_file.unlink(missing_ok=True)
        port_files.append(port_file)
        cmd = [sys.executable, "-m", "target_app.serve", "--private-port-file", str(port_file)]
        if mode != "nginx":
            cmd += ["--port", str(port)] + (["--reuseport"] if mode == "reuseport" else [])
        if cpus is not None:
            cmd += ["--cpus", ",".join(map(str, cpus))]
        with open(wd / f"replica-{i}.log", "wb") as log:
            proc = subprocess.Popen(
                cmd, env=child_env, cwd=wd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        started.procs.append(proc)
        if cpus is not None:
            with suppress(OSError):
                os.sched_setaffinity(proc.pid, set(cpus))
    deadline = time.monotonic() + ready_timeout
    infos: list[ReplicaInfo] = []
    for i, (proc, port_file) in enumerate(zip(started.procs, port_files, strict=True)):
        while not port_file.exists():
            _check_alive(proc, wd / f"replica-{i}.log", f"replica {i}")
            if time.monotonic() > deadline:
                raise TargetError(f"replica {i} did not start within {ready_timeout:.0f}s")
            time.sleep(0.05)
        private = int(port_file.read_text())
        base = f"http://{HOST}:{private}"
        infos.append(ReplicaInfo(i, proc.pid, base, f"{base}/metrics", cpu_sets[i]))
    for info, proc in zip(infos, started.procs, strict=True):
        ok, detail = _wait_http(f"{info.url}/health/ready", max(0.1, deadline - time.monotonic()), started)
        if not ok:
            _check_alive(proc, wd / f"replica-{info.index}.log", f"replica {info.index}")
            raise TargetError(
                f"replica {info.index} was not ready within {ready_timeout:.0f}s ({detail}); "
                f"log: {_log_tail(wd / f'replica-{info.index}.log')}"
            )
    return infos


def _check_alive(proc: subprocess.Popen[bytes], log: Path, what: str) -> None:
    if proc.poll() is not None:
        raise TargetError(f"{what} exited with status {proc.returncode}: {_log_tail(log)}")


def _wait_http(url: str, timeout: float, started: _Started) -> tuple[bool, str]:
    deadline = time.monotonic() + timeout
    detail = "no answer"
    while True:
        for proc in [*started.procs, *([started.nginx] if started.nginx else [])]:
            if proc.poll() is not None:
                return False, f"process {proc.pid} exited with status {proc.returncode}"
        ok, detail = _http_ok(url)
        if ok or time.monotonic() > deadline:
            return ok, detail
        time.sleep(0.1)


def _spawn_nginx(
    started: _Started,
    nginx_bin: str,
    wd: Path,
    port: int,
    infos: list[ReplicaInfo],
    knobs: Mapping[str, str],
    ready_timeout: float,
) -> int:
    upstreams = [int(r.url.rsplit(":", 1)[1]) for r in infos]
    started.nginx = spawn_nginx(wd, port, upstreams, knobs, nginx_bin=nginx_bin)
    return started.nginx.pid


# ---------------------------------------------------------------------------------------- stop
def _is_ours(pid: int, marker: str) -> bool:
    import psutil

    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE and marker in " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    import psutil

    procs = []
    for pid in pids:
        with suppress(psutil.NoSuchProcess):
            procs.append(psutil.Process(pid))
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    return [p.pid for p in alive]


def _stop_pids(groups: list[tuple[int, int]], timeout: float) -> None:
    """``groups``: (pid, signal) pairs of session leaders; signal them, wait, then kill their groups."""
    for pid, sig in groups:
        with suppress(ProcessLookupError):
            os.kill(pid, sig)
    leftover = _wait_gone([pid for pid, _ in groups], timeout)
    for pid, _ in groups:  # each leader started its own session: its group is everything it spawned
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    if leftover:
        _wait_gone(leftover, 2.0)


def _terminate(started: _Started, timeout: float) -> None:
    groups = [(p.pid, signal.SIGTERM) for p in started.procs if p.poll() is None]
    if started.nginx is not None and started.nginx.poll() is None:
        groups.append((started.nginx.pid, signal.SIGQUIT))
    _stop_pids(groups, timeout)
    for p in [*started.procs, *([started.nginx] if started.nginx else [])]:
        with suppress(subprocess.TimeoutExpired):
            p.wait(timeout=1.0)


def stop_target(info: TargetInfo, timeout: float = 15.0) -> None:
    """Drain and stop every process of ``info`` (replicas SIGTERM, nginx SIGQUIT).

    Whatever is still alive after ``timeout`` seconds is killed, with every process it spawned."""
    groups = [(r.pid, signal.SIGTERM) for r in info.replicas if _is_ours(r.pid, "target_app.serve")]
    if info.lb_pid is not None and _is_ours(info.lb_pid, "nginx"):
        groups.append((info.lb_pid, signal.SIGQUIT))
    _stop_pids(groups, timeout)
    if info.temp_workdir and info.workdir:
        shutil.rmtree(info.workdir, ignore_errors=True)


@contextmanager
def running_target(**kwargs: object) -> Iterator[TargetInfo]:
    """``with running_target(replicas=2) as t: ...`` (keyword arguments of start_target)."""
    info = start_target(**kwargs)  # type: ignore[arg-type]
    try:
        yield info
    finally:
        stop_target(info)


# ---------------------------------------------------------------------------------------- state
def state_path(workdir: Path = DEFAULT_WORKDIR) -> Path:
    return Path(workdir) / STATE_FILE


def save_state(info: TargetInfo, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(info), indent=2))
    tmp.replace(path)


def load_state(path: Path) -> TargetInfo | None:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise TargetError(f"cannot read the target state file {path}: {exc}") from None
    try:
        reps = tuple(
            ReplicaInfo(**{**r, "cpus": tuple(r["cpus"]) if r.get("cpus") is not None else None})
            for r in data.pop("replicas")
        )
        return TargetInfo(replicas=reps, **data)
    except (KeyError, TypeError) as exc:
        raise TargetError(f"the target state file {path} is not valid: {exc}") from None


def target_health(info: TargetInfo) -> tuple[list[ReplicaHealth], bool | None]:
    """Per replica: alive and ready; and whether nginx is alive (None without nginx)."""
    rows = []
    for r in info.replicas:
        alive = _is_ours(r.pid, "target_app.serve")
        ready, detail = _http_ok(f"{r.url}/health/ready") if alive else (False, "not running")
        rows.append(ReplicaHealth(r.index, r.pid, r.url, alive, ready, detail))
    lb_alive = None if info.lb_pid is None else _is_ours(info.lb_pid, "nginx")
    return rows, lb_alive


def is_running(info: TargetInfo) -> bool:
    return any(_is_ours(r.pid, "target_app.serve") for r in info.replicas) or (
        info.lb_pid is not None and _is_ours(info.lb_pid, "nginx")
    )


def _same_address(a: str, b: str) -> bool:
    """Whether two URLs name the same scheme, host and port (localhost and 127.0.0.1 alike)."""
    from urllib.parse import urlsplit

    def norm(url: str) -> tuple[str, str, int | None]:
        parts = urlsplit(url.rstrip("/"))
        host = (parts.hostname or "").lower()
        host = HOST if host in ("localhost", "127.0.0.1", "::1") else host
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
        return parts.scheme, host, port

    return norm(a) == norm(b)


def detached_target(host: str, workdirs: tuple[Path, ...] = (DEFAULT_WORKDIR,)) -> TargetInfo | None:
    """The running target started with ``scalectl target up --detach`` that serves ``host``, if any.

    ``loadtest --host URL`` on such a target then samples its replicas' ``/metrics`` and processes as
    if it had started them (it does not stop them)."""
    for wd in dict.fromkeys(Path(w) for w in workdirs):
        try:
            info = load_state(state_path(wd))
        except TargetError:
            continue
        if info is not None and _same_address(info.url, host) and is_running(info):
            return info
    return None
