"""Build the RunResult from the child's raw results (per-second encoded histograms) and telemetry."""

from __future__ import annotations

import csv
import io
import math
import os
import platform
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psutil

from scalectl import __version__, histograms
from scalectl.load.recorder import Recorder
from scalectl.models.run import (
    EndpointStats,
    Environment,
    GeneratorInfo,
    IntervalEndpoint,
    IntervalStats,
    RunResult,
    TargetSpec,
    TelemetrySeries,
    WorkerAccount,
)

SATURATION_PERCENT = 90.0


SATURATION_SAMPLES = 3


@dataclass
class RunFacts:
    """What the parent knows about the run besides the child's recording."""

    run_id: str
    scenario_name: str
    scenario: dict[str, Any]
    host: str
    load_model: str
    slo: list[str]
    thresholds: list[str]
    workers: int = 0
    replicas: int | None = None
    cpus_per_replica: float | None = None
    open_stages: list[dict[str, Any]] | None = None
    interrupted: str | None = None
    lost_workers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Seconds from the start not counted in the summary (the scenario's ``load.warmup``).
    warmup: float = 0.0
    #: How the target was started (recorded in run.json).
    target: TargetSpec | None = None
    #: Lines for the generator block (e.g. what ``--workers auto`` chose and why).
    generator_notes: list[str] = field(default_factory=list)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def environment(facts: RunFacts, locust_version: str) -> Environment:
    return Environment(
        hostname=socket.gethostname(),
        platform=platform.platform(),
        python=sys.version.split()[0],
        scalectl_version=__version__,
        locust_version=locust_version,
        cpu_count=os.cpu_count() or 0,
        cpu_model=_cpu_model(),
        memory_bytes=psutil.virtual_memory().total,
        replicas=facts.replicas,
        cpus_per_replica=facts.cpus_per_replica,
        target=facts.host,
        workers=facts.workers,
    )


def offered_rate(stages: list[dict[str, Any]], t: float) -> float:
    start = 0.0
    for s in stages:
        if t < start + s["duration"]:
            r0 = s.get("start_rps")
            if r0 is None:
                return float(s["rps"])
            frac = (t - start) / s["duration"] if s["duration"] else 1.0
            return r0 + (s["rps"] - r0) * frac
        start += s["duration"]
    return 0.0


def generator_info(series: Sequence[TelemetrySeries], workers: int, lost: list[str]) -> GeneratorInfo:
    gen = [s for s in series if s.role == "generator" and s.kind == "process"]
    values = [v for s in gen for v in s.metrics.get("cpu_percent", []) if v is not None]
    saturated = False
    notes: list[str] = []
    for s in gen:
        run = 0
        cpu = [v or 0.0 for v in s.metrics.get("cpu_percent", [])]
        for v in cpu:
            run = run + 1 if v > SATURATION_PERCENT else 0
            if run >= min(SATURATION_SAMPLES, len(cpu)):
                saturated = True
                notes.append(f"{s.source} above {SATURATION_PERCENT:g}% of a core for {run}+ seconds")
                break
    return GeneratorInfo(
        processes=max(1, len(gen)),
        workers=workers,
        cpu_percent_mean=sum(values) / len(values) if values else 0.0,
        cpu_percent_max=max(values) if values else 0.0,
        saturation_threshold=SATURATION_PERCENT,
        saturated=saturated,
        lost_workers=lost,
        notes=notes,
    )


@dataclass
class _Window:
    """The run's clock: epoch start/end, the first whole second, the end of load, the warm-up."""

    t_start: float
    t_end: float
    t0: int
    last: int
    load_end: float
    first_counted: int
    warmup_s: float
    users: dict[int, Any]

    @property
    def duration(self) -> float:
        # from the start, or from the first counted second after a warm-up
        counted_from = float(self.first_counted) if self.warmup_s > 0 else self.t_start
        return max(self.load_end - counted_from, 1e-9)


def build_run(
    raw: dict[str, Any] | None,
    facts: RunFacts,
    telemetry_for: Any,
    fallback_start: float,
    fallback_end: float,
) -> RunResult:
    """``telemetry_for(t0)`` returns the telemetry series aligned with ``t0`` (epoch seconds)."""
    raw = raw or {}
    rec = Recorder()
    rec.add_batch(raw.get("batch") or {})
    warnings = list(facts.warnings)
    win = _window(raw, rec, facts, fallback_start, fallback_end, warnings)
    series, per_key = _timeline(rec, win, facts)
    endpoints, total = _totals(rec, per_key, win.duration)
    telemetry = list(telemetry_for(win.t0))
    accounts = [WorkerAccount.model_validate(a) for a in raw.get("worker_accounts") or []]
    lost = lost_workers(raw, accounts, facts.lost_workers)
    gen = generator_info(telemetry, facts.workers, lost)
    gen.notes = [*facts.generator_notes, *gen.notes]
    _account(gen, accounts, warnings)
    if gen.saturated:
        warnings.append(
            "the load generator saturated its CPU: these numbers measure the generator, not the target"
        )
    if lost:
        warnings.append(f"{len(lost)} worker(s) lost during the run: {', '.join(lost)}")
    for wid in raw.get("missed_heartbeats") or []:
        gen.notes.append(f"worker {wid} missed heartbeats during the run but delivered all its requests")
    if raw.get("batch") is None:
        warnings.append("the load generator wrote no results")
    return RunResult(
        run_id=facts.run_id,
        scenario_name=facts.scenario_name,
        scenario=facts.scenario,
        host=facts.host,
        load_model=facts.load_model,  # type: ignore[arg-type]
        started_at=datetime.fromtimestamp(win.t_start, UTC),
        ended_at=datetime.fromtimestamp(win.t_end, UTC),
        duration_s=round(win.duration, 3),
        warmup_s=win.warmup_s,
        complete=facts.interrupted is None
        and raw.get("batch") is not None
        and not lost
        and gen.unaccounted_requests == 0,
        stop_reason=facts.interrupted,
        environment=environment(facts, str(raw.get("locust_version", ""))),
        target=facts.target,
        slo=facts.slo,
        thresholds=facts.thresholds,
        total=total,
        endpoints=endpoints,
        series=series,
        telemetry=telemetry,
        generator=gen,
        warnings=warnings,
    )


def _window(
    raw: dict[str, Any], rec: Recorder, facts: RunFacts, start: float, end: float, warnings: list[str]
) -> _Window:
    t_start = float(raw.get("t_start") or start)
    t_end = float(raw.get("t_end") or end)
    t0 = int(t_start)
    users = {int(k): v for k, v in (raw.get("users") or {}).items()}
    seconds = sorted({sec for sec, _ in rec.slots} | {s for s in users if s >= t0})
    last = max(seconds) if seconds else t0
    # Rates divide by the time load was applied: up to the end of the last second in which a request
    # completed. The drain after the load stopped (up to Locust's stop timeout) is not load time;
    # counting it made short runs read ~30% low.
    busy = [sec for (sec, _key), slot in rec.slots.items() if slot.requests]
    load_end = min(t_end, float(max(busy) + 1)) if busy else t_end
    # Warm-up: whole seconds count from the first one that starts at or after the end of the warm-up
    # (so up to a second more than asked is left out; ``warmup_s`` records what was). When less than
    # a whole second of load would be left (a run stopped early), everything counts, with a warning.
    first_counted = t0
    warmup_s = 0.0
    if facts.warmup > 0:
        first_counted = math.ceil(t_start + facts.warmup - 1e-6)
        warmup_s = round(first_counted - t_start, 3)
        if load_end - first_counted < 1.0:
            warnings.append(f"the run ended within its {facts.warmup:g}s warm-up: every second is counted")
            first_counted, warmup_s = t0, 0.0
    return _Window(t_start, t_end, t0, last, load_end, first_counted, warmup_s, users)


def _timeline(rec: Recorder, win: _Window, facts: RunFacts) -> tuple[list[IntervalStats], dict[str, list]]:
    """One interval per second; and, per endpoint, the slots of the counted seconds."""
    series: list[IntervalStats] = []
    per_key: dict[str, list[Any]] = {}
    for sec in range(win.t0, win.last + 1):
        eps: dict[str, IntervalEndpoint] = {}
        hists = []
        req = fail = 0
        for key in rec.endpoints:
            slot = rec.slots.get((sec, key))
            if slot is None:
                continue
            enc = histograms.encode(slot.hist)
            eps[key] = IntervalEndpoint(
                requests=slot.requests, failures=slot.failures, errors=dict(slot.errors), histogram=enc
            )
            if sec >= win.first_counted:
                per_key.setdefault(key, []).append(slot)
            hists.append(slot.hist)
            req += slot.requests
            fail += slot.failures
        merged = histograms.merge(hists)
        offered = offered_rate(facts.open_stages, sec + 0.5 - win.t_start) if facts.open_stages else None
        series.append(
            IntervalStats(
                t=float(sec - win.t0),
                users=int(win.users.get(sec, win.users.get(sec + 1, 0))),
                offered_rps=offered,
                requests=req,
                failures=fail,
                rps=float(req),
                latency_ms=histograms.summarize(merged),
                endpoints=eps,
                warmup=sec < win.first_counted,
            )
        )
    return series, per_key


def _totals(
    rec: Recorder, per_key: dict[str, list[Any]], duration: float
) -> tuple[list[EndpointStats], EndpointStats]:
    endpoints = []
    all_hists = []
    total_errors: dict[str, int] = {}
    for key, (name, method) in sorted(rec.endpoints.items(), key=lambda kv: (kv[1][0], kv[1][1])):
        slots = per_key.get(key, [])
        hist = histograms.merge(s.hist for s in slots)
        all_hists.append(hist)
        req = sum(s.requests for s in slots)
        fail = sum(s.failures for s in slots)
        errors: dict[str, int] = {}
        for s in slots:
            for k, n in s.errors.items():
                errors[k] = errors.get(k, 0) + n
                total_errors[k] = total_errors.get(k, 0) + n
        endpoints.append(_stats(name, method, req, fail, errors, hist, duration))
    total = _stats(
        "Total",
        "",
        sum(e.requests for e in endpoints),
        sum(e.failures for e in endpoints),
        total_errors,
        histograms.merge(all_hists),
        duration,
    )
    return endpoints, total


def lost_workers(raw: dict[str, Any], accounts: list[WorkerAccount], engine_lost: list[str]) -> list[str]:
    """Workers lost: the master's (no final batch) and the engine's (a worker process that died),
    the same process named once (the engine's entries say ``pid N``)."""
    pids = {a.worker: a.pid for a in accounts}
    named = [f"{w} (pid {pids[w]})" if pids.get(w) else w for w in raw.get("lost_workers") or []]
    seen_pids = {f"pid {p}" for p in pids.values() if p}
    others = [e for e in engine_lost if not any(f"{p}," in e or f"{p})" in e for p in seen_pids)]
    return sorted(set(named) | set(others))


def _account(gen: GeneratorInfo, accounts: list[WorkerAccount], warnings: list[str]) -> None:
    """Fill the generator's worker accounts and say how many requests the run does not count."""
    gen.accounts = accounts
    exact = sum(a.unaccounted for a in accounts)
    estimated = sum(a.estimated_after_last_report or 0 for a in accounts if not a.final)
    gen.unaccounted_requests = exact + estimated
    gen.unaccounted_estimated = any(not a.final for a in accounts)
    if exact:
        warnings.append(f"{exact:,} request(s) the workers recorded never reached the master: not counted")
    for a in accounts:
        if not a.final:
            warnings.append(
                f"worker {a.worker} sent no final report: the requests it completed after its last "
                f"report are not counted (about {a.estimated_after_last_report or 0:,}, from its last rate)"
            )


def _stats(
    name: str, method: str, req: int, fail: int, errors: dict[str, int], hist: Any, dur: float
) -> EndpointStats:
    return EndpointStats(
        name=name,
        method=method,
        requests=req,
        failures=fail,
        rps=req / dur if dur > 0 else 0.0,
        failure_rate=fail / req if req else 0.0,
        latency_ms=histograms.summarize(hist),
        errors=errors,
        histogram=histograms.encode(hist) if req else None,
    )


def series_csv(run: RunResult) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    keys = [e.key for e in run.endpoints]
    w.writerow(
        [
            "t",
            "users",
            "offered_rps",
            "requests",
            "failures",
            "rps",
            "p50_ms",
            "p90_ms",
            "p95_ms",
            "p99_ms",
            "max_ms",
        ]
        + [f"{k} requests" for k in keys]
    )
    for s in run.series:
        lat = s.latency_ms
        w.writerow(
            [
                s.t,
                s.users,
                "" if s.offered_rps is None else round(s.offered_rps, 3),
                s.requests,
                s.failures,
                s.rps,
            ]
            + [round(v, 3) for v in (lat.p50, lat.p90, lat.p95, lat.p99, lat.max)]
            + [s.endpoints[k].requests if k in s.endpoints else 0 for k in keys]
        )
    return buf.getvalue()
