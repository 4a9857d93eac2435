"""The parent side of a run: start Locust (master + workers) as child processes, follow their
progress, sample telemetry, stop them on Ctrl-C / SIGTERM, and collect the raw results.

The parent never imports locust or gevent: everything Locust happens in ``python -m locust``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scalectl.errors import TargetError

_ROOT = Path(__file__).resolve().parents[2]
GRACE_S = 30.0


@dataclass
class ProgressUpdate:
    """One line of live progress from the load generator (about once a second)."""

    elapsed: float
    total: float | None
    users: int
    rps: float
    p95_ms: float
    requests: int
    failures: int
    workers: int = 0
    lost_workers: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass
class ChildPlan:
    files: list[Path]
    host: str
    workers: int = 0
    remote_workers: int = 0
    master_bind: str = "127.0.0.1"
    master_port: int = 0
    #: extra ``locust`` options (``-u``, ``-r``, ``-t`` for a user's own locustfile).
    extra: list[str] = field(default_factory=list)
    expected_duration: float | None = None
    stop_timeout: float = 5.0
    #: cores the generator's processes are pinned to (``--workers auto`` beside a pinned target)
    cpus: tuple[int, ...] | None = None


@dataclass
class ChildOutcome:
    raw: dict[str, Any] | None
    interrupted: str | None
    lost_workers: list[str]
    log_tail: str
    started: float
    ended: float
    returncode: int | None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(extra)
    return env


def _spawn(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    fh = open(log, "ab")  # noqa: SIM115  (closed when the child is reaped)
    proc = subprocess.Popen(
        [sys.executable, "-m", "locust", *args],
        stdout=fh,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        # own process group: a terminal Ctrl-C reaches the parent only, which stops the children in order
        # (not a new session: that would put the generator in its own scheduler autogroup)
        process_group=0,
    )
    proc._scalectl_log = fh  # type: ignore[attr-defined]
    return proc


def _pin(proc: subprocess.Popen, cpus: tuple[int, ...] | None) -> None:
    if cpus:
        with contextlib.suppress(OSError, AttributeError):
            os.sched_setaffinity(proc.pid, set(cpus))


def _reap(proc: subprocess.Popen, timeout: float) -> None:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    fh = getattr(proc, "_scalectl_log", None)
    if fh is not None:
        fh.close()


class _Interrupts:
    """SIGINT/SIGTERM → a flag the run loop sees (main thread only; elsewhere KeyboardInterrupt is used)."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, _frame: Any) -> None:
        self.reason = f"interrupted ({signal.Signals(signum).name})"

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def run_child(
    plan: ChildPlan,
    workdir: Path,
    *,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    on_started: Callable[[list[tuple[str, int]]], None] | None = None,
    should_stop: Callable[[], str | None] | None = None,
) -> ChildOutcome:
    """Run Locust to completion (or interruption) and return its raw results."""
    progress_path = workdir / "progress.jsonl"
    results_path = workdir / "results.json"
    log = workdir / "locust.log"
    progress_path.touch()
    started = time.time()
    master, workers, expect = _spawn_generator(plan, workdir, log, progress_path, results_path)
    if on_started:
        on_started(
            [("generator-master" if expect else "generator", master.pid)]
            + [(f"generator-worker-{i}", w.pid) for i, w in enumerate(workers)]
        )
    watch = _Watch(
        master, workers, started + (plan.expected_duration or 3600.0) + 90.0, on_progress, should_stop
    )
    with _Interrupts() as intr, open(progress_path, encoding="utf-8") as prog:
        while True:
            try:
                if watch.step(prog, intr):
                    break
                time.sleep(0.2)
            except KeyboardInterrupt:  # not in the main thread's handler: treat as an interrupt
                intr.reason = "interrupted (SIGINT)"
    ended = time.time()
    _reap(master, 10)
    for w in workers:
        _reap(w, 15)
    raw, tail = _read_outcome(results_path, log)
    return ChildOutcome(raw, watch.interrupted, watch.lost, tail, started, ended, master.returncode)


