"""The rich terminal view of a run (or a comparison of runs), rendered to a string.

The run summary, analysis tree and recommendation panel are rendered here until the modules their
owners write (``run_term``, ``analysis_term``, ``recommendation_term``) land; then this view
composes those instead.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from scalectl.models import Analysis, Recommendation, RunResult
from scalectl.report import data, fmt
from scalectl.report.model import ReportInput, slo_results, slo_verdict

_SEV_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "blue"}
_OK_STYLE = {True: "green", False: "bold red", None: "dim"}


def render(items: Sequence[ReportInput], *, width: int = 100, color: bool = False) -> str:
    if not items:
        raise ValueError("nothing to report")
    parts = [compare_view(items)] if len(items) > 1 else run_view(items[0])
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
    parts: list[RenderableType] = [summary_panel(item), endpoint_table(item.run)]
    if item.analysis is not None:
        parts.append(_analysis(item.analysis))
    if item.recommendation is not None:
        parts.append(_recommendation(item.recommendation))
    return parts


def summary_panel(item: ReportInput) -> Panel:
    run = item.run
    slos = slo_results(item)
    ok = slo_verdict(slos)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    lat = run.total.latency_ms
    grid.add_row("Scenario", f"{run.scenario_name} ({run.load_model} model) → {run.host}")
    grid.add_row("Duration", f"{fmt.duration(run.duration_s)}, {fmt.completeness(run)}")
    grid.add_row("Samples", fmt.samples(run))
    grid.add_row("Throughput", f"{fmt.num(run.total.rps)} req/s")
    grid.add_row(
        "Latency",
        f"p50 {fmt.ms(lat.p50)}  p95 {fmt.ms(lat.p95)}  p99 {fmt.ms(lat.p99)}  max {fmt.ms(lat.max)}",
    )
    grid.add_row("Measured on", fmt.environment(run.environment))
    g = run.generator
    gen = Text(f"CPU mean {g.cpu_percent_mean:.0f}%, max {g.cpu_percent_max:.0f}%")
    if g.saturated:
        gen.append("  SATURATED: these numbers size nothing", style="bold red")
    grid.add_row("Generator", gen)
    for r in slos:
        status = Text(fmt.slo_status(r.ok), style=_OK_STYLE[r.ok])
        detail = f"  observed {fmt.slo_observed(r)}, limit {fmt.slo_limit(r)}"
        grid.add_row("SLO", Text.assemble(f"{r.expression} ({r.scope}) ", status, detail))
    for w in [*run.warnings, *g.notes]:
        grid.add_row(Text("Warning", style="yellow"), w)
    verdict = fmt.verdict_text(ok, len(slos))
    title = Text.assemble("scalectl run ", (run.run_id, "bold"), " — ", (verdict, _OK_STYLE[ok]))
    return Panel(grid, title=title, title_align="left", border_style=_OK_STYLE[ok if slos else None])


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
        lat = ep.latency_ms
        rate = ep.failures / ep.requests if ep.requests else 0.0
        table.add_row(
            Text(ep.key, style="bold") if ep is run.total else ep.key,
            f"{ep.requests:,}",
            Text(fmt.pct(rate), style="red" if rate > 0 else ""),
            fmt.num(ep.rps),
            fmt.ms(lat.p50),
            fmt.ms(lat.p95),
            fmt.ms(lat.p99),
            fmt.ms(lat.max),
            end_section=ep is not run.total and ep is run.endpoints[-1],
        )
        if ep.errors and ep is not run.total:
            detail = ", ".join(f"{k} {v:,}" for k, v in sorted(ep.errors.items()))
            kinds.append(Text.assemble(("errors ", "red"), f"{ep.key}: {detail}"))
    return Group(table, *kinds) if kinds else table


def _analysis(a: Analysis) -> RenderableType:
    verdict = Text(
        "performance OK" if a.performance_ok else "performance NOT OK",
        style="green" if a.performance_ok else "bold red",
    )
    tree = Tree(Text.assemble("Analysis: ", verdict, f"  {a.summary}" if a.summary else ""))
    if a.path:
        path = tree.add("Flowchart path")
        for step in a.path:
            mark = {True: ("✔", "green"), False: ("✘", "red"), None: ("·", "dim")}[step.outcome]
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


def _recommendation(r: Recommendation) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    reach = (
        Text("reachable", style="green") if r.reachable else Text("NOT reachable by replicas", style="red")
    )
    grid.add_row(
        "Replicas", Text.assemble((str(r.replicas), "bold"), f" for {fmt.num(r.target_rps)} req/s, ", reach)
    )
    grid.add_row(
        "Per replica", f"{fmt.num(r.per_replica_capacity_rps)} req/s at {fmt.pct(r.utilization_target, 0)}"
    )
    grid.add_row("Limited by", r.limited_by or "–")
    res = r.resources
    grid.add_row("CPU", f"request {res.cpu_request}, limit {res.cpu_limit or '–'}")
    grid.add_row("Memory", f"request {res.memory_request}, limit {res.memory_limit}")
    if r.model is not None:
        m = r.model
        fit = f"λ={m.lam:.4g} σ={m.sigma:.4g} κ={m.kappa:.4g}" + (
            f" R²={m.r2:.3f}" if m.r2 is not None else ""
        )
        grid.add_row("USL fit", f"{fit} on {m.n_points} points ({m.axis})")
    for k, v in sorted(r.settings.items()):
        grid.add_row("Setting", f"{k}={v}")
    grid.add_row("Confidence", r.confidence)
    body: list[RenderableType] = [grid]
    body += [Text(f"• {x}") for x in r.reasoning]
    body += [Text(f"⚠ {w}", style="yellow") for w in r.warnings]
    return Panel(Group(*body), title="Recommendation", title_align="left")


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
