"""The plan's own inputs (``plan_files.py``): a load history (CSV) and a price sheet (YAML); errors
name the file, the line and the field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from scalectl.errors import InputError
from scalectl.plan_files import read_history, read_prices

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_examples_read() -> None:
    history = read_history(ROOT / "docs" / "examples" / "history.csv")
    assert history[0] == (date(2025, 12, 1), 118.0)
    assert all(isinstance(d, date) and rps > 0 for d, rps in history)
    prices = read_prices(ROOT / "docs" / "examples" / "prices.yaml")
    assert (prices.currency, prices.vcpu_hour, prices.gib_hour) == ("USD", 0.0316, 0.0042)
    assert prices.instance_types[0].name == "c-2x4" and prices.instance_types[0].vcpu == 2


def test_history_columns_by_any_known_name_months_and_blank_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "h.csv", "Month , Extra, RPS\n2026-01,x,100\n\n2026-02-15T10:00:00,y,120.5\n")
    assert read_history(path) == [(date(2026, 1, 1), 100.0), (date(2026, 2, 15), 120.5)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "h.csv: empty history file"),
        (
            "when,peak_rps\n2026-01-01,1\n",
            "h.csv:1: no date column (expected one of date, day, month, timestamp; ",
        ),
        ("date,load\n2026-01-01,1\n", "h.csv:1: no peak req/s column"),
        ("date,peak_rps\n2026-01-01,1\nsoon,2\n", "h.csv:3: field date: not a date (YYYY-MM-DD)"),
        ("date,peak_rps\n2026-01-01,many\n", "h.csv:2: field peak_rps: not a number"),
        ("date,peak_rps\n2026-01-01\n", "h.csv:2: field peak_rps: not a number"),
    ],
)
def test_history_errors_name_file_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, "h.csv", text)
    with pytest.raises(InputError) as exc:
        read_history(path)
    assert str(exc.value).startswith(
        str(tmp_path / message.split(":")[0]) + message[len(message.split(":")[0]) :]
    )


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the history"):
        read_history(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="cannot read the prices"):
        read_prices(tmp_path / "nope.yaml")


def test_prices_errors_name_the_line_or_the_field(tmp_path: Path) -> None:
    bad_yaml = _write(tmp_path, "p.yaml", "currency: EUR\nvcpu_hour: [1,\n")
    with pytest.raises(InputError, match=r"p\.yaml:\d+: not valid YAML"):
        read_prices(bad_yaml)
    negative = _write(tmp_path, "n.yaml", "vcpu_hour: -1\n")
    with pytest.raises(InputError, match=r"n\.yaml: field vcpu_hour: "):
        read_prices(negative)
    not_a_map = _write(tmp_path, "l.yaml", "- 1\n- 2\n")
    with pytest.raises(InputError, match="expected a mapping"):
        read_prices(not_a_map)
