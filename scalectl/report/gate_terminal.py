"""Terminal rendering (rich) of a GateVerdict."""

from __future__ import annotations

from io import StringIO

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from scalectl.gate.judge import value_text
from scalectl.models.gate import GateVerdict

_STYLE = {"pass": "green", "fail": "bold red", "warn": "yellow", "insufficient": "dim"}
_ORDER = {"fail": 0, "warn": 1, "insufficient": 2, "pass": 3}


def renderable(verdict: GateVerdict, *, show_passed: bool = True) -> Group:
    table = Table(
        title=f"gate: run {verdict.run_id}" + (f" vs {verdict.baseline}" if verdict.baseline else "")
    )
    for col in ("status", "kind", "scope", "metric", "baseline", "observed", "limit", "detail"):
        right = col in ("baseline", "observed", "limit")
        table.add_column(col, justify="right" if right else "left", overflow="fold")
    for c in sorted(verdict.checks, key=lambda c: (_ORDER[c.status], c.kind, c.scope)):
        if c.status == "pass" and not show_passed:
            continue
        table.add_row(
            Text(c.status.upper(), style=_STYLE[c.status]),
            c.kind,
            c.scope,
            c.metric,
            value_text(c, c.baseline) if c.kind == "regression" else "",
            value_text(c, c.observed),
            value_text(c, c.limit),
            c.message,
        )
    parts: list = [table]
    parts.extend(Text(f"warning: {w}", style="yellow") for w in verdict.warnings)
    n_fail = len(verdict.failed)
    summary = (
        Text(f"PASS: {len(verdict.checks)} checks, none failed", style="bold green")
        if verdict.passed
        else Text(f"FAIL: {n_fail} of {len(verdict.checks)} checks failed", style="bold red")
    )
    parts.append(summary)
    return Group(*parts)


def render(verdict: GateVerdict, *, width: int = 140, color: bool = False, show_passed: bool = True) -> str:
    console = Console(
        file=StringIO(), width=width, force_terminal=color, color_system="standard" if color else None
    )
    console.print(renderable(verdict, show_passed=show_passed))
    return console.file.getvalue()  # type: ignore[attr-defined]
