"""CPU and memory per replica, in the spirit of the Kubernetes VPA recommender, on load-test evidence.

CPU request = p90 of the measured per-replica CPU at the per-replica target load × safety margin
(floor 25m); memory request = p90 RSS × margin, memory limit = peak RSS × limit margin (floor 64 MiB);
the HPA CPU utilization target follows the utilization target. Inputs are the process series of the
target (``kind="process"``, ``role="target"``: ``cpu_percent`` with 100 = one core, ``rss_bytes``)
aligned with the run's per-second throughput. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from scalectl.models import Resources, RunResult

SAFETY_MARGIN = 1.15
CPU_FLOOR_MILLI = 25
MEMORY_FLOOR_BYTES = 64 * 2**20
MEMORY_LIMIT_MARGIN = 1.3
#: CPU limit = request × this (bursts above the request up to it).
CPU_LIMIT_FACTOR = 2.0
#: Fewer process samples (seconds) than this: "evidence too short".
MIN_SAMPLES = 30
#: Samples within this relative distance of the per-replica target load count as "at the target load".
NEAR_LOAD = 0.25
#: When there is no process telemetry at all.
FALLBACK_CPU_MILLI = 500
FALLBACK_MEMORY_BYTES = 256 * 2**20


@dataclass
class ResourceEstimate:
    resources: Resources
    cpu_cores_at_target: float | None
    rss_p90_bytes: float | None
    rss_peak_bytes: float | None
    samples: int
    reasoning: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def format_cpu(cores: float) -> str:
    """Cores → Kubernetes quantity in millicores, rounded up ("250m")."""
    return f"{max(math.ceil(cores * 1000 - 1e-9), 1)}m"


def format_memory(n_bytes: float) -> str:
    """Bytes → Kubernetes quantity in MiB, rounded up ("512Mi")."""
    return f"{max(math.ceil(n_bytes / 2**20 - 1e-9), 1)}Mi"


def parse_cpu(q: str) -> float:
    return float(q[:-1]) / 1000 if q.endswith("m") else float(q)


def parse_memory(q: str) -> float:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for u, m in units.items():
        if q.endswith(u):
            return float(q[: -len(u)]) * m
    return float(q)


def samples_from_runs(runs: Sequence[RunResult]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(per-replica req/s, CPU cores, RSS bytes) per process sample of each target replica (else per
    second of each replica's exported process metrics)."""
    load, cpu, rss = [], [], []
    for run in runs:
        procs = [s for s in run.telemetry if s.kind == "process" and s.role == "target"]
        if not procs:
            _exported_samples(run, load, cpu, rss)
            continue
        rate_at = {round(iv.t): iv.rps for iv in run.series}
        warm = {round(iv.t) for iv in run.series if iv.warmup}  # start-up transients size nothing
        n = len(procs)
        # one process tree holding all replicas (a command's {replicas} workers): each replica's share
        share = _replicas(run) if n == 1 else 1
        n *= share
        for s in procs:
            c = s.metrics.get("cpu_percent", [])
            m = s.metrics.get("rss_bytes", [])
            for i, t in enumerate(s.t):
                cv = c[i] if i < len(c) else None
                mv = m[i] if i < len(m) else None
                if cv is None or mv is None or round(t) in warm:
                    continue
                load.append(rate_at.get(round(t), 0.0) / n)
                cpu.append(float(cv) / 100.0 / share)
                rss.append(float(mv) / share)
    return np.array(load), np.array(cpu), np.array(rss)


def _exported_samples(run: RunResult, load: list, cpu: list, rss: list) -> None:
    """Without process samples: each replica's own ``process_cpu_seconds_total`` and
    ``process_resident_memory_bytes`` (scraped /metrics, or a Prometheus server's series per instance),
    read by the one telemetry interpreter."""
    if not any(s.kind == "prometheus" and s.role == "target" for s in run.telemetry):
        return
    from scalectl.analysis.signals import build_signals

    sig = build_signals(run)
    if sig.cpu_from != "prometheus":
        return
    cols = [c for c in sig.cpu.columns if c in sig.rss.columns]
    rate = sig.load["achieved_rps"].to_numpy(dtype=float)
    for c in cols:
        cv, mv = sig.cpu[c].to_numpy(dtype=float), sig.rss[c].to_numpy(dtype=float)
        ok = ~np.isnan(cv) & ~np.isnan(mv)
        load.extend((rate[ok] / len(cols)).tolist())
        cpu.extend((cv[ok] / 100.0).tolist())
        rss.extend(mv[ok].tolist())


def _replicas(run: RunResult) -> int:
    """Replicas of a run whose target is one process tree (``{replicas}`` workers of a command)."""
    n = run.target.replicas if run.target is not None and run.target.kind == "command" else None
    return max(int(n or 1), 1)


