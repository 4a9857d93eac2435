"""The three lines a command prints first: the result (or capacity), what limits it, the next command.

``loadtest``, ``analyze`` and ``baseline`` print these before anything else; the full analysis tree
follows with ``--verbose`` and is always in the run directory (analysis.json, report.html).
"""

from __future__ import annotations

import re

from scalectl.models import Analysis, Baseline, RunResult
from scalectl.report.fmt import ms, pct, throughput


def _slo_text(analysis: Analysis | None) -> tuple[str, list[str]]:
    """("met" | "missed" | "not judged", the broken expressions with their observed values)."""
    if analysis is None or not analysis.slo:
        return "not judged", []
    broken = [r for r in analysis.slo if r.ok is False and r.counts]
    if not broken:
        return "met", []
    from scalectl.report.fmt import slo_observed

    return "missed", [f"{r.expression} observed {slo_observed(r)}" for r in broken[:2]]


def _limit(analysis: Analysis | None) -> str:
    if analysis is None:
        return "limit: not analysed"
    if analysis.findings:
        top = analysis.findings[0]
        more = f" (+{len(analysis.findings) - 1} more finding(s))" if len(analysis.findings) > 1 else ""
        return f"limit: {top.title} [{top.category}, {top.severity}]{more}"
    if analysis.performance_ok:
        said = analysis.summary.removeprefix("Performance OK: ").strip()
        return "limit: none reached at this load" + (f" ({said})" if said else "")
    return "limit: not identified (no rule matched); see the analysis"


def run_lines(run: RunResult, analysis: Analysis | None, run_dir: str, host: str | None = None) -> list[str]:
    """Result, limit, next command for one run (``host``: the --host it ran against, kept in the
    next command so that it measures the same target)."""
    verdict, broken = _slo_text(analysis)
    t = run.total
    result = (
        f"result: SLO {verdict}" + (f" ({'; '.join(broken)})" if broken else "") + f": {throughput(run)}, "
        f"p95 {ms(t.latency_ms.p95)}, {pct(t.failure_rate)} errors over {run.duration_s:.1f} s"
    )
    if not run.complete:
        result += f"; INCOMPLETE ({run.stop_reason or 'stopped early'})"
    if run.generator.saturated:
        result += "; the generator saturated: these numbers measure it, not the target"
    nxt = f"next: scalectl report {run_dir}"
    if analysis is not None and analysis.findings and analysis.findings[0].verify:
        nxt = f"next: {analysis.findings[0].action.split(';')[0]}; then {analysis.findings[0].verify}"
    elif verdict == "met":
        nxt = _baseline_next(run, run_dir, host)
    return [result, _limit(analysis), nxt]


def _baseline_next(run: RunResult, run_dir: str, host: str | None) -> str:
    """The baseline that finds this run's knee: on the same target (``--host`` as given, else the
    external target the run recorded), under a name of its own (the default may exist already)."""
    target = run.target
    host = host or (target.url if target is not None and target.kind == "external" else None)
    on = f" --host {host}" if host else ""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", run.scenario_name).strip("-.") or "mine"
    if run.scenario.get("steps"):
        return (
            f"next: scalectl baseline --scenario {run_dir}/scenario.yaml{on} --name {name} "
            "(the knee: how much it takes)"
        )
    return (
        f"next: the knee: add a steps: section (users: [...]) to the scenario and run scalectl baseline "
        f"--scenario FILE{on} --name {name}, or scalectl baseline{on} (the default stepped mix)"
    )


def baseline_lines(b: Baseline, last: Analysis | None, path: str) -> list[str]:
    """Capacity (the knee with its latency), what limits it, next command for a baseline."""
    slo = ", ".join(b.slo) or "no SLO"
    knee = b.knee
    n = (
        f"{b.replicas} replica{'s' if b.replicas != 1 else ''}"
        if b.replicas is not None
        else "an unknown number of replicas (--host without --replicas)"
    )
    if knee is None:
        capacity = f"capacity: no step met the SLO ({slo}) on {n}: start the steps lower"
    else:
        load = f"{knee.users} users" if knee.users else f"{knee.offered_rps:g} req/s offered"
        at_least = "at least " if knee.beyond_last_step else ""
        capacity = (
            f"capacity: {at_least}{knee.rps:,.1f} req/s at p95 {ms(knee.p95_ms)} on {n} "
            f"(the knee: step {knee.step}, {load}; SLO {slo})"
        )
        if knee.beyond_last_step:
            capacity += "; the SLO held at every step"
    past = [s for s in b.steps if not s.slo_ok]
    limit = _limit(last)
    if past and knee is not None:
        s = past[0]
        limit = f"{limit} (step {s.index}: p95 {ms(s.p95_ms)}, {pct(s.error_rate)} errors broke the SLO)"
    target = f"{2 * knee.rps:.0f}" if knee is not None else "RATE"
    nxt = f"next: scalectl recommend --from {path} --target-rps {target}"
    return [capacity, limit, nxt]
