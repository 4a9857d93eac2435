"""``scalectl recommend``: replicas, CPU/memory, pool size and manifests from measured evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from scalectl import layout
from scalectl.cli import _common
from scalectl.cli._recommend_options import (
    _CURRENCY,
    _CURRENT,
    _DB_MAX,
    _DB_URL,
    _ENV,
    _FROM,
    _GIB,
    _GROWTH,
    _HISTORY,
    _HORIZON,
    _IMAGE,
    _MAX_REPLICAS,
    _NAME,
    _OUT,
    _PORT,
    _PRICES,
    _READY_PATH,
    _REDUNDANCY,
    _SCENARIO,
    _SLO,
    _TARGET,
    _TARGET_CMD,
    _UTIL,
    _VCPU,
    _VERIFY,
    _VERIFY_DURATION,
    _WORKERS,
)
from scalectl.cli.main import app
from scalectl.errors import InputError, TargetError


def _default_out() -> Path:
    return layout.recommendations_dir() / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


@app.command("recommend")
@_common.error_boundary
def recommend_cmd(
    sources: list[Path] = _FROM,
    target_rps: float | None = _TARGET,
    slo: list[str] = _SLO,
    utilization: float = _UTIL,
    redundancy: int = _REDUNDANCY,
    db_max_connections: int | None = _DB_MAX,
    db_url: str | None = _DB_URL,
    max_replicas: int = _MAX_REPLICAS,
    out: Path | None = _OUT,
    name: str | None = _NAME,
    image: str | None = _IMAGE,
    port: int | None = _PORT,
    ready_path: str | None = _READY_PATH,
    env: list[str] = _ENV,
    verify: bool = _VERIFY,
    scenario: Path | None = _SCENARIO,
    verify_duration: str = _VERIFY_DURATION,
    workers: int = _WORKERS,
    target_cmd: str | None = _TARGET_CMD,
    growth: str | None = _GROWTH,
    history: Path | None = _HISTORY,
    horizon: int = _HORIZON,
    current_replicas: int | None = _CURRENT,
    price_vcpu_hour: float | None = _VCPU,
    price_gib_hour: float | None = _GIB,
    prices: Path | None = _PRICES,
    currency: str = _CURRENCY,
) -> None:
    """Size replicas, CPU/memory and the DB pool for a target rate from baselines and runs, with the
    fitted USL curve and the reasoning; with --growth/--history, --prices and baselines at several
    cores per replica, plan over time and money (forecast, run-out month, cost, options, risk, database
    advice). Writes recommendation.json, report.html and ready-to-use manifests
    (docker-compose.scale.yml, deployment.yaml, nginx-upstream.conf). With --verify, measure it."""
    from scalectl.capacity.recommend import default_analyzer, recommend

    _check(target_rps, utilization, redundancy, db_max_connections, horizon, current_replicas)
    manifest = _manifest(name, image, port, ready_path, env)
    db_max_connections = _max_connections(db_max_connections, db_url)
    items, analyses, evidence = _evidence(sources, slo)
    plan, target_rps = _plan_inputs(
        target_rps,
        growth,
        history,
        horizon,
        current_replicas,
        price_vcpu_hour,
        price_gib_hour,
        prices,
        currency,
    )
    rec = recommend(
        evidence,
        target_rps,
        utilization=utilization,
        redundancy=redundancy,
        db_max_connections=db_max_connections,
        max_replicas=max_replicas,
        analyses=analyses,
        analyzer=default_analyzer(),
        plan=plan,
    )
    out_dir = Path(out) if out else _default_out()
    if verify:
        duration = _common.parse_duration(verify_duration)
        rec = _verify(rec, items, scenario=scenario, duration=duration, workers=workers,
                      root=out_dir, target_cmd=target_cmd)  # fmt: skip
    _write(rec, out_dir, evidence.runs, manifest)
    _exit_on_verification(rec)


def _manifest(name, image, port, ready_path, env) -> dict:
    """The manifest options given on the command line (the rest come from the measured target)."""
    from scalectl.cli.cmd_target import parse_env

    if ready_path is not None and not ready_path.startswith("/"):
        raise InputError(f"--ready-path {ready_path!r}: expected a path starting with '/'")
    return {"name": name, "image": image, "port": port, "ready_path": ready_path, "env": parse_env(env)}


def _max_connections(given: int | None, db_url: str | None) -> int | None:
    if given is not None or not db_url:
        return given
    from scalectl.capacity.pg import read_max_connections

    value = read_max_connections(db_url)
    _common.err.print(f"max_connections = {value} (read from {db_url})")
    return value


def _check(target_rps, utilization, redundancy, db_max_connections, horizon, current_replicas) -> None:
    if target_rps is not None and target_rps <= 0:
        raise InputError("--target-rps must be > 0")
    if not 0 < utilization <= 1:
        raise InputError("--utilization must be in (0, 1]")
    if redundancy < 0:
        raise InputError("--redundancy must be ≥ 0")
    if db_max_connections is not None and db_max_connections < 1:
        raise InputError("--db-max-connections must be ≥ 1")
    if not 1 <= horizon <= 120:
        raise InputError("--horizon must be between 1 and 120 months")
    if current_replicas is not None and current_replicas < 1:
        raise InputError("--current-replicas must be ≥ 1")


def _evidence(sources: list[Path], slo: list[str]):
    """Runs and baselines from ``--from``, with the analyses already written next to them."""
    from scalectl import storage
    from scalectl.capacity.evidence import collect

    items = []
    analyses = {}
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
    return items, analyses, collect(items, slo)


def _plan_inputs(target_rps, growth, history, horizon, current, vcpu, gib, prices_file, currency):
    """PlanInputs from the growth/history/price options (files read here; the arithmetic is pure)."""
    from datetime import date

    from scalectl.capacity.growth import fit_history, parse_growth
    from scalectl.capacity.planner import PlanInputs
    from scalectl.models.plan import Prices
    from scalectl.plan_files import read_history, read_prices

    if growth and history:
        raise InputError("--growth and --history are alternatives: give one")
    g = parse_growth(growth) if growth else None
    start_rps = None
    if history is not None:
        trend = fit_history(read_history(history))
        g, start_rps = trend.growth, trend.rps_at_last
        for w in trend.warnings:
            _common.err.print(f"warning: {w}", markup=False)
        _common.err.print(f"history: {g.label}; now {start_rps:.0f} req/s by the trend", markup=False)
    if target_rps is None:
        if start_rps is None:
            raise InputError("--target-rps is required (or --history, whose trend gives today's peak)")
        target_rps = start_rps
    if prices_file is not None and (vcpu is not None or gib is not None):
        raise InputError("--prices and --price-vcpu-hour/--price-gib-hour are alternatives: give one")
    prices = read_prices(prices_file) if prices_file is not None else None
    if vcpu is not None or gib is not None:
        if (vcpu or 0) < 0 or (gib or 0) < 0:
            raise InputError("prices must be ≥ 0")
        prices = Prices(vcpu_hour=vcpu, gib_hour=gib, currency=currency)
    today = datetime.now(UTC).date()
    plan = PlanInputs(
        growth=g,
        start_rps=start_rps,
        horizon=horizon,
        current_replicas=current,
        start=date(today.year, today.month, 1),
        prices=prices,
    )
    return plan, target_rps


def _write(rec, out_dir: Path, runs, manifest: dict) -> None:
    """recommendation.json, report.html and the manifests (for the measured target); the terminal view."""
    from scalectl import storage
    from scalectl.capacity.manifests import options_for_target, render_all
    from scalectl.capacity.settings import measured_target
    from scalectl.report.recommendation_html import render_recommendation_html
    from scalectl.report.recommendation_term import recommendation_renderable

    storage.write_model(out_dir / storage.RECOMMENDATION_FILE, rec)
    measured = measured_target(runs)
    options = options_for_target(
        measured.kind, measured.spec, measured.host, service_name=measured.scenario_name, **manifest
    )
    for fname, text in render_all(rec, options).items():
        storage.atomic_write_text(out_dir / fname, text)
    storage.atomic_write_text(out_dir / "report.html", render_recommendation_html(rec))
    _common.out.print(recommendation_renderable(rec))
    _common.out.print(
        f"wrote {out_dir}/{storage.RECOMMENDATION_FILE}, {out_dir}/report.html and manifests", markup=False
    )
    from scalectl.report.plan_view import runs_out_line

    if (line := runs_out_line(rec)) is not None:
        _common.out.print(line, markup=False)
    if rec.verification is not None:
        from scalectl.capacity.verify import verdict_line

        _common.out.print(verdict_line(rec.verification), markup=False, highlight=False)


def _exit_on_verification(rec) -> None:
    if rec.verification is None:
        return
    if rec.verification.verdict == "missed":
        raise typer.Exit(code=_common.EXIT_CHECK_FAILED)
    if rec.verification.verdict == "inconclusive":
        raise TargetError(
            "--verify is inconclusive: the load generator saturated on this machine; "
            "use --workers, a bigger machine, or a lower --target-rps"
        )


def _verify(rec, items, *, scenario, duration: float, workers: int, root: Path, target_cmd=None):
    """Start the target (bundled, or the user's command) with the recommended replicas and settings at
    the target rate (open model); ``rec.verification`` says met / missed / inconclusive and why."""
    from scalectl.pipeline.verify import verify_recommendation

    return verify_recommendation(
        rec,
        items,
        scenario=scenario,
        duration=duration,
        workers=workers,
        root=root,
        target_cmd=target_cmd,
        say=lambda line: _common.err.print(line, markup=False),
        progress=lambda u: _common.err.print(
            f"verify: {u.elapsed:5.1f}s / {u.total:g}s  {u.rps:.0f} req/s  p95 {u.p95_ms:.0f} ms",
            markup=False,
        ),
    )
