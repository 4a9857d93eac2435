"""``scalectl target up|status|down``: run the bundled reference backend (replicas, nginx)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import typer

from scalectl import layout
from scalectl.cli._common import err, error_boundary, out
from scalectl.cli.main import app
from scalectl.errors import InputError, TargetError

DEFAULT_WORKDIR = layout.target_dir()
_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

target_cli = typer.Typer(
    name="target",
    help=(
        "Start, inspect and stop the bundled reference backend (target_app): N uvicorn replicas sharing "
        "one port (SO_REUSEPORT) or behind nginx (least_conn), each with its own /metrics. "
        "Knobs (database, pool, rate limits, cache, LLM, breaker, injected latency) are environment "
        "variables passed with --env; see docs/target_app.md."
    ),
    no_args_is_help=True,
)
app.add_typer(target_cli, name="target")

WORKDIR_OPT = typer.Option(
    DEFAULT_WORKDIR, "--workdir", help="Folder for the SQLite file, logs, nginx files and state.json."
)


def parse_env(pairs: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not _ENV_KEY.match(key):
            raise InputError(f"--env {pair!r}: expected KEY=VALUE (e.g. --env DB_POOL_SIZE=10)")
        env[key] = value
    return env


def _print_target(info: Any) -> None:
    from rich.table import Table

    out.print(f"target: {info.url}  (lb: {info.lb}" + (f", nginx pid {info.lb_pid})" if info.lb_pid else ")"))
    table = Table("replica", "pid", "address (+ /metrics)", "cpus")
    for r in info.replicas:
        cpus = ",".join(map(str, r.cpus)) if r.cpus else "any"
        table.add_row(str(r.index), str(r.pid), r.url, cpus)
    out.print(table)
    if info.env:
        out.print("env: " + " ".join(f"{k}={v}" for k, v in sorted(info.env.items())), markup=False)


@target_cli.command("up")
@error_boundary
def up(
    replicas: int = typer.Option(1, "--replicas", "-r", help="Number of replica processes."),
    port: int | None = typer.Option(
        None,
        "--port",
        "-p",
        help="Public port on 127.0.0.1 (default: a free one; 'scalectl target status --url' prints "
        "the URL). A busy port is exit 3.",
    ),
    lb: str = typer.Option(
        "auto",
        "--lb",
        help="How replicas share the port: auto (one replica: single; more: reuseport), reuseport "
        "(kernel SO_REUSEPORT, no extra software), nginx (a generated least_conn nginx; needs nginx).",
    ),
    cpus_per_replica: int | None = typer.Option(
        None, "--cpus-per-replica", help="Pin each replica to K CPUs (round-robin over the usable CPUs)."
    ),
    detach: bool = typer.Option(
        False, "--detach", "-d", help="Return once ready and leave it running (stop with 'target down')."
    ),
    env: list[str] = typer.Option(
        [], "--env", "-e", help="A knob for the app, KEY=VALUE (repeatable), e.g. --env DB_POOL_SIZE=2."
    ),
    workdir: Path = WORKDIR_OPT,
    ready_timeout: float = typer.Option(60.0, "--ready-timeout", help="Seconds to wait for readiness."),
) -> None:
    """Start the reference backend and wait until every replica is ready.

    Without --detach it runs in the foreground until Ctrl-C, then drains and stops everything.
    Exit code 3 when the port is busy, nginx is missing, or a replica does not become ready.
    """
    from scalectl.pipeline.serve import serve, start_bundled

    info = start_bundled(
        replicas=replicas,
        port=port,
        lb=lb,
        cpus_per_replica=cpus_per_replica,
        env=parse_env(env),
        workdir=workdir,
        ready_timeout=ready_timeout,
        say=err.print,
    )
    serve(info, workdir, detach=detach, show=_print_target, say=err.print)


@target_cli.command("status")
@error_boundary
def status(
    workdir: Path = WORKDIR_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
    url_only: bool = typer.Option(
        False, "--url", help="Print only the target's URL, e.g. HOST=$(scalectl target status --url)."
    ),
) -> None:
    """List the running target's replicas with pid, address and health.

    Exit code 0 when every replica is ready, 3 when none is running or one is not ready.
    """
    from dataclasses import asdict

    from scalectl import target

    info = target.load_state(target.state_path(workdir))
    if info is None:
        raise TargetError(f"no target is running (no state in {target.state_path(workdir)})")
    rows, lb_alive = target.target_health(info)
    if url_only:
        out.print(info.url, markup=False, highlight=False)
    elif as_json:
        data = {"url": info.url, "lb": info.lb, "lb_pid": info.lb_pid, "lb_alive": lb_alive}
        out.print(json.dumps({**data, "replicas": [asdict(r) for r in rows]}, indent=2), markup=False)
    else:
        _print_health(info, rows, lb_alive)
    if not all(r.ready for r in rows) or lb_alive is False:
        raise typer.Exit(code=3)


def _print_health(info: Any, rows: list[Any], lb_alive: bool | None) -> None:
    from rich.table import Table

    lb_note = "" if lb_alive is None else f", nginx pid {info.lb_pid} {'up' if lb_alive else 'DOWN'}"
    out.print(f"target: {info.url}  (lb: {info.lb}{lb_note})")
    table = Table("replica", "pid", "address", "alive", "ready", "detail")
    for r in rows:
        table.add_row(
            str(r.index),
            str(r.pid),
            r.url,
            "yes" if r.alive else "no",
            "yes" if r.ready else "no",
            r.detail,
        )
    out.print(table)


@target_cli.command("down")
@error_boundary
def down(workdir: Path = WORKDIR_OPT) -> None:
    """Drain and stop the target started with 'target up --detach' (nginx included)."""
    from scalectl import target

    state = target.state_path(workdir)
    info = target.load_state(state)
    if info is None:
        err.print("no target is running")
        return
    target.stop_target(info)
    state.unlink(missing_ok=True)
    extra = " and nginx" if info.lb_pid else ""
    err.print(f"stopped {len(info.replicas)} replica(s){extra}")
