"""``--workers N | auto``: one worker per core the target is not pinned to; the next count when saturated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scalectl.errors import InputError
from scalectl.load.workers import AUTO, choose, more_workers, parse_workers, target_cpus


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("3", 3), (" auto ", AUTO), ("AUTO", AUTO), (2, 2)])
def test_parse_workers(text, value) -> None:
    assert parse_workers(text) == value


@pytest.mark.parametrize("text", ["-1", "two", "1.5"])
def test_bad_workers_are_input_errors(text: str) -> None:
    with pytest.raises(InputError, match="--workers"):
        parse_workers(text)


@pytest.mark.parametrize(
    ("usable", "pinned", "workers", "cpus", "says"),
    [
        ({0, 1}, set(), 2, None, "2 workers, one per free core (0,1; target not pinned)"),
        ({0, 1, 2, 3}, {0, 1}, 2, (2, 3), "target pinned to core(s) 0,1"),
        ({0, 1}, {0}, 0, (1,), "one free core (1; target pinned to core(s) 0): one process"),
        ({0, 1}, {0, 1}, 0, None, "no free core"),
        ({0, 1, 2, 3, 4, 5, 6, 7}, {7}, 7, (0, 1, 2, 3, 4, 5, 6), "7 workers"),
    ],
)
def test_auto_is_one_worker_per_free_core(usable, pinned, workers, cpus, says) -> None:
    choice = choose(AUTO, pinned, usable)
    assert (choice.workers, choice.cpus) == (workers, cpus)
    assert says in choice.reason


def test_a_number_is_taken_as_given() -> None:
    assert choose(3, {0}, {0, 1}).workers == 3 and choose(3, {0}, {0, 1}).cpus is None


@pytest.mark.parametrize(
    ("current", "free", "nxt"), [(0, 2, 2), (0, 1, None), (2, 2, None), (2, 3, 3), (3, 8, 4)]
)
def test_more_workers_when_the_cores_allow(current: int, free: int, nxt: int | None) -> None:
    assert more_workers(current, set(), set(range(free))) == nxt


def test_pinned_cores_come_from_the_target_or_its_state_file(tmp_path: Path) -> None:
    from scalectl.target import ReplicaInfo, TargetInfo, save_state

    replicas = (
        ReplicaInfo(0, 1, "http://127.0.0.1:9001", "http://127.0.0.1:9001/metrics", (0,)),
        ReplicaInfo(1, 2, "http://127.0.0.1:9002", "http://127.0.0.1:9002/metrics", (1, 2)),
    )
    info = TargetInfo(url="http://127.0.0.1:9000", replicas=replicas, lb="nginx", lb_pid=None, env={})
    assert target_cpus(info) == {0, 1, 2}
    state = tmp_path / "state.json"
    save_state(info, state)
    assert target_cpus(None, "http://localhost:9000", state) == {0, 1, 2}
    assert target_cpus(None, "http://127.0.0.1:9999", state) == set(), "another target"
    state.write_text(json.dumps({"broken": True}))
    assert target_cpus(None, "http://127.0.0.1:9000", state) == set()
