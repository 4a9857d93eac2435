"""One self-contained HTML page per run (or per comparison): opens offline, plotly.js inlined once.

The page is built from escaped text and plain figure specs (``html_charts``); a small script at the
end draws every figure and marks ``<body data-charts-rendered="N">`` when done (the browser test
reads it). Nothing here touches the disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scalectl.models import Analysis, Recommendation, RunResult
from scalectl.models.analysis import flow_step_good, flow_step_title
from scalectl.report import fmt
from scalectl.report import html_charts as charts
from scalectl.report.html_page import Page, e, footer, kpi, pill, plotly_js, rows, section, started
from scalectl.report.model import ReportInput, slo_results, slo_verdict

__all__ = ["Page", "plotly_js", "render"]


def render(items: Sequence[ReportInput]) -> str:
    if not items:
        raise ValueError("nothing to report")
    if len(items) > 1:
        from scalectl.report import html_compare

        return html_compare.render(items)
    item = items[0]
    page = Page()
    return page.document(f"scalectl · {item.run.scenario_name} · {item.run.run_id}", _run_body(page, item))


# ---- one run --------------------------------------------------------------------------------


def _overall_latency_slo(item: ReportInput) -> float | None:
    from scalectl.slo import overall_latency_limit_ms

    return overall_latency_limit_ms(item.run.slo)


def _run_body(page: Page, item: ReportInput) -> str:
    run = item.run
    slos = slo_results(item)
    parts = [_header(run, slos), '<main class="wrap">', _kpis(run), _alerts(run)]
    parts.append(section("Summary", _summary(run, slos), "summary"))
    parts.append(section("Load and latency", _load_charts(page, item), "load"))
    parts.append(section("Endpoints", _endpoint_table(run), "endpoints"))
    parts.append(section("Target telemetry", _telemetry(page, run), "telemetry"))
    parts.append(section("Analysis", _analysis(item.analysis), "analysis"))
    if item.analysis is not None:
        parts.append(_experiments(item.analysis))
    if item.recommendation is not None:
        parts.append(
            section("Capacity recommendation", _recommendation(page, item.recommendation), "capacity")
        )
    parts.append(footer())
    parts.append("</main>")
    return "\n".join(parts)


def _header(run: RunResult, slos: Sequence[Any]) -> str:
    """Scenario, run id, when, where, the load model and the verdict pills."""
    ok = slo_verdict(slos)
    return (
        '<header class="top"><div class="wrap">'
        f'<div class="eyebrow">scalectl load test report</div><h1>{e(run.scenario_name)}</h1>'
        f'<div class="meta">run <code>{e(run.run_id)}</code> · {e(started(run))}'
        f" · {e(run.host)} · {e(run.load_model)} model</div>"
        f'<div class="verdict">{pill(ok if slos else None, fmt.verdict_text(ok, len(slos)))}'
        f"{pill(run.complete or None, fmt.completeness(run)) if not run.complete else ''}"
        f"{pill(False, 'generator saturated') if run.generator.saturated else ''}</div>"
        "</div></header>"
    )


def _kpis(run: RunResult) -> str:
    t = run.total
    err_rate = t.failure_rate
    return (
        '<div class="kpis">'
        + kpi("Requests", f"{t.requests:,}", f"{t.failures:,} failed")
        + kpi("Throughput", fmt.throughput(run), "over the seconds that carried load")
        + kpi("p50", fmt.lat_ms(t, "p50"), f"mean {fmt.lat_ms(t, 'mean')}")
        + kpi("p95", fmt.lat_ms(t, "p95"))
        + kpi("p99", fmt.lat_ms(t, "p99"), f"max {fmt.lat_ms(t, 'max')}")
        + kpi("Error rate", fmt.pct(err_rate), cls="bad" if err_rate > 0 else "")
        + "</div>"
    )


def _alerts(run: RunResult) -> str:
    """An incomplete run, a saturated generator, the run's warnings and the generator's notes."""
    return "".join(
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


def _load_charts(page: Page, item: ReportInput) -> str:
    run = item.run
    return page.grid(
        [
            (charts.load_figure(run), False),
            (charts.latency_figure(run, _overall_latency_slo(item)), False),
            (charts.endpoint_latency_figure(run), False),
            (charts.errors_figure(run), False),
            (charts.hdr_figure([(item.name, run)]), True),
        ]
    )


def _telemetry(page: Page, run: RunResult) -> str:
    tel_figs = charts.telemetry_figures(run)
    if tel_figs:
        return page.grid([(f, False) for f in tel_figs])
    return (
        '<p class="muted">No telemetry from the target in this run '
        "(no /metrics scraped, no process sampled).</p>"
    )


def _summary(run: RunResult, slos: Sequence[Any]) -> str:
    env = run.environment
    facts = [
        ("Scenario", f"{run.scenario_name} ({run.load_model} model)"),
        ("Target", run.host),
        ("Started", started(run)),
        ("Duration", f"{fmt.duration(run.duration_s)}, {fmt.completeness(run)}"),
        ("Samples", fmt.samples(run)),
        ("Measured on", fmt.environment(env)),
        (
            "Generator",
            f"{run.generator.processes} process(es), CPU mean {run.generator.cpu_percent_mean:.0f}%, "
            f"max {run.generator.cpu_percent_max:.0f}%",
        ),
    ]
    facts_html = f'<table class="facts">{rows(facts)}</table>'
    if slos:
        slo_rows = "".join(
            f"<tr><td><code>{e(r.expression)}</code></td><td>{e(r.scope)}"
            f"{'<div class=note>' + e(r.note) + '</div>' if r.note else ''}</td>"
            f'<td class="num">{e(fmt.slo_observed(r))}</td><td class="num">{e(fmt.slo_limit(r))}</td>'
            f"<td>{pill(r.ok, fmt.slo_status(r.ok))}</td></tr>"
            for r in slos
        )
        slo_html = (
            '<table class="data"><thead><tr><th>SLO</th><th>Scope</th><th class="num">Observed</th>'
            f'<th class="num">Limit</th><th>Result</th></tr></thead><tbody>{slo_rows}</tbody></table>'
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
        rate = ep.failure_rate
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(ep.errors.items())) or "–"
        cls = ' class="total"' if ep is run.total else ""
        cells = [
            f"{ep.requests:,}",
            fmt.pct(rate),
            fmt.num(fmt.endpoint_rps(run, ep)),
            *(fmt.lat_ms(ep, p) for p in ("p50", "p90", "p95", "p99", "max")),
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


def step_label(step: str) -> str:
    return flow_step_title(step)


def _analysis(a: Analysis | None) -> str:
    if a is None:
        return (
            '<p class="muted">No analysis for this run yet: '
            "<code>scalectl analyze RUN_DIR</code> writes one.</p>"
        )
    verdict = "performance OK" if a.performance_ok else "performance not OK"
    head = f"<p>{pill(a.performance_ok, verdict)} {e(a.summary)}</p>"
    steps = []
    for s in a.path:
        cls = {True: "ok", False: "bad", None: "na"}[flow_step_good(s.step, s.outcome)]
        details = "".join(f"<li>{e(d)}</li>" for d in s.details)
        steps.append(
            f'<div class="step {cls}"><div class="step-name">{e(step_label(s.step))}</div>'
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
        if f.experiment is not None:
            from scalectl.report.experiment import finding_line

            verify += f'<div class="verify">{e(finding_line(f.experiment, f.tested))}</div>'
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


def _experiments(a: Analysis) -> str:
    """A section per experiment tried on the findings (``analyze --experiment``)."""
    from scalectl.report.experiment import render_html_section

    return "".join(render_html_section(f.experiment) for f in a.findings if f.experiment is not None)


def _recommendation(page: Page, r: Recommendation) -> str:
    res = r.resources
    facts = [
        ("Replicas", f"{r.replicas} for {fmt.num(r.target_rps)} req/s"),
        ("Reachable by replicas", "yes" if r.reachable else "no"),
        *fmt.capacity_rows(r),
        ("Limited by", r.limited_by or "–"),
        ("CPU request / limit", f"{res.cpu_request} / {res.cpu_limit or '–'}"),
        ("Memory request / limit", f"{res.memory_request} / {res.memory_limit}"),
        ("Confidence", r.confidence),
    ]
    if r.db_pool_size is not None:
        facts.append(("DB pool size / overflow", f"{r.db_pool_size} / {r.db_max_overflow or 0}"))
    facts += [(k, v) for k, v in sorted(r.settings.items())]
    if r.model is not None:
        facts.append(("USL fit", fmt.usl_fit(r.model)))
    reasoning = "".join(f"<li>{e(x)}</li>" for x in r.reasoning)
    warnings = "".join(f'<div class="alert">{e(w)}</div>' for w in r.warnings)
    chart = page.chart(charts.usl_figure(r))
    left = f'<table class="facts">{rows(facts)}</table>' + (f"<ul>{reasoning}</ul>" if reasoning else "")
    return warnings + (f'<div class="two"><div>{left}</div><div>{chart}</div></div>' if chart else left)
