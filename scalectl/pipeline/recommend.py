"""``scalectl recommend`` as one call: read the evidence (baselines, runs and the analyses beside
them), read the plan's files (history, prices) and the database's ``max_connections``, size, verify
when asked, write ``recommendation.json``, ``report.html`` and the manifests.

The arithmetic is pure (``scalectl.capacity``); this module reads and writes the files around it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scalectl import storage
from scalectl.errors import InputError
from scalectl.models import Analysis, Baseline, Recommendation, RunResult

Say = Callable[[str], None]
Evidence = list[tuple[str, list[RunResult], Baseline | None]]


@dataclass(frozen=True)
class PlanOptions:
    """Growth (``--growth`` or a ``--history`` file), the horizon, today's replicas and prices."""

    growth: str | None = None
    history: Path | None = None
    horizon: int = 12
    current_replicas: int | None = None
    vcpu_hour: float | None = None
    gib_hour: float | None = None
    prices: Path | None = None
    currency: str = "USD"


@dataclass(frozen=True)
class VerifyOptions:
    """``--verify``: start the target as recommended and drive the target rate for ``duration``."""

    duration: float
    scenario: Path | None = None
    workers: int = 0
    target_cmd: str | None = None


@dataclass(frozen=True)
class RecommendRequest:
    sources: Sequence[Path]
    out: Path
    target_rps: float | None = None
    slo: Sequence[str] = ()
    utilization: float = 0.7
    redundancy: int = 1
    db_max_connections: int | None = None
    db_url: str | None = None
    max_replicas: int = 100
    #: Manifest options given on the command line (name, image, port, ready_path, env); the rest come
    #: from the measured target.
    manifest: Mapping[str, Any] = field(default_factory=dict)
    plan: PlanOptions = field(default_factory=PlanOptions)
    verify: VerifyOptions | None = None


def recommend_files(
    req: RecommendRequest, *, say: Say | None = None, progress: Callable[[Any], None] | None = None
) -> Recommendation:
    """Size (and verify) from the request's evidence; write its files into ``req.out``."""
    from scalectl.capacity.evidence import collect
    from scalectl.capacity.recommend import default_analyzer, recommend

    say = say or (lambda _line: None)
    check_request(req)
    db_max_connections = max_connections(req.db_max_connections, req.db_url, say)
    items, analyses = gather_evidence(req.sources)
    evidence = collect(items, list(req.slo))
    plan, target_rps = plan_inputs(req.target_rps, req.plan, say)
    rec = recommend(
        evidence,
        target_rps,
        utilization=req.utilization,
        redundancy=req.redundancy,
        db_max_connections=db_max_connections,
        max_replicas=req.max_replicas,
        analyses=analyses,
        analyzer=default_analyzer(),
        plan=plan,
    )
    if req.verify is not None:
        rec = _verify(rec, items, req.verify, req.out, say, progress)
    write_recommendation(rec, req.out, evidence.runs, req.manifest)
    return rec


def check_request(req: RecommendRequest) -> None:
    """The numbers' ranges (exit 2 before anything is read)."""
    if req.target_rps is not None and req.target_rps <= 0:
        raise InputError("--target-rps must be > 0")
    if not 0 < req.utilization <= 1:
        raise InputError("--utilization must be in (0, 1]")
    if req.redundancy < 0:
        raise InputError("--redundancy must be ≥ 0")
    if req.db_max_connections is not None and req.db_max_connections < 1:
        raise InputError("--db-max-connections must be ≥ 1")
    if not 1 <= req.plan.horizon <= 120:
        raise InputError("--horizon must be between 1 and 120 months")
    if req.plan.current_replicas is not None and req.plan.current_replicas < 1:
        raise InputError("--current-replicas must be ≥ 1")


def max_connections(given: int | None, db_url: str | None, say: Say) -> int | None:
    """``--db-max-connections``, else read from ``--db-url`` (PostgreSQL), else None."""
    if given is not None or not db_url:
        return given
    from scalectl.capacity.pg import read_max_connections

    value = read_max_connections(db_url)
    say(f"max_connections = {value} (read from {db_url})")
    return value


