"""The recommendation (and its plan) as Markdown for PR comments and job summaries. Pure."""

from __future__ import annotations

from scalectl.models import Recommendation
from scalectl.report import fmt, plan_view


def _table(tt: plan_view.TextTable) -> list[str]:
    out = [f"#### {tt.title}", ""]
    if tt.note:
        out += [tt.note, ""]
    out.append("| " + " | ".join(tt.headers) + " |")
    out.append("|" + "---|" * len(tt.headers))
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in tt.rows]
    return [*out, ""]


def render_recommendation_md(rec: Recommendation) -> str:
    lines = [
        f"### Capacity plan: {rec.replicas} replicas for {rec.target_rps:g} req/s ({', '.join(rec.slo)})",
        "",
    ]
    lines.append(
        f"- reachable by replicas: {'yes' if rec.reachable else 'no'}; limited by {rec.limited_by or '–'}"
    )
    lines.append(
        f"- resources per replica: CPU {rec.resources.cpu_request}, memory {rec.resources.memory_request}"
    )
    if rec.model is not None:
        lines.append(f"- USL fit: {fmt.usl_fit(rec.model)}")
    if rec.cost is not None:
        lines.append(f"- monthly cost: {plan_view.money(rec.cost.monthly, rec.cost.currency)}")
    if (line := plan_view.runs_out_line(rec)) is not None:
        lines.append(f"- {line}")
    lines.append(f"- confidence: {rec.confidence}")
    lines.append("")
    for tt in (plan_view.options_table(rec), plan_view.forecast_table(rec)):
        if tt is not None:
            lines += _table(tt)
    for title, items in (
        ("Cost", plan_view.cost_lines(rec)),
        ("Risk at the forecast peak", plan_view.risk_lines(rec)),
        ("Database scaling", plan_view.db_advice_lines(rec)),
        ("Reasoning", rec.reasoning),
        ("Advice", rec.advice),
        ("Warnings", rec.warnings),
    ):
        if items:
            lines += [f"#### {title}", "", *(f"- {x}" for x in items), ""]
    return "\n".join(lines)
