from __future__ import annotations

from scalectl.report import terminal
from scalectl.report.model import ReportInput
from tests.report import samples
from tests.report.golden import check_golden


def _own(item: ReportInput) -> str:
    """The view users see: the summary panel and the run, analysis and recommendation pieces."""
    return terminal.print_parts(terminal.run_view(item), width=110)


def test_full_run_matches_golden() -> None:
    check_golden("full.term.txt", _own(samples.full_item()))


def test_bare_run_matches_golden() -> None:
    check_golden("bare.term.txt", _own(samples.bare_item()))


def test_comparison_matches_golden() -> None:
    check_golden("compare.term.txt", terminal.render(samples.compare_items(), width=110))


def test_plain_output_has_no_escape_codes_and_color_output_has() -> None:
    item = samples.full_item()
    assert "\x1b[" not in terminal.render([item])
    assert "\x1b[" in terminal.render([item], color=True)


def test_width_is_respected() -> None:
    text = terminal.render([samples.full_item()], width=80)
    assert max(len(line) for line in text.splitlines()) <= 80


def test_the_view_composes_the_run_analysis_and_recommendation_pieces() -> None:
    text = terminal.render([samples.full_item()], width=110)
    assert "SLO violated" in text  # the summary panel
    assert "POST /api/seo-dashboard/analyze" in text  # run_term's endpoint table
    assert "Findings" in text  # analysis_term
    bare = terminal.render([samples.bare_item()], width=110)
    assert "Findings" not in bare and "Total" in bare
