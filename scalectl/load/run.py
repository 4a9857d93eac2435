"""``run_scenario``: one load test from scenario to ``run.json`` (the load engine's public entry)."""

from __future__ import annotations

import contextlib
import ipaddress
import shutil
import socket
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from scalectl import layout, storage
from scalectl.errors import InputError, TargetError
from scalectl.load import engine, locustgen, results
from scalectl.models.run import RunResult
from scalectl.scenario import (
    ClosedLoad,
    ClosedStage,
    OpenLoad,
    OpenStage,
    Scenario,
    dump_scenario,
    load_scenario,
)
from scalectl.telemetry import ProcessSource, PrometheusSource, TelemetrySampler


def is_loopback(host: str) -> bool:
    name = urlsplit(host).hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(name, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def preflight(host: str, *, allow_remote: bool) -> None:
    """Refuse a non-loopback host without ``allow_remote`` (exit 2); an unreachable one is exit 3."""
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"host {host!r}: expected a URL such as http://127.0.0.1:8000")
    if not allow_remote and not is_loopback(host):
        raise InputError(
            f"host {host} is not a loopback address; refusing to send load to it",
            hint="pass --allow-remote if you really mean to load-test that host",
        )
    try:
        httpx.get(host.rstrip("/") + "/", timeout=5.0)
    except httpx.HTTPError as exc:
        raise TargetError(f"target {host} is unreachable: {type(exc).__name__}: {exc}") from None


def apply_overrides(
    sc: Scenario,
    *,
    users: int | None,
    rps: float | None,
    duration: float | None,
    slo: Sequence[str],
    warmup: float | None = None,
) -> Scenario:
    """CLI overrides: ``--users`` / ``--rps`` replace the stages by one constant stage; ``--warmup``
    replaces the load's warm-up (otherwise the scenario's is kept)."""
    if users is not None and rps is not None:
        raise InputError("give --users (closed model) or --rps (open model), not both")
    total = duration if duration is not None else sc.total_duration
    data = sc.model_dump()
    if users is not None:
        if users < 1:
            raise InputError("--users must be at least 1")
        data["load"] = ClosedLoad(
            stages=[ClosedStage(users=users, spawn_rate=max(users, 1), duration=total)],
            warmup=_keep_warmup(sc.load.warmup, total),
        )
    elif rps is not None:
        if rps <= 0:
            raise InputError("--rps must be positive")
        pool = sc.load.max_users if isinstance(sc.load, OpenLoad) else 100
        data["load"] = OpenLoad(
            model="open",
            max_users=pool,
            stages=[OpenStage(rps=rps, duration=total)],
            warmup=_keep_warmup(sc.load.warmup, total),
        )
    elif duration is not None:
        stages, left = [], duration
        for st in sc.load.stages:
            if left <= 0:
                break
            stages.append(st.model_copy(update={"duration": min(st.duration, left)}))
            left -= st.duration
        if left > 0:
            stages[-1] = stages[-1].model_copy(update={"duration": stages[-1].duration + left})
        data["load"] = sc.load.model_copy(
            update={"stages": stages, "warmup": _keep_warmup(sc.load.warmup, duration)}
        )
    if slo:
        from scalectl.slo import parse_threshold

        for expr in slo:
            parse_threshold(expr)
        data["slo"] = list(slo)
    if isinstance(data["load"], ClosedLoad | OpenLoad):
        data["load"] = data["load"].model_dump()
    if warmup is not None:
        total = sum(float(st["duration"]) for st in data["load"]["stages"])
        if not 0 <= warmup < total:
            raise InputError(
                f"--warmup ({warmup:g}s) must be at least 0 and shorter than the run ({total:g}s)"
            )
        data["load"]["warmup"] = warmup
    return Scenario.model_validate(data)


def _keep_warmup(warmup: float, total: float) -> float:
    """The scenario's warm-up, unless a shorter --duration leaves no counted second (then none)."""
    return warmup if warmup < total else 0.0


