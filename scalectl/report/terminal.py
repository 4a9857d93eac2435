"""The rich terminal view of a run (or a comparison of runs), rendered to a string.

Composed from the summary panel here and the pieces of ``run_term.render_run`` (endpoint table and run
notes), ``analysis_term.render_analysis`` (flowchart tree) and
``recommendation_term.recommendation_renderable``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich import box
from rich.console import Console, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from scalectl.report import data, fmt
from scalectl.report.model import ReportInput, slo_results, slo_verdict

_SEV_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "blue"}
_OK_STYLE = {True: "green", False: "bold red", None: "dim"}


def render(items: Sequence[ReportInput], *, width: int = 100, color: bool = False) -> str:
    if not items:
        raise ValueError("nothing to report")
    parts = [compare_view(items)] if len(items) > 1 else run_view(items[0])
    return print_parts(parts, width=width, color=color)


def print_parts(parts: Sequence[RenderableType], *, width: int = 100, color: bool = False) -> str:
    buf = io.StringIO()
    console = Console(
        file=buf,
        width=width,
        color_system="truecolor" if color else None,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    for i, part in enumerate(parts):
        if i:
            console.print()
        console.print(part)
    return buf.getvalue()


def run_view(item: ReportInput) -> list[RenderableType]:
    """Summary, endpoints, analysis, recommendation."""
    from scalectl.report.analysis_term import render_analysis
    from scalectl.report.recommendation_term import recommendation_renderable
    from scalectl.report.run_term import render_run

    parts: list[RenderableType] = [summary_panel(item, notes=False), render_run(item.run)]
    if item.analysis is not None:
        parts.append(render_analysis(item.analysis))
    if item.recommendation is not None:
        parts.append(recommendation_renderable(item.recommendation))
    return parts


def summary_panel(item: ReportInput, *, notes: bool = True) -> Panel:
    """Scenario, duration, samples, latency, environment and SLO verdict; with ``notes`` also the
    generator's load and the run's warnings (``run_term`` shows those when it is used)."""
    run = item.run
    slos = slo_results(item)
    ok = slo_verdict(slos)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Scenario", f"{run.scenario_name} ({run.load_model} model) → {run.host}")
    grid.add_row("Duration", f"{fmt.duration(run.duration_s)}, {fmt.completeness(run)}")
    grid.add_row("Samples", fmt.samples(run))
    grid.add_row("Throughput", fmt.throughput(run))
    grid.add_row(
        "Latency",
        fmt.latency_line(run.total),
    )
    grid.add_row("Measured on", fmt.environment(run.environment))
    g = run.generator
    if notes:
        gen = Text(f"CPU mean {g.cpu_percent_mean:.0f}%, max {g.cpu_percent_max:.0f}%")
        if g.saturated:
            gen.append("  SATURATED: these numbers size nothing", style="bold red")
        grid.add_row("Generator", gen)
    for r in slos:
        status = Text(fmt.slo_status(r.ok), style=_OK_STYLE[r.ok])
        detail = f"  observed {fmt.slo_observed(r)}, limit {fmt.slo_limit(r)}"
        grid.add_row("SLO", Text.assemble(f"{r.expression} ({r.scope}) ", status, detail))
    for w in [*run.warnings, *g.notes] if notes else []:
        grid.add_row(Text("Warning", style="yellow"), w)
    verdict = fmt.verdict_text(ok, len(slos))
    title = Text.assemble("scalectl run ", (run.run_id, "bold"), " — ", (verdict, _OK_STYLE[ok]))
    return Panel(grid, title=title, title_align="left", border_style=_OK_STYLE[ok if slos else None])


# ---- comparison ---------------------------------------------------------------------------------


def compare_view(items: Sequence[ReportInput]) -> RenderableType:
    runs = [i.run for i in items]
    names = [i.name for i in items]
    table = Table(
        title=f"Comparison (deltas against {names[0]})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
        show_edge=False,
    )
    table.add_column("Scope", no_wrap=True)
    table.add_column("Metric")
    for n in names:
        table.add_column(n, justify="right")
    for n in names[1:]:
        table.add_column(f"Δ {n}", justify="right")
    scope = None
    for row in data.compare_rows(runs):
        values = [fmt.compare_value(v, row.unit) for v in row.values]
        deltas: list[Text] = []
        for i in range(1, len(runs)):
            worse = data.is_worse(row, i)
            style = {True: "red", False: "green", None: ""}[worse]
            deltas.append(Text(fmt.delta(row.delta(i)) + (" !" if worse else ""), style=style))
        table.add_row(row.scope if row.scope != scope else "", row.metric, *values, *deltas)
        scope = row.scope
    return table
