"""``scalectl recommend``: replicas, CPU/memory, pool size and manifests from measured evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from scalectl import layout
from scalectl.cli import _common
from scalectl.cli.main import app
from scalectl.errors import InputError, TargetError


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
        from scalectl.pipeline.verify import verify_recommendation

        rec = verify_recommendation(
            rec,
            items,
            scenario=scenario,
            duration=_common.parse_duration(verify_duration),
            workers=workers,
            root=out_dir,
            say=lambda line: _common.err.print(line, markup=False),
            progress=lambda u: _common.err.print(
                f"verify: {u.elapsed:5.1f}s / {u.total:g}s  {u.rps:.0f} req/s  p95 {u.p95_ms:.0f} ms",
                markup=False,
            ),
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
    if rec.verification is not None:
        from scalectl.capacity.verify import verdict_line

        _common.out.print(verdict_line(rec.verification), markup=False, highlight=False)
        if rec.verification.verdict == "missed":
            raise typer.Exit(code=_common.EXIT_CHECK_FAILED)
        if rec.verification.verdict == "inconclusive":
            raise TargetError(
                "--verify is inconclusive: the load generator saturated on this machine; "
                "use --workers, a bigger machine, or a lower --target-rps"
            )
