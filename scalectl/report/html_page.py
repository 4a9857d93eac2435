"""The HTML page frame shared by the run report and the comparison: escaping, the figure
registry and grid, the document with plotly.js inlined once, and small shared fragments."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from html import escape
from typing import Any

from scalectl import __version__
from scalectl.models import RunResult
from scalectl.report import fmt
from scalectl.report.html_style import CSS, SCRIPT
from scalectl.report.model import ReportInput, slo_results, slo_verdict


def e(text: object) -> str:
    return escape(str(text), quote=True)


@lru_cache(maxsize=1)
def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


class Page:
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


def pill(ok: bool | None, text: str) -> str:
    cls = {True: "ok", False: "bad", None: "na"}[ok]
    return f'<span class="pill {cls}">{e(text)}</span>'


def kpi(label: str, value: str, sub: str = "", cls: str = "") -> str:
    sub_html = f'<div class="kpi-sub">{e(sub)}</div>' if sub else ""
    return (
        f'<div class="kpi {cls}"><div class="kpi-label">{e(label)}</div>'
        f'<div class="kpi-value">{e(value)}</div>{sub_html}</div>'
    )


def rows(items: Sequence[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in items)


def section(title: str, body: str, sid: str, lead: str = "") -> str:
    lead_html = f'<p class="lead">{e(lead)}</p>' if lead else ""
    return f'<section id="{sid}"><h2>{e(title)}</h2>{lead_html}{body}</section>'


def footer() -> str:
    return f"<footer>Made by scalectl {e(__version__)} · one self-contained file, no network needed.</footer>"


def started(run: RunResult) -> str:
    return run.started_at.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def slo_pill(item: ReportInput) -> str:
    slos = slo_results(item)
    ok = slo_verdict(slos)
    return pill(ok if slos else None, fmt.verdict_text(ok, len(slos)))
