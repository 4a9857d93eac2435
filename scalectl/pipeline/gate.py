"""The gate as one call: load the baseline, run (or load) the run, judge it, render its files.

``scalectl gate`` builds a ``GateRequest`` from its options and calls ``run_gate``; the statistics
live in ``scalectl.gate`` (pure), the views in ``scalectl.report.gate_*``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scalectl import layout, storage
from scalectl.errors import InputError
from scalectl.gate.compare import StatSettings, Tolerances, parse_tolerance
from scalectl.gate.judge import judge, select_baseline_run
from scalectl.models.gate import GateVerdict
from scalectl.models.run import RunResult
from scalectl.scenario import load_scenario
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
    target_cmd: str | None = None
    allow_remote: bool = False
    users: int | None = None
    rps: float | None = None
    duration_s: float | None = None
    replicas: int | None = None
    target_env: Mapping[str, str] = field(default_factory=dict)
    root: Path = layout.DEFAULT_ROOT
    seed: int = 0
    alpha: float = 0.05
    run_noise: float | None = None
    run_noise_tail: float | None = None
    relative_noise: float | None = None
    #: recommendation.json (``--plan``): the capacity change in replicas and cost for its target.
    plan: Path | None = None
    #: ``--max-capacity-loss``: a fraction; without it the capacity change is reported only.
    max_capacity_loss: float | None = None
    #: An existing Prometheus server that scrapes the target (``--prometheus-url``/``--prometheus-selector``).
    prometheus_url: str | None = None
    prometheus_selector: str | None = None


def stat_settings(req: GateRequest) -> StatSettings:
    """The comparison's settings: the defaults, with the noise floors the request overrides."""
    if not 0 < req.alpha < 1:
        raise InputError(f"--alpha {req.alpha}: must be between 0 and 1")
    settings = StatSettings(alpha=req.alpha, seed=req.seed)
    if req.run_noise is not None and req.run_noise_tail is None:
        settings = dataclasses.replace(settings, run_noise_tail=None)
    if req.run_noise is not None:
        # a machine's run-to-run noise, measured: the capacity check's floor too
        settings = dataclasses.replace(settings, capacity_noise=req.run_noise)
    for option in ("run_noise", "run_noise_tail", "relative_noise"):
        value = getattr(req, option)
        if value is not None:
            if not 0 <= value < 5:
                flag = "--" + option.replace("_", "-")
                raise InputError(f"{flag} {value}: must be a non-negative fraction, e.g. 0.1")
            settings = dataclasses.replace(settings, **{option: value})
    return settings


def _check_same_scenario(req: GateRequest, base_name: str | None, base_runs: Sequence[RunResult]) -> None:
    """The scenario about to run must be the baseline's: checked before any load is sent (``judge``
    would refuse the pair only after the whole run)."""
    base_name = base_name or (base_runs[0].scenario_name if base_runs else None)
    if req.scenario is None or base_name is None:
        return
    scenario = load_scenario(Path(req.scenario))
    if base_name != scenario.name:
        raise InputError(
            f"refusing to compare runs of different scenarios: {scenario.name!r} ({req.scenario}) vs "
            f"{base_name!r} (baseline {req.baseline}); nothing was run"
        )


def _the_run(req: GateRequest, on_run: Callable[[Path], None] | None) -> RunResult:
    if req.run_dir is not None:
        return storage.load_run(req.run_dir)
    from scalectl.pipeline import RunOptions, TargetOptions, run_load

    target = TargetOptions(
        host=req.host,
        command=req.target_cmd,
        replicas=req.replicas,
        env=dict(req.target_env),
        allow_remote=req.allow_remote,
    )
    opts = RunOptions(
        scenario=req.scenario,
        target=target,
        users=req.users,
        rps=req.rps,
        duration=req.duration_s,
        root=req.root,
        prometheus_url=req.prometheus_url,
        prometheus_selector=req.prometheus_selector,
    )
    run, new_dir = run_load(opts)
    if on_run is not None:
        on_run(new_dir)
    return run


def _label(baseline: Path | None) -> str | None:
    """How the baseline is named in the gate's outputs: a link (``reports/runs/latest``) by the run it
    pointed at when the gate read it, since the gate's own run moves ``latest`` on."""
    if baseline is None:
        return None
    path = Path(baseline)
    if path.is_symlink():
        return f"{path} → {path.resolve().name}"
    return str(path)


def run_gate(req: GateRequest, on_run: Callable[[Path], None] | None = None) -> GateVerdict:
    """Judge the request's run (running its scenario first when no run directory is given)."""
    if (req.prometheus_url is None) != (req.prometheus_selector is None):
        raise InputError("give --prometheus-url and --prometheus-selector together (or neither)")
    if req.prometheus_url is not None and req.run_dir is not None:
        raise InputError("--prometheus-url reads the telemetry of a run the gate makes; not with --run")
    if (req.scenario is None) == (req.run_dir is None):
        raise InputError("give either a SCENARIO to run or --run RUN_DIR (exactly one)")
    settings = stat_settings(req)
    rec = _load_plan(req.plan)
    extra = parse_all(list(req.thresholds))
    tolerances = Tolerances().with_overrides(dict(parse_tolerance(t) for t in req.tolerances))
    base_runs, base_model = storage.load_runs_or_baseline(req.baseline) if req.baseline else ([], None)
    if req.scenario is not None and not Path(req.scenario).exists():
        raise InputError(f"{req.scenario}: no such scenario file")
    _check_same_scenario(req, base_model.scenario_name if base_model else None, base_runs)
    label = _label(req.baseline)  # before the run moves reports/runs/latest on
    run = _the_run(req, on_run)
    warnings: list[str] = []
    baseline_run = None
    if base_model is not None:
        baseline_run, warnings = select_baseline_run(base_model, run)
    elif base_runs:
        baseline_run = base_runs[0]
    verdict = judge(
        run,
        baseline_run,
        extra,
        tolerances,
        settings=settings,
        baseline_label=label,
        warnings=warnings,
    )
    if baseline_run is not None:
        verdict = _with_capacity(verdict, run, baseline_run, rec, req.max_capacity_loss, settings)
    return verdict


def _load_plan(path: Path | None) -> Any:
    if path is None:
        return None
    rec = storage.load_recommendation(path)
    if rec is None:
        raise InputError(f"--plan {path}: no recommendation.json there")
    return rec


def _with_capacity(
    verdict: GateVerdict,
    run: RunResult,
    baseline_run: RunResult,
    rec: Any,
    max_loss: float | None,
    settings: StatSettings | None = None,
) -> GateVerdict:
    """The capacity check next to the latency checks (a failing one only with --max-capacity-loss)."""
    from scalectl.capacity.impact import assess
    from scalectl.models import CheckResult

    impact, check, note = assess(run, baseline_run, plan=rec, max_loss=max_loss, settings=settings)
    checks, warnings = list(verdict.checks), list(verdict.warnings)
    if check is not None:
        checks.append(check)
    elif max_loss is not None:
        checks.append(
            CheckResult(
                name="capacity per replica",
                kind="capacity",
                metric="capacity_change",
                status="insufficient",
                message=f"capacity per replica: {note}",
            )
        )
    elif note:
        warnings.append(note)
    passed = not any(c.status == "fail" for c in checks)
    return verdict.model_copy(
        update={"checks": checks, "warnings": warnings, "capacity": impact, "passed": passed}
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
