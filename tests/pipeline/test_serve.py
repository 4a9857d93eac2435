"""``target up`` (``pipeline/serve.py``): a started target is recorded, then left running (--detach)
or held until Ctrl-C / SIGTERM or until it exits, and always stopped unless detached."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from time import sleep as real_sleep  # the fixture makes time.sleep a no-op
from types import SimpleNamespace

import pytest

from scalectl import target
from scalectl.errors import TargetError
from scalectl.pipeline import serve


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    """The target module's process work replaced by a record of calls."""
    calls: list[str] = []
    state = SimpleNamespace(running=[True], calls=calls)

    def is_running(info) -> bool:
        calls.append("is_running")
        return state.running.pop(0) if state.running else False

    monkeypatch.setattr(target, "save_state", lambda info, path: calls.append(f"save {path.name}"))
    monkeypatch.setattr(target, "stop_target", lambda info: calls.append("stop"))
    monkeypatch.setattr(target, "is_running", is_running)
    monkeypatch.setattr(serve.time, "sleep", lambda s: None)
    return state


def test_detach_records_it_and_leaves_it_running(fake, tmp_path: Path) -> None:
    said: list[str] = []
    shown = []
    serve.serve("info", tmp_path, detach=True, show=shown.append, say=said.append)
    assert fake.calls == ["save state.json"]
    assert shown == ["info"]
    assert said == ["running in the background; stop it with 'scalectl target down'"]


def test_a_target_that_exits_on_its_own_is_stopped_and_exit_3(fake, tmp_path: Path) -> None:
    fake.running[:] = [True, True, False]
    (tmp_path / "state.json").write_text("{}")
    said: list[str] = []
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(TargetError, match="every process of the target exited on its own"):
        serve.serve("info", tmp_path, detach=False, show=lambda i: None, say=said.append)
    assert fake.calls[-1] == "stop"
    assert not (tmp_path / "state.json").exists()
    assert said == ["running; press Ctrl-C to stop"]
    assert signal.getsignal(signal.SIGTERM) == before  # the handler is put back


def test_ctrl_c_drains_and_stops(fake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(info) -> bool:
        raise KeyboardInterrupt

    monkeypatch.setattr(target, "is_running", interrupted)
    said: list[str] = []
    serve.serve("info", tmp_path, detach=False, show=lambda i: None, say=said.append)
    assert fake.calls == ["save state.json", "stop"]
    assert said == ["running; press Ctrl-C to stop", "stopping (draining in-flight requests) ...", "stopped"]


def test_sigterm_unwinds_like_ctrl_c(fake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def terminated(info) -> bool:
        os.kill(os.getpid(), signal.SIGTERM)
        real_sleep(5)  # the handler interrupts this
        return True

    monkeypatch.setattr(target, "is_running", terminated)
    said: list[str] = []
    serve.serve("info", tmp_path, detach=False, show=lambda i: None, say=said.append)
    assert fake.calls == ["save state.json", "stop"]
    assert said[-2:] == ["stopping (draining in-flight requests) ...", "stopped"]


def test_a_failure_while_showing_it_still_stops_it(fake, tmp_path: Path) -> None:
    def broken(info) -> None:
        raise RuntimeError("terminal gone")

    with pytest.raises(RuntimeError):
        serve.serve("info", tmp_path, detach=False, show=broken, say=lambda s: None)
    assert fake.calls == ["save state.json", "stop"]


def test_start_refuses_a_second_target_in_the_same_workdir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    running = SimpleNamespace(url="http://127.0.0.1:8000")
    monkeypatch.setattr(target, "load_state", lambda path: running)
    monkeypatch.setattr(target, "is_running", lambda info: True)
    with pytest.raises(TargetError, match="a target is already running at http://127.0.0.1:8000"):
        serve.start_bundled(
            replicas=1,
            port=None,
            lb="auto",
            cpus_per_replica=None,
            env={},
            workdir=tmp_path,
            ready_timeout=1,
            say=print,
        )
