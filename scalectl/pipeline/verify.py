"""``recommend --verify``: start the bundled target as recommended, drive the target rate, judge it."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from scalectl.capacity.verify import GENERATOR_RPS_PER_PROCESS, judge_verification, plan_verify
from scalectl.errors import InputError
from scalectl.models import Baseline, Recommendation, RunResult

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


def verify_recommendation(
    rec: Recommendation,
    items: Evidence,
    *,
    scenario: Path | None,
    duration: float,
    workers: int = 0,
    root: Path,
    per_process_rps: float = GENERATOR_RPS_PER_PROCESS,
    say: Callable[[str], None] | None = None,
    progress: Callable[[Any], None] | None = None,
) -> Recommendation:
    """Run the recommendation on the bundled target (open model at the target rate) and return it
    with its ``verification``."""
    from scalectl.load import run_scenario

    cores = os.cpu_count() or 1
    plan = plan_verify(rec, cores, workers, per_process_rps)
    path = scenario or scenario_from_evidence(items)
    for note in plan.notes:
        if say:
            say(f"verify: {note}")
    if say:
        say(f"verify: {rec.replicas} replica(s), {plan.rate:g} req/s open model for {duration:g}s ...")
    run, run_dir = run_scenario(
        path,
        rps=plan.rate,
        duration=duration,
        workers=plan.workers,
        replicas=rec.replicas,
        target_env=plan.env,
        slo=rec.slo,
        root=root,
        progress=progress,
    )
    evidence = [r for _, runs, _b in items for r in runs]
    v = judge_verification(rec, run, str(run_dir), plan, evidence, cores)
    return rec.model_copy(update={"verification": v})
