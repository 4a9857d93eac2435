"""``scalectl recommend``: replicas, CPU/memory, pool size and manifests from measured evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from scalectl import layout
from scalectl.cli import _common
from scalectl.cli.main import app
from scalectl.errors import InputError, TargetError

#: One Locust process makes about this many requests per second per core here (issue 5).
GENERATOR_RPS_PER_PROCESS = 5000.0


def _default_out() -> Path:
    return layout.recommendations_dir() / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


@app.command("recommend")
@_common.error_boundary
def recommend_cmd(
    sources: list[Path] = typer.Option(
        ...,
        "--from",
        help="Evidence: baseline files (reports/baselines/NAME.json; a replica sweep NAME-r1.json, "
        "NAME-r2.json...) and/or run directories. Repeat the option for several.",
    ),
    target_rps: float = typer.Option(..., "--target-rps", help="Peak rate to size for (requests/s)."),
    slo: list[str] = typer.Option(
        [],
        "--slo",
        help="SLO the capacity must hold, e.g. 'p95<300ms' (repeatable). Default: the evidence's SLO, "
        "else p95<300ms.",
    ),
    utilization: float = typer.Option(
        0.7, "--utilization", help="Fraction of the predicted capacity to plan to use (0..1]."
    ),
    redundancy: int = typer.Option(1, "--redundancy", help="Spare replicas: 1 → N+1, 2 → N+2."),
    db_max_connections: int | None = typer.Option(
        None,
        "--db-max-connections",
        help="The database's max_connections (default: read via --db-url, else 100).",
    ),
    db_url: str | None = typer.Option(
        None, "--db-url", help="PostgreSQL URL to read max_connections from (SHOW max_connections)."
    ),
    max_replicas: int = typer.Option(100, "--max-replicas", help="Largest replica count considered."),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Directory for recommendation.json and manifests (default reports/recommendations/<ts>/).",
    ),
    name: str | None = typer.Option(
        None,
        "--name",
        help="Service name in the manifests (default: alwrity-backend for the bundled backend, else the "
        "scenario's name).",
    ),
    image: str | None = typer.Option(
        None, "--image", help="Container image for the manifests (NAME:latest)."
    ),
    port: int | None = typer.Option(
        None,
        "--port",
        min=1,
        max=65535,
        help="Port the service listens on in its container (default: from the evidence's target: the "
        "bundled backend's 8000, the --host URL's port, or 8000 for a command that takes {port}).",
    ),
    ready_path: str | None = typer.Option(
        None,
        "--ready-path",
        help="Readiness path for the health checks (default: the target's ready_path, '/' for a --host "
        "service; the bundled backend's /health/ready).",
    ),
    env: list[str] = typer.Option(
        [], "--env", "-e", help="KEY=VALUE for the service's containers in the manifests (repeatable)."
    ),
    verify: bool = typer.Option(
        False, "--verify", help="Start the bundled target as recommended, drive the target rate, compare."
    ),
    scenario: Path | None = typer.Option(
        None, "--scenario", help="Scenario for --verify (default: the scenario recorded in the evidence)."
    ),
    verify_duration: str = typer.Option("20s", "--verify-duration", help="Length of the --verify run."),
    workers: int = typer.Option(
        0, "--workers", help="Locust workers for --verify (0: chosen from the rate)."
    ),
) -> None:
    """Size replicas, CPU/memory and the DB pool for a target rate from baselines and runs, with the
    fitted USL curve and the reasoning; write recommendation.json and ready-to-use manifests
    (docker-compose.scale.yml, deployment.yaml, nginx-upstream.conf). With --verify, measure it."""
    from scalectl import storage
    from scalectl.capacity.evidence import collect
    from scalectl.capacity.manifests import options_for_target, render_all
    from scalectl.capacity.recommend import default_analyzer, recommend
    from scalectl.capacity.settings import measured_target
    from scalectl.cli.cmd_target import parse_env
    from scalectl.report.recommendation_term import recommendation_renderable

    if target_rps <= 0:
        raise InputError("--target-rps must be > 0")
    if ready_path is not None and not ready_path.startswith("/"):
        raise InputError(f"--ready-path {ready_path!r}: expected a path starting with '/'")
    manifest_env = parse_env(env)
    if not 0 < utilization <= 1:
        raise InputError("--utilization must be in (0, 1]")
    if redundancy < 0:
        raise InputError("--redundancy must be ≥ 0")
    if db_max_connections is not None and db_max_connections < 1:
        raise InputError("--db-max-connections must be ≥ 1")
    if db_max_connections is None and db_url:
        from scalectl.capacity.pg import read_max_connections

        db_max_connections = read_max_connections(db_url)
        _common.err.print(f"max_connections = {db_max_connections} (read from {db_url})")

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
    evidence = collect(items, slo)
    rec = recommend(
        evidence,
        target_rps,
        utilization=utilization,
        redundancy=redundancy,
        db_max_connections=db_max_connections,
        max_replicas=max_replicas,
        analyses=analyses,
        analyzer=default_analyzer(),
    )
    out_dir = Path(out) if out else _default_out()
    if verify:
        rec = _verify(
            rec,
            items,
            scenario=scenario,
            duration=_common.parse_duration(verify_duration),
            workers=workers,
            per_process_rps=GENERATOR_RPS_PER_PROCESS,
            root=out_dir,
        )
    storage.write_model(out_dir / storage.RECOMMENDATION_FILE, rec)
    measured = measured_target(evidence.runs)
    options = options_for_target(
        measured.kind,
        measured.spec,
        measured.host,
        name=name,
        image=image,
        port=port,
        ready_path=ready_path,
        env=manifest_env,
        service_name=measured.scenario_name,
    )
    for fname, text in render_all(rec, options).items():
        storage.atomic_write_text(out_dir / fname, text)
    _common.out.print(recommendation_renderable(rec))
    _common.out.print(f"wrote {out_dir}/{storage.RECOMMENDATION_FILE} and manifests", markup=False)
    if rec.verification and rec.verification.get("slo_ok") is False:
        raise typer.Exit(code=_common.EXIT_CHECK_FAILED)
    if rec.verification and rec.verification.get("generator_saturated"):
        raise TargetError(
            "--verify is inconclusive: the load generator saturated on this machine; "
            "use --workers, a bigger machine, or a lower --target-rps"
        )


def _scenario_from_evidence(items):
    """The scenario recorded in the first run of the evidence (as run), without its host."""
    from pydantic import ValidationError

    from scalectl.scenario import Scenario

    for _, runs, _b in items:
        for run in runs:
            if run.scenario:
                try:
                    return Scenario.model_validate({**run.scenario, "host": None})
                except ValidationError as exc:
                    raise InputError(
                        f"--verify: the scenario recorded in run {run.run_id} is not usable "
                        f"({exc.errors()[0]['msg']}); pass --scenario FILE"
                    ) from None
    raise InputError("--verify: the evidence records no scenario; pass --scenario FILE")


def _verify(rec, items, *, scenario, duration, workers, per_process_rps, root: Path):
    """Run the bundled target with the recommended replicas and settings at the target rate (open
    model) and record predicted versus measured throughput and p95 in ``rec.verification``."""
    import math
    import os

    from scalectl.analysis.throughput import active_rps
    from scalectl.capacity.colocation import host_capacity_from_runs
    from scalectl.capacity.usl import model_throughput
    from scalectl.load import run_scenario
    from scalectl.slo import evaluate, holds

    notes: list[str] = []
    cores = os.cpu_count() or 1
    rate = rec.target_rps
    if workers <= 0:
        procs = math.ceil(rate / per_process_rps)
        # leave at least one core to the target on a small machine
        workers = 0 if procs <= 1 else min(procs, max(cores - 1, 1))
    gen_capacity = per_process_rps * max(workers, 1)
    if rate > gen_capacity:
        notes.append(
            f"one Locust process makes about {per_process_rps:.0f} req/s here: {max(workers, 1)} process(es) "
            f"on {cores} cores cannot offer {rate:g} req/s; verifying at {gen_capacity:.0f} req/s instead"
        )
        rate = gen_capacity
    env = {k: v for k, v in rec.settings.items() if "<" not in v}
    if "REDIS_URL" in rec.settings and "REDIS_URL" not in env:
        notes.append("REDIS_URL is a placeholder in the recommendation: verified with in-process storage")
    path = scenario or _scenario_from_evidence(items)
    for note in notes:
        _common.err.print(f"verify: {note}", markup=False)
    _common.err.print(
        f"verify: {rec.replicas} replica(s), {rate:g} req/s open model for {duration:g}s ...", markup=False
    )
    run, run_dir = run_scenario(
        path,
        rps=rate,
        duration=duration,
        workers=workers,
        replicas=rec.replicas,
        target_env=env,
        slo=rec.slo,
        root=root,
        progress=lambda u: _common.err.print(
            f"verify: {u.elapsed:5.1f}s / {u.total:g}s  {u.rps:.0f} req/s  p95 {u.p95_ms:.0f} ms",
            markup=False,
        ),
    )
    results = evaluate(run, rec.slo)
    slo_ok = holds(results)
    predicted = model_throughput(rec.model, rec.replicas) if rec.model is not None else None
    on_host = (
        host_capacity_from_runs(predicted, rec.replicas, cores, (r for _, rs, _b in items for r in rs))
        if predicted is not None
        else None
    )
    if on_host is not None and predicted is not None and on_host < predicted:
        notes.append(
            f"the generator runs on the replicas' cores here: expect about {on_host:.0f} req/s on this host "
            f"(the model's {predicted:.0f} req/s is for replicas with their cores to themselves)"
        )
    if run.generator.saturated:
        notes.append("the load generator saturated: the measurement is inconclusive, not the target's fault")
    v: dict[str, float | int | str | bool | None] = {
        "run_dir": str(run_dir),
        "replicas": rec.replicas,
        "offered_rps": rate,
        "measured_rps": round(active_rps(run), 1),
        "predicted_rps": round(min(rate, predicted), 1) if predicted is not None else None,
        "predicted_capacity_rps": round(predicted, 1) if predicted is not None else None,
        "predicted_capacity_on_this_host_rps": round(on_host, 1) if on_host is not None else None,
        "measured_p95_ms": round(run.total.latency_ms.p95, 1),
        "error_rate": round(run.total.failure_rate, 4),
        "generator_saturated": run.generator.saturated,
        "slo_ok": slo_ok if not run.generator.saturated else None,
        "slo": "; ".join(f"{r.expression} observed {r.observed}" for r in results),
        "notes": " | ".join(notes),
    }
    return rec.model_copy(update={"verification": v})
