"""The format → reporter map covers every format the CLI offers, and each renders every case."""

from __future__ import annotations

import pytest

from scalectl.cli.cmd_report import ReportFormat
from scalectl.errors import InputError
from scalectl.report import FORMATS, render
from tests.report import samples


def test_map_covers_exactly_the_cli_formats() -> None:
    assert set(FORMATS) == {f.value for f in ReportFormat}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("case", ["full", "bare", "compare"])
def test_every_reporter_renders_every_case(fmt: str, case: str) -> None:
    items = {
        "full": [samples.full_item()],
        "bare": [samples.bare_item()],
        "compare": samples.compare_items(),
    }[case]
    out = render(fmt, items)
    assert isinstance(out, str) and out.strip()
    assert items[-1].name in out or items[-1].run.run_id in out


def test_unknown_format_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown report format 'xml'"):
        render("xml", [samples.bare_item()])


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_nothing_to_report_is_refused(fmt: str) -> None:
    with pytest.raises(ValueError):
        render(fmt, [])
