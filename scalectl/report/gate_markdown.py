"""Markdown of a GateVerdict, for ``$GITHUB_STEP_SUMMARY`` or a pull-request comment."""

from __future__ import annotations

from scalectl.gate.judge import failure_line, value_text
from scalectl.models.gate import CheckResult, GateVerdict

_ICON = {"pass": "✅", "fail": "❌", "warn": "⚠️", "insufficient": "❔"}
_ORDER = {"fail": 0, "warn": 1, "insufficient": 2, "pass": 3}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _change(c: CheckResult) -> str:
    if c.kind != "regression" or c.status == "insufficient" or c.observed is None or c.baseline is None:
        return ""
    if c.metric == "error_rate":
        change = f"{(c.observed - c.baseline) * 100:+.2f} pp"
        ci = "" if c.ci_low is None else f" [{c.ci_low * 100:+.2f}, {c.ci_high * 100:+.2f}]"
        return change + ci
    if c.baseline == 0:
        return ""
    change = f"{c.observed / c.baseline - 1:+.1%}"
    ci = "" if c.ci_low is None else f" [{c.ci_low:+.1%}, {c.ci_high:+.1%}]"
    return change + ci


def _table(checks: list[CheckResult], regression: bool) -> list[str]:
    if regression:
        head = "| | Scope | Metric | Baseline | Observed | Limit | Change [95% CI] |"
        rule = "|---|---|---|---:|---:|---:|---|"
    else:
        head = "| | Scope | Threshold | Observed | Limit |"
        rule = "|---|---|---|---:|---:|"
    lines = [head, rule]
    for c in sorted(checks, key=lambda c: _ORDER[c.status]):
        icon = f"{_ICON[c.status]} {c.status}"
        if regression:
            cells = [icon, f"`{c.scope}`", c.metric, value_text(c, c.baseline), value_text(c, c.observed),
                     value_text(c, c.limit), _change(c)]  # fmt: skip
        else:
            expr = f"`{c.name.removeprefix('threshold ')}`"
            cells = [icon, f"`{c.scope}`", expr, value_text(c, c.observed), value_text(c, c.limit)]
        lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
    return lines


def render(verdict: GateVerdict) -> str:
    failed = verdict.failed
    counts = {s: sum(c.status == s for c in verdict.checks) for s in ("pass", "fail", "warn", "insufficient")}
    if not verdict.passed:
        title = "❌ Performance gate failed"
    elif counts["warn"]:
        title = f"⚠️ Performance gate passed with {counts['warn']} warning{'s' if counts['warn'] > 1 else ''}"
    else:
        title = "✅ Performance gate passed"
    lines = [f"## {title}", ""]
    against = f" against baseline `{verdict.baseline}`" if verdict.baseline else ""
    lines.append(
        f"Run `{verdict.run_id}`{against}: {counts['pass']} passed, {counts['fail']} failed, "
        f"{counts['warn']} warned, {counts['insufficient']} with insufficient data."
    )
    lines.append("")
    if failed:
        lines.append("### Failed checks")
        lines.append("")
        lines.extend(f"- {failure_line(c)}  \n  {c.message}" for c in failed)
        lines.append("")
    if verdict.warnings:
        lines.append("### Warnings")
        lines.append("")
        lines.extend(f"- {w}" for w in verdict.warnings)
        lines.append("")
    if verdict.capacity is not None:
        cap = verdict.capacity
        lines += ["### Capacity and cost", "", f"- {cap.text}"]
        if cap.plan_text:
            lines.append(f"- {cap.plan_text}")
        lines.append("")
    thresholds = [c for c in verdict.checks if c.kind == "threshold"]
    regressions = [c for c in verdict.checks if c.kind == "regression"]
    if thresholds:
        lines.extend(["### Thresholds", "", *_table(thresholds, regression=False), ""])
    if regressions:
        lines.extend(["### Regression against the baseline", "", *_table(regressions, regression=True), ""])
        lines.append(
            "A regression fails only when it is beyond its tolerance *and* beyond the runs' own noise "
            "(block bootstrap over per-second histograms, Holm-adjusted)."
        )
        lines.append("")
    return "\n".join(lines)
