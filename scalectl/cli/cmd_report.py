"""``scalectl report``: render one run's report, or compare several runs side by side."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from scalectl.cli import _common
from scalectl.cli.main import app


class ReportFormat(StrEnum):
    html = "html"
    md = "md"
    json = "json"
    term = "term"


@app.command("report")
@_common.error_boundary
def report(
    run_dirs: list[Path] = typer.Argument(
        ...,
        metavar="RUN_DIR...",
        help="Run directories (or run.json files). One: its report. Several: a comparison, with deltas "
        "against the first (e.g. baseline then candidate).",
        show_default=False,
    ),
    format: ReportFormat = typer.Option(
        ReportFormat.html,
        "--format",
        "-f",
        help="html: one self-contained page with charts (opens offline); md: Markdown for PR comments and "
        "job summaries; json: the run + analysis + recommendation bundle; term: the terminal view.",
        case_sensitive=False,
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Write the report here. Default: html goes to RUN_DIR/report.html (for a comparison, "
        "to the first RUN_DIR as compare.html); md, json and term go to stdout.",
        dir_okay=False,
    ),
) -> None:
    """Render a run's report (HTML, Markdown, JSON or terminal), or compare runs side by side.

    Reads run.json and, when present, analysis.json and recommendation.json beside it. Also renders a
    baseline (reports/baselines/NAME.json → NAME.html) and a plan written by 'scalectl recommend'
    (its directory → report.html) and an experiment directory (experiment.json, from 'scalectl
    experiment').
    """
    from scalectl import storage
    from scalectl.report import render
    from scalectl.report.files import load_input

    if len(run_dirs) == 1 and _standalone(run_dirs[0], format.value, out):
        return
    items = [load_input(p) for p in run_dirs]
    fmt = format.value
    color = fmt == "term" and out is None and _common.out.is_terminal
    width = _common.out.width if color else 100
    if fmt == "html" and out is None:
        first = run_dirs[0] if run_dirs[0].is_dir() else run_dirs[0].parent
        out = first / ("report.html" if len(items) == 1 else "compare.html")
    text = render(fmt, items, width=width, color=color)
    if out is None:
        _common.out.file.write(text)
        _common.out.file.flush()
        return
    try:
        storage.atomic_write_text(out, text)
    except OSError as exc:
        from scalectl.errors import InputError

        raise InputError(f"{out}: cannot write the report: {exc.strerror}") from None
    what = "comparison" if len(items) > 1 else "report"
    _common.err.print(f"{what} written to {out} ({len(text.encode()) / 1e6:.1f} MB)", markup=False)


def _standalone(path: Path, fmt: str, out: Path | None) -> bool:
    """A baseline file or a recommendation directory: render it and return True."""
    from scalectl import storage
    from scalectl.report.files import render_standalone, write_baseline_report

    found = render_standalone(path, fmt)
    if found is None:
        return False
    text, default = found
    if fmt == "html" and storage.is_baseline_file(path):
        written = write_baseline_report(path, out)
        _common.err.print(f"baseline report written to {written}", markup=False)
        return True
    if fmt == "html":
        out = out or default
    if out is None:
        _common.out.file.write(text)
        _common.out.file.flush()
        return True
    storage.atomic_write_text(out, text)
    _common.err.print(f"report written to {out}", markup=False)
    return True