def _spawn_generator(
    plan: ChildPlan, workdir: Path, log: Path, progress_path: Path, results_path: Path
) -> tuple[subprocess.Popen, list[subprocess.Popen], int]:
    """The Locust process (a master when workers are expected) and the local workers, pinned."""
    files = ",".join(str(f) for f in plan.files)
    base = ["-f", files, "--loglevel", "WARNING", "--stop-timeout", f"{plan.stop_timeout:g}"]
    master_args = [*base, "--headless", "--only-summary", "--host", plan.host, *plan.extra]
    expect = plan.workers + plan.remote_workers
    port = plan.master_port or (free_port(plan.master_bind) if expect else 0)
    if expect:
        master_args += ["--master", "--master-bind-host", plan.master_bind, "--master-bind-port", str(port),
                        "--expect-workers", str(expect), "--expect-workers-max-wait", "60"]  # fmt: skip
    env = _env({"SCALECTL_PROGRESS": str(progress_path), "SCALECTL_RESULTS": str(results_path)})
    master = _spawn(master_args, log, env)
    _pin(master, plan.cpus)
    workers: list[subprocess.Popen] = []
    worker_env = _env({})
    for i in range(plan.workers):
        args = [*base, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
        workers.append(_spawn(args, workdir / f"worker-{i}.log", worker_env))
        _pin(workers[-1], plan.cpus)
    return master, workers, expect


class _Watch:
    """One generator run being watched: progress lines passed on, workers that die mid-run, the stop
    (an interrupt, the caller's ``should_stop``, or the deadline) and the kill after ``GRACE_S``."""

    def __init__(
        self,
        master: subprocess.Popen,
        workers: list[subprocess.Popen],
        deadline: float,
        on_progress: Callable[[dict[str, Any]], None] | None,
        should_stop: Callable[[], str | None] | None,
    ) -> None:
        self.master, self.workers, self.deadline = master, workers, deadline
        self.on_progress, self.should_stop = on_progress, should_stop
        self.interrupted: str | None = None
        self.lost: list[str] = []
        self._dead: set[int] = set()
        self._stop_sent = 0.0
        self._pending = ""

    def step(self, prog: Any, intr: _Interrupts) -> bool:
        """One look; True once the master has exited (its last progress lines passed on)."""
        done = self.master.poll() is not None
        self._progress(prog.read())
        if done:
            return True
        for i, w in enumerate(self.workers):
            # exit 0 = told to quit by the master at the end; anything else died mid-run
            if w.poll() not in (None, 0) and w.pid not in self._dead and not self._stop_sent:
                self._dead.add(w.pid)
                self.lost.append(f"generator-worker-{i} (pid {w.pid}, exit {w.returncode})")
        reason = intr.reason or (self.should_stop() if self.should_stop else None)
        if reason is None and time.time() > self.deadline:
            reason = "stopped: the load generator ran past its expected duration"
        if reason and not self._stop_sent:
            self.interrupted = reason
            self._stop_sent = time.time()
            with contextlib.suppress(ProcessLookupError):
                self.master.send_signal(signal.SIGTERM)
        elif self._stop_sent and time.time() - self._stop_sent > GRACE_S:
            self.master.kill()
        return False

    def _progress(self, chunk: str) -> None:
        if not chunk:
            return
        self._pending += chunk
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            line = line.strip()
            if line and self.on_progress:
                with contextlib.suppress(json.JSONDecodeError):
                    self.on_progress(json.loads(line))


def _read_outcome(results_path: Path, log: Path) -> tuple[Any, str]:
    """The raw results the master wrote (None when it wrote none) and the end of its log."""
    raw = None
    if results_path.exists():
        with contextlib.suppress(json.JSONDecodeError, OSError):
            raw = json.loads(results_path.read_text(encoding="utf-8"))
    tail = ""
    with contextlib.suppress(OSError):
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
    return raw, tail


def make_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="scalectl-load-"))


def require_results(outcome: ChildOutcome) -> None:
    if outcome.raw is None and outcome.interrupted is None:
        lines = [ln for ln in outcome.log_tail.strip().splitlines() if ln.strip()][-8:]
        raise TargetError(
            f"the Locust child process failed (exit {outcome.returncode}) without results:\n  "
            + "\n  ".join(lines or ["(no output)"])
        )
