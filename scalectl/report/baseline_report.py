"""The report of a baseline sweep: throughput against users (or offered rate), latency against
throughput (the hockey stick) with the knee and the SLO line, and each step linked to its run. Pure:
the caller passes the links (step index → href of the step run's report)."""

from __future__ import annotations

from collections.abc import Mapping

from scalectl.models import Baseline
from scalectl.report.html_page import Page, e, footer, kpi, pill, section
from scalectl.report.plan_charts import baseline_hockey_figure, baseline_throughput_figure


def slo_latency_ms(b: Baseline) -> float | None:
    """The overall latency SLO's limit in ms (the line on the hockey stick), if there is one."""
    from scalectl.slo import overall_latency_limit_ms

    return overall_latency_limit_ms(b.slo)


def step_rows(b: Baseline, knee_mark: str = " (knee)", blank: str = "–") -> tuple[list[str], list[list[str]]]:
    """The steps table, the same text in every view (the terminal marks the knee ``*`` under a caption)."""
    headers = ["step", "users", "offered req/s", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "SLO"]
    rows = []
    for s in b.steps:
        knee = b.knee is not None and b.knee.step == s.index
        rows.append(
            [
                f"{s.index}{knee_mark if knee else ''}",
                str(s.users or blank),
                f"{s.offered_rps:g}" if s.offered_rps else blank,
                f"{s.rps:,.1f}",
                f"{s.p50_ms:,.1f}",
                f"{s.p95_ms:,.1f}",
                f"{s.p99_ms:,.1f}",
                f"{s.error_rate:.1%}",
                "ok" if s.slo_ok else "broken",
            ]
        )
    return headers, rows


def knee_line(b: Baseline) -> str:
    if b.knee is None:
        return "no step met the SLO: no knee"
    k = b.knee
    at = (
        f"{k.users} users"
        if k.users
        else f"{k.offered_rps:g} req/s offered"
        if k.offered_rps
        else f"step {k.step}"
    )
    beyond = " (the SLO never broke: the real knee lies beyond the last step)" if k.beyond_last_step else ""
    return f"knee: {k.rps:,.1f} req/s at p95 {k.p95_ms:,.1f} ms ({at}){beyond}"


def render_baseline_html(
    b: Baseline, links: Mapping[int, str] | None = None, limit: str | None = None
) -> str:
    """``limit``: the baseline's limit line as the terminal prints it (``first_lines.baseline_lines``)."""
    links = links or {}
    page = Page()
    ok = b.knee is not None
    slo = ", ".join(b.slo) or "none"
    header = (
        '<header class="top"><div class="wrap"><div class="eyebrow">scalectl baseline</div>'
        f"<h1>{e(b.name)}</h1>"
        f'<div class="meta">{e(b.scenario_name)} · {b.replicas} replica(s) · SLO {e(slo)}'
        f" · {e(b.created_at.strftime('%Y-%m-%d %H:%M:%S %Z'))}</div>"
        f'<div class="verdict">{pill(ok, knee_line(b))}</div>'
        + (f'<div class="meta">{e(limit)}</div>' if limit else "")
        + "</div></header>"
    )
    kpis = '<div class="kpis">' + kpi("Steps", str(len(b.steps)), b.stop_reason)
    if b.knee is not None:
        kpis += kpi("Knee throughput", f"{b.knee.rps:,.1f} req/s", f"p95 {b.knee.p95_ms:,.1f} ms")
    kpis += "</div>"
    charts = page.grid(
        [(baseline_throughput_figure(b), False), (baseline_hockey_figure(b, slo_latency_ms(b)), False)]
    )
    headers, rows = step_rows(b)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td><a class="step" href="{e(links[s.index])}">{e(c)}</a></td>'
            if j == 0 and s.index in links
            else f"<td>{e(c)}</td>"
            for j, c in enumerate(row)
        )
        + "</tr>"
        for s, row in zip(b.steps, rows, strict=True)
    )
    table = (
        '<table class="steps"><thead><tr>'
        + "".join(f"<th>{e(h)}</th>" for h in headers)
        + f"</tr></thead><tbody>{body}</tbody></table>"
    )
    warnings = "".join(f'<div class="alert">{e(w)}</div>' for w in b.warnings)
    parts = [header, '<main class="wrap">', kpis, warnings]
    parts.append(section("The sweep", charts, "sweep", knee_line(b)))
    parts.append(section("Steps", table, "steps", "each step is a run of its own: click it for its report"))
    parts += ["</main>", footer()]
    return page.document(f"scalectl · baseline · {b.name}", "".join(parts))


def render_baseline_md(b: Baseline) -> str:
    headers, rows = step_rows(b)
    lines = [f"### Baseline {b.name} ({b.replicas} replica(s)), SLO: {', '.join(b.slo) or 'none'}", ""]
    lines += [knee_line(b), "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def render_baseline_term(b: Baseline) -> str:
    headers, rows = step_rows(b)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)] if rows else []
    out = [f"baseline {b.name} ({b.replicas} replica(s)), SLO: {', '.join(b.slo) or 'none'}", knee_line(b)]
    out.append("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    out += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out) + "\n"
