"""The sampler thread: every ``interval`` seconds, scrape each /metrics and sample each process.

A failed scrape is recorded (``ScrapeError``) and sampling goes on; a process that is gone is skipped.
Samples keep their epoch time; ``series(t0)`` turns them into ``TelemetrySeries`` aligned with the run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import psutil

from scalectl.models.run import ScrapeError, TelemetrySeries
from scalectl.telemetry.prometheus import parse_metrics


@dataclass
class PrometheusSource:
    source: str
    url: str
    role: str = "target"
    times: list[float] = field(default_factory=list)
    samples: list[dict[str, float]] = field(default_factory=list)
    errors: list[tuple[float, str]] = field(default_factory=list)

    def sample(self, client: httpx.Client, now: float) -> None:
        try:
            resp = client.get(self.url)
            resp.raise_for_status()
            values = parse_metrics(resp.text)
        except Exception as exc:  # recorded, never fatal
            self.errors.append((now, f"{type(exc).__name__}: {exc}"[:300]))
            return
        self.times.append(now)
        self.samples.append(values)

    def series(self, t0: float) -> TelemetrySeries:
        return _series(
            self.source, "prometheus", self.role, self.times, self.samples, self.errors, t0, url=self.url
        )


@dataclass
class ProcessSource:
    """One process (and, with ``children=True``, its descendants summed: e.g. uvicorn workers).

    With ``per_process=True`` each process of the tree is also recorded on its own
    (``cpu_percent{pid="N"}``, ``rss_bytes{pid="N"}``), plus ``processes`` (how many were alive):
    workers that come and go appear from their first sample to their last."""

    source: str
    pid: int
    role: str = "target"
    children: bool = False
    per_process: bool = False
    times: list[float] = field(default_factory=list)
    samples: list[dict[str, float]] = field(default_factory=list)
    errors: list[tuple[float, str]] = field(default_factory=list)
    _procs: dict[int, psutil.Process] = field(default_factory=dict)

    def _processes(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.pid)
            procs = [root] + (root.children(recursive=True) if self.children else [])
        except psutil.Error:
            return []
        out = []
        for p in procs:
            known = self._procs.get(p.pid)
            if known is None:
                known = self._procs[p.pid] = p
                try:
                    p.cpu_percent(None)  # prime: the first call returns 0
                except psutil.Error:
                    continue
            out.append(known)
        return out

    def sample(self, now: float) -> None:
        cpu = rss = secs = threads = 0.0
        alive = 0
        each: dict[str, float] = {}
        for p in self._processes():
            try:
                with p.oneshot():
                    p_cpu, p_rss = p.cpu_percent(None), float(p.memory_info().rss)
                    t = p.cpu_times()
                    secs += t.user + t.system
                    threads += p.num_threads()
            except psutil.Error:
                continue
            cpu += p_cpu
            rss += p_rss
            alive += 1
            if self.per_process:
                each[f'cpu_percent{{pid="{p.pid}"}}'] = p_cpu
                each[f'rss_bytes{{pid="{p.pid}"}}'] = p_rss
        if not alive:
            self.errors.append((now, f"process {self.pid} is gone"))
            return
        self.times.append(now)
        sample = {"cpu_percent": cpu, "rss_bytes": rss, "cpu_seconds": secs, "num_threads": threads}
        if self.per_process:
            sample["processes"] = float(alive)
            sample.update(each)
        self.samples.append(sample)

    def series(self, t0: float) -> TelemetrySeries:
        return _series(
            self.source, "process", self.role, self.times, self.samples, self.errors, t0, pid=self.pid
        )


def _series(source, kind, role, times, samples, errors, t0, *, url=None, pid=None) -> TelemetrySeries:
    keys: list[str] = []
    seen: set[str] = set()
    for s in samples:
        for k in s:
            if k not in seen:
                seen.add(k)
                keys.append(k)
    metrics = {k: [s.get(k) for s in samples] for k in keys}
    return TelemetrySeries(
        source=source,
        kind=kind,
        role=role,
        url=url,
        pid=pid,
        t=[round(t - t0, 3) for t in times],
        metrics=metrics,
        errors=[ScrapeError(t=round(t - t0, 3), message=m) for t, m in errors],
    )


class TelemetrySampler:
    """Background thread sampling every source each ``interval`` seconds until ``stop()``."""

    def __init__(
        self,
        prometheus: list[PrometheusSource],
        processes: list[ProcessSource],
        interval: float = 1.0,
        discover: Callable[[], list[ProcessSource]] | None = None,
    ) -> None:
        self.prometheus = prometheus
        self.processes = processes
        self.interval = max(0.1, interval)
        self.discover = discover
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scalectl-telemetry", daemon=True)

    def start(self) -> TelemetrySampler:
        self._thread.start()
        return self

    def _loop(self) -> None:
        with httpx.Client(timeout=min(2.0, self.interval * 2)) as client:
            while not self._stop.is_set():
                now = time.time()
                if self.discover is not None:
                    known = {p.pid for p in self.processes}
                    self.processes.extend(p for p in self.discover() if p.pid not in known)
                for src in self.prometheus:
                    src.sample(client, now)
                for proc in self.processes:
                    proc.sample(now)
                self._stop.wait(max(0.0, self.interval - (time.time() - now)))

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def series(self, t0: float) -> list[TelemetrySeries]:
        return [s.series(t0) for s in self.prometheus] + [p.series(t0) for p in self.processes]
