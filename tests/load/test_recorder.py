from __future__ import annotations

import json
import random

import pytest

from scalectl import histograms
from scalectl.load.recorder import Recorder, classify


@pytest.mark.parametrize(
    ("status", "exc", "kind"),
    [
        (429, Exception("x"), "http_429"),
        (503, Exception("x"), "http_503"),
        (404, Exception("x"), "http_404"),
        (0, ConnectionRefusedError("[Errno 111] Connection refused"), "connection"),
        (0, TimeoutError("timed out"), "timeout"),
        (0, OSError("Connection reset by peer"), "connection"),
        (200, Exception("CatchResponseError: unexpected status 200"), "assertion"),
    ],
)
def test_classify(status: int, exc: BaseException, kind: str) -> None:
    assert classify(status, exc) == kind


def test_batches_merge_exactly_and_survive_json() -> None:
    rng = random.Random(3)
    parts = [Recorder() for _ in range(3)]
    single = Recorder()
    for i in range(3000):
        sec = 1000 + i // 1000
        lat = rng.lognormvariate(2.0, 0.8)
        kind = "http_503" if i % 17 == 0 else None
        parts[i % 3].record(sec, "GET /a", "/a", "GET", lat, kind)
        single.record(sec, "GET /a", "/a", "GET", lat, kind)
    merged = Recorder()
    for p in parts:
        merged.add_batch(json.loads(json.dumps(p.drain())))
    assert set(merged.slots) == set(single.slots)
    for key, slot in single.slots.items():
        m = merged.slots[key]
        assert (m.requests, m.failures, m.errors) == (slot.requests, slot.failures, slot.errors)
        for q in (50, 90, 99, 99.9, 100):
            assert m.hist.get_value_at_percentile(q) == slot.hist.get_value_at_percentile(q)
    req, fail, hist = merged.window([1000, 1001])
    assert req == 2000 and hist.get_total_count() == 2000
    assert histograms.percentile_ms(hist, 50) > 0


def test_drain_empties() -> None:
    r = Recorder()
    r.record(1, "GET /a", "/a", "GET", 1.0, None)
    assert len(r.drain()["slots"]) == 1
    assert r.drain()["slots"] == []


def test_bulk_recording_gives_the_same_histogram_as_one_by_one() -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(2.0, 1.5) for _ in range(20000)] + [0.0001, 2048.0, 4096.0, 1e9]
    r = Recorder()
    ref = histograms.new_histogram()
    for v in values:
        r.record(1, "GET /a", "/a", "GET", v, None)
        histograms.record_ms(ref, v)
    got = r.slots[(1, "GET /a")].hist
    assert histograms.encode(got) == histograms.encode(ref)
    assert got.get_max_value() == ref.get_max_value() and got.get_min_value() == ref.get_min_value()


def test_percentiles_use_the_nearest_rank_even_on_small_samples() -> None:
    import math

    rng = random.Random(11)
    for n in (1, 2, 7, 99, 266, 1197):
        values = sorted(int(rng.lognormvariate(9.0, 1.0)) + 1 for _ in range(n))  # µs
        h = histograms.new_histogram()
        for v in values:
            h.record_value(v)
        for q in (50, 90, 95, 99, 99.9, 100):
            exact = values[max(1, math.ceil(q / 100 * n - 1e-9)) - 1] / 1000
            got = histograms.percentile_ms(h, q)
            assert abs(got - exact) <= exact * 0.001 + 1e-9, (n, q, got, exact)
