"""Terminal rendering (rich) of a GateVerdict."""

from __future__ import annotations

from io import StringIO

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from scalectl.gate.judge import failure_line, summary_line, value_text
from scalectl.models.gate import CheckResult, GateVerdict

_STYLE = {"pass": "green", "fail": "bold red", "warn": "yellow", "insufficient": "dim"}
_ORDER = {"fail": 0, "warn": 1, "insufficient": 2, "pass": 3}


def _detail(c: CheckResult) -> str:
    """A short reason: the change and its interval, or why nothing was judged."""
    if c.status == "insufficient":
        return c.message.split(": ", 1)[-1]
    if c.kind == "capacity":
        return c.message
    if c.kind == "regression" and c.ci_low is not None and c.observed is not None and c.baseline:
        if c.metric == "error_rate":
            assert c.ci_high is not None
            change = (c.observed - c.baseline) * 100
            return f"{change:+.2f} pp [{c.ci_low * 100:+.2f}, {c.ci_high * 100:+.2f}]"
        assert c.ci_high is not None
        return f"{c.observed / c.baseline - 1:+.0%} [{c.ci_low:+.0%}, {c.ci_high:+.0%}]"
    return ""


def renderable(verdict: GateVerdict, *, show_passed: bool = True) -> Group:
    title = f"gate: run {verdict.run_id}" + (f" vs {verdict.baseline}" if verdict.baseline else "")
    table = Table(title=title, title_justify="left")
    for col in ("status", "check", "scope", "baseline", "observed", "limit", "change [95% CI] / note"):
        right = col in ("baseline", "observed", "limit")
        table.add_column(col, justify="right" if right else "left", overflow="fold")
    for c in sorted(verdict.checks, key=lambda c: (_ORDER[c.status], c.kind, c.scope)):
        if c.status == "pass" and not show_passed:
            continue
        what = c.name.removeprefix("threshold ") if c.kind in ("threshold", "capacity") else c.metric
        table.add_row(
            Text(c.status.upper(), style=_STYLE[c.status]),
            what,
            c.scope,
            value_text(c, c.baseline) if c.kind == "regression" else "",
            value_text(c, c.observed),
            value_text(c, c.limit),
            _detail(c),
        )
    parts: list = [table]
    if verdict.capacity is not None:
        cap = verdict.capacity
        parts.append(Text(f"capacity: {cap.text}" + (f"; {cap.plan_text}" if cap.plan_text else "")))
    parts.extend(Text(f"warning: {w}", style="yellow") for w in verdict.warnings)
    warned = any(c.status == "warn" for c in verdict.checks)
    style = "bold red" if not verdict.passed else ("bold yellow" if warned else "bold green")
    parts.append(Text(summary_line(verdict), style=style))
    return Group(*parts)


def render_lines(verdict: GateVerdict) -> str:
    """The gate for a CI log (no terminal): one line per failing or warning check, the run's notes,
    and the one-line summary. The full table goes to --markdown, --junit and --json."""
    checks = sorted(
        (c for c in verdict.checks if c.status in ("fail", "warn")),
        key=lambda c: (_ORDER[c.status], c.kind, c.scope),
    )
    lines = [f"gate: run {verdict.run_id}" + (f" vs {verdict.baseline}" if verdict.baseline else "")]
    lines += [failure_line(c) for c in checks]
    if (cap := verdict.capacity) is not None:
        lines.append(f"capacity: {cap.text}" + (f"; {cap.plan_text}" if cap.plan_text else ""))
    lines += [f"note: {w}" for w in verdict.warnings]
    lines.append(summary_line(verdict))
    return "\n".join(lines) + "\n"


def render(verdict: GateVerdict, *, width: int = 140, color: bool = False, show_passed: bool = True) -> str:
    console = Console(
        file=StringIO(), width=width, force_terminal=color, color_system="standard" if color else None
    )
    console.print(renderable(verdict, show_passed=show_passed))
    return console.file.getvalue()  # type: ignore[attr-defined]
