"""The user's own service as a process group: started, ready, stopped, with nothing left running."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import psutil
import pytest

from scalectl.errors import InputError, TargetError
from scalectl.target_command import fill_placeholders, start_command, stop_command

PY = sys.executable


def _alive(pids: list[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def test_placeholders_are_filled_and_shell_braces_left_alone() -> None:
    cmd = "serve --port {port} -w {replicas} --cpus {cpus} ${HOME} {{literal}}"
    got = fill_placeholders(cmd, {"port": 8123, "replicas": 2, "cpus": 1})
    assert got == "serve --port 8123 -w 2 --cpus 1 ${HOME} {{literal}}"
    with pytest.raises(InputError, match=r"\{prot\}"):
        fill_placeholders("serve {prot}", {"port": 1})


def test_start_ready_stop_leaves_nothing(tmp_path: Path) -> None:
    # a parent shell with a child server and a grandchild sleeper: the whole tree must go
    cmd = f"{PY} -m http.server {{port}} --bind 127.0.0.1 & sleep 300 & wait"
    t = start_command(cmd, log=tmp_path / "t.log", cwd=str(tmp_path))
    assert httpx.get(t.url + "/").status_code == 200
    tree = [t.pid] + [c.pid for c in psutil.Process(t.pid).children(recursive=True)]
    assert len(tree) >= 3
    stop_command(t, grace=5.0)
    assert _alive(tree) == []


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    cmd = f"trap '' TERM; {PY} -m http.server {{port}} --bind 127.0.0.1 & trap '' TERM; sleep 300"
    t = start_command(cmd, log=tmp_path / "t.log")
    tree = [t.pid] + [c.pid for c in psutil.Process(t.pid).children(recursive=True)]
    stop_command(t, grace=0.5)
    assert _alive(tree) == []


def test_a_command_that_dies_is_exit_3_with_its_last_lines(tmp_path: Path) -> None:
    with pytest.raises(TargetError) as exc:
        start_command("echo 'cannot bind {port}: boom' >&2; exit 4", log=tmp_path / "t.log")
    assert exc.value.exit_code == 3
    assert "status 4" in str(exc.value) and "boom" in str(exc.value)


def test_a_command_that_never_listens_is_stopped(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    cmd = f"touch {marker}; echo waiting on {{port}}; sleep 300 & sleep 301"
    with pytest.raises(TargetError) as exc:
        start_command(cmd, log=tmp_path / "t.log", ready_timeout=1.0, cwd=str(tmp_path))
    assert marker.exists() and "within 1s" in str(exc.value) and "waiting on" in str(exc.value)
    assert _running_in(tmp_path) == []


def _running_in(folder: Path) -> list[int]:
    """Processes whose working directory is ``folder`` (what a command started there left behind)."""
    left = []
    for p in psutil.process_iter(["cwd", "status"]):
        if p.info["cwd"] == str(folder) and p.info["status"] != psutil.STATUS_ZOMBIE:
            left.append(p.pid)
    return left


def test_a_missing_cwd_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such directory"):
        start_command("true {port}", log=tmp_path / "t.log", cwd=str(tmp_path / "nope"))
