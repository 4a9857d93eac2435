"""``recommend --verify``: start the target (bundled, or the user's command) as recommended, drive the
target rate, judge it."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from scalectl.capacity.verify import GENERATOR_RPS_PER_PROCESS, judge_verification, plan_verify
from scalectl.errors import InputError
from scalectl.models import Baseline, Recommendation, RunResult
from scalectl.models.run import TargetSpec

Evidence = Sequence[tuple[str, list[RunResult], Baseline | None]]


def scenario_from_evidence(items: Evidence) -> Any:
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


def verify_spec(items: Evidence, target_cmd: str | None, replicas: int, env: dict[str, str]) -> TargetSpec:
    """The target --verify starts: --target-cmd, else the one recorded in the evidence (the bundled
    backend for evidence that records none), with the recommended replicas."""
    from scalectl.pipeline.options import TargetOptions
    from scalectl.pipeline.targets import resolve_spec

    if target_cmd is not None:
        return resolve_spec(TargetOptions(command=target_cmd, replicas=replicas), None)
    recorded = next((r.target for _, runs, _b in items for r in runs if r.target is not None), None)
    if recorded is None or recorded.kind == "bundled":
        return TargetSpec(kind="bundled", replicas=replicas, env=env)
    if recorded.kind == "external":
        raise InputError(
            "--verify starts the target with the recommended replicas, but the evidence was measured on "
            "--host, a service scalectl did not start",
            hint="pass --target-cmd 'CMD {port} {replicas}' to start your service",
        )
    return recorded.model_copy(update={"replicas": replicas, "port": None, "url": None})


def verify_recommendation(
    rec: Recommendation,
    items: Evidence,
    *,
    scenario: Path | None,
    duration: float,
    workers: int = 0,
    root: Path,
    target_cmd: str | None = None,
    per_process_rps: float = GENERATOR_RPS_PER_PROCESS,
    say: Callable[[str], None] | None = None,
    progress: Callable[[Any], None] | None = None,
) -> Recommendation:
    """Run the recommendation on its target (open model at the target rate) and return it with its
    ``verification``."""
    from scalectl.pipeline.options import RunOptions
    from scalectl.pipeline.run import run_load
    from scalectl.pipeline.targets import start_target

    cores = os.cpu_count() or 1
    env = {k: v for k, v in rec.settings.items() if "<" not in v}
    spec = verify_spec(items, target_cmd, rec.replicas, env)
    plan = plan_verify(rec, cores, workers, per_process_rps, bundled=spec.kind == "bundled")
    path = scenario or scenario_from_evidence(items)
    for note in plan.notes:
        if say:
            say(f"verify: {note}")
    if say:
        say(f"verify: {rec.replicas} replica(s), {plan.rate:g} req/s open model for {duration:g}s ...")
    opts = RunOptions(
        scenario=path, rps=plan.rate, duration=duration, workers=plan.workers, slo=tuple(rec.slo), root=root
    )
    with start_target(spec) as running:
        run, run_dir = run_load(opts, running=running, progress=progress)
    evidence = [r for _, runs, _b in items for r in runs]
    v = judge_verification(rec, run, str(run_dir), plan, evidence, cores)
    return rec.model_copy(update={"verification": v})
