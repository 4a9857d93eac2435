"""Capacity evidence: per-replica-count capacity points from baselines and runs. Pure.

A *point* is one load level measured on some number of replicas: a baseline step (its embedded run),
or a group of per-second intervals of a run at one user count / arrival rate. A replica count's
*capacity* is its knee: the highest throughput of a point that met the SLO (and an error-rate guard).
Baselines of a replica sweep (``scalectl baseline --replicas 1,2,3`` → NAME-r1.json, NAME-r2.json...)
give one capacity per replica count, which is what the USL fit over replicas needs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from scalectl import histograms
from scalectl.analysis.knee import LoadPoint, find_knee
from scalectl.analysis.throughput import active_rps
from scalectl.errors import InputError
from scalectl.models import Baseline, EndpointStats, RunResult
from scalectl.slo import Measured, Threshold, meets, parse_all

__all__ = ["active_rps", "collect", "grade", "points_from_baseline", "points_from_run", "replicas_of"]

#: SLO used when neither the command nor the evidence names one.
DEFAULT_SLO = ("p95<300ms",)
#: A point whose failure fraction exceeds this never counts as meeting the SLO.
DEFAULT_MAX_ERROR_RATE = 0.01
#: A load level inside a run needs at least this many one-second intervals to count.
MIN_LEVEL_SECONDS = 3
#: Distinct replica counts for a trustworthy USL fit.
SWEEP_POINTS_HIGH = 3


@dataclass(frozen=True)
class CapacityPoint:
    replicas: int
    #: Offered load of the level: users (closed model) or arrival rate (open model); None if unknown.
    level: float | None
    rps: float
    p95_ms: float
    error_rate: float
    slo_ok: bool
    source: str
    run: RunResult = field(repr=False, compare=False)
    seconds: float = 0.0
    #: What ``level`` counts: ``users`` (closed model) or ``rps`` (open model's offered rate).
    level_kind: str = "users"


@dataclass(frozen=True)
class ReplicaCapacity:
    replicas: int
    #: Highest SLO-meeting throughput (all replicas together); 0 when no point met the SLO.
    knee_rps: float
    knee_p95_ms: float | None
    #: The SLO never broke, so the true capacity lies above ``knee_rps``.
    beyond_last_step: bool
    n_points: int
    knee: CapacityPoint | None
    #: The most loaded point (what limited capacity shows there).
    heaviest: CapacityPoint


@dataclass
class EvidenceSet:
    slo: list[str]
    points: list[CapacityPoint]
    capacities: list[ReplicaCapacity]
    runs: list[RunResult]
    confidence: str
    raise_confidence: list[str]
    notes: list[str]
    sources: list[str]


def declared_replicas(run: RunResult, baseline: Baseline | None = None) -> int | None:
    """How many replicas served ``run``, when known: recorded by the target spec or the environment
    (the bundled target, a command scalectl started, or ``--host`` with ``--replicas N``); None for a
    ``--host`` service whose replica count nobody declared."""
    target = run.target
    if target is not None and target.replicas:
        return target.replicas
    if run.environment.replicas:
        return run.environment.replicas
    if target is not None and target.kind in ("bundled", "command"):
        return baseline.replicas if baseline is not None and baseline.replicas else 1
    return None


def replicas_of(run: RunResult, baseline: Baseline | None = None) -> int:
    declared = declared_replicas(run, baseline)
    if declared:
        return declared
    if baseline is not None and baseline.replicas:
        return baseline.replicas
    procs = [s for s in run.telemetry if s.kind == "process" and s.role == "target"]
    return max(len(procs), 1)


def _run_stats(run: RunResult) -> Measured:
    return Measured(total=run.total, endpoints=run.endpoints, duration_s=run.duration_s)


def _level_stats(run: RunResult, idx: list[int]) -> Measured:
    ivs = [run.series[i] for i in idx]
    seconds = sum(iv.duration_s for iv in ivs) or 1.0
    keys = sorted({k for iv in ivs for k in iv.endpoints})
    out: list[EndpointStats] = []
    all_h = []
    for key in keys:
        parts = [iv.endpoints[key] for iv in ivs if key in iv.endpoints]
        h = histograms.merge(p.histogram for p in parts)
        all_h.append(h)
        req = sum(p.requests for p in parts)
        fail = sum(p.failures for p in parts)
        method, _, name = key.partition(" ")
        out.append(
            EndpointStats(
                name=name,
                method=method,
                requests=req,
                failures=fail,
                rps=req / seconds,
                failure_rate=fail / req if req else 0.0,
                latency_ms=histograms.summarize(h),
            )
        )
    req = sum(iv.requests for iv in ivs)
    fail = sum(iv.failures for iv in ivs)
    total_h = histograms.merge(all_h) if all_h else histograms.new_histogram()
    lat = histograms.summarize(total_h) if all_h else ivs[-1].latency_ms
    total = EndpointStats(
        name="Total",
        requests=req,
        failures=fail,
        rps=req / seconds,
        failure_rate=fail / req if req else 0.0,
        latency_ms=lat,
    )
    return Measured(total=total, endpoints=out, duration_s=seconds)


def points_from_run(
    run: RunResult,
    ths: Sequence[Threshold],
    *,
    replicas: int,
    source: str,
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE,
    min_level_seconds: int = MIN_LEVEL_SECONDS,
) -> list[CapacityPoint]:
    """One point per load level of a run (users or offered rate held for ≥ ``min_level_seconds``)."""
    groups: dict[float | None, list[int]] = defaultdict(list)
    open_model = run.load_model == "open" and any(iv.offered_rps for iv in run.series)
    for i, iv in enumerate(run.series):
        # idle, start-up and drain seconds carry no level
        level = iv.offered_rps if open_model else float(iv.users)
        if iv.requests > 0 and level and not iv.warmup:
            groups[level].append(i)
    levels = [lv for lv, idx in groups.items() if len(idx) >= min_level_seconds]
    if len(levels) <= 1:
        stats = _run_stats(run)
        level = levels[0] if levels else None
        p = CapacityPoint(
            replicas=replicas,
            level=level,
            rps=active_rps(run),
            p95_ms=run.total.latency_ms.p95,
            error_rate=run.total.failure_rate,
            slo_ok=meets(stats, ths, max_error_rate),
            source=source,
            run=run,
            seconds=run.duration_s,
            level_kind="rps" if run.load_model == "open" else "users",
        )
        return [p]
    points = []
    for level in sorted(levels, key=lambda v: v or 0.0):
        stats = _level_stats(run, groups[level])
        tot = stats.total
        points.append(
            CapacityPoint(
                replicas=replicas,
                level=level,
                rps=tot.rps,
                p95_ms=tot.latency_ms.p95,
                error_rate=tot.failure_rate,
                slo_ok=meets(stats, ths, max_error_rate),
                source=f"{source} @{level:g}",
                run=run,
                seconds=stats.duration_s,
                level_kind="rps" if run.load_model == "open" else "users",
            )
        )
    return points


def points_from_baseline(
    baseline: Baseline,
    ths: Sequence[Threshold],
    *,
    source: str,
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE,
) -> list[CapacityPoint]:
    """One point per baseline step, the SLO re-evaluated on the step's embedded run."""
    out = []
    for step in baseline.steps:
        run = step.run
        level = step.offered_rps if step.offered_rps is not None else step.users
        out.append(
            CapacityPoint(
                replicas=replicas_of(run, baseline),
                level=float(level) if level is not None else None,
                rps=active_rps(run) if run.series else step.rps,
                p95_ms=step.p95_ms,
                error_rate=step.error_rate,
                slo_ok=meets(_run_stats(run), ths, max_error_rate),
                source=f"{source} step {step.index}",
                run=run,
                seconds=run.duration_s,
                level_kind="rps" if step.offered_rps is not None else "users",
            )
        )
    return out


