"""Command-line overrides of a scenario: --users, --rps, --duration, --slo, --warmup."""

from __future__ import annotations

from collections.abc import Sequence

from scalectl.errors import InputError
from scalectl.scenario import ClosedLoad, ClosedStage, OpenLoad, OpenStage, Scenario


def apply_overrides(
    sc: Scenario,
    *,
    users: int | None,
    rps: float | None,
    duration: float | None,
    slo: Sequence[str],
    warmup: float | None = None,
) -> Scenario:
    """CLI overrides: ``--users`` / ``--rps`` replace the stages by one constant stage; ``--warmup``
    replaces the load's warm-up (otherwise the scenario's is kept)."""
    if users is not None and rps is not None:
        raise InputError("give --users (closed model) or --rps (open model), not both")
    total = duration if duration is not None else sc.total_duration
    data = sc.model_dump()
    if users is not None:
        if users < 1:
            raise InputError("--users must be at least 1")
        data["load"] = ClosedLoad(
            stages=[ClosedStage(users=users, spawn_rate=max(users, 1), duration=total)],
            warmup=_keep_warmup(sc.load.warmup, total),
        )
    elif rps is not None:
        if rps <= 0:
            raise InputError("--rps must be positive")
        pool = sc.load.max_users if isinstance(sc.load, OpenLoad) else 100
        data["load"] = OpenLoad(
            model="open",
            max_users=pool,
            stages=[OpenStage(rps=rps, duration=total)],
            warmup=_keep_warmup(sc.load.warmup, total),
        )
    elif duration is not None:
        stages, left = [], duration
        for st in sc.load.stages:
            if left <= 0:
                break
            stages.append(st.model_copy(update={"duration": min(st.duration, left)}))
            left -= st.duration
        if left > 0:
            stages[-1] = stages[-1].model_copy(update={"duration": stages[-1].duration + left})
        data["load"] = sc.load.model_copy(
            update={"stages": stages, "warmup": _keep_warmup(sc.load.warmup, duration)}
        )
    if slo:
        from scalectl.slo import parse_threshold

        for expr in slo:
            parse_threshold(expr)
        data["slo"] = list(slo)
    if isinstance(data["load"], ClosedLoad | OpenLoad):
        data["load"] = data["load"].model_dump()
    if warmup is not None:
        total = sum(float(st["duration"]) for st in data["load"]["stages"])
        if not 0 <= warmup < total:
            raise InputError(
                f"--warmup ({warmup:g}s) must be at least 0 and shorter than the run ({total:g}s)"
            )
        data["load"]["warmup"] = warmup
    return Scenario.model_validate(data)


def _keep_warmup(warmup: float, total: float) -> float:
    """The scenario's warm-up, unless a shorter --duration leaves no counted second (then none)."""
    return warmup if warmup < total else 0.0
