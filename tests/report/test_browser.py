"""A real browser opens the HTML report from disk, offline, and draws every chart.

Needs Debian's ``chromium`` (``.ci/run`` installs it when missing).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scalectl.report import html
from tests.report import samples
from tests.report.browser import check_page, find_chromium

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        find_chromium() is None, reason="chromium is not installed (apt-get install chromium)"
    ),
]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "report"


def _figure_count(text: str) -> int:
    m = re.search(r'<script id="figures" type="application/json">(.*?)</script>', text, re.S)
    assert m
    return len(json.loads(m.group(1)))


@pytest.mark.parametrize("case", ["full", "compare"])
def test_report_renders_offline_in_chromium(tmp_path: Path, case: str) -> None:
    items = [samples.full_item()] if case == "full" else samples.compare_items()
    text = html.render(items)
    page = tmp_path / f"{case}.html"
    page.write_text(text, encoding="utf-8")
    check = check_page(page, ARTIFACTS / f"{case}.png")

    assert check.console_errors == []
    assert check.network_requests == []
    expected = _figure_count(text)
    assert check.charts_rendered == expected and check.charts_failed == 0
    assert len(check.charts) == expected
    for chart in check.charts:
        assert chart["svg"] >= 1, chart  # plotly drew its SVG layers
        assert chart["traces"] >= 1 and chart["points"] >= 1, chart
        assert chart["width"] > 200 and chart["height"] > 200, chart
    assert (ARTIFACTS / f"{case}.png").stat().st_size > 10_000


def test_checker_sees_console_errors_and_network_attempts(tmp_path: Path) -> None:
    """The check can fail: a console error and a request for a remote resource are both caught."""
    text = html.render([samples.bare_item()])
    text = text.replace("<script>\n(function", "<script>\nconsole.error('boom');\n(function", 1)
    text = text.replace("</footer>", '<img src="http://127.0.0.1:9/pixel.png" alt=""></footer>', 1)
    page = tmp_path / "broken.html"
    page.write_text(text, encoding="utf-8")
    check = check_page(page)
    assert any("boom" in e for e in check.console_errors)
    assert check.network_requests == ["http://127.0.0.1:9/pixel.png"]


@pytest.mark.parametrize("case", ["baseline", "plan"])
def test_plan_and_baseline_reports_render_offline_in_chromium(tmp_path: Path, case: str) -> None:
    from scalectl.report.baseline_report import render_baseline_html
    from scalectl.report.recommendation_html import render_recommendation_html
    from tests.report import plan_samples

    if case == "baseline":
        text = render_baseline_html(plan_samples.baseline(), {0: "step0/report.html"})
    else:
        text = render_recommendation_html(plan_samples.plan())
    page = tmp_path / f"{case}.html"
    page.write_text(text, encoding="utf-8")
    check = check_page(page, ARTIFACTS / f"{case}.png")

    assert check.console_errors == []
    assert check.network_requests == []
    expected = _figure_count(text)
    assert expected >= 2
    assert check.charts_rendered == expected and check.charts_failed == 0
    for chart in check.charts:
        assert chart["svg"] >= 1, chart
        assert chart["traces"] >= 1 and chart["points"] >= 1, chart
        assert chart["width"] > 200 and chart["height"] > 200, chart
    assert (ARTIFACTS / f"{case}.png").stat().st_size > 10_000