def _cores_at(load: np.ndarray, cpu: np.ndarray, per_replica_rps: float, near: float) -> tuple[float, str]:
    """Cores one replica uses at ``per_replica_rps``: p90 of the samples near that load, else a linear
    fit of CPU on load (extrapolated), else p90 of all samples (load did not vary); and how."""
    near_mask = (
        np.abs(load - per_replica_rps) <= near * per_replica_rps
        if per_replica_rps > 0
        else np.zeros(len(load), dtype=bool)
    )
    if near_mask.sum() >= 3:
        cores = float(np.percentile(cpu[near_mask], 90))
        return cores, (
            f"CPU: p90 of {int(near_mask.sum())} samples within ±{near:.0%} of {per_replica_rps:.0f} "
            f"req/s per replica = {cores * 1000:.0f}m"
        )
    busy = load > 0
    if busy.sum() >= 2 and np.ptp(load[busy]) > 0:
        slope, icpt = np.polyfit(load[busy], cpu[busy], 1)
        slope = max(float(slope), 0.0)
        resid = cpu[busy] - (icpt + slope * load[busy])
        cores = max(float(icpt + slope * per_replica_rps + np.percentile(resid, 90)), 0.0)
        return cores, (
            f"CPU: linear fit cpu = {icpt * 1000:.0f}m + {slope * 1e6:.0f}µ-core·s/req × load, "
            f"+ p90 residual, at {per_replica_rps:.0f} req/s per replica = {cores * 1000:.0f}m "
            "(extrapolated: no samples near that load)"
        )
    cores = float(np.percentile(cpu, 90))
    return cores, f"CPU: p90 of all {len(cpu)} samples = {cores * 1000:.0f}m (load did not vary)"


def recommend_resources(
    runs: Sequence[RunResult],
    per_replica_rps: float,
    *,
    utilization: float = 0.7,
    margin: float = SAFETY_MARGIN,
    cpu_floor_milli: int = CPU_FLOOR_MILLI,
    memory_floor_bytes: int = MEMORY_FLOOR_BYTES,
    memory_limit_margin: float = MEMORY_LIMIT_MARGIN,
    cpu_limit_factor: float = CPU_LIMIT_FACTOR,
    min_samples: int = MIN_SAMPLES,
    near: float = NEAR_LOAD,
) -> ResourceEstimate:
    """Requests and limits for one replica serving ``per_replica_rps``."""
    load, cpu, rss = samples_from_runs(runs)
    hpa = max(1, min(100, round(utilization * 100)))
    reasoning: list[str] = []
    warnings: list[str] = []
    if len(cpu) == 0:
        warnings.append(
            "no process telemetry of the target: CPU/memory are placeholders "
            f"({FALLBACK_CPU_MILLI}m, {format_memory(FALLBACK_MEMORY_BYTES)}); let scalectl start the "
            "service (--target-cmd, or the bundled target) so it can measure them, or give the replicas' "
            "process_* metrics (--metrics-url, --prometheus-url)"
        )
        res = Resources(
            cpu_request=f"{FALLBACK_CPU_MILLI}m",
            cpu_limit=f"{round(FALLBACK_CPU_MILLI * cpu_limit_factor)}m",
            memory_request=format_memory(FALLBACK_MEMORY_BYTES),
            memory_limit=format_memory(FALLBACK_MEMORY_BYTES * memory_limit_margin),
            hpa_cpu_utilization=hpa,
        )
        return ResourceEstimate(res, None, None, None, 0, reasoning, warnings)
    if len(cpu) < min_samples:
        warnings.append(
            f"evidence too short: {len(cpu)} process samples (want ≥ {min_samples}); "
            "CPU and memory figures are rough"
        )
    cores, why = _cores_at(load, cpu, per_replica_rps, near)
    reasoning.append(why)
    cpu_req = max(cores * margin, cpu_floor_milli / 1000)
    rss_p90 = float(np.percentile(rss, 90))
    rss_peak = float(rss.max())
    mem_req = max(rss_p90 * margin, memory_floor_bytes)
    mem_lim = max(rss_peak * memory_limit_margin, mem_req, memory_floor_bytes)
    reasoning.append(
        f"memory: p90 RSS {rss_p90 / 2**20:.0f} MiB × {margin} → request; "
        f"peak {rss_peak / 2**20:.0f} MiB × {memory_limit_margin} → limit"
    )
    res = Resources(
        cpu_request=format_cpu(cpu_req),
        cpu_limit=format_cpu(cpu_req * cpu_limit_factor),
        memory_request=format_memory(mem_req),
        memory_limit=format_memory(mem_lim),
        hpa_cpu_utilization=hpa,
    )
    return ResourceEstimate(res, cores, rss_p90, rss_peak, len(cpu), reasoning, warnings)
