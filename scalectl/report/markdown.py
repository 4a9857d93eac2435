"""Markdown report for pull-request comments and CI job summaries (GitHub-flavoured tables)."""

from __future__ import annotations

from collections.abc import Sequence

from scalectl.models import Analysis, Recommendation, RunResult
from scalectl.models.analysis import flow_step_mark
from scalectl.report import data, fmt
from scalectl.report.model import ReportInput, slo_results, slo_verdict

_ICON = {True: "✅", False: "❌", None: "⚪"}
_SEV_ICON = {"critical": "🔴", "high": "🟠", "medium": "🟡", "low": "🔵"}


def cell(text: object) -> str:
    """Table-cell safe text: pipes escaped, newlines folded."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> list[str]:
    aligns = align or "l" + "r" * (len(header) - 1)
    sep = ["---:" if a == "r" else "---" for a in aligns]
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def render(items: Sequence[ReportInput]) -> str:
    if not items:
        raise ValueError("nothing to report")
    if len(items) > 1:
        return render_compare(items)
    return "\n".join(_run_section(items[0])) + "\n"


def _run_section(item: ReportInput) -> list[str]:
    run = item.run
    slos = slo_results(item)
    ok = slo_verdict(slos)
    t = run.total
    lines = [
        f"## {_ICON[ok if slos else None]} scalectl run `{run.run_id}`: {fmt.verdict_text(ok, len(slos))}",
        "",
    ]
    summary = [
        ("Scenario", f"{run.scenario_name} ({run.load_model} model)"),
        ("Target", run.host),
        ("Duration", f"{fmt.duration(run.duration_s)}, {fmt.completeness(run)}"),
        ("Samples", fmt.samples(run)),
        ("Throughput", fmt.throughput(run)),
        (
            "Latency",
            fmt.latency_line(t, sep=" · "),
        ),
        ("Measured on", fmt.environment(run.environment)),
        ("Generator", _generator(run)),
    ]
    lines += _table(["", ""], summary, "ll")
    if slos:
        lines += ["", "### SLOs", ""]
        rows = [
            (
                f"`{r.expression}`",
                r.scope,
                fmt.slo_observed(r),
                fmt.slo_limit(r),
                f"{_ICON[r.ok]} {fmt.slo_status(r.ok)}" + (f" ({r.note})" if r.note else ""),
            )
            for r in slos
        ]
        lines += _table(["SLO", "Scope", "Observed", "Limit", "Result"], rows, "llrrl")
    lines += ["", "### Endpoints", ""]
    lines += _endpoint_table(run)
    if item.analysis is not None:
        lines += ["", *_analysis(item.analysis)]
    if item.recommendation is not None:
        lines += ["", *_recommendation(item.recommendation)]
    warnings = list(run.warnings) + list(run.generator.notes)
    if warnings:
        lines += ["", "### Warnings", "", *[f"- {w}" for w in warnings]]
    return lines


def _generator(run: RunResult) -> str:
    g = run.generator
    text = f"CPU mean {g.cpu_percent_mean:.0f}%, max {g.cpu_percent_max:.0f}%"
    if g.saturated:
        text += " — SATURATED: these numbers size nothing"
    return text


def _endpoint_table(run: RunResult) -> list[str]:
    rows = []
    for ep in [*run.endpoints, run.total]:
        errors = ", ".join(f"{k} {v}" for k, v in sorted(ep.errors.items())) or "–"
        name = "**Total**" if ep is run.total else f"`{ep.key}`"
        rows.append(
            (
                name,
                f"{ep.requests:,}",
                fmt.pct(ep.failure_rate),
                fmt.num(fmt.endpoint_rps(run, ep)),
                fmt.lat_ms(ep, "p50"),
                fmt.lat_ms(ep, "p95"),
                fmt.lat_ms(ep, "p99"),
                fmt.lat_ms(ep, "max"),
                errors,
            )
        )
    header = ["Endpoint", "Requests", "Errors", "req/s", "p50", "p95", "p99", "max", "Error kinds"]
    return _table(header, rows, "lrrrrrrrl")


def _analysis(a: Analysis) -> list[str]:
    verdict = "performance OK" if a.performance_ok else "performance NOT OK"
    lines = ["### Analysis", "", f"**{verdict}**" + (f": {a.summary}" if a.summary else "")]
    if a.path:
        lines += ["", "Flowchart path:", ""]
        for step in a.path:
            mark = flow_step_mark(step.step, step.outcome)
            lines.append(f"1. {mark} **{step.step}**: {step.verdict}")
            lines += [f"   - {d}" for d in step.details]
    if a.findings:
        lines += ["", "Findings (most severe first):", ""]
        for f in a.findings:
            lines.append(
                f"- {_SEV_ICON.get(f.severity, '')} **{f.severity}** · {f.category} · "
                f"{f.title} (confidence {f.confidence:.0%})"
            )
            for ev in f.evidence:
                lines.append(f"  - evidence: {_evidence(ev)}")
            lines.append(f"  - action: {f.action}")
            if f.verify:
                lines.append(f"  - verify: `{f.verify}`")
            if f.experiment is not None:
                from scalectl.report.experiment import finding_line

                lines.append(f"  - {finding_line(f.experiment, f.tested)}")
    lines += [f"- note: {n}" for n in a.notes]
    return lines


def _evidence(ev: object) -> str:
    from scalectl.models import Evidence

    assert isinstance(ev, Evidence)
    text = f"`{ev.metric}`"
    if ev.observed is not None:
        text += f" = {ev.observed}"
    if ev.threshold is not None:
        text += f" (threshold {ev.threshold})"
    if ev.window is not None:
        text += f" during {ev.window[0]:g}–{ev.window[1]:g}s"
    if ev.source:
        text += f" from {ev.source}"
    if ev.note:
        text += f": {ev.note}"
    return text


def _recommendation(r: Recommendation) -> list[str]:
    reach = "reachable by adding replicas" if r.reachable else "NOT reachable by replicas alone"
    lines = [
        "### Recommendation",
        "",
        f"**{r.replicas} replica{'s' if r.replicas != 1 else ''}** for {fmt.num(r.target_rps)} req/s "
        f"({reach}; confidence {r.confidence})",
        "",
    ]
    res = r.resources
    rows: list[tuple[str, str]] = [
        *fmt.capacity_rows(r),
        ("Limited by", r.limited_by or "–"),
        ("CPU request / limit", f"{res.cpu_request} / {res.cpu_limit or '–'}"),
        ("Memory request / limit", f"{res.memory_request} / {res.memory_limit}"),
    ]
    if r.db_pool_size is not None:
        rows.append(("DB pool size / overflow", f"{r.db_pool_size} / {r.db_max_overflow or 0}"))
    if r.model is not None:
        rows.append(("USL fit", fmt.usl_fit(r.model, sep=", ")))
    rows += [(k, f"`{v}`") for k, v in sorted(r.settings.items())]
    lines += _table(["", ""], rows, "ll")
    notes = [f"- {x}" for x in r.reasoning] + [f"- ⚠️ {w}" for w in r.warnings]
    lines += ["", *notes] if notes else []
    return lines


def render_compare(items: Sequence[ReportInput]) -> str:
    runs = [i.run for i in items]
    names = [i.name for i in items]
    lines = [f"## scalectl comparison: {' vs '.join(f'`{n}`' for n in names)}", ""]
    overview = [
        (
            f"`{name}`",
            run.scenario_name,
            fmt.duration(run.duration_s),
            fmt.completeness(run),
            f"{run.total.requests:,}",
            fmt.environment(run.environment),
        )
        for name, run in zip(names, runs, strict=True)
    ]
    lines += _table(["Run", "Scenario", "Duration", "State", "Requests", "Measured on"], overview, "lllrrl")
    lines += ["", f"Deltas are against `{names[0]}`; ⚠️ marks a change for the worse above 5%.", ""]
    header = ["Scope", "Metric", *names, *[f"Δ {n}" for n in names[1:]]]
    rows = []
    for row in data.compare_rows(runs):
        values = [fmt.compare_value(v, row.unit) for v in row.values]
        deltas = []
        for i in range(1, len(runs)):
            worse = data.is_worse(row, i)
            deltas.append(fmt.delta(row.delta(i)) + (" ⚠️" if worse else ""))
        rows.append((row.scope if row.scope == "overall" else f"`{row.scope}`", row.metric, *values, *deltas))
    lines += _table(header, rows, "ll" + "r" * (len(header) - 2))
    if len({r.environment.cpu_count for r in runs}) > 1 or len({r.host for r in runs}) > 1:
        lines += ["", "⚠️ The runs were measured on different machines or targets."]
    return "\n".join(lines) + "\n"
