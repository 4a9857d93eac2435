"""The HTML comparison of several runs: overview, deltas against the first run, overlaid charts."""

from __future__ import annotations

from collections.abc import Sequence

from scalectl.models import RunResult
from scalectl.report import data, fmt
from scalectl.report import html_charts as charts
from scalectl.report.html_page import Page, e, footer, section, slo_pill, started
from scalectl.report.model import ReportInput


def render(items: Sequence[ReportInput]) -> str:
    page = Page()
    runs = [(i.name, i.run) for i in items]
    names = [n for n, _ in runs]
    header = (
        '<header class="top"><div class="wrap"><div class="eyebrow">scalectl comparison</div>'
        f"<h1>{' vs '.join(e(n) for n in names)}</h1>"
        f'<div class="meta">deltas against <code>{e(names[0])}</code></div></div></header>'
    )
    overview = "".join(
        f"<tr><td><code>{e(item.name)}</code></td><td>{e(item.run.scenario_name)}</td>"
        f'<td class="nowrap">{e(started(item.run))}</td>'
        f"<td>{e(fmt.duration(item.run.duration_s))}, {e(fmt.completeness(item.run))}</td>"
        f"<td>{slo_pill(item)}</td>"
        f'<td class="num">{item.run.total.requests:,}</td>'
        f"<td>{e(fmt.environment(item.run.environment))}</td></tr>"
        for item in items
    )
    overview_html = (
        '<div class="scroll"><table class="data"><thead><tr><th>Run</th><th>Scenario</th><th>Started</th>'
        '<th>Duration</th><th>SLO</th><th class="num">Requests</th><th>Measured on</th></tr></thead>'
        f"<tbody>{overview}</tbody></table></div>"
    )
    figs = page.grid([(f, False) for f in charts.compare_figures(runs)])
    body = [
        header,
        '<main class="wrap">',
        section("Runs", overview_html, "runs"),
        section(
            "Deltas",
            _delta_table([r for _, r in runs], names),
            "deltas",
            "Relative change against the first run; red marks a change for the worse above 5%.",
        ),
        section("Latency and throughput", figs, "charts"),
        footer(),
        "</main>",
    ]
    return page.document(f"scalectl comparison · {' vs '.join(names)}", "\n".join(body))


def _delta_table(runs: Sequence[RunResult], names: Sequence[str]) -> str:
    head = "".join(f'<th class="num">{e(n)}</th>' for n in names) + "".join(
        f'<th class="num">Δ {e(n)}</th>' for n in names[1:]
    )
    rows = []
    previous = None
    for row in data.compare_rows(runs):
        first = row.scope != previous
        previous = row.scope
        scope = f"<code>{e(row.scope)}</code>" if first else ""
        vals = "".join(f'<td class="num">{e(fmt.compare_value(v, row.unit))}</td>' for v in row.values)
        deltas = ""
        for i in range(1, len(runs)):
            worse = data.is_worse(row, i)
            cls = {True: " bad", False: " good", None: ""}[worse]
            deltas += f'<td class="num{cls}">{e(fmt.delta(row.delta(i)))}</td>'
        cls = ' class="group"' if first else ""
        rows.append(f"<tr{cls}><td>{scope}</td><td>{e(row.metric)}</td>{vals}{deltas}</tr>")
    return (
        f'<div class="scroll"><table class="data"><thead><tr><th>Scope</th><th>Metric</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
