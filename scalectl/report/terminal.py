"""The rich terminal view of a run (or a comparison of runs), rendered to a string.

Composed from the pieces their owners write when they are installed: ``run_term.render_run``
(endpoint table and run notes), ``analysis_term.render_analysis`` (flowchart tree) and
``recommendation_term.recommendation_renderable``. Where one is missing, the fallback section of
this module renders the same model.
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable, Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from scalectl.models import Analysis, Recommendation, RunResult
from scalectl.models.analysis import flow_step_good, flow_step_mark
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


def _piece(module: str, attr: str) -> Callable[..., RenderableType] | None:
    """``scalectl.report.<module>.<attr>`` when that module exists, else None."""
    name = f"scalectl.report.{module}"
    try:
        mod = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise
    fn = getattr(mod, attr, None)
    return fn if callable(fn) else None


def run_view(item: ReportInput, *, compose: bool = True) -> list[RenderableType]:
    """Summary, endpoints, analysis, recommendation; ``compose=False`` uses this module's fallbacks."""
    render_run = _piece("run_term", "render_run") if compose else None
    render_analysis = _piece("analysis_term", "render_analysis") if compose else None
    render_rec = _piece("recommendation_term", "recommendation_renderable") if compose else None
    parts: list[RenderableType] = [summary_panel(item, notes=render_run is None)]
    parts.append(render_run(item.run) if render_run else endpoint_table(item.run))
    if item.analysis is not None:
        parts.append(render_analysis(item.analysis) if render_analysis else analysis_tree(item.analysis))
    if item.recommendation is not None:
        rec = item.recommendation
        parts.append(render_rec(rec) if render_rec else recommendation_panel(rec))
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


# ---- fallbacks for the owners' pieces ---------------------------------------------------------


def endpoint_table(run: RunResult) -> RenderableType:
    table = Table(
        title="Endpoints",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
        show_edge=False,
    )
    longest = max((len(ep.key) for ep in run.endpoints), default=5)
    table.add_column("Endpoint", no_wrap=True, min_width=min(longest, 40))
    for col in ("Requests", "Errors", "req/s", "p50", "p95", "p99", "max"):
        table.add_column(col, justify="right", no_wrap=True)
    kinds: list[Text] = []
    for ep in [*run.endpoints, run.total]:
        rate = ep.failures / ep.requests if ep.requests else 0.0
        table.add_row(
            Text(ep.key, style="bold") if ep is run.total else ep.key,
            f"{ep.requests:,}",
            Text(fmt.pct(rate), style="red" if rate > 0 else ""),
            fmt.num(ep.rps),
            fmt.lat_ms(ep, "p50"),
            fmt.lat_ms(ep, "p95"),
            fmt.lat_ms(ep, "p99"),
            fmt.lat_ms(ep, "max"),
            end_section=ep is not run.total and ep is run.endpoints[-1],
        )
        if ep.errors and ep is not run.total:
            detail = ", ".join(f"{k} {v:,}" for k, v in sorted(ep.errors.items()))
            kinds.append(Text.assemble(("errors ", "red"), f"{ep.key}: {detail}"))
    return Group(table, *kinds) if kinds else table


def analysis_tree(a: Analysis) -> RenderableType:
    verdict = Text(
        "performance OK" if a.performance_ok else "performance NOT OK",
        style="green" if a.performance_ok else "bold red",
    )
    tree = Tree(Text.assemble("Analysis: ", verdict, f"  {a.summary}" if a.summary else ""))
    if a.path:
        path = tree.add("Flowchart path")
        for step in a.path:
            good = flow_step_good(step.step, step.outcome)
            mark = (flow_step_mark(step.step, step.outcome), {True: "green", False: "red", None: "dim"}[good])
            node = path.add(Text.assemble((mark[0] + " ", mark[1]), (step.step, "bold"), f": {step.verdict}"))
            for d in step.details:
                node.add(d)
    if a.findings:
        found = tree.add("Findings (most severe first)")
        for f in a.findings:
            node = found.add(
                Text.assemble(
                    (f"{f.severity:<8}", _SEV_STYLE.get(f.severity, "")),
                    f" {f.category}: ",
                    (f.title, "bold"),
                    f"  (confidence {f.confidence:.0%})",
                )
            )
            for ev in f.evidence:
                val = f" = {ev.observed}" if ev.observed is not None else ""
                lim = f" (threshold {ev.threshold})" if ev.threshold is not None else ""
                node.add(f"evidence: {ev.metric}{val}{lim}" + (f": {ev.note}" if ev.note else ""))
            node.add(Text.assemble(("action: ", "bold"), f.action))
            if f.verify:
                node.add(Text.assemble(("verify: ", "bold"), f.verify))
    for n in a.notes:
        tree.add(Text(f"note: {n}", style="dim"))
    return tree


def recommendation_panel(r: Recommendation) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    reach = (
        Text("reachable", style="green") if r.reachable else Text("NOT reachable by replicas", style="red")
    )
    grid.add_row(
        "Replicas", Text.assemble((str(r.replicas), "bold"), f" for {fmt.num(r.target_rps)} req/s, ", reach)
    )
    for label, value in fmt.capacity_rows(r):
        grid.add_row(label, value)
    grid.add_row("Limited by", r.limited_by or "–")
    res = r.resources
    grid.add_row("CPU", f"request {res.cpu_request}, limit {res.cpu_limit or '–'}")
    grid.add_row("Memory", f"request {res.memory_request}, limit {res.memory_limit}")
    if r.model is not None:
        grid.add_row("USL fit", fmt.usl_fit(r.model))
    for k, v in sorted(r.settings.items()):
        grid.add_row("Setting", f"{k}={v}")
    grid.add_row("Confidence", r.confidence)
    body: list[RenderableType] = [grid]
    body += [Text(f"• {x}") for x in r.reasoning]
    body += [Text(f"⚠ {w}", style="yellow") for w in r.warnings]
    return Panel(Group(*body), title="Recommendation", title_align="left")


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
