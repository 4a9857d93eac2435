from __future__ import annotations

import sys
import types

import pytest
from rich.text import Text

from scalectl.report import terminal
from scalectl.report.model import ReportInput
from tests.report import samples
from tests.report.golden import check_golden


def _own(item: ReportInput) -> str:
    """The view from this module's own sections only, so the golden files do not change when the
    owners' pieces (run_term, analysis_term, recommendation_term) are installed."""
    return terminal.print_parts(terminal.run_view(item, compose=False), width=110)


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


@pytest.fixture
def fake_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand-ins for the owners' modules, to check that the view composes whatever is installed."""
    for module, attr, label in (
        ("run_term", "render_run", "FAKE RUN TABLE"),
        ("analysis_term", "render_analysis", "FAKE ANALYSIS"),
        ("recommendation_term", "recommendation_renderable", "FAKE RECOMMENDATION"),
    ):
        mod = types.ModuleType(f"scalectl.report.{module}")
        setattr(mod, attr, lambda model, _label=label: Text(f"{_label} {type(model).__name__}"))
        monkeypatch.setitem(sys.modules, f"scalectl.report.{module}", mod)


@pytest.mark.usefixtures("fake_pieces")
def test_owners_pieces_are_composed_when_installed() -> None:
    text = terminal.render([samples.full_item()], width=110)
    assert "FAKE RUN TABLE RunResult" in text
    assert "FAKE ANALYSIS Analysis" in text
    assert "FAKE RECOMMENDATION Recommendation" in text
    assert "Flowchart path" not in text and "Per replica" not in text  # the fallbacks stepped aside
    assert "SLO violated" in text  # the summary panel stays this module's


def test_fallbacks_are_used_when_the_pieces_are_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("run_term", "analysis_term", "recommendation_term"):
        monkeypatch.setitem(sys.modules, f"scalectl.report.{module}", None)  # import raises ImportError
    text = terminal.render([samples.full_item()], width=110)
    assert "Flowchart path" in text and "Per-replica capacity" in text and "Endpoints" in text