def _capacity(replicas: int, pts: list[CapacityPoint]) -> ReplicaCapacity:
    heaviest = max(pts, key=lambda p: (p.level or 0.0, p.rps))
    found = find_knee([LoadPoint(p.level or 0.0, p.rps, p.slo_ok) for p in pts])
    knee = pts[found.index] if found else None
    beyond = found is not None and found.beyond_last_step
    return ReplicaCapacity(
        replicas=replicas,
        knee_rps=knee.rps if knee else 0.0,
        knee_p95_ms=knee.p95_ms if knee else None,
        beyond_last_step=beyond,
        n_points=len(pts),
        knee=knee,
        heaviest=heaviest,
    )


def collect(
    items: Sequence[tuple[str, list[RunResult], Baseline | None]],
    slo: Sequence[str] | None = None,
    *,
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE,
    has_process_telemetry: bool | None = None,
) -> EvidenceSet:
    """Gather points from ``items`` = [(source label, runs, baseline or None)] and grade the evidence.

    ``slo``: expressions for the knee; when empty, the first baseline's or run's SLO, else
    :data:`DEFAULT_SLO`. Runs whose generator saturated are left out (their numbers size nothing).
    """
    notes: list[str] = []
    slo_list = _slo_of(items, slo, notes)
    ths = parse_all(slo_list)
    notes.extend(_check_replicas_declared(items))
    points: list[CapacityPoint] = []
    all_runs: list[RunResult] = []
    for source, runs, base in items:
        usable = [r for r in runs if not r.generator.saturated]
        if len(usable) < len(runs):
            notes.append(f"{source}: {len(runs) - len(usable)} run(s) left out, the load generator saturated")
        all_runs.extend(usable)
        if base is not None:
            base = base.model_copy(update={"steps": [s for s in base.steps if not s.run.generator.saturated]})
            points.extend(points_from_baseline(base, ths, source=source, max_error_rate=max_error_rate))
        else:
            for run in usable:
                points.extend(
                    points_from_run(
                        run, ths, replicas=replicas_of(run), source=source, max_error_rate=max_error_rate
                    )
                )
    by_n: dict[int, list[CapacityPoint]] = defaultdict(list)
    for p in points:
        by_n[p.replicas].append(p)
    caps = [_capacity(n, pts) for n, pts in sorted(by_n.items())]
    if has_process_telemetry is None:
        has_process_telemetry = any(
            s.kind == "process" and s.role == "target" for r in all_runs for s in r.telemetry
        )
    confidence, raise_ = grade(caps, has_process_telemetry)
    return EvidenceSet(
        slo=slo_list,
        points=points,
        capacities=caps,
        runs=all_runs,
        confidence=confidence,
        raise_confidence=raise_,
        notes=notes,
        sources=[s for s, _, _ in items],
    )