def run_scenario(
    scenario: Path | Scenario | None,
    *,
    host: str | None = None,
    users: int | None = None,
    rps: float | None = None,
    duration: float | None = None,
    workers: int = 0,
    out: Path | None = None,
    root: Path = layout.DEFAULT_ROOT,
    allow_remote: bool = False,
    metrics_urls: Sequence[str] = (),
    replicas: int = 1,
    target_env: Mapping[str, str] | None = None,
    slo: Sequence[str] = (),
    progress: Callable[[engine.ProgressUpdate], None] | None = None,
    locustfile: Path | None = None,
    remote_workers: int = 0,
    master_bind: str = "127.0.0.1",
    master_port: int = 0,
    should_stop: Callable[[], str | None] | None = None,
    target: Any = None,
    warmup: float | None = None,
) -> tuple[RunResult, Path]:
    """Run one load test and write its run directory; returns the run and the directory.

    With ``host=None`` (and no host in the scenario) the bundled target is started for the run.
    A run stopped by SIGINT/SIGTERM still returns (and writes) its partial result, ``complete=False``.
    ``target`` is an already running bundled target (``TargetInfo``) to use, e.g. across baseline steps.
    """
    if workers < 0 or remote_workers < 0:
        raise InputError("--workers must not be negative")
    if locustfile is not None:
        locustfile = Path(locustfile)
        if not locustfile.is_file():
            raise InputError(f"{locustfile}: no such locustfile")
        if users is None or duration is None:
            raise InputError("a locustfile run needs --users and --duration")
        if warmup is not None and not 0 <= warmup < duration:
            raise InputError(
                f"--warmup ({warmup:g}s) must be at least 0 and shorter than the run ({duration:g}s)"
            )
        sc = None
        name = locustfile.stem
    else:
        if scenario is None:
            raise InputError("give a scenario file (or --locustfile)")
        sc = scenario if isinstance(scenario, Scenario) else load_scenario(Path(scenario))
        sc = apply_overrides(sc, users=users, rps=rps, duration=duration, slo=slo, warmup=warmup)
        name = sc.name
    host = (target.url if target is not None else None) or host or (sc.host if sc else None)
    if target is None and host is not None:
        target = find_detached(host, root)
    with contextlib.ExitStack() as stack:
        if target is not None:
            pass
        elif host is None:
            target = stack.enter_context(_bundled_target(replicas, target_env))
            host = target.url
        else:
            preflight(host, allow_remote=allow_remote)
        run_dir = storage.new_run_dir(name, root=root, out=out)
        workdir = engine.make_workdir()
        stack.callback(shutil.rmtree, workdir, True)
        if sc is not None:
            storage.atomic_write_text(run_dir / layout.SCENARIO_FILE, dump_scenario(sc))
            config = {"scenario": sc.model_dump(mode="json"), "workers": workers + remote_workers}
            files = locustgen.write_locustfiles(workdir, config=config, user_locustfile=None)
            extra: list[str] = []
            expected = sc.total_duration
        else:
            assert locustfile is not None and users is not None and duration is not None
            shutil.copyfile(locustfile, run_dir / "locustfile.py")
            files = locustgen.write_locustfiles(workdir, config=None, user_locustfile=locustfile)
            extra = ["-u", str(users), "-r", str(users), "-t", f"{max(1, round(duration))}s"]
            expected = duration
        plan = engine.ChildPlan(
            files=files,
            host=host,
            workers=workers,
            remote_workers=remote_workers,
            master_bind=master_bind,
            master_port=master_port,
            extra=extra,
            expected_duration=expected,
        )
        prom, procs = _telemetry_sources(
            target, list(metrics_urls) + (sc.telemetry.metrics_urls if sc else [])
        )
        interval = sc.telemetry.interval if sc else 1.0
        enabled = sc.telemetry.enabled if sc else True
        sampler = TelemetrySampler(prom if enabled else [], procs if enabled else [], interval)

        def started(pids: list[tuple[str, int]]) -> None:
            sampler.processes.extend(ProcessSource(source=n, pid=p, role="generator") for n, p in pids)
            sampler.start()

        def on_progress(line: dict[str, Any]) -> None:
            if progress:
                progress(
                    engine.ProgressUpdate(
                        elapsed=float(line.get("elapsed", 0.0)),
                        total=expected,
                        users=int(line.get("users", 0)),
                        rps=float(line.get("rps", 0.0)),
                        p95_ms=float(line.get("p95_ms", 0.0)),
                        requests=int(line.get("requests", 0)),
                        failures=int(line.get("failures", 0)),
                        workers=int(line.get("workers", 0)),
                        lost_workers=list(line.get("lost_workers", [])),
                    )
                )

        try:
            outcome = engine.run_child(
                plan, workdir, on_progress=on_progress, on_started=started, should_stop=should_stop
            )
        finally:
            sampler.stop()
        engine.require_results(outcome)
        facts = results.RunFacts(
            run_id=run_dir.name,
            scenario_name=name,
            scenario=sc.model_dump(mode="json") if sc else {"name": name, "locustfile": str(locustfile)},
            host=host,
            load_model="locustfile" if sc is None else sc.load.model,
            slo=list(sc.slo) if sc else list(slo),
            thresholds=list(sc.thresholds) if sc else [],
            workers=workers + remote_workers,
            replicas=len(target.replicas) if target is not None else None,
            open_stages=[s.model_dump() for s in sc.load.stages]
            if sc and isinstance(sc.load, OpenLoad)
            else None,
            interrupted=outcome.interrupted,
            lost_workers=outcome.lost_workers,
            warmup=sc.load.warmup if sc else float(warmup or 0.0),
        )
        run = results.build_run(outcome.raw, facts, sampler.series, outcome.started, outcome.ended)
        storage.write_model(run_dir / storage.RUN_FILE, run)
        storage.atomic_write_text(run_dir / "series.csv", results.series_csv(run))
        storage.mark_latest(run_dir)
        return run, run_dir


def find_detached(host: str, root: Path) -> Any:
    """A target started by ``scalectl target up --detach`` that serves ``host`` (its state file under
    reports/target/ or ROOT/target/), so a run on it samples its replicas' telemetry; else None."""
    try:
        from scalectl.target import DEFAULT_WORKDIR, detached_target
    except ImportError:
        return None
    return detached_target(host, (DEFAULT_WORKDIR, layout.target_dir(root)))


@contextlib.contextmanager
def _bundled_target(replicas: int, env: Mapping[str, str] | None) -> Any:
    try:
        from scalectl.target import running_target
    except ImportError:
        raise TargetError(
            "the bundled target is not available in this installation; give --host URL"
        ) from None
    with running_target(replicas=replicas, env=env) as info:
        yield info


def _telemetry_sources(target: Any, urls: list[str]) -> tuple[list[PrometheusSource], list[ProcessSource]]:
    prom: list[PrometheusSource] = []
    procs: list[ProcessSource] = []
    if target is not None:
        for r in target.replicas:
            prom.append(PrometheusSource(source=f"replica-{r.index}", url=r.metrics_url))
            procs.append(ProcessSource(source=f"replica-{r.index}", pid=r.pid, children=True))
        if getattr(target, "lb_pid", None):
            procs.append(
                ProcessSource(source="load-balancer", pid=target.lb_pid, role="load_balancer", children=True)
            )
    for i, url in enumerate(dict.fromkeys(urls)):
        prom.append(PrometheusSource(source=f"metrics-{i}", url=url))
    return prom, procs
