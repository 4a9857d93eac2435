"""Per-request recording into HDR histograms, per endpoint per 1-second interval (no Locust here).

Interval keys are whole epoch seconds (``int(time.time())`` at completion), so recorders in several
processes on one machine agree exactly and their batches merge exactly (HDR ``add``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hdrh.histogram import HdrHistogram

from scalectl import histograms

_HIGHEST = histograms.HIGHEST_US
_LOWEST = histograms.LOWEST_US


@dataclass
class Slot:
    """One endpoint in one second. Latencies (µs) are appended to a list on the hot path and moved
    into the HDR histogram in bulk (numpy) when read: the same bins, far less work per request."""

    _hist: HdrHistogram | None = None
    pending: list[int] = field(default_factory=list)
    requests: int = 0
    failures: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def hist(self) -> HdrHistogram:
        if self._hist is None:
            self._hist = histograms.new_histogram()
        if self.pending:
            _record_bulk(self._hist, self.pending)
            self.pending = []
        return self._hist


def _record_bulk(hist: HdrHistogram, values: list[int]) -> None:
    """Record many values: each is first reduced to the lowest value of its HDR bin (vectorized),
    so equal bins are recorded once with their count; the histogram ends up identical."""
    arr = np.clip(np.asarray(values, dtype=np.int64), _LOWEST, _HIGHEST)
    sub_bits = int(hist.sub_bucket_count).bit_length() - 1  # 2048 sub-buckets → 11 bits
    shift = np.maximum(0, _bit_length(arr) - sub_bits)
    lowest = (arr >> shift) << shift
    uniq, counts = np.unique(lowest, return_counts=True)
    record = hist.record_value
    for v, c in zip(uniq.tolist(), counts.tolist(), strict=True):
        record(v, c)
    # keep the exact extremes (the bulk path recorded bin floors)
    lo, hi = int(arr.min()), int(arr.max())
    hist.min_value = min(hist.min_value, lo)
    hist.max_value = max(hist.max_value, hi)


def _bit_length(arr: np.ndarray) -> np.ndarray:
    out = np.zeros(arr.shape, dtype=np.int64)
    nz = arr > 0
    out[nz] = np.floor(np.log2(arr[nz])).astype(np.int64) + 1
    # guard float rounding at exact powers of two
    too_big = nz & ((np.int64(1) << np.clip(out - 1, 0, 62)) > arr)
    out[too_big] -= 1
    return out


def classify(status: int, exc: BaseException | str | None) -> str:
    """Failure kind: ``http_<code>`` for HTTP errors, else connection / timeout / assertion / other."""
    if status >= 400:
        return f"http_{status}"
    text = f"{type(exc).__name__} {exc}".lower() if isinstance(exc, BaseException) else str(exc or "").lower()
    if "timeout" in text or "timed out" in text:
        return "timeout"
    if any(
        w in text for w in ("connect", "refused", "reset", "broken pipe", "eof", "socket", "dns", "gaierror")
    ):
        return "connection"
    if status == 0 and exc is not None and "catchresponseerror" not in text:
        return "connection" if "error" in text else "other"
    return "assertion"


class Recorder:
    """Accumulates slots keyed by (epoch second, endpoint key); ``drain`` hands them out encoded."""

    def __init__(self) -> None:
        self.slots: dict[tuple[int, str], Slot] = {}
        self.endpoints: dict[str, tuple[str, str]] = {}
        #: requests recorded here since the start (not reset by ``drain``; batches merged in by
        #: ``add_batch`` do not count): a worker's running count for the master's ledger
        self.recorded = 0

    def record(
        self, second: int, key: str, name: str, method: str, latency_ms: float, kind: str | None
    ) -> None:
        slot = self.slots.get((second, key))
        if slot is None:
            slot = self.slots[(second, key)] = Slot()
            if key not in self.endpoints:
                self.endpoints[key] = (name, method)
        slot.pending.append(int(latency_ms * 1000.0 + 0.5))
        slot.requests += 1
        self.recorded += 1
        if kind is not None:
            slot.failures += 1
            slot.errors[kind] = slot.errors.get(kind, 0) + 1

    def drain(self) -> dict[str, Any]:
        """Everything recorded since the last drain, as a JSON-able batch; the recorder is emptied."""
        slots, self.slots = self.slots, {}
        return {
            "endpoints": {k: list(v) for k, v in self.endpoints.items()},
            "slots": [
                [sec, key, s.requests, s.failures, s.errors, histograms.encode(s.hist)]
                for (sec, key), s in slots.items()
            ],
        }

    def add_batch(self, batch: dict[str, Any]) -> None:
        """Merge a drained batch (from another process) exactly."""
        for key, (name, method) in batch.get("endpoints", {}).items():
            self.endpoints.setdefault(key, (name, method))
        for sec, key, requests, failures, errors, enc in batch.get("slots", []):
            slot = self.slots.get((sec, key))
            if slot is None:
                slot = self.slots[(sec, key)] = Slot()
            slot.hist.add(histograms.decode(enc))
            slot.requests += requests
            slot.failures += failures
            for k, n in errors.items():
                slot.errors[k] = slot.errors.get(k, 0) + n

    def merge_batches(self, batches: Iterable[dict[str, Any]]) -> None:
        for b in batches:
            self.add_batch(b)

    def window(self, seconds: Iterable[int]) -> tuple[int, int, HdrHistogram]:
        """(requests, failures, merged histogram) over the given seconds, all endpoints."""
        wanted = set(seconds)
        hist = histograms.new_histogram()
        req = fail = 0
        for (sec, _key), s in self.slots.items():
            if sec in wanted:
                req += s.requests
                fail += s.failures
                hist.add(s.hist)
        return req, fail, hist
