from __future__ import annotations

from scalectl.report import terminal
from tests.report import samples
from tests.report.golden import check_golden


def test_full_run_matches_golden() -> None:
    check_golden("full.term.txt", terminal.render([samples.full_item()], width=110))


def test_bare_run_matches_golden() -> None:
    check_golden("bare.term.txt", terminal.render([samples.bare_item()], width=110))


def test_comparison_matches_golden() -> None:
    check_golden("compare.term.txt", terminal.render(samples.compare_items(), width=110))


def test_plain_output_has_no_escape_codes_and_color_output_has() -> None:
    item = samples.full_item()
    assert "\x1b[" not in terminal.render([item])
    assert "\x1b[" in terminal.render([item], color=True)


def test_width_is_respected() -> None:
    text = terminal.render([samples.full_item()], width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
