"""Load levels and Little's law: where throughput stops growing with load. Pure.

A *level* is one load (users, or the offered rate in the open model) held for a while: a step of a
baseline sweep (a run of its own), or a group of seconds of one run. At each level the throughput X
and the mean latency R give the requests in flight by Little's law, N = X·R.

A concurrency limit shows as a *plateau*: from some level on, throughput stays flat while latency
grows with the load, so the extra users only queue. What the service serves at once is then about
X at the plateau × R at the lowest level (before the queue): a gunicorn app with 2 sync workers and a
100 ms handler gives 19.3 req/s × 0.104 s ≈ 2. Whether the limit is CPU or workers/connections is
told by the process CPU at the plateau (``AnalysisParams.cpu_high_ratio`` of its allotment).

Only the client-side timeline is needed; process CPU, when measured, names the kind of limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scalectl.analysis.monitor import cpu_allotment_cores
from scalectl.analysis.params import AnalysisParams
from scalectl.analysis.signals import Signals, build_signals
from scalectl.models import RunResult


@dataclass(frozen=True)
class Level:
    """One load level: its load, throughput, latency and (when measured) the target's CPU."""

    load: float
    #: "users" (closed model) or "offered_rps" (open model).
    load_name: str
    rps: float
    mean_ms: float
    p95_ms: float
    seconds: float
    #: Busiest target process's CPU (p90) as a share of its allotment; None when not measured.
    cpu: float | None = None
    #: Where it comes from: "step run <id>" (a sweep) or "t=10-20s" (seconds of this run).
    source: str = ""
    #: A sweep step's run; None for a level inside the analysed run.
    run: RunResult | None = None
    #: The analysed run's seconds at this level; None for a sweep step.
    mask: pd.Series | None = None

    @property
    def label(self) -> str:
        """ "1 user", "8 users", "40 req/s offered"."""
        if self.load_name == "users":
            return f"{self.load:g} user" + ("" if self.load == 1 else "s")
        return f"{self.load:g} req/s offered"

    @property
    def in_flight(self) -> float:
        """Little's law: requests in flight = throughput × mean latency."""
        return self.rps * self.mean_ms / 1000.0


@dataclass(frozen=True)
class Plateau:
    """Throughput flat from ``start`` to ``top`` while latency grows: a concurrency limit."""

    low: Level
    start: Level
    top: Level
    #: Mean throughput over the plateau's levels (req/s).
    rps: float
    load_growth: float
    latency_growth: float
    #: Requests the service serves at once: plateau throughput × the lowest level's mean latency.
    concurrency: float
    #: The plateau begins at the lowest level: its latency may already include a queue, so
    #: ``concurrency`` is an upper bound.
    from_lowest: bool


def cpu_share(run: RunResult, sig: Signals, mask: pd.Series, params: AnalysisParams) -> float | None:
    """The busiest target process's CPU (p90 over ``mask``) as a share of its allotment."""
    cpu = sig.cpu
    if cpu.empty:
        return None
    m = mask.reindex(cpu.index, fill_value=False)
    if not m.any():
        return None
    v = float(cpu[m.to_numpy()].quantile(0.9).max())
    if np.isnan(v):
        return None
    return v / (cpu_allotment_cores(run, params, cpu.shape[1]) * 100.0)


def busiest_process_cpu(run: RunResult, window: tuple[float, float] | None) -> float | None:
    """The busiest single process of the target's trees (``cpu_percent{pid="N"}`` samples, p90 within
    ``window``) in cores: a sync worker serving one request at a time can use at most one."""
    best = None
    for ts in run.telemetry:
        if ts.kind != "process" or ts.role != "target":
            continue
        for key, values in ts.metrics.items():
            if not key.startswith("cpu_percent{"):
                continue
            pts = [
                v
                for t, v in zip(ts.t, values, strict=False)
                if v is not None and (window is None or window[0] <= t < window[1])
            ]
            if len(pts) >= 2:
                v = float(np.percentile(pts, 90)) / 100.0
                best = v if best is None else max(best, v)
    return best


