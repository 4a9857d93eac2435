"""Which target a run measured, so that advice names only the knobs that exist there. Pure.

- ``bundled``: the reference backend (target_app). Its knobs (``DB_POOL_SIZE``, ``REDIS_URL``,
  ``LLM_TIMEOUT_S``...) may be named, and a verify command may set them in the environment.
- ``command``: the user's service that scalectl started (``--target-cmd`` / a scenario ``target:``).
  Only its declared knobs (``target.knobs``: name → environment variable or placeholder) are named.
- ``external`` (``--host``), or unknown: generic wording ("raise the pool size of your database
  client"); scalectl cannot change that service, so a verify command re-measures after the user did.

A run records its kind in ``run.target``; runs written before that carry none, and the kind is then
guessed: only the bundled target recorded ``environment.replicas`` then, and only it exports the
circuit breaker and the timer of its simulated LLM upstream (``{name="llm"}``).
"""

from __future__ import annotations

from typing import Literal

from scalectl.models import RunResult

TargetKind = Literal["bundled", "command", "external"]

#: Sample names that only the bundled backend exports.
BUNDLED_SIGNATURES = (
    'circuit_breaker_state{name="llm"}',
    'upstream_duration_seconds_count{name="llm"}',
)


def target_kind(run: RunResult) -> TargetKind | None:
    """The run's target kind: recorded, else guessed for an older run; None when unknown. An external
    target (``--host``) whose metrics are the bundled backend's (a ``scalectl target up`` target) is
    the bundled backend: its knobs are the ones to advise (issue 13: the same backend got generic
    advice through ``--host`` and its own knobs without)."""
    if run.target is not None and run.target.kind != "external":
        return run.target.kind
    if run.target is None and run.environment.replicas is not None:
        return "bundled"
    for ts in run.telemetry:
        if (
            ts.kind == "prometheus"
            and ts.role == "target"
            and any(k in ts.metrics for k in BUNDLED_SIGNATURES)
        ):
            return "bundled"
    return run.target.kind if run.target is not None else None


def is_bundled(run: RunResult) -> bool:
    return target_kind(run) == "bundled"


def declared_knob(run: RunResult, *hints: str) -> tuple[str, str] | None:
    """(knob name, what it sets) of a command target's declared knob whose name or variable contains
    one of ``hints`` (case-insensitive), e.g. ``declared_knob(run, "pool")`` → ("pool", "DB_POOL")."""
    target = run.target
    if target is None or target.kind != "command":
        return None
    for name, var in target.knobs.items():
        text = f"{name} {var}".lower()
        if any(h.lower() in text for h in hints):
            return name, var
    return None


def env_knob(run: RunResult, bundled_var: str, *hints: str) -> str | None:
    """The environment variable that controls a setting on this run's target: ``bundled_var`` on the
    bundled backend, a declared knob's variable on a command target (a ``{placeholder}`` is no
    variable), else None (the advice then stays generic)."""
    if is_bundled(run):
        return bundled_var
    knob = declared_knob(run, *hints)
    if knob is None or knob[1].startswith("{"):
        return None
    return knob[1]