def _slo_of(
    items: Sequence[tuple[str, list[RunResult], Baseline | None]], slo: Sequence[str] | None, notes: list[str]
) -> list[str]:
    """The SLO given, else the first one the evidence records, else :data:`DEFAULT_SLO` (noted)."""
    if slo:
        return list(slo)
    for _, runs, base in items:
        recorded = list((base.slo if base else []) or (runs[0].slo if runs else []))
        if recorded:
            notes.append(f"SLO taken from the evidence: {', '.join(recorded)}")
            return recorded
    notes.append(f"no SLO given or recorded: using the default {', '.join(DEFAULT_SLO)}")
    return list(DEFAULT_SLO)


def _check_replicas_declared(items: Sequence[tuple[str, list[RunResult], Baseline | None]]) -> list[str]:
    """Refuse to fit replicas across sources whose replica counts nobody declared (``--host`` without
    ``--replicas``): taking each as 1 replica would read a 2-worker knee as one replica's capacity.
    One such source alone is sized as one measured unit, with a note."""
    unknown = [
        source
        for source, runs, base in items
        if any(
            declared_replicas(r, base) is None
            for r in (runs or ([s.run for s in base.steps] if base else []))
        )
    ]
    if not unknown:
        return []
    if len(items) > 1:
        raise InputError(
            f"cannot fit replicas across {', '.join(s for s, _, _ in items)}: "
            f"{', '.join(unknown)} {'was' if len(unknown) == 1 else 'were'} measured with --host and "
            "record no replica count",
            hint="measure each with 'scalectl baseline --host URL --replicas N' (N = the replicas or workers "
            "serving it), or recommend from one of them",
        )
    return [
        f"{unknown[0]}: measured with --host and no --replicas: sized as 1 replica (the service as "
        "measured); declare the count with 'scalectl baseline --host URL --replicas N'"
    ]


def grade(caps: Sequence[ReplicaCapacity], has_process_telemetry: bool) -> tuple[str, list[str]]:
    """Confidence (``high``/``medium``/``low``) and the evidence that would raise it."""
    raise_: list[str] = []
    if not caps:
        return "low", ["a stepped baseline: scalectl baseline --scenario SCENARIO --name NAME"]
    real_knees = [c for c in caps if c.knee is not None and not c.beyond_last_step]
    stepped = [c for c in caps if c.n_points >= 3]
    if not stepped:
        raise_.append(
            "a stepped baseline (scalectl baseline --scenario SCENARIO --name NAME) to locate the knee, "
            "instead of a single load level"
        )
    for c in caps:
        if c.knee is None:
            raise_.append(f"{c.replicas} replica(s): no step met the SLO; measure at lower load")
        elif c.beyond_last_step:
            raise_.append(
                f"{c.replicas} replica(s): the SLO never broke up to {c.knee_rps:.0f} req/s; "
                "extend the steps past it to find the real knee"
            )
    if len(caps) < SWEEP_POINTS_HIGH:
        raise_.append(
            "a replica sweep (scalectl baseline --scenario SCENARIO --name NAME --replicas 1,2,3) "
            "so that shared "
            "bottlenecks show up as sub-linear scaling (σ, κ)"
        )
    if not has_process_telemetry:
        raise_.append("process telemetry of the target (bundled target or --metrics-url) to size CPU/memory")
    if len(caps) >= SWEEP_POINTS_HIGH and len(real_knees) >= SWEEP_POINTS_HIGH and stepped:
        confidence = "high"
    elif real_knees and stepped or len(caps) >= 2:
        confidence = "medium"
    else:
        confidence = "low"
    return confidence, raise_
