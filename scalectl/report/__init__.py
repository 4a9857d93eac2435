"""Reporters: one module per format, each returning text and never writing a file.

``FORMATS`` maps every format the CLI offers (``scalectl report --format``) to its reporter; a test
keeps the two in step. A reporter renders one run (its report) or several (their comparison).
Modules are imported when a format is used, so ``scalectl --help`` stays fast (no plotly).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass

from scalectl.report.model import ReportInput


@dataclass(frozen=True)
class Reporter:
    name: str
    #: The module holding ``render(items) -> str``.
    module: str
    #: File suffix for ``--out`` defaults.
    suffix: str
    description: str
    #: Whether ``render`` accepts the terminal's ``width`` and ``color``.
    terminal: bool = False

    def render(self, items: Sequence[ReportInput], *, width: int = 100, color: bool = False) -> str:
        mod = importlib.import_module(self.module)
        if self.terminal:
            return mod.render(items, width=width, color=color)
        return mod.render(items)


FORMATS: dict[str, Reporter] = {
    "html": Reporter("html", "scalectl.report.html", ".html", "self-contained HTML page with charts"),
    "md": Reporter("md", "scalectl.report.markdown", ".md", "Markdown for PR comments and job summaries"),
    "json": Reporter(
        "json", "scalectl.report.json_report", ".json", "the run + analysis + recommendation bundle"
    ),
    "term": Reporter("term", "scalectl.report.terminal", ".txt", "rich terminal view", terminal=True),
}


def render(fmt: str, items: Sequence[ReportInput], *, width: int = 100, color: bool = False) -> str:
    """Render ``items`` (one run, or several to compare) in format ``fmt``."""
    from scalectl.errors import InputError

    reporter = FORMATS.get(fmt)
    if reporter is None:
        raise InputError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return reporter.render(items, width=width, color=color)


__all__ = ["FORMATS", "ReportInput", "Reporter", "render"]
