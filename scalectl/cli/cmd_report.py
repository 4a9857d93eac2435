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

    Reads run.json and, when present, analysis.json and recommendation.json beside it. An experiment
    directory (experiment.json, from 'scalectl experiment') gives the experiment's report.
    """
    from scalectl import storage
    from scalectl.report import render
    from scalectl.report.files import load_input

    fmt = format.value
    if len(run_dirs) == 1 and _is_experiment(run_dirs[0]):
        _experiment_report(run_dirs[0], fmt, out)
        return
    items = [load_input(p) for p in run_dirs]
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


def _is_experiment(path: Path) -> bool:
    from scalectl import storage

    return (path / storage.EXPERIMENT_FILE).is_file() or path.name == storage.EXPERIMENT_FILE


def _experiment_report(path: Path, fmt: str, out: Path | None) -> None:
    """An experiment directory: its own report (html to EXP_DIR/report.html by default)."""
    from scalectl import storage
    from scalectl.report.experiment import render

    exp = storage.load_experiment(path)
    text = render(exp, fmt)
    folder = path if path.is_dir() else path.parent
    if out is None and fmt == "html":
        out = folder / "report.html"
    if out is None:
        _common.out.file.write(text)
        _common.out.file.flush()
        return
    storage.atomic_write_text(out, text)
    _common.err.print(f"experiment report written to {out}", markup=False)
