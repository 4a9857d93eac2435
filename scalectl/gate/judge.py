"""The gate's judgement of one run: absolute thresholds plus regressions against a baseline (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from scalectl.errors import InputError
from scalectl.gate.compare import StatSettings, Tolerances, compare
from scalectl.models.baseline import Baseline
from scalectl.models.gate import CheckResult, GateVerdict
from scalectl.models.run import RunResult
from scalectl.slo import NO_ENDPOINT, Threshold, evaluate, format_value, parse_threshold

#: Environment fields whose difference makes a comparison suspect (the fingerprint).
FINGERPRINT = (
    "cpu_count",
    "cpu_model",
    "replicas",
    "cpus_per_replica",
    "workers",
    "python",
    "scalectl_version",
    "locust_version",
    "target_version",
)


def run_load(run: RunResult) -> tuple[int | None, float | None]:
    """The load a run was driven at: (peak users, median offered arrival rate)."""
    users = max((s.users for s in run.series), default=0) or None
    offered = sorted(s.offered_rps for s in run.series if s.offered_rps is not None)
    return users, (offered[len(offered) // 2] if offered else None)


def select_baseline_run(baseline: Baseline, run: RunResult) -> tuple[RunResult, list[str]]:
    """The baseline step whose load matches ``run`` (a single-step baseline: that step), and warnings."""
    if not baseline.steps:
        raise InputError(f"baseline {baseline.name!r} has no steps to compare with")
    if len(baseline.steps) == 1:
        return baseline.steps[0].run, []
    users, offered = run_load(run)

    def distance(step) -> float:
        if offered is not None and step.offered_rps:
            return abs(step.offered_rps - offered) / max(offered, 1e-9)
        s_users = step.users if step.users is not None else run_load(step.run)[0]
        if users is not None and s_users is not None:
            return abs(s_users - users) / max(users, 1)
        return float("inf")

    best = min(baseline.steps, key=distance)
    d = distance(best)
    warnings = []
    if d == float("inf"):
        raise InputError(
            f"baseline {baseline.name!r} has {len(baseline.steps)} steps and the run's load (users or "
            "arrival rate) cannot be matched to one; give a single-step baseline or a run directory"
        )
    if d > 0.1:
        warnings.append(
            f"no baseline step matches the run's load closely; compared with step {best.index} "
            f"({d:.0%} apart)"
        )
    return best.run, warnings


def environment_warnings(run: RunResult, base: RunResult) -> list[str]:
    """One warning per fingerprint field that differs between the run and its baseline."""
    out = []
    for name in FINGERPRINT:
        a, b = getattr(run.environment, name), getattr(base.environment, name)
        if a != b and a not in (None, "", 0) and b not in (None, "", 0):
            out.append(f"environment differs from the baseline: {name} {b!r} (baseline) vs {a!r} (run)")
    if run.load_model != base.load_model:
        out.append(f"load model differs: {base.load_model} (baseline) vs {run.load_model} (run)")
    if abs(run.duration_s - base.duration_s) > 0.25 * max(base.duration_s, 1.0):
        out.append(f"duration differs: {base.duration_s:.0f} s (baseline) vs {run.duration_s:.0f} s (run)")
    if (run.warmup_s > 0) != (base.warmup_s > 0):
        out.append(
            f"warm-up differs: {base.warmup_s:g} s (baseline) vs {run.warmup_s:g} s (run) not counted; "
            "start-up seconds count on one side only"
        )
    return out


def threshold_check(th: Threshold, run: RunResult) -> CheckResult:
    scope = th.scope or "overall"
    common = dict(name=f"threshold {th.text}", kind="threshold", scope=scope, metric=th.stat,
                  limit=th.value, unit=th.unit)  # fmt: skip
    (result,) = evaluate(run, [th])
    if result.note == NO_ENDPOINT:
        known = ", ".join(ep.key for ep in run.endpoints) or "none"
        msg = f"{th.text}: no endpoint {th.scope!r} in the run (endpoints: {known})"
        return CheckResult(**common, status="fail", message=msg)
    observed, holds = result.observed, result.ok
    if holds is None or observed is None:
        return CheckResult(**common, status="insufficient", message=f"{th.text}: no requests to judge")
    verdict = "holds" if holds else "violated"
    shown = f"{format_value(th.metric, observed)} {th.op} {format_value(th.metric, th.value)}"
    msg = f"{th.stat} {shown}: {verdict}"
    return CheckResult(**common, observed=observed, status="pass" if holds else "fail", message=msg)


def judge(
    run: RunResult,
    baseline_run: RunResult | None = None,
    thresholds: Iterable[str | Threshold] = (),
    tolerances: Tolerances | None = None,
    *,
    settings: StatSettings | None = None,
    baseline_label: str | None = None,
    include_run_thresholds: bool = True,
    warnings: Sequence[str] = (),
) -> GateVerdict:
    """Judge ``run``: its own ``thresholds`` (scenario) plus ``thresholds``, and regressions against
    ``baseline_run`` when given. Raises InputError for runs of different scenarios or nothing to judge."""
    texts: list[str | Threshold] = list(run.thresholds) if include_run_thresholds else []
    texts.extend(thresholds)
    parsed: list[Threshold] = []
    for t in texts:
        th = t if isinstance(t, Threshold) else parse_threshold(t)
        if th.text not in {p.text for p in parsed}:
            parsed.append(th)
    notes = list(warnings)
    if baseline_run is None and not parsed:
        raise InputError("nothing to judge: give a baseline (--baseline) or thresholds (--threshold)")
    if not run.complete:
        notes.append(f"the run is incomplete ({run.stop_reason or 'stopped early'})")
    if run.generator.saturated:
        notes.append("the load generator saturated its CPU; latencies include generator delay")
    checks = [threshold_check(th, run) for th in parsed]
    if baseline_run is not None:
        if baseline_run.scenario_name != run.scenario_name:
            raise InputError(
                f"refusing to compare runs of different scenarios: {run.scenario_name!r} (run) vs "
                f"{baseline_run.scenario_name!r} (baseline {baseline_label or baseline_run.run_id})"
            )
        notes.extend(environment_warnings(run, baseline_run))
        if baseline_run.generator.saturated:
            notes.append("the baseline's load generator saturated its CPU")
        checks.extend(compare(run, baseline_run, tolerances, settings))
    return GateVerdict(
        run_id=run.run_id,
        baseline=baseline_label or (baseline_run.run_id if baseline_run else None),
        passed=not any(c.status == "fail" for c in checks),
        checks=checks,
        warnings=notes,
    )


def value_text(check: CheckResult, value: float | None) -> str:
    """A check's value in its display unit: ``15.4 ms``, ``1.2%``, ``98 req/s``, ``1200``."""
    if value is None:
        return "n/a"
    if check.kind == "capacity":
        return f"{value:+.1%}"
    if check.metric == "error_rate":
        return format_value("error_rate", value)
    kind = {"ms": "latency", "req/s": "rps"}.get(check.unit)
    if kind:
        return format_value(kind, value)
    return format_value("requests", value) if check.metric == "requests" else f"{value:.4g}"


