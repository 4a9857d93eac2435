"""Terminal rendering of a Recommendation: a table, the reasoning, and an ASCII view of the USL curve."""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from scalectl.models import Recommendation, UslModel
from scalectl.report import plan_view
from scalectl.report.fmt import capacity_rows

BAR_WIDTH = 40


def curve_lines(model: UslModel, *, chosen: int | None = None, width: int = BAR_WIDTH) -> list[str]:
    """One bar per N: predicted X(N), the measured knee where there is one, the chosen N marked."""
    if model.lam <= 0:
        return []
    measured = {int(n): x for n, x in model.points}
    top_n = max([*measured, chosen or 1, 1])
    if model.peak_n:
        top_n = max(top_n, min(round(model.peak_n) + 1, 3 * top_n))
    top_n = min(max(top_n + 1, 4), 24)
    lam, sigma, kappa = model.lam, model.sigma, model.kappa
    xs = {n: lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1)) for n in range(1, top_n + 1)}
    scale = max([*xs.values(), *measured.values()]) or 1.0
    lines = []
    for n, x in xs.items():
        bar = "█" * max(1, round(x / scale * width))
        meas = f"  measured {measured[n]:.0f}" if n in measured else ""
        mark = "  ◀ chosen" if chosen == n else ""
        lines.append(f"N={n:>2} {bar:<{width}} {x:7.0f} req/s{meas}{mark}")
    return lines


def recommendation_renderable(rec: Recommendation) -> RenderableType:
    rate = f"{rec.target_rps:,.1f}".removesuffix(".0")
    t = Table(title=f"Recommendation for {rate} req/s ({', '.join(rec.slo) or 'no SLO'})")
    t.add_column("", style="bold")
    t.add_column("value")
    verdict = "yes" if rec.reachable else "[red]no: adding replicas alone will not reach it[/]"
    t.add_row("replicas", f"{rec.replicas} ({rec.replicas_detail})")
    t.add_row("reachable by replicas", verdict)
    t.add_row("limited by", rec.limited_by or "-")
    for label, value in capacity_rows(rec):
        t.add_row(label.lower(), value)
    r = rec.resources
    t.add_row("cpu request / limit", f"{r.cpu_request} / {r.cpu_limit or '-'}")
    t.add_row("memory request / limit", f"{r.memory_request} / {r.memory_limit}")
    t.add_row("HPA cpu target", f"{r.hpa_cpu_utilization}%" if r.hpa_cpu_utilization else "-")
    if rec.db_pool_size is not None:
        t.add_row(
            "db pool per replica",
            f"{rec.db_pool_size} + {rec.db_max_overflow} overflow "
            f"(budget {rec.db_usable_connections} of max_connections {rec.db_max_connections})",
        )
    if rec.concurrency_per_replica is not None:
        t.add_row("in flight per replica", f"{rec.concurrency_per_replica:.1f}")
    if rec.upstream_concurrency is not None:
        t.add_row("upstream concurrency", str(rec.upstream_concurrency))
    if rec.cost is not None:
        t.add_row("monthly cost", plan_view.money(rec.cost.monthly, rec.cost.currency))
    if (line := plan_view.runs_out_line(rec)) is not None:
        t.add_row("forecast", line)
    t.add_row("confidence", rec.confidence)
    parts: list[RenderableType] = [t, *_plan_parts(rec)]
    if rec.model is not None and (lines := curve_lines(rec.model, chosen=rec.needed_replicas)):
        parts.append(Text(f"USL over {rec.model.axis} (predicted capacity at the SLO):", style="bold"))
        parts.append(Text("\n".join(lines)))
    for title, items in (
        ("Reasoning", rec.reasoning),
        ("Advice", rec.advice),
        ("Warnings", rec.warnings),
        ("Evidence that would raise confidence", rec.raise_confidence),
    ):
        if items:
            parts.append(Text(title + ":", style="bold"))
            parts.append(Text("\n".join(f"  - {line}" for line in items)))
    if rec.verification:
        v = rec.verification
        parts.append(Text("Verification:", style="bold"))
        lines = [f"  measured in {v.run_dir}"]
        lines += [f"  - {reason}" for reason in v.why[1:]]
        lines += [f"  note: {note}" for note in v.notes]
        parts.append(Text("\n".join(lines)))
    return Group(*parts)


def _table(tt: plan_view.TextTable) -> Table:
    t = Table(*tt.headers, title=tt.title, caption=tt.note or None)
    for row in tt.rows:
        t.add_row(*row)
    return t


def _plan_parts(rec: Recommendation) -> list[RenderableType]:
    """Cost, options, forecast, risk and database advice (the same text as the other views)."""
    parts: list[RenderableType] = []
    for title, lines in (("Cost", plan_view.cost_lines(rec)),):
        if lines:
            parts += [Text(title + ":", style="bold"), Text("\n".join(f"  {x}" for x in lines))]
    for tt in (plan_view.options_table(rec), plan_view.forecast_table(rec)):
        if tt is not None:
            parts.append(_table(tt))
    for title, lines in (
        ("Risk at the forecast peak", plan_view.risk_lines(rec)),
        ("Database scaling", plan_view.db_advice_lines(rec)),
    ):
        if lines:
            parts += [Text(title + ":", style="bold"), Text("\n".join(f"  {x}" for x in lines))]
    return parts


def render_recommendation(rec: Recommendation, *, width: int = 110) -> str:
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None, highlight=False).print(recommendation_renderable(rec))
    return buf.getvalue()