def gather_evidence(sources: Sequence[Path]) -> tuple[Evidence, dict[str, Analysis]]:
    """Runs and baselines from ``--from``, with the analyses already written next to them."""
    items: Evidence = []
    analyses: dict[str, Analysis] = {}
    for src in sources:
        runs, baseline = storage.load_runs_or_baseline(src)
        items.append((str(src), runs, baseline))
        # analyses already written next to the runs (scalectl analyze) take precedence
        run_dirs = [Path(src)] if baseline is None else [Path(s.run_dir) for s in baseline.steps if s.run_dir]
        for run_dir in run_dirs:
            if run_dir.is_dir():
                analysis = storage.load_analysis(run_dir)
                if analysis is not None:
                    analyses[analysis.run_id] = analysis
    return items, analyses


def plan_inputs(target_rps: float | None, opts: PlanOptions, say: Say) -> tuple[Any, float]:
    """PlanInputs from the growth/history/price options (files read here; the arithmetic is pure), and
    the rate to size for (``--target-rps``, else the history's trend today)."""
    from datetime import date

    from scalectl.capacity.planner import PlanInputs

    growth, start_rps = _growth(opts, say)
    if target_rps is None:
        if start_rps is None:
            raise InputError("--target-rps is required (or --history, whose trend gives today's peak)")
        target_rps = start_rps
    today = datetime.now(UTC).date()
    plan = PlanInputs(
        growth=growth,
        start_rps=start_rps,
        horizon=opts.horizon,
        current_replicas=opts.current_replicas,
        start=date(today.year, today.month, 1),
        prices=_prices(opts),
    )
    return plan, target_rps


def _growth(opts: PlanOptions, say: Say) -> tuple[Any, float | None]:
    """The growth model (``--growth``, or fitted to ``--history``) and, from a history, today's rate."""
    from scalectl.capacity.growth import fit_history, parse_growth
    from scalectl.plan_files import read_history

    if opts.growth and opts.history:
        raise InputError("--growth and --history are alternatives: give one")
    if opts.history is None:
        return (parse_growth(opts.growth) if opts.growth else None), None
    trend = fit_history(read_history(opts.history))
    for w in trend.warnings:
        say(f"warning: {w}")
    say(f"history: {trend.growth.label}; now {trend.rps_at_last:.0f} req/s by the trend")
    return trend.growth, trend.rps_at_last


def _prices(opts: PlanOptions) -> Any:
    """``--prices FILE``, or ``--price-vcpu-hour`` / ``--price-gib-hour``, or None."""
    from scalectl.models.plan import Prices
    from scalectl.plan_files import read_prices

    vcpu, gib = opts.vcpu_hour, opts.gib_hour
    if opts.prices is not None and (vcpu is not None or gib is not None):
        raise InputError("--prices and --price-vcpu-hour/--price-gib-hour are alternatives: give one")
    if vcpu is None and gib is None:
        return read_prices(opts.prices) if opts.prices is not None else None
    if (vcpu or 0) < 0 or (gib or 0) < 0:
        raise InputError("prices must be ≥ 0")
    return Prices(vcpu_hour=vcpu, gib_hour=gib, currency=opts.currency)


def _verify(
    rec: Recommendation,
    items: Evidence,
    opts: VerifyOptions,
    root: Path,
    say: Say,
    progress: Callable[[Any], None] | None,
) -> Recommendation:
    """Start the target (bundled, or the user's command) with the recommended replicas and settings at
    the target rate (open model); ``rec.verification`` says met / missed / inconclusive and why."""
    from scalectl.pipeline.verify import verify_recommendation

    return verify_recommendation(
        rec,
        items,
        scenario=opts.scenario,
        duration=opts.duration,
        workers=opts.workers,
        root=root,
        target_cmd=opts.target_cmd,
        say=say,
        progress=progress,
    )


def write_recommendation(
    rec: Recommendation, out_dir: Path, runs: list[RunResult], manifest: Mapping[str, Any]
) -> None:
    """recommendation.json, report.html and the manifests (for the measured target)."""
    from scalectl.capacity.manifests import options_for_target, render_all
    from scalectl.capacity.settings import measured_target
    from scalectl.report.recommendation_html import render_recommendation_html

    storage.write_model(out_dir / storage.RECOMMENDATION_FILE, rec)
    measured = measured_target(runs)
    options = options_for_target(
        measured.kind, measured.spec, measured.host, service_name=measured.scenario_name, **manifest
    )
    for fname, text in render_all(rec, options).items():
        storage.atomic_write_text(out_dir / fname, text)
    storage.atomic_write_text(out_dir / "report.html", render_recommendation_html(rec))
