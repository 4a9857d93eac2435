"""Replica count from the fitted USL, and the database connection budget. Pure.

Replicas = the smallest N whose predicted capacity at the SLO, held to the utilization target,
covers the target rate, plus ``redundancy`` (1 → N+1, 2 → N+2 as the SRE book sizes services).
When the target lies beyond the USL peak (or beyond ``max_replicas``), it is *unreachable* by adding
replicas: the plan keeps the best replica count instead of an absurd one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scalectl.capacity.usl import model_throughput
from scalectl.models import UslModel

DEFAULT_UTILIZATION = 0.7
DEFAULT_REDUNDANCY = 1
#: Largest replica count considered (a plan needing more is "unreachable").
DEFAULT_MAX_REPLICAS = 100
#: Stop adding replicas once one more adds less than this fraction of one replica's capacity (λ):
#: a target that needs more counts as unreachable (diminishing returns, e.g. κ = 0, σ > 0).
MIN_MARGINAL_GAIN = 0.1
#: PostgreSQL's default ``max_connections``, assumed when it is neither given nor read.
DEFAULT_DB_MAX_CONNECTIONS = 100
#: Fraction of ``max_connections`` kept free (admin sessions, migrations, superuser reserve).
DEFAULT_CONNECTION_HEADROOM = 0.2


@dataclass
class ReplicaPlan:
    replicas: int
    #: Replicas needed to carry the target rate (before redundancy).
    needed: int
    reachable: bool
    #: Predicted capacity at the SLO of ``needed`` replicas, and that capacity × utilization.
    capacity_rps: float
    usable_rps: float
    best_n: int
    best_rps: float
    reasoning: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def size_replicas(
    model: UslModel,
    target_rps: float,
    *,
    utilization: float = DEFAULT_UTILIZATION,
    redundancy: int = DEFAULT_REDUNDANCY,
    max_replicas: int = DEFAULT_MAX_REPLICAS,
    min_gain: float = MIN_MARGINAL_GAIN,
) -> ReplicaPlan:
    """Smallest N with X(N) × utilization ≥ target_rps, plus redundancy (see module doc); only N up to
    the practical best count (past it one more replica adds < ``min_gain`` × λ, see
    :data:`MIN_MARGINAL_GAIN`)."""
    if not 0 < utilization <= 1:
        raise ValueError("utilization must be in (0, 1]")
    if target_rps <= 0:
        raise ValueError("target rate must be > 0")
    redundancy = max(int(redundancy), 0)
    caps = [(n, model_throughput(model, n)) for n in range(1, max_replicas + 1)] if model.lam > 0 else []
    top = max((x for _, x in caps), default=0.0)
    best_n, best_rps = _practical_best(caps, min_gain * model.lam)
    caps = caps[:best_n]
    need = target_rps / utilization
    for n, x in caps:
        if x >= need:
            return ReplicaPlan(
                replicas=n + redundancy,
                needed=n,
                reachable=True,
                capacity_rps=x,
                usable_rps=x * utilization,
                best_n=best_n,
                best_rps=best_rps,
                reasoning=_chosen_reasoning(caps, n, x, target_rps, utilization, redundancy),
                warnings=[],
            )
    why = _unreachable_reason(model, target_rps, utilization, max_replicas, best_n, best_rps, top, min_gain)
    return ReplicaPlan(
        replicas=best_n + redundancy,
        needed=best_n,
        reachable=False,
        capacity_rps=best_rps,
        usable_rps=best_rps * utilization,
        best_n=best_n,
        best_rps=best_rps,
        reasoning=[why],
        warnings=["the target rate is not reachable by adding replicas alone"],
    )


def _practical_best(caps: list[tuple[int, float]], min_step: float) -> tuple[int, float]:
    """The practical best: the first N after which one more replica adds < ``min_step`` req/s (the last
    N considered when none does)."""
    for (n, x), (_, x_next) in zip(caps, caps[1:], strict=False):
        if x_next - x < min_step:
            return n, x
    return caps[-1] if caps else (1, 0.0)


def _chosen_reasoning(
    caps: list[tuple[int, float]], n: int, x: float, target_rps: float, utilization: float, redundancy: int
) -> list[str]:
    reasoning = [
        f"chosen point: N={n} → predicted {x:.0f} req/s at the SLO; × utilization {utilization:g} "
        f"= {x * utilization:.0f} req/s ≥ target {target_rps:g} req/s "
        f"(margin {x * utilization / target_rps - 1:+.0%})"
    ]
    if n > 1:
        prev = caps[n - 2][1]
        reasoning.append(f"N={n - 1} would give {prev * utilization:.0f} req/s usable: not enough")
    if redundancy:
        reasoning.append(f"redundancy: N+{redundancy} = {n + redundancy} replicas")
    return reasoning


def _unreachable_reason(
    model: UslModel,
    target_rps: float,
    utilization: float,
    max_replicas: int,
    best_n: int,
    best_rps: float,
    top: float,
    min_gain: float,
) -> str:
    """Why no replica count reaches the target: nothing measured, beyond the USL peak or ceiling, or
    beyond the most replicas considered."""
    need = target_rps / utilization
    if model.lam <= 0:
        return "no capacity measured at the SLO: replicas cannot be sized from this evidence"
    if model.peak_n is not None and model.peak_n < max_replicas:
        return (
            f"target {target_rps:g} req/s (÷ {utilization:g} = {need:.0f}) lies beyond the USL peak: "
            f"N*={model.peak_n:.1f} gives at most {top:.0f} req/s ({best_n} replicas already give "
            f"{best_rps:.0f}); adding replicas cannot reach it"
        )
    if model.sigma > 0 and best_n < max_replicas:
        return (
            f"target {target_rps:g} req/s (÷ {utilization:g} = {need:.0f}) lies beyond the USL ceiling "
            f"λ/σ = {model.lam / model.sigma:.0f} req/s: {best_n} replicas already give {best_rps:.0f} "
            f"and one more would add < {min_gain:.0%} of a replica; adding replicas cannot reach it"
        )
    return (
        f"target {target_rps:g} req/s (÷ {utilization:g} = {need:.0f}) needs more than "
        f"{max_replicas} replicas (the most considered; {best_n} give {best_rps:.0f} req/s)"
    )


@dataclass
class PoolPlan:
    replicas: int
    pool_size: int
    max_overflow: int
    max_connections: int
    #: Connections scalectl lets the replicas use: floor(max_connections × (1 − headroom)).
    usable_connections: int
    fits: bool
    notes: list[str] = field(default_factory=list)

    @property
    def total_connections(self) -> int:
        return self.replicas * (self.pool_size + self.max_overflow)


def usable_connections(max_connections: int, headroom: float = DEFAULT_CONNECTION_HEADROOM) -> int:
    return max(int(math.floor(max_connections * (1.0 - headroom))), 0)


def fit_connection_budget(
    replicas: int,
    pool_size: int,
    max_overflow: int,
    max_connections: int,
    *,
    headroom: float = DEFAULT_CONNECTION_HEADROOM,
) -> PoolPlan:
    """Shrink overflow, then the pool, then the replica count, until
    replicas × (pool + overflow) ≤ max_connections × (1 − headroom). ``fits`` is False when anything
    had to give below what was asked."""
    usable = usable_connections(max_connections, headroom)
    notes: list[str] = []
    pool, over, n = max(pool_size, 1), max(max_overflow, 0), max(replicas, 1)
    fits = True
    if n * (pool + over) > usable:
        per = usable // n
        if per >= pool:
            over = per - pool
            notes.append(f"max_overflow cut to {over} so {n} × (pool + overflow) ≤ {usable}")
        else:
            fits = False
            over = 0
            pool = max(per, 1)
            notes.append(
                f"pool cut from {pool_size} to {pool} per replica: {n} replicas × {pool_size} would exceed "
                f"{usable} usable connections (max_connections {max_connections}, {headroom:.0%} headroom)"
            )
            if n * pool > usable:
                n = max(usable // pool, 0)
                notes.append(f"even one connection each does not fit: replicas capped at {n}")
    return PoolPlan(n, pool, over, max_connections, usable, fits, notes)
