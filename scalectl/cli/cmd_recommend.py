"""``scalectl recommend``: replicas, CPU/memory, pool size and manifests from measured evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from scalectl.models import Recommendation
    from scalectl.pipeline.recommend import VerifyOptions


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
    from scalectl.pipeline.recommend import PlanOptions, RecommendRequest, recommend_files

    plan = PlanOptions(
        growth, history, horizon, current_replicas, price_vcpu_hour, price_gib_hour, prices, currency
    )
    request = RecommendRequest(
        sources=tuple(sources),
        out=Path(out) if out else _default_out(),
        target_rps=target_rps,
        slo=tuple(slo),
        utilization=utilization,
        redundancy=redundancy,
        db_max_connections=db_max_connections,
        db_url=db_url,
        max_replicas=max_replicas,
        manifest=_manifest(name, image, port, ready_path, env),
        plan=plan,
        verify=_verify_options(verify, verify_duration, scenario, workers, target_cmd),
    )
    rec = recommend_files(request, say=_say, progress=_verify_progress)
    _show(rec, request.out)
    _exit_on_verification(rec)


def _say(line: str) -> None:
    _common.err.print(line, markup=False)


def _verify_progress(u: Any) -> None:
    _common.err.print(
        f"verify: {u.elapsed:5.1f}s / {u.total:g}s  {u.rps:.0f} req/s  p95 {u.p95_ms:.0f} ms", markup=False
    )


def _verify_options(
    verify: bool, duration: str, scenario: Path | None, workers: int, target_cmd: str | None
) -> VerifyOptions | None:
    from scalectl.pipeline.recommend import VerifyOptions

    if not verify:
        return None
    seconds = _common.parse_duration(duration)
    return VerifyOptions(duration=seconds, scenario=scenario, workers=workers, target_cmd=target_cmd)


def _manifest(name, image, port, ready_path, env) -> dict:
    """The manifest options given on the command line (the rest come from the measured target)."""
    from scalectl.cli.cmd_target import parse_env

    if ready_path is not None and not ready_path.startswith("/"):
        raise InputError(f"--ready-path {ready_path!r}: expected a path starting with '/'")
    return {"name": name, "image": image, "port": port, "ready_path": ready_path, "env": parse_env(env)}


def _show(rec: Recommendation, out_dir: Path) -> None:
    """The terminal view, where the files went, when capacity runs out, the verification's verdict."""
    from scalectl import storage
    from scalectl.report.plan_view import runs_out_line
    from scalectl.report.recommendation_term import recommendation_renderable

    _common.out.print(recommendation_renderable(rec))
    _common.out.print(
        f"wrote {out_dir}/{storage.RECOMMENDATION_FILE}, {out_dir}/report.html and manifests", markup=False
    )
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
