"""An experiment's report: the arms side by side, each metric's change with its interval, the verdict.

One table of figures (:func:`table`) feeds the terminal, Markdown and HTML views, so each view shows
the same numbers. Reporters return text and never write files.
"""

from __future__ import annotations

from scalectl.gate.effect import JUDGED
from scalectl.models.experiment import Effect, Experiment
from scalectl.report import fmt

_LABEL = {"throughput": "throughput", "p50": "p50", "p95": "p95", "p99": "p99", "error_rate": "error rate"}
_MARK = {"better": "better", "worse": "WORSE", "same": "same", "unclear": "unclear", "insufficient": "n/a"}


def value(metric: str, v: float | None) -> str:
    if v is None:
        return "–"
    if metric == "throughput":
        return f"{v:,.1f} req/s"
    if metric == "error_rate":
        return fmt.pct(v)
    return fmt.ms(v)


def change(e: Effect) -> tuple[str, str]:
    """(change, interval) as text: relative for rates and latency, percentage points for errors."""
    if e.change is None or e.ci_low is None or e.ci_high is None:
        return "–", "–"
    if e.metric == "error_rate":
        return f"{e.change * 100:+.2f} pp", f"{e.ci_low * 100:+.2f} … {e.ci_high * 100:+.2f} pp"
    return f"{e.change:+.1%}", f"{e.ci_low:+.1%} … {e.ci_high:+.1%}"


def table(exp: Experiment) -> list[list[str]]:
    """Rows: metric, A, B, change, interval, status."""
    rows = []
    for e in exp.effects:
        ch, ci = change(e)
        mark = _MARK[e.status] if e.metric in JUDGED else f"{_MARK[e.status]} (not judged)"
        rows.append([_LABEL[e.metric], value(e.metric, e.a), value(e.metric, e.b), ch, ci, mark])
    return rows


def headline(exp: Experiment) -> str:
    change_text = ", ".join(f"{k}={v}" for k, v in exp.change.items())
    return f"experiment {change_text}: {exp.verdict.upper()} — {exp.reason}"


def _arms_line(exp: Experiment) -> str:
    runs = " ".join(f"{r.arm}{r.round}" for r in exp.runs)
    before = ", ".join(f"{k}={v if v is not None else '(default)'}" for k, v in exp.before.items())
    return f"arms: A = as recorded ({before}), B = the change; runs {runs}, {exp.duration_s:g}s each"


def _notes(exp: Experiment) -> list[str]:
    notes = list(exp.warnings)
    if not exp.complete:
        notes.append(f"incomplete: {exp.stop_reason}")
    conf = exp.effects[0].confidence if exp.effects else exp.settings.alpha
    notes.append(
        f"intervals at {conf:.1%} each (Bonferroni over the judged metrics: throughput, p95, error rate; "
        f"p50 and p99 are shown, not judged); an effect counts from {exp.settings.min_effect:.0%}; "
        f"'no effect' needs throughput inside ±{exp.settings.equivalence:.0%}"
    )
    return notes


HEAD = ["metric", "A", "B", "change", "interval", "status"]


def render_term(exp: Experiment) -> str:
    """Plain text: the verdict first, then the table."""
    rows = [HEAD, *table(exp)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEAD))]
    lines = [headline(exp), _arms_line(exp), ""]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines += [""] + [f"note: {n}" for n in _notes(exp)]
    return "\n".join(lines) + "\n"


def render_md(exp: Experiment) -> str:
    out = [f"### {headline(exp)}", "", _arms_line(exp), "", "| " + " | ".join(HEAD) + " |"]
    out.append("|" + "---|" * len(HEAD))
    out += ["| " + " | ".join(r) + " |" for r in table(exp)]
    out += [""] + [f"- {n}" for n in _notes(exp)]
    return "\n".join(out) + "\n"


def render_html_section(exp: Experiment) -> str:
    """A ``<section>`` for the run report or the experiment's own page."""
    from scalectl.report.html_page import e, pill, section

    good = {"improved": True, "worse": False}.get(exp.verdict)
    head = "".join(f"<th>{e(h)}</th>" for h in HEAD)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in table(exp))
    notes = "".join(f"<li>{e(n)}</li>" for n in _notes(exp))
    html = (
        f"<p>{pill(good, exp.verdict)} {e(exp.reason)}</p><p class='muted'>{e(_arms_line(exp))}</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><ul class='muted'>{notes}</ul>"
    )
    title = "Experiment: " + ", ".join(f"{k}={v}" for k, v in exp.change.items())
    return section(title, html, sid=f"experiment-{exp.experiment_id}")


def render_html(exp: Experiment) -> str:
    """The experiment's own self-contained page (no charts, so no plotly.js)."""
    from scalectl.report.html_page import e, footer
    from scalectl.report.html_style import CSS

    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{e(headline(exp))}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<header class="top"><div class="wrap"><div class="eyebrow">scalectl experiment</div>'
        f"<h1>{e(exp.experiment_id)}</h1><div class='meta'>on run <code>{e(exp.base_run_id)}</code></div>"
        f'</div></header>\n<main class="wrap">{render_html_section(exp)}{footer()}</main>\n</body>\n</html>\n'
    )


def render(exp: Experiment, fmt_name: str) -> str:
    """Render in ``fmt_name`` (html, md, json, term)."""
    renderers = {"html": render_html, "md": render_md, "term": render_term}
    if fmt_name == "json":
        return exp.model_dump_json(indent=2) + "\n"
    return renderers[fmt_name](exp)


def finding_line(exp: Experiment, tested: str | None) -> str:
    """One line for a finding that an experiment tried (terminal, Markdown and HTML alike)."""
    parts = []
    for e in (exp.throughput_change, exp.p95_change):
        if e is not None and e.change is not None:
            ch, ci = change(e)
            parts.append(f"{_LABEL[e.metric]} {ch} ({ci})")
    what = ", ".join(f"{k}={v}" for k, v in exp.change.items())
    mark = f" [{tested}]" if tested else ""
    figures = "; ".join(parts) or exp.reason
    return f"experiment {what}: {exp.verdict}{mark}: {figures}"
