"""What ``loadtest`` and ``baseline`` show while and after they run: live progress, the first lines,
the run or the baseline's table (presentation only; the work is in ``scalectl.pipeline``)."""

from __future__ import annotations

import time
from typing import Any

from scalectl.cli._common import EXIT_INTERRUPTED, err, is_tty, out


class Progress:
    """Live progress: a rich status line on a terminal, a plain line every few seconds otherwise."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = is_tty()
        self.last_plain = 0.0
        self.status: Any = None

    def __enter__(self) -> Progress:
        if self.tty:
            self.status = err.status(f"{self.label}: starting...")
            self.status.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.status is not None:
            self.status.__exit__(*exc)

    def __call__(self, p: Any) -> None:
        remaining = f" / {p.total:.0f}s" if p.total else ""
        line = (
            f"{self.label}: {p.elapsed:5.1f}s{remaining}  users {p.users}  rps {p.rps:,.0f}  "
            f"p95 {p.p95_ms:,.1f} ms  requests {p.requests:,}  errors {p.failures:,}"
        )
        if p.workers:
            line += f"  workers {p.workers}"
        if p.lost_workers:
            line += f"  LOST {len(p.lost_workers)}"
        if self.status is not None:
            self.status.update(line)
        elif time.monotonic() - self.last_plain >= 5.0:
            self.last_plain = time.monotonic()
            err.print(line, markup=False, highlight=False)


def plain(line: str) -> None:
    out.print(line, markup=False, highlight=False)


def first_lines(lines: list[str]) -> None:
    """The three first lines: result or capacity, what limits it, the next command."""
    for line in lines:
        out.print(line, markup=False, highlight=False, soft_wrap=True)


def show_run(res: Any, *, host: str | None, verbose: bool) -> None:
    """A finished ``loadtest``: first lines, the run's table, (``--verbose``) the analysis, where it
    went; exit 130 when Ctrl-C cut it short."""
    import typer

    from scalectl.report.analysis_term import render_analysis
    from scalectl.report.first_lines import run_lines
    from scalectl.report.run_term import render_run

    first_lines(run_lines(res.run, res.analysis, str(res.run_dir), host=host))
    out.print(render_run(res.run))
    if verbose:
        out.print(render_analysis(res.analysis), soft_wrap=False)
    if res.report_path is not None:
        plain(f"report: {res.report_path}")
    plain(f"run written to {res.run_dir}")
    if not res.run.complete and (res.run.stop_reason or "").startswith("interrupted"):
        raise typer.Exit(code=EXIT_INTERRUPTED)


def print_step(step: Any) -> None:
    mark = "ok" if step.slo_ok else "SLO broken"
    err.print(
        f"step {step.index}: users={step.users or '-'} offered={step.offered_rps or '-'} "
        f"rps={step.rps:,.1f} p95={step.p95_ms:,.1f}ms errors={step.error_rate:.1%} {mark}",
        markup=False,
        highlight=False,
    )


def print_baseline(done: Any, *, verbose: bool = False) -> None:
    from scalectl.report.analysis_term import render_analysis
    from scalectl.report.first_lines import baseline_lines

    first_lines(baseline_lines(done.baseline, done.analysis, str(done.path)))
    out.print(baseline_table(done.baseline))
    if verbose and done.analysis is not None:
        out.print(render_analysis(done.analysis), soft_wrap=False)
    if done.report_path is not None:
        plain(f"baseline report: {done.report_path}")
    plain(f"baseline written to {done.path} ({done.baseline.stop_reason})")


def baseline_table(b: Any) -> Any:
    from rich.table import Table

    t = Table(
        title=f"baseline {b.name} ({b.replicas or 'unknown'} replica(s)), SLO: {', '.join(b.slo) or 'none'}",
        title_justify="left",
    )
    t.caption = "* the knee: highest throughput within the SLO; latency in ms"
    from scalectl.report.baseline_report import step_rows

    _, rows = step_rows(b, knee_mark="*", blank="-")  # the report's rows, the terminal's marks
    for col in ("step", "users", "offered", "rps", "p50", "p95", "p99", "errors", "SLO"):
        t.add_column(col, justify="right", no_wrap=True, min_width=len(col))
    for row in rows:
        t.add_row(*row)
    return t