def failure_line(check: CheckResult) -> str:
    """One line per failed (or warning) check: what, observed, limit, baseline, and the change.

    ``FAIL p95 regression [GET /x]: observed 15.4 ms, limit 13.3 ms, baseline 12.1 ms (+27%)``
    """
    parts = [f"observed {value_text(check, check.observed)}", f"limit {value_text(check, check.limit)}"]
    if check.kind == "regression":
        parts.append(f"baseline {value_text(check, check.baseline)}")
    what = check.name if check.kind in ("threshold", "capacity") else f"{check.metric} regression"
    line = f"{check.status.upper()} {what} [{check.scope}]: " + ", ".join(parts)
    if check.kind == "regression" and check.observed is not None and check.baseline:
        if check.metric == "error_rate":
            line += f" ({(check.observed - check.baseline) * 100:+.2f} pp)"
        else:
            line += f" ({check.observed / check.baseline - 1:+.0%})"
    if check.status == "warn":
        line += ": " + check.message.rsplit(": ", 1)[-1]
    return line


def summary_line(verdict: GateVerdict) -> str:
    """``FAIL: 2 regressions, 1 threshold, 1 warning, 28 passed`` (``PASS: ...`` when none failed):
    every count that is not zero, warnings and checks without enough data included."""
    fails = verdict.failed
    counts = [
        (sum(c.kind == "regression" for c in fails), "regression", "regressions"),
        (sum(c.kind == "threshold" for c in fails), "threshold", "thresholds"),
        (sum(c.kind == "capacity" for c in fails), "capacity check", "capacity checks"),
        (sum(c.status == "warn" for c in verdict.checks), "warning", "warnings"),
        (sum(c.status == "pass" for c in verdict.checks), "passed", "passed"),
        (sum(c.status == "insufficient" for c in verdict.checks), "not judged (too few data)",
         "not judged (too few data)"),
    ]  # fmt: skip
    parts = [f"{n} {one if n == 1 else many}" for n, one, many in counts if n]
    if verdict.warnings:
        parts.append(f"{len(verdict.warnings)} note{'s' if len(verdict.warnings) > 1 else ''}")
    return ("PASS: " if verdict.passed else "FAIL: ") + (", ".join(parts) or "no checks")
