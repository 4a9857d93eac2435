"""Reading the plan's own inputs: a load history (CSV) and a price sheet (YAML). Errors name the file,
the line and the field; the capacity package does the arithmetic on what is read here."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from scalectl.errors import InputError
from scalectl.models.plan import Prices

DATE_COLUMNS = ("date", "day", "month", "timestamp")
RPS_COLUMNS = ("peak_rps", "rps", "peak", "req_s", "requests_per_second")


def _column(header: list[str], names: tuple[str, ...], path: Path, what: str) -> int:
    lowered = [h.strip().lower() for h in header]
    for n in names:
        if n in lowered:
            return lowered.index(n)
    raise InputError(
        f"{path}:1: no {what} column (expected one of {', '.join(names)}; found {', '.join(header)})"
    )


def _date(text: str) -> date:
    text = text.strip()
    if len(text) == 7:  # YYYY-MM: the first of the month
        text += "-01"
    return date.fromisoformat(text[:10])


def read_history(path: Path) -> list[tuple[date, float]]:
    """(date, peak req/s) rows of a CSV with a header such as ``date,peak_rps``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the history: {exc.strerror}") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise InputError(f"{path}: empty history file")
    d_col = _column(rows[0], DATE_COLUMNS, path, "date")
    r_col = _column(rows[0], RPS_COLUMNS, path, "peak req/s")
    out = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        try:
            day = _date(row[d_col])
        except (ValueError, IndexError):
            raise InputError(f"{path}:{lineno}: field {rows[0][d_col]}: not a date (YYYY-MM-DD)") from None
        try:
            rps = float(row[r_col])
        except (ValueError, IndexError):
            raise InputError(f"{path}:{lineno}: field {rows[0][r_col]}: not a number") from None
        out.append((day, rps))
    return out


def read_prices(path: Path) -> Prices:
    """A price sheet: ``vcpu_hour``, ``gib_hour``, ``currency`` and/or ``instance_types`` (name, vcpu,
    memory_gib, hourly)."""
    import yaml

    from scalectl.capacity.cost import parse_prices

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the prices: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}{where}: not valid YAML") from None
    return parse_prices(data, source=str(path))
