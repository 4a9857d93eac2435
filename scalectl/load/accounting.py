"""Every request a worker recorded reaches the master, or the run says how many did not (no Locust here).

Each batch a worker ships carries its running count of recorded requests (``recorded``) and, after
its users have stopped, ``final``. The master adds up what arrived per worker and compares: a worker
is accounted for when its final batch arrived and everything it recorded arrived. A worker that never
sends its final batch (killed, or still stuck after the wait) is lost: the requests it completed after
its last batch cannot be counted, so they are estimated from its last rate, at most one report
interval's worth, and the run is not complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class WorkerLedger:
    worker: str
    received: int = 0
    recorded: int = 0
    final: bool = False
    #: (time the batch arrived, the worker's running count) of the last few batches
    marks: list[tuple[float, int]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.final and self.received >= self.recorded

    def rate_and_interval(self) -> tuple[float, float]:
        """Requests per second over the last batches, and the interval between the last two."""
        if len(self.marks) < 2:
            return 0.0, 1.0
        (t0, n0), (t1, n1) = self.marks[0], self.marks[-1]
        rate = (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0
        return rate, max(0.0, t1 - self.marks[-2][0])


class Ledger:
    """The master's per-worker account of requests recorded vs received."""

    def __init__(self) -> None:
        self.workers: dict[str, WorkerLedger] = {}
        #: when the test started (epoch seconds): a worker's first batch has a rate from it
        self.t_start: float | None = None

    def add(self, worker: str, requests: int, meta: dict[str, Any] | None, now: float) -> None:
        w = self.workers.get(worker)
        if w is None:
            w = self.workers[worker] = WorkerLedger(worker)
            if self.t_start is not None and now > self.t_start:
                w.marks.append((self.t_start, 0))
        w.received += requests
        if meta:
            w.recorded = max(w.recorded, int(meta.get("recorded", 0)))
            w.final = w.final or bool(meta.get("final"))
            w.marks = [*w.marks[-4:], (now, w.recorded)]

    def pending(self, known: set[str]) -> list[str]:
        """Workers (known to the runner or seen in batches) whose account is not closed yet."""
        return sorted(w for w in known | set(self.workers) if not self.get(w).done)

    def get(self, worker: str) -> WorkerLedger:
        return self.workers.get(worker) or WorkerLedger(worker)

    def summary(self, known: set[str]) -> dict[str, Any]:
        """JSON-able: per worker what was recorded, received and whether it closed its account."""
        rows = []
        for wid in sorted(known | set(self.workers)):
            w = self.get(wid)
            estimate = None
            if not w.final:
                rate, interval = w.rate_and_interval()
                estimate = round(rate * interval)
            rows.append(
                {
                    "worker": wid,
                    "recorded": w.recorded,
                    "received": w.received,
                    "final": w.final,
                    "unaccounted": max(0, w.recorded - w.received),
                    "estimated_after_last_report": estimate,
                }
            )
        return {"workers": rows}
