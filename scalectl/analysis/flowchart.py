"""The monitor → analyze → scale flowchart, walked on a run's evidence.

monitor → generator saturated? (then nothing can be sized: said first) → performance OK? (yes: continue
normal operations, with the measured headroom, and no findings) → database? → application? →
infrastructure? → otherwise optimise code → scale: the concrete change for the top finding.
"""

from __future__ import annotations

from collections.abc import Sequence

from scalectl.analysis.levels import saturation
from scalectl.analysis.monitor import PER_ENDPOINT, Monitor, monitor
from scalectl.analysis.params import AnalysisParams
from scalectl.analysis.rules import RULES_BY_CATEGORY, Context, generator_saturated
from scalectl.analysis.signals import Signals
from scalectl.models import Analysis, Finding, FlowStep, RunResult
from scalectl.models.analysis import SEVERITY_ORDER
from scalectl.slo import format_value, parse_threshold

CATEGORY_ORDER = {c: i for i, c in enumerate(RULES_BY_CATEGORY)}
GENERATOR_RULE = "infra_generator_saturated"


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Generator saturation first; then by severity, flowchart order, confidence (highest first)."""
    return sorted(
        findings,
        key=lambda f: (
            f.rule != GENERATOR_RULE,
            SEVERITY_ORDER[f.severity],
            CATEGORY_ORDER[f.category],
            -f.confidence,
        ),
    )


def _monitor_step(mon: Monitor) -> FlowStep:
    load = f"{mon.achieved_rps:.4g} req/s achieved"
    if mon.offered_rps is not None:
        load += f" of {mon.offered_rps:.4g} offered"
    details = []
    per_endpoint_ok = 0
    for r in mon.slo:
        if r.note == PER_ENDPOINT and r.ok is not False:
            per_endpoint_ok += 1  # all of them are in analysis.json; the tree lists the misses
            continue
        mark = {True: "ok", False: "MISSED", None: "n/a"}[r.ok]
        obs = "-" if r.observed is None else format_value(parse_threshold(r.expression).metric, r.observed)
        details.append(f"{r.expression} [{r.scope}]: {obs} → {mark}")
    if per_endpoint_ok:
        details.append(f"{per_endpoint_ok} per-endpoint view(s) of the overall SLOs hold")
    if mon.utilization is not None:
        details.append(f"busiest resource: {mon.utilization_of} at {mon.utilization:.0%} (p90 under load)")
    return FlowStep(step="monitor", verdict=f"{load}, error rate {mon.error_rate:.2%}", details=details)


def _headroom_text(mon: Monitor) -> str:
    if mon.headroom is None:
        return "headroom unknown without server telemetry"
    return f"headroom {mon.headroom:.0%} ({mon.utilization_of} at {mon.utilization:.0%})"


def walk(
    run: RunResult,
    sig: Signals,
    slo: Sequence[str],
    params: AnalysisParams,
    sweep: Sequence[RunResult] = (),
) -> Analysis:
    mon = monitor(run, sig, slo, params)
    ctx = Context(run=run, signals=sig, monitor=mon, params=params, sweep=tuple(sweep))
    path = [_monitor_step(mon)]
    notes = _telemetry_notes(sig)
    gen = generator_saturated(ctx)
    if gen is not None:
        path.append(_generator_step(gen))
    ok = mon.performance_ok and gen is None
    limit = saturation(ctx.levels, params) if ok else None
    if limit is not None:  # the SLO holds, but the load levels show the service at its limit
        mon.problems.append(limit)
        ok = False
    path.append(_performance_step(mon, ok))
    common = dict(
        run_id=run.run_id,
        slo=mon.slo,
        error_rate=mon.error_rate,
        achieved_rps=mon.achieved_rps,
        offered_rps=mon.offered_rps,
        headroom=mon.headroom,
        telemetry_available=sig.telemetry_available,
    )
    if ok:
        summary = "Performance OK: continue normal operations, " + _headroom_text(mon)
        return Analysis(performance_ok=True, path=path, notes=notes, summary=summary, **common)
    if len(ctx.levels) < 2:
        notes.append(
            "one load level: queueing (a concurrency limit) and slow code look alike in it; a stepped "
            "baseline (scalectl baseline) or a ramp tells them apart by Little's law"
        )
    findings = sort_findings(([gen] if gen is not None else []) + _diagnose(ctx, path))
    step, summary = _scale_step(findings, sig.telemetry_available)
    path.append(step)
    return Analysis(
        performance_ok=False, findings=findings, path=path, notes=notes, summary=summary, **common
    )


def _telemetry_notes(sig: Signals) -> list[str]:
    """What the findings rest on: no server telemetry, or which library's HTTP metrics were read."""
    notes: list[str] = []
    if not sig.telemetry_available:
        notes.append("no server telemetry: findings rest on client-side evidence only (confidence lowered)")
    for lib in sorted({c for found in sig.conventions.values() for c in found}):
        where = sorted(src for src, found in sig.conventions.items() if lib in found)
        notes.append(f"HTTP metrics read as {lib}'s ({', '.join(where)})")
    return notes


def _generator_step(gen: Finding) -> FlowStep:
    return FlowStep(
        step="generator",
        verdict="saturated: this run cannot size anything",
        outcome=True,
        details=[gen.title],
    )


def _performance_step(mon: Monitor, ok: bool) -> FlowStep:
    verdict = (
        "yes: continue normal operations; " + _headroom_text(mon)
        if ok
        else "no: " + "; ".join(mon.problems or ["the load generator, not the target, limited this run"])
    )
    return FlowStep(step="performance_ok", verdict=verdict, outcome=ok)


def _diagnose(ctx: Context, path: list[FlowStep]) -> list[Finding]:
    """Every rule in flowchart order (database, application, infrastructure, code); one step per
    category on ``path`` with its top finding."""
    findings: list[Finding] = []
    for category, rules in RULES_BY_CATEGORY.items():
        found = sort_findings([f for f in (rule(ctx) for rule in rules) if f is not None])
        findings.extend(found)
        top = found[0] if found else None
        path.append(
            FlowStep(
                step=category,
                verdict=f"yes: {top.title}" if top else "no evidence",
                outcome=bool(found),
                details=[f"[{f.severity}] {f.title}" for f in found[1:]],
            )
        )
    return findings


def _scale_step(findings: list[Finding], telemetry_available: bool) -> tuple[FlowStep, str]:
    """The concrete change for the top finding (or what to do when no rule found one), and the summary."""
    if findings:
        top = findings[0]
        details = [f"verify: {top.verify}"] if top.verify else []
        step = FlowStep(step="scale", verdict=top.action, outcome=True, details=details)
        return step, f"Performance not OK: {top.title}. Next: {top.action}"
    action = "no rule found a bottleneck: profile the slowest endpoints" + (
        "" if telemetry_available else ", and export the metrics in docs/architecture.md for a diagnosis"
    )
    return FlowStep(step="scale", verdict=action, outcome=False), "Performance not OK; " + action
