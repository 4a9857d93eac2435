"""One self-contained HTML page per run (or per comparison): opens offline, plotly.js inlined once.

The page is built from escaped text and plain figure specs (``html_charts``); a small script at the
end draws every figure and marks ``<body data-charts-rendered="N">`` when done (the browser test
reads it). Nothing here touches the disk.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from html import escape
from typing import Any

from scalectl import __version__
from scalectl.models import Analysis, Recommendation, RunResult
from scalectl.report import data, fmt
from scalectl.report import html_charts as charts
from scalectl.report.html_style import CSS, SCRIPT
from scalectl.report.model import ReportInput, slo_results, slo_verdict


def e(text: object) -> str:
    return escape(str(text), quote=True)


@lru_cache(maxsize=1)
def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


class _Page:
    """Collects figures while the body is written; each gets a stable element id."""

    def __init__(self) -> None:
        self.figures: list[dict[str, Any]] = []

    def chart(self, fig: dict[str, Any] | None, wide: bool = False) -> str:
        if fig is None:
            return ""
        fid = f"chart-{len(self.figures) + 1}"
        self.figures.append({"id": fid, **fig})
        return f'<div class="chart{" wide" if wide else ""}" id="{fid}"></div>'

    def grid(self, figs: Sequence[tuple[dict[str, Any] | None, bool]]) -> str:
        """A two-column grid of (figure, wide) with absent figures dropped; a chart that would sit
        alone in its row spans it."""
        present = [(f, w) for f, w in figs if f is not None]
        cells, column = [], 0
        for i, (fig, wide) in enumerate(present):
            next_wide = i + 1 >= len(present) or present[i + 1][1]
            span = wide or (column == 0 and next_wide)
            cells.append(self.chart(fig, wide=span))
            column = 0 if span else 1 - column
        return f'<div class="grid">{"".join(cells)}</div>'

    def document(self, title: str, body: str) -> str:
        figs = json.dumps(self.figures, separators=(",", ":"), allow_nan=False)
        figs = figs.replace("</", "<\\/").replace("<!--", "<\\!--")
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{e(title)}</title>\n<style>{CSS}</style>\n"
            f'<script type="text/javascript">{plotly_js()}</script>\n</head>\n<body>\n{body}\n'
            f'<script id="figures" type="application/json">{figs}</script>\n'
            f"<script>{SCRIPT}</script>\n</body>\n</html>\n"
        )


def render(items: Sequence[ReportInput]) -> str:
    if not items:
        raise ValueError("nothing to report")
    if len(items) > 1:
        return render_compare(items)
    item = items[0]
    page = _Page()
    return page.document(f"scalectl · {item.run.scenario_name} · {item.run.run_id}", _run_body(page, item))


# ---- one run --------------------------------------------------------------------------------


def _pill(ok: bool | None, text: str) -> str:
    cls = {True: "ok", False: "bad", None: "na"}[ok]
    return f'<span class="pill {cls}">{e(text)}</span>'


def _kpi(label: str, value: str, sub: str = "", cls: str = "") -> str:
    sub_html = f'<div class="kpi-sub">{e(sub)}</div>' if sub else ""
    return (
        f'<div class="kpi {cls}"><div class="kpi-label">{e(label)}</div>'
        f'<div class="kpi-value">{e(value)}</div>{sub_html}</div>'
    )


def _rows(rows: Sequence[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)


def _section(title: str, body: str, sid: str, lead: str = "") -> str:
    lead_html = f'<p class="lead">{e(lead)}</p>' if lead else ""
    return f'<section id="{sid}"><h2>{e(title)}</h2>{lead_html}{body}</section>'


def _overall_latency_slo(item: ReportInput) -> float | None:
    from scalectl.errors import InputError
    from scalectl.gate.thresholds import parse_threshold

    for text in item.run.slo:
        try:
            th = parse_threshold(text)
        except InputError:
            continue
        if th.metric == "latency" and th.scope is None and th.op in ("<", "<="):
            return th.value
    return None


def _run_body(page: _Page, item: ReportInput) -> str:
    run = item.run
    slos = slo_results(item)
    ok = slo_verdict(slos)
    t = run.total
    lat = t.latency_ms
    err_rate = t.failures / t.requests if t.requests else 0.0
    started = _started(run)
    header = (
        '<header class="top"><div class="wrap">'
        f'<div class="eyebrow">scalectl load test report</div><h1>{e(run.scenario_name)}</h1>'
        f'<div class="meta">run <code>{e(run.run_id)}</code> · {e(started)}'
        f" · {e(run.host)} · {e(run.load_model)} model</div>"
        f'<div class="verdict">{_pill(ok if slos else None, fmt.verdict_text(ok, len(slos)))}'
        f"{_pill(run.complete or None, fmt.completeness(run)) if not run.complete else ''}"
        f"{_pill(False, 'generator saturated') if run.generator.saturated else ''}</div>"
        "</div></header>"
    )
    kpis = (
        '<div class="kpis">'
        + _kpi("Requests", f"{t.requests:,}", f"{t.failures:,} failed")
        + _kpi("Throughput", f"{fmt.num(t.rps)} req/s", f"over {fmt.duration(run.duration_s)}")
        + _kpi("p50", fmt.ms(lat.p50), f"mean {fmt.ms(lat.mean)}")
        + _kpi("p95", fmt.ms(lat.p95))
        + _kpi("p99", fmt.ms(lat.p99), f"max {fmt.ms(lat.max)}")
        + _kpi("Error rate", fmt.pct(err_rate), cls="bad" if err_rate > 0 else "")
        + "</div>"
    )
    alerts = "".join(
        f'<div class="alert">{e(w)}</div>'
        for w in [
            *([] if run.complete else [f"This run is incomplete: {run.stop_reason or 'stopped early'}."]),
            *(
                ["The load generator saturated its CPU: these numbers size nothing."]
                if run.generator.saturated
                else []
            ),
            *run.warnings,
            *run.generator.notes,
        ]
    )
    parts = [header, '<main class="wrap">', kpis, alerts]
    parts.append(_section("Summary", _summary(run, slos), "summary"))
    load_charts = page.grid(
        [
            (charts.load_figure(run), False),
            (charts.latency_figure(run, _overall_latency_slo(item)), False),
            (charts.endpoint_latency_figure(run), False),
            (charts.errors_figure(run), False),
            (charts.hdr_figure([(item.name, run)]), True),
        ]
    )
    parts.append(_section("Load and latency", load_charts, "load"))
    parts.append(_section("Endpoints", _endpoint_table(run), "endpoints"))
    tel_figs = charts.telemetry_figures(run)
    tel_body = (
        page.grid([(f, False) for f in tel_figs])
        if tel_figs
        else '<p class="muted">No telemetry from the target in this run '
        "(no /metrics scraped, no process sampled).</p>"
    )
    parts.append(_section("Target telemetry", tel_body, "telemetry"))
    parts.append(_section("Analysis", _analysis(item.analysis), "analysis"))
    if item.recommendation is not None:
        parts.append(
            _section("Capacity recommendation", _recommendation(page, item.recommendation), "capacity")
        )
    parts.append(_footer())
    parts.append("</main>")
    return "\n".join(parts)


def _footer() -> str:
    return f"<footer>Made by scalectl {e(__version__)} · one self-contained file, no network needed.</footer>"


def _summary(run: RunResult, slos: Sequence[Any]) -> str:
    env = run.environment
    facts = [
        ("Scenario", f"{run.scenario_name} ({run.load_model} model)"),
        ("Target", run.host),
        ("Started", _started(run)),
        ("Duration", f"{fmt.duration(run.duration_s)}, {fmt.completeness(run)}"),
        ("Samples", fmt.samples(run)),
        ("Measured on", fmt.environment(env)),
        (
            "Generator",
            f"{run.generator.processes} process(es), CPU mean {run.generator.cpu_percent_mean:.0f}%, "
            f"max {run.generator.cpu_percent_max:.0f}%",
        ),
    ]
    facts_html = f'<table class="facts">{_rows(facts)}</table>'
    if slos:
        rows = "".join(
            f"<tr><td><code>{e(r.expression)}</code></td><td>{e(r.scope)}</td>"
            f'<td class="num">{e(fmt.slo_observed(r))}</td><td class="num">{e(fmt.slo_limit(r))}</td>'
            f"<td>{_pill(r.ok, fmt.slo_status(r.ok))}"
            f"{' <span class=muted>' + e(r.note) + '</span>' if r.note else ''}</td></tr>"
            for r in slos
        )
        slo_html = (
            '<table class="data"><thead><tr><th>SLO</th><th>Scope</th><th class="num">Observed</th>'
            f'<th class="num">Limit</th><th>Result</th></tr></thead><tbody>{rows}</tbody></table>'
        )
    else:
        slo_html = '<p class="muted">No SLO was given for this run (use --slo, e.g. "p95<300ms").</p>'
    return f'<div class="two"><div>{facts_html}</div><div><h3>SLO verdict</h3>{slo_html}</div></div>'


def _endpoint_table(run: RunResult) -> str:
    head = "".join(
        f'<th class="num">{h}</th>'
        for h in ("Requests", "Errors", "req/s", "p50", "p90", "p95", "p99", "max")
    )
    body = []
    for ep in [*run.endpoints, run.total]:
        lat = ep.latency_ms
        rate = ep.failures / ep.requests if ep.requests else 0.0
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(ep.errors.items())) or "–"
        cls = ' class="total"' if ep is run.total else ""
        cells = [
            f"{ep.requests:,}",
            fmt.pct(rate),
            fmt.num(ep.rps),
            *(fmt.ms(getattr(lat, p)) for p in ("p50", "p90", "p95", "p99", "max")),
        ]
        num_cells = "".join(
            f'<td class="num{" bad" if i == 1 and rate > 0 else ""}">{e(c)}</td>' for i, c in enumerate(cells)
        )
        name = "Total" if ep is run.total else ep.key
        label = "Total" if ep is run.total else f"<code>{e(name)}</code>"
        body.append(f"<tr{cls}><td>{label}</td>{num_cells}<td>{e(kinds)}</td></tr>")
    return (
        '<div class="scroll"><table class="data"><thead><tr><th>Endpoint</th>'
        f"{head}<th>Error kinds</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _analysis(a: Analysis | None) -> str:
    if a is None:
        return (
            '<p class="muted">No analysis for this run yet: '
            "<code>scalectl analyze RUN_DIR</code> writes one.</p>"
        )
    verdict = "performance OK" if a.performance_ok else "performance not OK"
    head = f"<p>{_pill(a.performance_ok, verdict)} {e(a.summary)}</p>"
    steps = []
    for s in a.path:
        cls = {True: "ok", False: "bad", None: "na"}[s.outcome]
        details = "".join(f"<li>{e(d)}</li>" for d in s.details)
        steps.append(
            f'<div class="step {cls}"><div class="step-name">{e(s.step.replace("_", " "))}</div>'
            f'<div class="step-verdict">{e(s.verdict)}</div>{f"<ul>{details}</ul>" if details else ""}</div>'
        )
    path = f'<h3>Flowchart path</h3><div class="flow">{"".join(steps)}</div>' if steps else ""
    cards = []
    for f in a.findings:
        ev_rows = "".join(
            f"<tr><td><code>{e(ev.metric)}</code></td>"
            f"<td class=num>{e(ev.observed if ev.observed is not None else '–')}</td>"
            f"<td class=num>{e(ev.threshold if ev.threshold is not None else '–')}</td>"
            f"<td>{e(f'{ev.window[0]:g}–{ev.window[1]:g} s' if ev.window else '')}</td>"
            f"<td>{e(ev.source or '')}</td><td>{e(ev.note or '')}</td></tr>"
            for ev in f.evidence
        )
        ev_table = (
            '<table class="data small"><thead><tr><th>Evidence</th><th class=num>Observed</th>'
            "<th class=num>Threshold</th><th>Window</th><th>Source</th><th>Note</th></tr></thead>"
            f"<tbody>{ev_rows}</tbody></table>"
            if ev_rows
            else ""
        )
        verify = f'<div class="verify">verify: <code>{e(f.verify)}</code></div>' if f.verify else ""
        cards.append(
            f'<div class="finding sev-{e(f.severity)}"><div class="finding-head">'
            f'<span class="sev">{e(f.severity)}</span>'
            f'<span class="cat">{e(f.category)}</span><strong>{e(f.title)}</strong>'
            f'<span class="conf">confidence {f.confidence:.0%}</span></div>{ev_table}'
            f'<div class="action"><strong>Action:</strong> {e(f.action)}</div>{verify}</div>'
        )
    findings = f"<h3>Findings</h3>{''.join(cards)}" if cards else '<p class="muted">No findings.</p>'
    notes = "".join(f'<p class="muted">{e(n)}</p>' for n in a.notes)
    return head + path + findings + notes


def _recommendation(page: _Page, r: Recommendation) -> str:
    res = r.resources
    facts = [
        ("Replicas", f"{r.replicas} for {fmt.num(r.target_rps)} req/s"),
        ("Reachable by replicas", "yes" if r.reachable else "no"),
        (
            "Per-replica capacity",
            f"{fmt.num(r.per_replica_capacity_rps)} req/s at {fmt.pct(r.utilization_target, 0)} utilization",
        ),
        ("Limited by", r.limited_by or "–"),
        ("CPU request / limit", f"{res.cpu_request} / {res.cpu_limit or '–'}"),
        ("Memory request / limit", f"{res.memory_request} / {res.memory_limit}"),
        ("Confidence", r.confidence),
    ]
    if r.db_pool_size is not None:
        facts.append(("DB pool size / overflow", f"{r.db_pool_size} / {r.db_max_overflow or 0}"))
    facts += [(k, v) for k, v in sorted(r.settings.items())]
    if r.model is not None:
        m = r.model
        facts.append(
            (
                "USL fit",
                f"λ={m.lam:.4g} σ={m.sigma:.4g} κ={m.kappa:.4g}"
                + (f" R²={m.r2:.3f}" if m.r2 is not None else "")
                + f" ({m.n_points} points)",
            )
        )
    reasoning = "".join(f"<li>{e(x)}</li>" for x in r.reasoning)
    warnings = "".join(f'<div class="alert">{e(w)}</div>' for w in r.warnings)
    chart = page.chart(charts.usl_figure(r))
    left = f'<table class="facts">{_rows(facts)}</table>' + (f"<ul>{reasoning}</ul>" if reasoning else "")
    return warnings + (f'<div class="two"><div>{left}</div><div>{chart}</div></div>' if chart else left)


# ---- comparison -----------------------------------------------------------------------------


def render_compare(items: Sequence[ReportInput]) -> str:
    page = _Page()
    runs = [(i.name, i.run) for i in items]
    names = [n for n, _ in runs]
    header = (
        '<header class="top"><div class="wrap"><div class="eyebrow">scalectl comparison</div>'
        f"<h1>{' vs '.join(e(n) for n in names)}</h1>"
        f'<div class="meta">deltas against <code>{e(names[0])}</code></div></div></header>'
    )
    overview = "".join(
        f"<tr><td><code>{e(item.name)}</code></td><td>{e(item.run.scenario_name)}</td>"
        f'<td class="nowrap">{e(_started(item.run))}</td>'
        f"<td>{e(fmt.duration(item.run.duration_s))}, {e(fmt.completeness(item.run))}</td>"
        f"<td>{_slo_pill(item)}</td>"
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
        _section("Runs", overview_html, "runs"),
        _section(
            "Deltas",
            _delta_table([r for _, r in runs], names),
            "deltas",
            "Relative change against the first run; red marks a change for the worse above 5%.",
        ),
        _section("Latency and throughput", figs, "charts"),
        _footer(),
        "</main>",
    ]
    return page.document(f"scalectl comparison · {' vs '.join(names)}", "\n".join(body))


def _started(run: RunResult) -> str:
    return run.started_at.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def _slo_pill(item: ReportInput) -> str:
    slos = slo_results(item)
    ok = slo_verdict(slos)
    return _pill(ok if slos else None, fmt.verdict_text(ok, len(slos)))


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
