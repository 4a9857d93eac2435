"""The pipeline's frozen options (``pipeline/options.py``): what a command asks for, in one object that
nothing downstream can change."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from scalectl import layout
from scalectl.pipeline.options import BaselineOptions, RunOptions, TargetOptions


def test_defaults_are_the_bundled_target_and_the_default_reports_root() -> None:
    opts = RunOptions()
    assert opts.target == TargetOptions()
    assert (opts.target.host, opts.target.command, opts.target.replicas) == (None, None, None)
    assert opts.root == layout.DEFAULT_ROOT
    assert (opts.workers, opts.report, opts.slo) == (0, True, ())


def test_options_are_frozen() -> None:
    opts = RunOptions(users=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.users = 6  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        TargetOptions().host = "http://x"  # type: ignore[misc]


def test_sequences_become_tuples_so_a_callers_list_cannot_change_them() -> None:
    slo = ["p95<300ms"]
    urls = ["http://127.0.0.1:9/metrics"]
    opts = RunOptions(slo=slo, metrics_urls=urls)
    slo.append("p99<1s")
    assert opts.slo == ("p95<300ms",) and opts.metrics_urls == tuple(urls)
    counts = [1, 2]
    base = BaselineOptions(replicas=counts, slo=["p95<1s"], metrics_urls=[])
    counts.append(3)
    assert base.replicas == (1, 2) and base.slo == ("p95<1s",) and base.metrics_urls == ()


def test_the_target_environment_is_read_only_and_a_copy() -> None:
    env = {"DB_POOL_SIZE": "5"}
    target = TargetOptions(env=env)
    env["DB_POOL_SIZE"] = "50"
    assert dict(target.env) == {"DB_POOL_SIZE": "5"}
    with pytest.raises(TypeError):
        target.env["X"] = "1"  # type: ignore[index]
    assert dict(TargetOptions(env=None).env) == {}  # type: ignore[arg-type]


def test_replace_makes_a_changed_copy() -> None:
    opts = RunOptions(users=5, slo=["p95<1s"], target=TargetOptions(host="http://127.0.0.1:8000"))
    other = opts.replace(users=10, slo=["p99<2s"], out=Path("x"))
    assert (opts.users, opts.slo, opts.out) == (5, ("p95<1s",), None)
    assert (other.users, other.slo, other.out) == (10, ("p99<2s",), Path("x"))
    assert other.target is opts.target
    t2 = opts.target.replace(replicas=3, env={"A": "1"})
    assert (t2.host, t2.replicas, dict(t2.env)) == ("http://127.0.0.1:8000", 3, {"A": "1"})
    b = BaselineOptions(name="a").replace(name="b", replicas=[2])
    assert (b.name, b.replicas) == ("b", (2,))
