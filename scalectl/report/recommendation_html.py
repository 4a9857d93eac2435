"""The recommendation as one self-contained HTML page: the USL curve with measured points and the
chosen N, the forecast chart, the options table with costs, risk and database advice. Pure."""

from __future__ import annotations

from scalectl.models import Recommendation
from scalectl.report import plan_view
from scalectl.report.html import _recommendation
from scalectl.report.html_page import Page, e, footer, kpi, pill, section
from scalectl.report.plan_charts import forecast_figure


def _table(tt: plan_view.TextTable, cls: str) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in tt.headers)
    body = "".join(
        f'<tr class="{"chosen" if "chosen" in row[-1] else ""}">'
        + "".join(f"<td>{e(c)}</td>" for c in row)
        + "</tr>"
        for row in tt.rows
    )
    note = f'<p class="lead">{e(tt.note)}</p>' if tt.note else ""
    return f'{note}<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _lines(lines: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{e(x)}</li>" for x in lines) + "</ul>"


def _kpis(rec: Recommendation) -> str:
    out = [kpi("Replicas", str(rec.replicas), rec.replicas_detail)]
    out.append(kpi("Target", f"{rec.target_rps:g} req/s", ", ".join(rec.slo)))
    if rec.cost is not None:
        out.append(kpi("Monthly cost", plan_view.money(rec.cost.monthly, rec.cost.currency), "730 h/month"))
    if rec.growth is not None:
        out_m = rec.capacity_runs_out_month
        out.append(
            kpi(
                "Capacity runs out",
                f"month {out_m} ({rec.forecast[out_m].date})" if out_m is not None else "not in the horizon",
                f"{rec.growth.current_replicas} replicas today, {rec.growth.label}",
                cls="bad" if out_m is not None else "",
            )
        )
    out.append(kpi("Confidence", rec.confidence))
    return '<div class="kpis">' + "".join(out) + "</div>"


def render_recommendation_html(rec: Recommendation) -> str:
    page = Page()
    line = plan_view.runs_out_line(rec)
    reach = "reachable by replicas" if rec.reachable else "not reachable by replicas alone"
    header = (
        '<header class="top"><div class="wrap"><div class="eyebrow">scalectl capacity plan</div>'
        f"<h1>{rec.replicas} replicas for {rec.target_rps:g} req/s</h1>"
        f'<div class="meta">{e(", ".join(rec.sources))}</div>'
        f'<div class="verdict">{pill(rec.reachable, reach)}'
        + (f" {pill(rec.capacity_runs_out_month is None, line)}" if line else "")
        + "</div></div></header>"
    )
    parts = [header, '<main class="wrap">', _kpis(rec)]
    parts.append(section("Capacity now", _recommendation(page, rec), "capacity"))
    if rec.forecast:
        tt = plan_view.forecast_table(rec)
        chart = page.chart(forecast_figure(rec), wide=True)
        parts.append(
            section("Forecast", chart + (_table(tt, "forecast") if tt else ""), "forecast", line or "")
        )
    if (ot := plan_view.options_table(rec)) is not None:
        parts.append(section("Horizontal vs vertical", _table(ot, "options"), "options"))
    if cost := plan_view.cost_lines(rec):
        parts.append(section("Cost", _lines(cost), "cost"))
    if risk := plan_view.risk_lines(rec):
        parts.append(section("Risk at the forecast peak", _lines(risk), "risk"))
    if db := plan_view.db_advice_lines(rec):
        parts.append(section("Database scaling", _lines(db), "database"))
    if rec.advice:
        parts.append(section("Advice", _lines(rec.advice), "advice"))
    parts += ["</main>", footer()]
    return page.document(f"scalectl · plan · {rec.replicas} replicas", "".join(parts))
