"""The frozen options of the pipeline: what a command asks for, parsed and typed, in one object."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from scalectl import layout
from scalectl.scenario import Scenario


def _frozen_map(data: Any) -> MappingProxyType[str, str]:
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True)
class TargetOptions:
    """Where the load goes: ``host`` (a running service), ``command`` (the user's service, started by
    scalectl), or neither (the bundled reference backend). A scenario's ``host`` / ``target:`` block
    fills what the command line leaves out."""

    host: str | None = None
    command: str | None = None
    #: Bundled replicas, the ``{replicas}`` of a command, or what the user declares they run behind
    #: ``host``; None = not given (1 for targets scalectl starts, unknown for ``host``).
    replicas: int | None = None
    #: ``{cpus}`` of a command (cores per replica); None = this machine's cores.
    cpus: float | None = None
    env: MappingProxyType[str, str] = field(default_factory=lambda: _frozen_map({}))
    allow_remote: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "env", _frozen_map(self.env))

    def replace(self, **changes: Any) -> TargetOptions:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class RunOptions:
    """One load test (``scalectl loadtest``, a step of a baseline, a gate or verify run)."""

    scenario: Path | Scenario | None = None
    locustfile: Path | None = None
    target: TargetOptions = field(default_factory=TargetOptions)
    users: int | None = None
    rps: float | None = None
    duration: float | None = None
    warmup: float | None = None
    slo: tuple[str, ...] = ()
    #: Local worker processes (0 = one process), or ``"auto"``: one per core the target leaves free.
    workers: int | str = 0
    #: Cores to pin the generator to (a baseline passes its ``auto`` choice on); None = as chosen.
    generator_cpus: tuple[int, ...] | None = None
    remote_workers: int = 0
    master_bind: str = "127.0.0.1"
    master_port: int = 0
    out: Path | None = None
    root: Path = layout.DEFAULT_ROOT
    metrics_urls: tuple[str, ...] = ()
    #: ``--prometheus-url`` / ``--prometheus-selector``: an existing Prometheus server that scrapes
    #: the service, read with range queries after the run (both or neither; the scenario's
    #: ``telemetry.prometheus`` block when not given).
    prometheus_url: str | None = None
    prometheus_selector: str | None = None
    #: Write ``report.html`` after the analysis (``analysis.json`` is always written).
    report: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "slo", tuple(self.slo))
        object.__setattr__(self, "metrics_urls", tuple(self.metrics_urls))

    def replace(self, **changes: Any) -> RunOptions:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class BaselineOptions:
    """``scalectl baseline``: stepped load on one target, or a sweep over ``replicas``."""

    name: str = "default"
    scenario: Path | Scenario | None = None
    target: TargetOptions = field(default_factory=TargetOptions)
    #: One count, or a sweep (one baseline per count, ``NAME-rN``). Empty = one baseline, target's own.
    replicas: tuple[int, ...] = ()
    out: Path | None = None
    root: Path = layout.DEFAULT_ROOT
    update: bool = False
    slo: tuple[str, ...] = ()
    metrics_urls: tuple[str, ...] = ()
    workers: int | str = 0
    warmup: float | None = None
    #: Bisections after the SLO broke (``steps.refine``); None keeps the scenario's.
    refine: int | None = None
    #: As in :class:`RunOptions`: one Prometheus server read after each step.
    prometheus_url: str | None = None
    prometheus_selector: str | None = None
    #: Write ``report.html`` for the last step of each baseline.
    report: bool = True

    def __post_init__(self) -> None:
        for name in ("replicas", "slo", "metrics_urls"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    def replace(self, **changes: Any) -> BaselineOptions:
        return dataclasses.replace(self, **changes)
