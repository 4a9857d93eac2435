"""The target of a run: resolved into a ``TargetSpec`` (bundled / command / external), started, watched
and stopped. A run records its spec in run.json; :func:`start_from_spec` starts the same target again
with changes (environment, replicas), for experiments and ``recommend --verify``.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scalectl import layout
from scalectl.errors import InputError, TargetError
from scalectl.models.run import TargetSpec
from scalectl.pipeline.options import TargetOptions
from scalectl.pipeline.preflight import preflight
from scalectl.scenario import Scenario
from scalectl.telemetry import ProcessSource, PrometheusSource

TARGET_LOG = "target.log"


@dataclass
class RunningTarget:
    """A target ready for load: its URL, how it was started, and where to watch it."""

    url: str
    spec: TargetSpec
    #: Process trees to sample (role ``target`` / ``load_balancer``): (source, pid, role).
    processes: list[tuple[str, int, str]] = field(default_factory=list)
    #: Prometheus endpoints of the target: (source, url).
    metrics: list[tuple[str, str]] = field(default_factory=list)
    #: Log files of the target's processes; each run gets what they wrote during it.
    logs: list[Path] = field(default_factory=list)
    #: Cores the target's processes are pinned to (``--cpus-per-replica``), kept free of the generator.
    pinned_cpus: set[int] = field(default_factory=set)
    _offsets: dict[Path, int] = field(default_factory=dict)

    def telemetry_sources(self) -> tuple[list[PrometheusSource], list[ProcessSource]]:
        """Fresh sources for one run (they hold that run's samples)."""
        prom = [PrometheusSource(source=s, url=u) for s, u in self.metrics]
        procs = [
            ProcessSource(source=s, pid=p, role=r, children=True, per_process=r == "target")
            for s, p, r in self.processes
        ]
        return prom, procs

    def copy_logs(self, run_dir: Path) -> None:
        """What the target wrote since the last run goes to ``run_dir/target.log``."""
        parts: list[bytes] = []
        for log in self.logs:
            with contextlib.suppress(OSError), open(log, "rb") as fh:
                fh.seek(self._offsets.get(log, 0))
                data = fh.read()
                self._offsets[log] = fh.tell()
                if data:
                    parts.append(f"==> {log.name} <==\n".encode() + data if len(self.logs) > 1 else data)
        if parts:
            (run_dir / TARGET_LOG).write_bytes(b"".join(parts))


def resolve_spec(opts: TargetOptions, scenario: Scenario | None) -> TargetSpec:
    """What the command line and the scenario ask for, as a spec (nothing started yet)."""
    block = scenario.target if scenario is not None else None
    if opts.command is not None and opts.host is not None:
        raise InputError("give --host (a running service) or --target-cmd (a command to start), not both")
    if opts.replicas is not None and opts.replicas < 1:
        raise InputError(f"--replicas must be at least 1 (got {opts.replicas})")
    command = opts.command or (block.command if block is not None and opts.host is None else None)
    if command is not None:
        if opts.command is not None:
            from scalectl.scenario import TargetBlock

            try:  # the same checks as a scenario's target.command
                TargetBlock(command=command)
            except ValueError as exc:
                raise InputError(f"--target-cmd: {_first_error(exc)}") from None
        return TargetSpec(
            kind="command",
            command=command,
            cwd=str(Path(block.cwd if block and block.cwd else ".").resolve()),
            replicas=opts.replicas or 1,
            cpus_per_replica=opts.cpus,
            ready_path=block.ready_path if block else "/",
            ready_timeout_s=block.ready_timeout if block else TargetSpec().ready_timeout_s,
            env={**(block.env if block else {}), **opts.env},
            knobs=dict(block.knobs) if block else {},
        )
    host = opts.host or (scenario.host if scenario is not None else None)
    if host is not None:
        return TargetSpec(kind="external", url=host.rstrip("/"), replicas=opts.replicas)
    return TargetSpec(
        kind="bundled", replicas=opts.replicas or 1, env=dict(opts.env), cpus_per_replica=opts.cpus
    )


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return str(errors()[0]["msg"]).removeprefix("Value error, ")
    return str(exc)


@contextlib.contextmanager
def start_target(
    spec: TargetSpec, *, allow_remote: bool = False, root: Path | None = None
) -> Iterator[RunningTarget]:
    """Start (or, for ``external``, check) the target of ``spec``; stop it, whole, on the way out.

    The yielded spec is completed with what only the start knows (port, load balancer). An external
    URL that a ``scalectl target up --detach`` target serves (its state under reports/target/ or
    ROOT/target/) is watched like a started one: its replicas' telemetry (it is not stopped)."""
    with _sigterm_as_interrupt():
        if spec.kind == "external":
            assert spec.url is not None
            adopted = find_detached(spec.url, root) if root is not None else None
            if adopted is not None:
                adopted.spec = spec.model_copy(update={"replicas": adopted.spec.replicas})
                yield adopted
                return
            preflight(spec.url, allow_remote=allow_remote)
            yield RunningTarget(url=spec.url, spec=spec)
        elif spec.kind == "command":
            with _command_target(spec) as running:
                yield running
        else:
            with _bundled_target(spec) as running:
                yield running


def start_from_spec(
    spec: TargetSpec,
    *,
    env: Mapping[str, str | None] | None = None,
    replicas: int | None = None,
    allow_remote: bool = False,
) -> contextlib.AbstractContextManager[RunningTarget]:
    """Start a target recorded in a run (``run.target``) again, with changes: ``env`` entries set (or,
    with None, remove) variables; ``replicas`` replaces the count. Only targets scalectl started
    (bundled, command) can be changed."""
    changed = env or replicas is not None
    if spec.kind == "external" and changed:
        raise InputError(
            "this run's target was not started by scalectl (--host): scalectl cannot change its "
            "environment or replicas",
            hint="record the run with --target-cmd (or the bundled target) to experiment on it",
        )
    new_env = dict(spec.env)
    for k, v in (env or {}).items():
        if v is None:
            new_env.pop(k, None)
        else:
            new_env[k] = v
    update: dict[str, Any] = {"env": new_env, "port": None}
    if replicas is not None:
        update["replicas"] = replicas
        if spec.lb in ("single", "reuseport"):  # follows from the count (nginx is kept)
            update["lb"] = None
    return start_target(spec.model_copy(update=update), allow_remote=allow_remote)


def find_detached(host: str, root: Path) -> RunningTarget | None:
    """The running ``scalectl target up --detach`` target that serves ``host``, as a running target
    whose replicas are sampled like a started one's; else None."""
    try:
        from scalectl.target import DEFAULT_WORKDIR, detached_target
    except ImportError:
        return None
    info = detached_target(host, (DEFAULT_WORKDIR, layout.target_dir(root)))
    if info is None:
        return None
    procs = [(f"replica-{r.index}", r.pid, "target") for r in info.replicas]
    if info.lb_pid:
        procs.append(("load-balancer", info.lb_pid, "load_balancer"))
    spec = TargetSpec(kind="external", url=host.rstrip("/"), replicas=len(info.replicas))
    return RunningTarget(
        url=host.rstrip("/"),
        spec=spec,
        processes=procs,
        metrics=[(f"replica-{r.index}", r.metrics_url) for r in info.replicas],
        pinned_cpus={c for r in info.replicas for c in (r.cpus or ())},
    )


def own_target_note(counts: list[int], scenario: Path | None) -> str | None:
    """Without ``--host`` or ``--target-cmd``, a baseline measures a bundled target of its own: the
    line that says so (and which running ``target up`` target it leaves alone); None when the
    scenario names its own host or command."""
    from scalectl import target
    from scalectl.scenario import load_scenario

    sc = load_scenario(scenario) if scenario is not None else None
    if sc is not None and (sc.host or (sc.target is not None and sc.target.command)):
        return None
    running = target.load_state(target.state_path())
    n = "/".join(map(str, counts))
    line = f"no --host: measuring a bundled target of {n} replica(s) started for this baseline"
    if running is not None and target.is_running(running):
        line += f"; the target running at {running.url} is left alone (--host {running.url} measures it)"
    return line


@contextlib.contextmanager
def _command_target(spec: TargetSpec) -> Iterator[RunningTarget]:
    from scalectl.target_command import start_command, stop_command

    assert spec.command is not None
    logdir = Path(tempfile.mkdtemp(prefix="scalectl-cmd-"))
    log = logdir / TARGET_LOG
    try:
        started = start_command(
            spec.command,
            log=log,
            replicas=spec.replicas or 1,
            cpus=spec.cpus_per_replica,
            env=spec.env,
            cwd=spec.cwd,
            ready_path=spec.ready_path,
            ready_timeout=spec.ready_timeout_s,
        )
        try:
            running = RunningTarget(
                url=started.url,
                spec=spec.model_copy(update={"port": started.port, "url": started.url}),
                processes=[("target", started.pid, "target")],
                metrics=_probe_metrics(started.url),
                logs=[log],
            )
            yield running
        finally:
            stop_command(started)
    finally:
        shutil.rmtree(logdir, ignore_errors=True)


def _probe_metrics(url: str) -> list[tuple[str, str]]:
    """The service's own ``/metrics``, when it serves Prometheus text there (scraped during runs)."""
    import httpx

    try:
        r = httpx.get(url + "/metrics", timeout=2.0)
    except httpx.HTTPError:
        return []
    if r.status_code == 200 and ("# TYPE" in r.text or "# HELP" in r.text):
        return [("target", url + "/metrics")]
    return []


@contextlib.contextmanager
def _bundled_target(spec: TargetSpec) -> Iterator[RunningTarget]:
    try:
        from scalectl.target import running_target
    except ImportError:
        raise TargetError(
            "the bundled target is not available in this installation; give --host URL or --target-cmd"
        ) from None
    kwargs: dict[str, Any] = {"replicas": spec.replicas or 1, "env": spec.env or None}
    if spec.lb:
        kwargs["lb"] = spec.lb
    if spec.cpus_per_replica is not None:
        kwargs["cpus_per_replica"] = round(spec.cpus_per_replica)
    with running_target(**kwargs) as info:
        wd = Path(info.workdir) if info.workdir else None
        procs = [(f"replica-{r.index}", r.pid, "target") for r in info.replicas]
        if info.lb_pid:
            procs.append(("load-balancer", info.lb_pid, "load_balancer"))
        yield RunningTarget(
            url=info.url,
            spec=spec.model_copy(update={"port": urlsplit(info.url).port, "url": info.url, "lb": info.lb}),
            processes=procs,
            metrics=[(f"replica-{r.index}", r.metrics_url) for r in info.replicas],
            logs=[wd / f"replica-{r.index}.log" for r in info.replicas] if wd else [],
            pinned_cpus={c for r in info.replicas for c in (r.cpus or ())},
        )


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM while a target is up unwinds like Ctrl-C, so the target is stopped, not orphaned."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
