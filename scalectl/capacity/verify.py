"""``recommend --verify`` without the I/O: how hard to drive the check, and what its run says.

``plan_verify`` sizes the generator for the target rate on this machine; ``judge_verification`` turns
the measured run into a typed :class:`Verification` with one verdict (met / missed / inconclusive) and
the reasons measured and predicted differ; ``verdict_line`` is that verdict in one line. The
on-host expectation never exceeds what the generator showed it can send here: a prediction the
machine cannot even offer is no prediction (issue 13: 1435 req/s "on this host" next to 381 measured).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from scalectl.analysis.throughput import active_rps
from scalectl.capacity.colocation import host_capacity_from_runs
from scalectl.capacity.signals import cpu_s_per_request
from scalectl.capacity.usl import model_throughput
from scalectl.models import Recommendation, RunResult
from scalectl.models.verification import Verification, VerifiedSlo
from scalectl.slo import evaluate

#: One Locust process makes about this many requests per second per core on the project's machine
#: (issue 5); only used to choose the worker count before anything is measured.
GENERATOR_RPS_PER_PROCESS = 5000.0
#: Measured below this share of the offered rate, the target did not keep up.
KEEP_UP = 0.9


@dataclass(frozen=True)
class VerifyPlan:
    rate: float
    workers: int
    env: dict[str, str]
    notes: list[str] = field(default_factory=list)

    @property
    def processes(self) -> int:
        return max(self.workers, 1)


def plan_verify(
    rec: Recommendation,
    cores: int,
    workers: int = 0,
    per_process_rps: float = GENERATOR_RPS_PER_PROCESS,
    *,
    bundled: bool = True,
) -> VerifyPlan:
    """The rate, Locust workers and target environment for verifying ``rec`` on ``cores`` cores
    (``bundled``: on the bundled backend, whose storage falls back when REDIS_URL is a placeholder)."""
    notes: list[str] = []
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
    if bundled and "REDIS_URL" in rec.settings and "REDIS_URL" not in env:
        notes.append("REDIS_URL is a placeholder in the recommendation: verified with in-process storage")
    return VerifyPlan(rate=rate, workers=workers, env=env, notes=notes)


def generator_limit(runs: Iterable[RunResult], processes: int) -> float | None:
    """The most the generator can send here: ``processes`` cores / its CPU seconds per request, the
    median over the runs that measured it (None when none did)."""
    g = [v for v in (cpu_s_per_request(r, "generator") for r in runs) if v]
    return processes / statistics.median(g) if g else None


def judge_verification(
    rec: Recommendation,
    run: RunResult,
    run_dir: str,
    plan: VerifyPlan,
    evidence: Iterable[RunResult],
    cores: int,
) -> Verification:
    """Predicted versus measured for the verification ``run`` of ``rec``, with one verdict."""
    evidence = list(evidence)
    notes = list(plan.notes)
    slos = [VerifiedSlo(text=r.expression, observed=r.observed, holds=r.ok) for r in evaluate(run, rec.slo)]
    slo_ok = all(s.holds is not False for s in slos)
    measured = active_rps(run)
    predicted = model_throughput(rec.model, rec.replicas) if rec.model is not None else None
    on_host = host_capacity_from_runs(predicted, rec.replicas, cores, evidence) if predicted else None
    gen_limit = generator_limit([run, *evidence], plan.processes)
    if predicted is not None:
        on_host = min(x for x in (predicted, on_host, gen_limit) if x is not None)
    why = _why(plan.rate, measured, predicted, on_host, gen_limit, run)
    if not why and predicted is not None and on_host is not None and on_host < predicted * 0.99:
        notes.append(
            f"this host can show about {on_host:.0f} req/s of the model's {predicted:.0f} (the generator "
            "shares the replicas' cores here; production replicas have theirs to themselves)"
        )
    if run.generator.saturated:
        verdict = "inconclusive"
    elif slo_ok and measured >= KEEP_UP * plan.rate:
        verdict = "met"
    else:
        verdict = "missed"
    return Verification(
        run_dir=run_dir,
        replicas=rec.replicas,
        offered_rps=plan.rate,
        measured_rps=round(measured, 1),
        measured_p95_ms=round(run.total.latency_ms.p95, 1),
        error_rate=round(run.total.failure_rate, 4),
        predicted_rps=round(min(plan.rate, predicted), 1) if predicted is not None else None,
        predicted_capacity_rps=round(predicted, 1) if predicted is not None else None,
        predicted_capacity_on_this_host_rps=round(on_host, 1) if on_host is not None else None,
        generator_limit_rps=round(gen_limit, 1) if gen_limit is not None else None,
        generator_saturated=run.generator.saturated,
        slo=slos,
        slo_ok=None if run.generator.saturated else slo_ok,
        verdict=verdict,
        why=why,
        notes=notes,
    )


def _why(
    rate: float,
    measured: float,
    predicted: float | None,
    on_host: float | None,
    gen_limit: float | None,
    run: RunResult,
) -> list[str]:
    """Why the measured figure differs from the prediction (nothing when it does not)."""
    why: list[str] = []
    if measured >= KEEP_UP * rate and not run.generator.saturated:
        return why  # it kept up with the rate asked: nothing to explain
    if run.generator.saturated:
        why.append("the load generator saturated its CPU: the run measured the generator, not the target")
    if gen_limit is not None and gen_limit < rate:
        why.append(
            f"the generator can send about {gen_limit:.0f} req/s on this machine (its CPU per request as "
            f"measured), less than the {rate:g} req/s asked"
        )
    if predicted is not None and on_host is not None and on_host < predicted * 0.99:
        why.append(
            f"on this host the generator shares the replicas' cores: about {on_host:.0f} req/s can show "
            f"here, not the model's {predicted:.0f} req/s (replicas with their cores to themselves)"
        )
    expected = min(rate, on_host if on_host is not None else rate)
    if measured < KEEP_UP * expected:
        short = 1 - measured / expected
        why.append(
            f"the target delivered {short:.0%} less than expected: the capacity model overestimates it "
            "here, or the machine was busy (a shared host); a baseline with more steps or replicas "
            "refines the model"
        )
    return why


def verdict_line(v: Verification) -> str:
    """``verify: SLO met: 800 req/s asked, 796 measured (predicted 800), p95 45 ms (p95<300ms)``."""
    slo = "; ".join(
        f"{s.text} {'held' if s.holds else 'broken' if s.holds is False else 'not judged'}" for s in v.slo
    )
    head = {"met": "SLO met", "missed": "SLO missed", "inconclusive": "inconclusive"}[v.verdict]
    pred = f" (predicted {v.predicted_rps:.0f})" if v.predicted_rps is not None else ""
    line = (
        f"verify: {head}: {v.offered_rps:g} req/s asked, {v.measured_rps:.0f} measured{pred}, "
        f"p95 {v.measured_p95_ms:,.0f} ms, {v.replicas} replica(s); {slo or 'no SLO'}"
    )
    if v.why:
        line += f"; why they differ: {v.why[0]}"
    return line
