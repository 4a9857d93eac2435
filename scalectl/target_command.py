"""Start and stop the user's own service (``--target-cmd`` / a scenario's ``target:`` block).

The command runs through ``/bin/sh -c`` in a session of its own (``start_new_session``), so the whole
process group, workers included, can be stopped together: SIGTERM to the group, a grace period,
then SIGKILL to the group and to any descendant that left it. ``{port}`` is a free loopback port
picked here, ``{replicas}`` and ``{cpus}`` what the caller asks for. The command's stdout and stderr
go to a log file; a command that exits, or does not answer ``ready_path`` below 500 within the
timeout, is stopped and reported with its last log lines (``TargetError``, exit 3).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from scalectl.errors import InputError, TargetError
from scalectl.scenario import PLACEHOLDER

HOST = "127.0.0.1"
#: Seconds between SIGTERM to the group and SIGKILL.
GRACE_S = 10.0
LOG_LINES = 12


@dataclass(frozen=True)
class CommandTarget:
    url: str
    port: int
    #: The session leader (``/bin/sh``); its process group is the whole service.
    pid: int
    #: The command as run, placeholders filled in.
    command: str
    log: Path
    proc: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def fill_placeholders(command: str, values: dict[str, object]) -> str:
    """Replace ``{port}``, ``{replicas}``, ``{cpus}``; an unknown ``{name}`` is an input error."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in values:
            known = ", ".join("{" + k + "}" for k in values)
            raise InputError(f"target command: unknown placeholder {{{name}}}; it may use {known}")
        return str(values[name])

    return PLACEHOLDER.sub(sub, command)


def log_tail(path: Path, lines: int = LOG_LINES) -> str:
    try:
        text = path.read_text(errors="replace").strip()
    except OSError:
        return "(no output)"
    rows = text.splitlines()[-lines:]
    return "\n  ".join(rows) if rows else "(no output)"


def start_command(
    command: str,
    *,
    log: Path,
    replicas: int = 1,
    cpus: float | None = None,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    ready_path: str = "/",
    ready_timeout: float = 30.0,
    port: int | None = None,
) -> CommandTarget:
    """Start ``command`` and return once ``ready_path`` answers below 500 on the picked port."""
    if cwd is not None and not Path(cwd).is_dir():
        raise InputError(f"target cwd {cwd}: no such directory")
    port = port or free_port()
    cores = cpus if cpus is not None else (os.cpu_count() or 1)
    shown = f"{cores:g}" if isinstance(cores, float) else str(cores)
    filled = fill_placeholders(command, {"port": port, "replicas": replicas, "cpus": shown})
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as fh:
        proc = subprocess.Popen(
            ["/bin/sh", "-c", filled],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    target = CommandTarget(f"http://{HOST}:{port}", port, proc.pid, filled, log, proc)
    try:
        _wait_ready(target, ready_path, ready_timeout)
    except BaseException:
        stop_command(target)
        raise
    return target


def _wait_ready(t: CommandTarget, ready_path: str, timeout: float) -> None:
    import httpx

    url = t.url + ready_path
    deadline = time.monotonic() + timeout
    detail = "no answer"
    while True:
        if t.proc.poll() is not None:
            raise TargetError(
                f"the target command exited with status {t.proc.returncode} before it was ready "
                f"({t.command}); its last lines ({t.log}):\n  {log_tail(t.log)}"
            )
        try:
            r = httpx.get(url, timeout=1.0)
            if r.status_code < 500:
                return
            detail = f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            detail = type(exc).__name__
        if time.monotonic() > deadline:
            raise TargetError(
                f"the target command did not answer {url} below 500 within {timeout:g}s ({detail}); "
                f"its last lines ({t.log}):\n  {log_tail(t.log)}",
                hint="does it listen on {port}? raise target.ready_timeout, or set target.ready_path",
            )
        time.sleep(0.1)


def _tree(pid: int) -> list[object]:
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def stop_command(t: CommandTarget, grace: float = GRACE_S) -> None:
    """SIGTERM the process group, wait up to ``grace`` seconds, then SIGKILL whatever is left
    (the group, and descendants that started a session of their own). Leaves nothing running."""
    import psutil

    procs = _tree(t.pid)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(t.pid, signal.SIGTERM)
    for p in procs:  # a descendant that called setsid() is outside the group
        with suppress(psutil.Error, OSError):  # OSError: it exited on the SIGTERM just sent
            if os.getpgid(p.pid) != t.pid:  # type: ignore[attr-defined]
                p.terminate()  # type: ignore[attr-defined]
    _, alive = psutil.wait_procs(procs, timeout=grace)  # type: ignore[arg-type]
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(t.pid, signal.SIGKILL)
    for p in alive:
        with suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=5.0)
    with suppress(subprocess.TimeoutExpired):
        t.proc.wait(timeout=5.0)
