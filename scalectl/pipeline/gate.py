"""The gate as one call: load the baseline, run (or load) the run, judge it, render its files.

``scalectl gate`` builds a ``GateRequest`` from its options and calls ``run_gate``; the statistics
live in ``scalectl.gate`` (pure), the views in ``scalectl.report.gate_*``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scalectl import layout, storage
from scalectl.errors import InputError
from scalectl.gate.compare import StatSettings, Tolerances, parse_tolerance
from scalectl.gate.judge import judge, select_baseline_run
from scalectl.models.gate import GateVerdict
from scalectl.models.run import RunResult
from scalectl.slo import parse_all


@dataclass(frozen=True)
class GateRequest:
    """What to judge and how (the options of ``scalectl gate``)."""

    scenario: Path | None = None
    run_dir: Path | None = None
    baseline: Path | None = None
    thresholds: Sequence[str] = ()
    tolerances: Sequence[str] = ()
    host: str | None = None
    allow_remote: bool = False
    users: int | None = None
    rps: float | None = None
    duration_s: float | None = None
    replicas: int = 1
    target_env: Mapping[str, str] = field(default_factory=dict)
    root: Path = layout.DEFAULT_ROOT
    seed: int = 0
    alpha: float = 0.05
    run_noise: float | None = None
    run_noise_tail: float | None = None
    relative_noise: float | None = None


def stat_settings(req: GateRequest) -> StatSettings:
    """The comparison's settings: the defaults, with the noise floors the request overrides."""
    if not 0 < req.alpha < 1:
        raise InputError(f"--alpha {req.alpha}: must be between 0 and 1")
    settings = StatSettings(alpha=req.alpha, seed=req.seed)
    if req.run_noise is not None and req.run_noise_tail is None:
        settings = dataclasses.replace(settings, run_noise_tail=None)
    for option in ("run_noise", "run_noise_tail", "relative_noise"):
        value = getattr(req, option)
        if value is not None:
            if not 0 <= value < 5:
                flag = "--" + option.replace("_", "-")
                raise InputError(f"{flag} {value}: must be a non-negative fraction, e.g. 0.1")
            settings = dataclasses.replace(settings, **{option: value})
    return settings


def _the_run(req: GateRequest, on_run: Callable[[Path], None] | None) -> RunResult:
    if req.run_dir is not None:
        return storage.load_run(req.run_dir)
    from scalectl.load import run_scenario

    run, new_dir = run_scenario(
        req.scenario,
        host=req.host,
        users=req.users,
        rps=req.rps,
        duration=req.duration_s,
        root=req.root,
        allow_remote=req.allow_remote,
        replicas=req.replicas,
        target_env=dict(req.target_env) or None,
    )
    if on_run is not None:
        on_run(new_dir)
    return run


def run_gate(req: GateRequest, on_run: Callable[[Path], None] | None = None) -> GateVerdict:
    """Judge the request's run (running its scenario first when no run directory is given)."""
    if (req.scenario is None) == (req.run_dir is None):
        raise InputError("give either a SCENARIO to run or --run RUN_DIR (exactly one)")
    settings = stat_settings(req)
    extra = parse_all(list(req.thresholds))
    tolerances = Tolerances().with_overrides(dict(parse_tolerance(t) for t in req.tolerances))
    base_runs, base_model = storage.load_runs_or_baseline(req.baseline) if req.baseline else ([], None)
    if req.scenario is not None and not Path(req.scenario).exists():
        raise InputError(f"{req.scenario}: no such scenario file")
    run = _the_run(req, on_run)
    warnings: list[str] = []
    baseline_run = None
    if base_model is not None:
        baseline_run, warnings = select_baseline_run(base_model, run)
    elif base_runs:
        baseline_run = base_runs[0]
    return judge(
        run,
        baseline_run,
        extra,
        tolerances,
        settings=settings,
        baseline_label=str(req.baseline) if req.baseline else None,
        warnings=warnings,
    )


def write_outputs(
    verdict: GateVerdict, *, junit: Path | None = None, markdown: Path | None = None, json: Path | None = None
) -> None:
    """The full verdict as JUnit XML, Markdown and JSON files (each when asked for)."""
    from scalectl.report import gate_junit, gate_markdown

    if junit:
        storage.atomic_write_text(junit, gate_junit.render(verdict))
    if markdown:
        storage.atomic_write_text(markdown, gate_markdown.render(verdict))
    if json:
        storage.atomic_write_text(json, verdict.model_dump_json(indent=2) + "\n")
