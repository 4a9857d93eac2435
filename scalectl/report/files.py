"""Reading a run directory into a ReportInput, and writing a run's default ``report.html``.

The reporters stay pure; this module is the one place of the report package that touches files.
"""

from __future__ import annotations

from pathlib import Path

from scalectl import storage
from scalectl.errors import InputError
from scalectl.models import Baseline
from scalectl.report.model import ReportInput

REPORT_FILE = "report.html"


def load_input(path: Path) -> ReportInput:
    """A run directory (or its run.json) with the analysis.json / recommendation.json beside it."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such run directory or run.json")
    if storage.is_baseline_file(path):
        raise InputError(
            f"{path} is a baseline, not a run; report one of its steps' run directories "
            "(each step's run_dir), or compare them: scalectl report RUN_A RUN_B"
        )
    run_dir = path if path.is_dir() else path.parent
    if not (run_dir / storage.RUN_FILE).exists() and path.is_dir():
        raise InputError(f"{path}: not a run directory (no {storage.RUN_FILE})")
    run = storage.load_run(path)
    label = run_dir.name if run_dir.name else None
    return ReportInput(
        run=run,
        analysis=storage.load_analysis(run_dir),
        recommendation=storage.load_recommendation(run_dir),
        label=label,
    )


def write_default_report(run_dir: Path, item: ReportInput | None = None) -> Path:
    """Write ``RUN_DIR/report.html`` (atomically) for the run in ``run_dir``; returns its path.

    ``item``: the run and its analysis when the caller holds them (``postrun.finish_run``, after
    ``loadtest`` and each ``baseline`` step); otherwise they are read from ``run_dir``.
    """
    from scalectl.report import render

    item = item or load_input(Path(run_dir))
    target = Path(run_dir) / REPORT_FILE
    return storage.atomic_write_text(target, render("html", [item]))


def baseline_report_path(baseline_file: Path) -> Path:
    """``reports/baselines/NAME.json`` → ``reports/baselines/NAME.html``."""
    return Path(baseline_file).with_suffix(".html")


def write_baseline_report(baseline_file: Path, out: Path | None = None) -> Path:
    """Write the baseline's HTML report, each step linked (relative path) to its run's report.html."""
    import os

    from scalectl.report.baseline_report import render_baseline_html

    b = storage.load_baseline(Path(baseline_file))
    target = Path(out) if out else baseline_report_path(baseline_file)
    links = {}
    for s in b.steps:
        if s.run_dir and (Path(s.run_dir) / REPORT_FILE).exists():
            links[s.index] = os.path.relpath(Path(s.run_dir) / REPORT_FILE, target.parent)
    return storage.atomic_write_text(target, render_baseline_html(b, links, _limit_line(b, baseline_file)))


def _limit_line(b: Baseline, baseline_file: Path) -> str | None:
    """The limit line the terminal printed for this baseline (from its last step's analysis)."""
    from scalectl.report.first_lines import baseline_lines

    last = b.steps[-1] if b.steps else None
    analysis = storage.load_analysis(Path(last.run_dir)) if last is not None and last.run_dir else None
    return baseline_lines(b, analysis, str(baseline_file))[1]


def render_standalone(path: Path, fmt: str) -> tuple[str, Path] | None:
    """A baseline file, or a directory holding experiment.json or recommendation.json and no run: its
    report in ``fmt``
    and the default path of its HTML; None for a run (the caller renders runs)."""
    path = Path(path)
    if path.is_file() and storage.is_baseline_file(path):
        from scalectl.report import baseline_report as br

        b = storage.load_baseline(path)
        if fmt == "html":
            return "", baseline_report_path(path)  # written with links by write_baseline_report
        text = {"md": br.render_baseline_md, "term": br.render_baseline_term}.get(fmt, _json_of)(b)
        return text, baseline_report_path(path)
    exp_dir = path if path.is_dir() else path.parent
    if (exp_dir / storage.EXPERIMENT_FILE).exists() and not (exp_dir / storage.RUN_FILE).exists():
        from scalectl.report.experiment import render as render_experiment

        return render_experiment(storage.load_experiment(exp_dir), fmt), exp_dir / REPORT_FILE
    rec_dir = path if path.is_dir() else path.parent
    if (rec_dir / storage.RECOMMENDATION_FILE).exists() and not (rec_dir / storage.RUN_FILE).exists():
        rec = storage.load_recommendation(rec_dir)
        if rec is None:
            return None
        from scalectl.report.recommendation_html import render_recommendation_html
        from scalectl.report.recommendation_md import render_recommendation_md
        from scalectl.report.recommendation_term import render_recommendation

        render = {
            "html": render_recommendation_html,
            "md": render_recommendation_md,
            "term": render_recommendation,
        }.get(fmt, _json_of)
        return render(rec), rec_dir / REPORT_FILE
    return None


def _json_of(model) -> str:
    return model.model_dump_json(indent=2, by_alias=True) + "\n"
