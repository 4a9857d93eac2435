"""Render an Analysis as a rich Tree: the flowchart path as walked, then the findings."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from rich.tree import Tree

from scalectl.models import Analysis, Finding
from scalectl.models.analysis import flow_step_good, flow_step_mark, flow_step_title

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def _outcome(outcome: bool | None, step: str) -> Text:
    if outcome is None:
        return Text("")
    good = flow_step_good(step, outcome)
    style = {True: "green", False: "red", None: "bold"}[good]
    return Text(flow_step_mark(step, outcome) + " ", style=style)


def _finding(f: Finding) -> Tree:
    head = Text()
    head.append(f"[{f.severity}] ", style=SEVERITY_STYLE.get(f.severity, ""))
    head.append(f.title, style="bold")
    head.append(f"  ({f.category}, confidence {f.confidence:.0%})", style="dim")
    node = Tree(head)
    for ev in f.evidence:
        line = f"{ev.metric}: {ev.observed}"
        if ev.threshold is not None:
            line += f" (threshold {ev.threshold})"
        if ev.window:
            line += f", t={ev.window[0]:g}–{ev.window[1]:g}s"
        if ev.source:
            line += f" [{ev.source}]"
        if ev.note:
            line += f" — {ev.note}"
        node.add(Text(line, style="dim"))
    node.add(Text.assemble(("action: ", "bold"), f.action))
    if f.verify:
        node.add(Text.assemble(("verify: ", "bold"), (f.verify, "cyan")))
    if f.experiment is not None:
        from scalectl.report.experiment import finding_line

        style = {"confirmed": "green", "rejected": "red"}.get(f.tested or "", "yellow")
        node.add(Text(finding_line(f.experiment, f.tested), style=style))
    return node


def render_analysis(analysis: Analysis) -> Group:
    """A renderable: the flowchart tree and the findings, most severe first."""
    ok = analysis.performance_ok
    root = Tree(
        Text.assemble(
            ("Analysis ", "bold"),
            (analysis.run_id, "cyan"),
            "  ",
            ("performance OK" if ok else "performance NOT OK", "bold green" if ok else "bold red"),
        )
    )
    for step in analysis.path:
        label = Text.assemble(
            _outcome(step.outcome, step.step),
            (flow_step_title(step.step), "bold"),
            ": ",
            step.verdict,
        )
        node = root.add(label)
        for d in step.details:
            node.add(Text(d, style="dim"))
    parts: list = [root]
    if analysis.findings:
        findings = Tree(Text(f"Findings ({len(analysis.findings)}, most severe first)", style="bold"))
        for f in analysis.findings:
            findings.add(_finding(f))
        parts.append(findings)
    for note in analysis.notes:
        parts.append(Text(f"note: {note}", style="yellow"))
    if analysis.summary:
        parts.append(Text(analysis.summary, style="bold"))
    return Group(*parts)


def render_findings_brief(analysis: Analysis) -> Group:
    """One line per finding, most severe first, and the notes (``--verbose`` shows the whole tree)."""
    parts: list = []
    for f in analysis.findings:
        line = Text()
        line.append(f"[{f.severity}] ", style=SEVERITY_STYLE.get(f.severity, ""))
        line.append(f"{f.title}  ({f.category}, confidence {f.confidence:.0%})")
        parts.append(line)
    parts.extend(Text(f"note: {note}", style="yellow") for note in analysis.notes)
    return Group(*parts)


def render_analysis_text(analysis: Analysis, width: int = 120) -> str:
    """The same, as plain text (no colour), e.g. for logs and golden tests."""
    from rich.console import Console

    console = Console(width=width, record=True, color_system=None, force_terminal=False, file=_Null())
    console.print(render_analysis(analysis))
    return console.export_text()


class _Null:
    def write(self, _: str) -> int:
        return 0

    def flush(self) -> None:
        return None
