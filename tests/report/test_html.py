from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from scalectl.report import html
from scalectl.report.model import ReportInput
from tests.factories import make_run
from tests.report import samples

VOID = {"meta", "link", "br", "img", "input", "hr", "col", "source", "wbr", "area", "base", "embed", "track"}
MAX_BYTES = 6_000_000  # plotly.js is ~4.8 MB of it


class _Checker(HTMLParser):
    """Tag balance, and every src/href that would reach the network."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.external: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value and re.match(r"^\s*(https?:)?//", value):
                self.external.append(f"<{tag} {name}={value}>")
        if tag == "script":
            self.scripts += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()


def _check(text: str) -> _Checker:
    checker = _Checker()
    checker.feed(text)
    checker.close()
    return checker


def _figures(text: str) -> list[dict]:
    m = re.search(r'<script id="figures" type="application/json">(.*?)</script>', text, re.S)
    assert m, "figure data missing"
    return json.loads(m.group(1))


def test_page_is_well_formed_and_self_contained() -> None:
    text = html.render([samples.full_item()])
    assert text.startswith("<!DOCTYPE html>")
    checker = _check(text)
    assert checker.errors == [] and checker.stack == []
    assert checker.external == []
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']?(https?:)?//", text)


def test_plotly_is_inlined_exactly_once_and_size_is_bounded() -> None:
    for items in ([samples.full_item()], samples.compare_items()):
        text = html.render(items)
        js = html.plotly_js()
        assert text.count(js[:200]) == 1
        assert len(text.encode()) < MAX_BYTES


def test_full_report_has_every_chart() -> None:
    titles = [f["layout"]["title"]["text"] for f in _figures(html.render([samples.full_item()]))]
    for expected in (
        "Users and throughput",
        "Latency percentiles over time (all endpoints)",
        "p95 latency per endpoint",
        "Errors by kind",
        "Latency by percentile (HDR histogram)",
        "Target CPU per replica",
        "Target memory (RSS) per replica",
        "DB pool: connections checked out",
        "DB pool: mean wait for a connection",
        "Cache hit ratio",
        "Circuit breaker state",
        "Scalability: Universal Scalability Law fit",
    ):
        assert expected in titles


def test_charts_are_skipped_when_their_data_is_absent() -> None:
    text = html.render([samples.bare_item()])
    titles = [f["layout"]["title"]["text"] for f in _figures(text)]
    assert not any(
        t.startswith(("Target", "DB pool", "Cache", "Circuit", "Scalability", "Errors")) for t in titles
    )
    assert "No telemetry from the target" in text
    assert "No analysis for this run yet" in text
    assert "Capacity recommendation" not in text


def test_every_figure_element_exists_once() -> None:
    text = html.render([samples.full_item()])
    for fig in _figures(text):
        assert text.count(f'id="{fig["id"]}"') == 1
        assert fig["data"], fig["id"]


def test_user_text_is_escaped_everywhere() -> None:
    evil = "<script>alert('x')</script>"
    run = make_run(seed=2, seconds=5, scenario_name=evil, run_id="evil</script>", endpoints=None)
    run = run.model_copy(update={"warnings": [evil], "host": evil})
    text = html.render([ReportInput(run=run, label=evil)])
    assert evil not in text
    assert "evil</script>" not in text
    assert "&lt;script&gt;" in text
    assert _check(text).errors == []


def test_figure_json_cannot_close_the_script_element() -> None:
    run = make_run(
        seed=2,
        seconds=5,
        endpoints={"GET /x</script><script>alert(1)//": lambda rng, n: rng.uniform(1, 2, n)},
    )
    text = html.render([ReportInput(run=run)])
    assert "</script><script>alert(1)" not in text
    assert _figures(text)  # still parses


def test_comparison_overlays_every_run() -> None:
    items = samples.compare_items()
    text = html.render(items)
    figs = _figures(text)
    names = {t["name"] for f in figs for t in f["data"]}
    assert {"baseline p95", "candidate p95", "baseline", "candidate"} <= names
    assert "Deltas" in text and "+37.5%" in text  # p95 change of the fixed candidate


def test_run_without_time_series_draws_no_empty_time_charts() -> None:
    run = samples.bare_item().run.model_copy(update={"series": []})
    figs = _figures(html.render([ReportInput(run=run)]))
    assert [f["layout"]["title"]["text"] for f in figs] == ["Latency by percentile (HDR histogram)"]
    cmp = _figures(html.render([ReportInput(run=run, label="a"), ReportInput(run=run, label="b")]))
    assert all(f["data"] for f in cmp)


def test_a_chart_alone_in_its_row_spans_it() -> None:
    page = html.Page()
    fig = {"data": [{"type": "scatter"}], "layout": {}}
    out = page.grid([(fig, False), (fig, False), (fig, False), (None, False), (fig, True), (fig, False)])
    classes = re.findall(r'class="(chart[^"]*)"', out)
    assert classes == ["chart", "chart", "chart wide", "chart wide", "chart wide"]
