from __future__ import annotations

from scalectl.report import markdown
from scalectl.report.model import ReportInput
from tests.factories import make_run
from tests.report import samples
from tests.report.golden import check_golden


def test_full_run_matches_golden() -> None:
    check_golden("full.md", markdown.render([samples.full_item()]))


def test_bare_run_matches_golden() -> None:
    check_golden("bare.md", markdown.render([samples.bare_item()]))


def test_comparison_matches_golden() -> None:
    check_golden("compare.md", markdown.render(samples.compare_items()))


def test_full_report_has_every_section() -> None:
    text = markdown.render([samples.full_item()])
    for heading in ("### SLOs", "### Endpoints", "### Analysis", "### Recommendation"):
        assert heading in text
    assert "SLO violated" in text  # error_rate<1% failed in the hand-built analysis
    assert "**6 replicas**" in text


def test_bare_report_leaves_out_what_does_not_exist() -> None:
    text = markdown.render([samples.bare_item()])
    assert "no SLO given" in text
    assert "### Analysis" not in text and "### Recommendation" not in text and "### SLOs" not in text


def test_slo_is_evaluated_from_the_run_without_analysis() -> None:
    run = make_run(seed=1, slo=["p95<1ms", "error_rate<5%"])
    text = markdown.render([ReportInput(run=run)])
    assert "SLO violated" in text
    assert "❌ FAIL" in text and "✅ pass" in text


def test_table_cells_escape_pipes() -> None:
    assert markdown.cell("a|b\nc") == "a\\|b c"


def test_comparison_flags_a_slower_candidate() -> None:
    text = markdown.render(samples.compare_items())
    p95 = next(line for line in text.splitlines() if line.startswith("| overall | p95 |"))
    assert "⚠️" in p95


def test_a_run_without_requests_shows_no_latency() -> None:
    run = make_run(seed=1, seconds=2, rps=0.0, slo=["p95<100ms"])
    text = markdown.render([ReportInput(run=run)])
    assert "0.00 ms" not in text
    assert "| **Total** | 0 | 0.00% | 0.0 | – | – | – | – | – |" in text
    assert "SLOs not judged" in text