def _load_of(load: pd.DataFrame, load_model: str) -> tuple[str, pd.Series]:
    if load_model == "open" and load["offered_rps"].notna().any():
        return "offered_rps", load["offered_rps"].fillna(0.0)
    return "users", load["users"]


def _level(run: RunResult, sig: Signals, mask: pd.Series, name: str, params: AnalysisParams) -> Level:
    df = sig.load[mask.reindex(sig.load.index, fill_value=False).to_numpy()]
    req = df["requests"]
    seconds = float(len(df))
    rps = float(req.sum() / seconds) if seconds else 0.0
    mean = float((df["mean_ms"] * req).sum() / req.sum()) if req.sum() else 0.0
    p95 = df["p95_ms"][df["p95_ms"] > 0]
    idx = df.index
    return Level(
        load=float(_load_of(df, run.load_model)[1].mean()),
        load_name=name,
        rps=rps,
        mean_ms=mean,
        p95_ms=float(p95.median()) if len(p95) else 0.0,
        seconds=seconds,
        cpu=cpu_share(run, sig, mask, params),
        source=f"t={int(idx.min())}-{int(idx.max()) + 1}s" if len(idx) else "",
        mask=mask,
    )


def run_levels(run: RunResult, sig: Signals, loaded: pd.Series, params: AnalysisParams) -> list[Level]:
    """The load levels inside one run: seconds grouped by their load (users or offered rate), each held
    for at least ``min_window_seconds``; a ramp that holds no level that long is cut into up to
    ``level_bins`` equal groups of seconds. Sorted by load."""
    loaded = loaded.reindex(sig.load.index, fill_value=False)
    busy = sig.load.index[loaded.to_numpy()]
    if len(busy) >= 4:
        # the first and last loaded seconds are partial (start-up; the drain of the queue, with no new
        # arrivals): as in the run's own throughput, they belong to no level
        loaded = loaded & ~sig.load.index.isin([busy[0], busy[-1]])
    df = sig.load[loaded.to_numpy()]
    if df.empty:
        return []
    name, load = _load_of(df, run.load_model)
    keys = load.round(3)
    sizes = keys.value_counts()
    held = sizes[sizes >= params.min_window_seconds].index
    if len(held) >= 2:
        groups = {k: keys == k for k in held}
    elif keys.nunique() > 1 and len(df) >= 2 * params.min_window_seconds:
        bins = min(params.level_bins, len(df) // params.min_window_seconds)
        codes = pd.qcut(load.rank(method="first"), bins, labels=False)
        groups = {c: codes == c for c in sorted(set(codes))}
    else:
        groups = {0: pd.Series(True, index=df.index)}
    levels = []
    for m in groups.values():
        mask = m.reindex(sig.load.index, fill_value=False) & loaded.reindex(sig.load.index, fill_value=False)
        if int(mask.sum()) >= min(params.min_window_seconds, len(df)):
            levels.append(_level(run, sig, mask, name, params))
    return sorted(levels, key=lambda lv: lv.load)


def sweep_levels(sweep: Sequence[RunResult], current: RunResult, params: AnalysisParams) -> list[Level]:
    """One level per run of a sweep (baseline steps), up to the load of ``current``; sorted by load."""
    runs = list(sweep)
    if all(r.run_id != current.run_id for r in runs):
        runs.append(current)
    levels = []
    for r in runs:
        sig = build_signals(r)
        steady = sig.steady(params.edge_fraction)
        if not steady.any():
            continue
        lv = _level(r, sig, steady, "", params)
        name = "offered_rps" if current.load_model == "open" else "users"
        load = lv.load
        if name == "users":
            load = float(sig.load.loc[steady, "users"].max())
        levels.append(
            Level(
                load=load,
                load_name=name,
                # the run's own throughput (over its counted seconds, without the drain), as the
                # baseline step reports it; per-second means would count the partial edge seconds
                rps=r.total.rps or lv.rps,
                mean_ms=r.total.latency_ms.mean or lv.mean_ms,
                p95_ms=r.total.latency_ms.p95 or lv.p95_ms,
                seconds=lv.seconds,
                cpu=lv.cpu,
                source=f"step run {r.run_id}",
                run=r,
            )
        )
    levels.sort(key=lambda lv: lv.load)
    mine = next((lv for lv in levels if lv.run is not None and lv.run.run_id == current.run_id), None)
    top = mine.load if mine is not None else float("inf")
    return [lv for lv in levels if lv.load <= top]


def find_plateau(levels: Sequence[Level], params: AnalysisParams) -> Plateau | None:
    """The top levels whose throughput stays within ``plateau_tolerance`` of the best, when the load
    grows at least ``plateau_min_load_growth``× across them and latency grows with it (at least
    ``plateau_latency_share`` of the load's growth). None when throughput keeps growing, falls past
    its peak (retrograde: a contention finding), or there are fewer than two levels."""
    lv = [x for x in levels if x.load > 0 and x.rps > 0 and x.mean_ms > 0]
    if len(lv) < 2:
        return None
    best = max(x.rps for x in lv)
    floor = (1.0 - params.plateau_tolerance) * best
    start = len(lv)
    while start > 0 and lv[start - 1].rps >= floor:
        start -= 1
    if start >= len(lv) - 1:
        return None
    first, top = lv[start], lv[-1]
    load_growth = top.load / first.load
    latency_growth = top.mean_ms / first.mean_ms
    if load_growth < params.plateau_min_load_growth:
        return None
    if latency_growth < 1.0 + params.plateau_latency_share * (load_growth - 1.0):
        return None
    on = lv[start:]
    rps = float(np.mean([x.rps for x in on]))
    return Plateau(
        low=lv[0],
        start=first,
        top=top,
        rps=rps,
        load_growth=load_growth,
        latency_growth=latency_growth,
        concurrency=rps * lv[0].mean_ms / 1000.0,
        from_lowest=start == 0,
    )


def saturation(levels: Sequence[Level], params: AnalysisParams) -> str | None:
    """Why a run whose SLO holds is nonetheless at its limit, from its load levels (a sweep's steps
    or a ramp's stairs): throughput flat while latency grows with the load (a plateau), or throughput
    fallen past its peak by more than ``plateau_tolerance`` while requests got slower. None otherwise
    (one level, or throughput still growing): then the SLO verdict is the whole answer."""
    pl = find_plateau(levels, params)
    lv = [x for x in levels if x.load > 0 and x.rps > 0 and x.mean_ms > 0]
    if pl is not None:
        return (
            f"throughput flat at ~{pl.rps:.4g} req/s from {pl.start.label} to {pl.top.label} while mean "
            f"latency grew {pl.latency_growth:.1f}×: at its limit, although the SLO still holds"
        )
    if len(lv) < 2:
        return None
    peak = max(lv, key=lambda x: x.rps)
    top = lv[-1]
    if top is peak or top.rps >= (1.0 - params.plateau_tolerance) * peak.rps:
        return None
    growth = top.load / peak.load
    if top.mean_ms < peak.mean_ms * (1.0 + params.plateau_latency_share * (growth - 1.0)):
        return None
    return (
        f"throughput fell from {peak.rps:.4g} req/s at {peak.label} to {top.rps:.4g} at {top.label} "
        f"while mean latency grew {top.mean_ms / peak.mean_ms:.1f}×: past its limit, although the SLO "
        "still holds"
    )


def below_knee(level: Level, levels: Sequence[Level], params: AnalysisParams) -> bool:
    """A level is below the knee when its throughput is still short of the best by more than
    ``plateau_tolerance`` (the load still buys throughput, so it did not queue). One user at a time
    (closed model) never queues behind another, so it always counts; a lone level never does."""
    if level.load_name == "users" and 0 < level.load <= 1:
        return True
    lv = [x for x in levels if x.load > 0 and x.rps > 0]
    if len(lv) < 2:
        return False
    floor = (1.0 - params.plateau_tolerance) * max(x.rps for x in lv)
    knee = min(x.load for x in lv if x.rps >= floor)
    return level.load < knee
