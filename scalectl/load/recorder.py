"""Per-request recording into HDR histograms, per endpoint per 1-second interval (no Locust here).

Interval keys are whole epoch seconds (``int(time.time())`` at completion), so recorders in several
processes on one machine agree exactly and their batches merge exactly (HDR ``add``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

from scalectl import histograms

_HIGHEST = histograms.HIGHEST_US
_LOWEST = histograms.LOWEST_US


@dataclass
class Slot:
    hist: HdrHistogram = field(default_factory=histograms.new_histogram)
    requests: int = 0
    failures: int = 0
    errors: dict[str, int] = field(default_factory=dict)


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

    def record(
        self, second: int, key: str, name: str, method: str, latency_ms: float, kind: str | None
    ) -> None:
        slot = self.slots.get((second, key))
        if slot is None:
            slot = self.slots[(second, key)] = Slot()
            if key not in self.endpoints:
                self.endpoints[key] = (name, method)
        us = int(latency_ms * 1000.0 + 0.5)
        slot.hist.record_value(_LOWEST if us < _LOWEST else (_HIGHEST if us > _HIGHEST else us))
        slot.requests += 1
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
