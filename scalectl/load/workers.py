"""How many local Locust workers, on which cores: ``--workers N`` or ``--workers auto`` (no Locust here).

``auto`` is one worker per free core: the cores this process may use, less those the target's
replicas are pinned to (``scalectl target up --cpus-per-replica``, or a bundled target started so).
The generator's processes are then pinned to the free cores, so they leave the target's alone. With
one free core a single generator process is used (a master and one worker would only add the
master's work); with no free core (the target is pinned to every core) too, sharing the cores, and
the choice says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scalectl.errors import InputError

AUTO = "auto"


@dataclass(frozen=True)
class WorkerChoice:
    workers: int
    #: cores the generator processes are pinned to (None: not pinned)
    cpus: tuple[int, ...] | None
    #: one line saying what was chosen and why (recorded in the run's generator notes)
    reason: str


def parse_workers(text: str | int) -> int | str:
    """``--workers``: a count (0 = one process) or ``auto``."""
    if isinstance(text, int):
        value = text
    elif str(text).strip().lower() == AUTO:
        return AUTO
    else:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise InputError(f"--workers {text!r}: expected a number of workers or 'auto'") from None
    if value < 0:
        raise InputError("--workers must not be negative")
    return value


def usable_cpus() -> set[int]:
    if hasattr(os, "sched_getaffinity"):
        return set(os.sched_getaffinity(0))
    return set(range(os.cpu_count() or 1))


def target_cpus(target: Any = None, host: str | None = None, state_file: Path | None = None) -> set[int]:
    """Cores the target's replicas are pinned to: a target started for the run, or the one
    ``scalectl target up`` recorded (its state file) when ``host`` is its URL."""
    info = target
    if info is None and host and state_file is not None and state_file.exists():
        try:
            from scalectl.target import load_state

            saved = load_state(state_file)
        except Exception:  # a broken or foreign state file pins nothing
            saved = None
        if saved is not None and _same_endpoint(saved.url, host):
            info = saved
    pinned: set[int] = set()
    for r in getattr(info, "replicas", ()) or ():
        pinned |= set(getattr(r, "cpus", None) or ())
    return pinned


def _same_endpoint(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    local = {"127.0.0.1", "localhost", "::1"}
    ha, hb = pa.hostname or "", pb.hostname or ""
    return (ha == hb or (ha in local and hb in local)) and pa.port == pb.port


def choose(
    requested: int | str, pinned: Iterable[int] = (), usable: Iterable[int] | None = None
) -> WorkerChoice:
    """Resolve ``--workers``: a number is taken as given; ``auto`` is one worker per free core."""
    if requested != AUTO:
        return WorkerChoice(int(requested), None, f"--workers {requested}")
    cores = set(usable) if usable is not None else usable_cpus()
    pinned_set = set(pinned) & cores
    free = sorted(cores - pinned_set)
    what = f"target pinned to core(s) {_cores(pinned_set)}" if pinned_set else "target not pinned"
    if not free:
        return WorkerChoice(
            0, None, f"--workers auto: no free core ({what}): one generator process shares the target's cores"
        )
    cpus = tuple(free) if pinned_set else None
    if len(free) == 1:
        return WorkerChoice(0, cpus, f"--workers auto: one free core ({_cores(free)}; {what}): one process")
    return WorkerChoice(
        len(free), cpus, f"--workers auto: {len(free)} workers, one per free core ({_cores(free)}; {what})"
    )


def more_workers(current: int, pinned: Iterable[int] = (), usable: Iterable[int] | None = None) -> int | None:
    """The next worker count when the generator saturated: one more worker per step, from one process
    to two workers; None when the free cores allow no more."""
    cores = set(usable) if usable is not None else usable_cpus()
    free = len(cores - set(pinned))
    proposed = 2 if current < 2 else current + 1
    return proposed if proposed <= free else None


def _cores(cpus: Iterable[int]) -> str:
    return ",".join(str(c) for c in sorted(cpus))
