"""The terminal summary of a run (rich): per endpoint requests, failures, rps and latency percentiles."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from scalectl.models.run import EndpointStats, RunResult
from scalectl.report import fmt


def _row(run: RunResult, ep: EndpointStats, bold: bool = False) -> list[str]:
    lat = ep.latency_ms
    cells = [
        ep.key if ep.name != "Total" else "Total",
        f"{ep.requests:,}",
        f"{ep.failures:,}" + (f" ({ep.failure_rate:.1%})" if ep.failures else ""),
        fmt.num(fmt.endpoint_rps(run, ep)),
        f"{lat.p50:,.1f}",
        f"{lat.p95:,.1f}",
        f"{lat.p99:,.1f}",
        f"{lat.max:,.1f}",
    ]
    return [f"[bold]{c}[/]" for c in cells] if bold else cells


def run_table(run: RunResult) -> Table:
    table = Table(title=f"{run.scenario_name}: {run.run_id} (latency in ms)", title_justify="left")
    table.add_column("endpoint", justify="left", overflow="fold")
    for col in ("requests", "failures", "rps", "p50", "p95", "p99", "max"):
        table.add_column(col, justify="right", no_wrap=True, min_width=len(col))
    for ep in run.endpoints:
        table.add_row(*_row(run, ep))
    table.add_row(*_row(run, run.total, bold=True))
    return table


def render_run(run: RunResult) -> Group:
    """The table plus one line each for errors, generator saturation, partial runs and warnings."""
    parts: list = [run_table(run)]
    env = run.environment
    parts.append(
        Text(
            f"{run.duration_s:.1f}s{f' ({fmt.warmup(run)})' if run.warmup_s else ''} against "
            f"{run.host} ({run.load_model} model), generator "
            f"{run.generator.processes} process(es), "
            f"mean CPU {run.generator.cpu_percent_mean:.0f}% of a core; "
            f"{env.cpu_count} cores, locust {env.locust_version}"
        )
    )
    if run.total.errors:
        kinds = ", ".join(f"{k}: {n}" for k, n in sorted(run.total.errors.items()))
        parts.append(Text(f"errors: {kinds}", style="red"))
    if not run.complete:
        parts.append(Text(f"PARTIAL RUN: {run.stop_reason or 'incomplete'}", style="bold yellow"))
    if run.generator.saturated:
        parts.append(Text("GENERATOR-BOUND: the load generator saturated its CPU", style="bold yellow"))
    for w in run.warnings:
        parts.append(Text(f"warning: {w}", style="yellow"))
    return Group(*parts)
