"""The plan and baseline reports: HTML, Markdown and terminal show the same figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from scalectl import storage
from scalectl.cli.main import app
from scalectl.report import plan_view
from scalectl.report.baseline_report import render_baseline_html, render_baseline_md, render_baseline_term
from scalectl.report.recommendation_html import render_recommendation_html
from scalectl.report.recommendation_md import render_recommendation_md
from scalectl.report.recommendation_term import render_recommendation
from tests.report import plan_samples

runner = CliRunner()


def _figures(text: str) -> list[dict]:
    m = re.search(r'<script id="figures" type="application/json">(.*?)</script>', text, re.S)
    assert m
    return json.loads(m.group(1))


def test_plan_has_every_part() -> None:
    rec = plan_samples.plan()
    assert rec.forecast and rec.cost and len(rec.options) == 2 and rec.risk is not None
    assert rec.option_reason


def test_one_figure_on_every_screen() -> None:
    rec = plan_samples.plan()
    html = render_recommendation_html(rec)
    md = render_recommendation_md(rec)
    term = render_recommendation(rec, width=250)
    money = plan_view.money(rec.cost.monthly, rec.cost.currency)
    line = plan_view.runs_out_line(rec)
    for text in (html, md, term):
        assert money in text
        assert line in text.replace("\n", " ") or line in text
        for f in rec.forecast:
            assert f.date in text
        for o in rec.options:
            assert f"{o.replicas} × {o.cores_per_replica:g} core(s)" in text
        for note in rec.risk.notes:
            assert note[:40] in text.replace("\n", " ") or note[:40] in text


def test_recommendation_html_charts() -> None:
    rec = plan_samples.plan()
    figs = _figures(render_recommendation_html(rec))
    titles = [f["layout"]["title"]["text"] for f in figs]
    assert any("Universal Scalability Law" in t for t in titles)
    fc = next(f for f in figs if t_startswith(f, "Forecast"))
    names = [t["name"] for t in fc["data"]]
    assert "forecast peak load" in names
    assert any("today's 3 replicas" in n for n in names)
    assert any(f"recommended {rec.replicas} replicas" in n for n in names)
    load = next(t for t in fc["data"] if t["name"] == "forecast peak load")
    assert load["y"] == [round(f.rps, 4) for f in rec.forecast]
    usl = next(f for f in figs if t_startswith(f, "Scalability"))
    assert any(t["name"].startswith("chosen") for t in usl["data"])
    assert any(t["name"] == "measured" for t in usl["data"])


def t_startswith(fig: dict, prefix: str) -> bool:
    return fig["layout"]["title"]["text"].startswith(prefix)


def test_baseline_views() -> None:
    b = plan_samples.baseline()
    html = render_baseline_html(b, {0: "../runs/a/report.html"})
    figs = _figures(html)
    assert len(figs) == 2
    hockey = figs[1]
    assert "hockey stick" in hockey["layout"]["title"]["text"]
    assert hockey["layout"]["shapes"][0]["y0"] == 300.0  # the SLO line
    assert any(t["name"].startswith("knee") for t in hockey["data"])
    assert 'href="../runs/a/report.html"' in html
    for text in (render_baseline_md(b), render_baseline_term(b), html):
        assert f"{b.knee.rps:,.1f} req/s" in text and "(knee)" in text


def test_report_finds_a_recommendation_in_its_directory(tmp_path: Path) -> None:
    rec = plan_samples.plan()
    storage.write_model(tmp_path / storage.RECOMMENDATION_FILE, rec)
    r = runner.invoke(app, ["report", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")
    r = runner.invoke(app, ["report", str(tmp_path), "--format", "md"])
    assert r.exit_code == 0 and "### Capacity plan" in r.output
    r = runner.invoke(app, ["report", str(tmp_path), "--format", "json"])
    assert json.loads(r.output)["replicas"] == rec.replicas


def test_report_renders_a_baseline_file(tmp_path: Path) -> None:
    b = plan_samples.baseline()
    path = storage.write_model(tmp_path / "base.json", b)
    r = runner.invoke(app, ["report", str(path)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "base.html").exists()
    r = runner.invoke(app, ["report", str(path), "--format", "term"])
    assert r.exit_code == 0 and "(knee)" in r.output


def test_the_baseline_report_carries_the_terminals_limit_line(tmp_path: Path) -> None:
    """Issue 13: the baseline's HTML had no limit line; it now shows the one the terminal prints."""
    import html

    from scalectl.report.files import write_baseline_report
    from scalectl.report.first_lines import baseline_lines

    b = plan_samples.baseline()
    path = storage.write_model(tmp_path / "base.json", b)
    page = write_baseline_report(path).read_text()
    limit = baseline_lines(b, None, str(path))[1]
    assert limit.startswith("limit: ") and html.escape(limit) in page
