"""Per-second samples for the gate's bootstrap (``gate/samples.py``): decoded once, dense, and read
exactly as HdrHistogram reads a percentile."""

from __future__ import annotations

import numpy as np
import pytest

from scalectl import histograms
from scalectl.gate.samples import OVERALL, KeySamples, RunSamples, bucket_values_ms, percentiles_ms
from tests.factories import lognormal_latency, make_run

A, B = "GET /a", "GET /b"


@pytest.fixture(scope="module")
def run():
    return make_run(
        endpoints={A: lognormal_latency(10.0), B: lognormal_latency(40.0)}, rps=40, seconds=8, seed=3
    )


def test_counts_per_second_match_the_run(run) -> None:
    s = RunSamples.from_run(run)
    assert s.seconds == 8
    assert set(s.keys) == {A, B, OVERALL}
    for key in (A, B):
        ep = next(e for e in run.endpoints if e.key == key)
        assert s.keys[key].total_requests == ep.requests
        assert s.keys[key].counts.sum() == ep.requests  # every latency in a bucket
        assert s.keys[key].active_seconds == 8
    overall = s.keys[OVERALL]
    assert overall.total_requests == run.total.requests
    np.testing.assert_array_equal(overall.requests, s.keys[A].requests + s.keys[B].requests)
    assert list(s.durations) == [iv.duration_s for iv in run.series]


def test_merged_percentile_equals_the_histogram_percentile(run) -> None:
    s = RunSamples.from_run(run)
    k = s.keys[OVERALL]
    merged = k.counts.sum(axis=0)
    got = percentiles_ms(merged, bucket_values_ms(k.buckets), [50.0, 95.0, 99.0, 100.0])[0]
    whole = histograms.merge(ep.histogram for iv in run.series for ep in iv.endpoints.values())
    want = [histograms.percentile_ms(whole, q) for q in (50.0, 95.0, 99.0, 100.0)]
    np.testing.assert_allclose(got, want)


def test_on_reindexes_onto_a_superset_of_buckets() -> None:
    k = KeySamples(
        buckets=np.array([2, 5]),
        counts=np.array([[1.0, 2.0], [0.0, 3.0]]),
        requests=np.array([3.0, 3.0]),
        failures=np.zeros(2),
    )
    np.testing.assert_array_equal(k.on(np.array([1, 2, 4, 5])), [[0, 1, 0, 2], [0, 0, 0, 3]])


def test_rows_without_counts_give_nan_and_q_is_capped_at_100() -> None:
    values = np.array([1.0, 2.0, 3.0])
    out = percentiles_ms(np.array([[0, 0, 0], [1, 1, 2]], dtype=float), values, [50.0, 150.0])
    assert np.isnan(out[0]).all()
    assert list(out[1]) == [2.0, 3.0]


def test_warmup_seconds_are_not_samples(run) -> None:
    marked = run.model_copy(
        update={"series": [iv.model_copy(update={"warmup": i < 3}) for i, iv in enumerate(run.series)]}
    )
    s = RunSamples.from_run(marked)
    assert s.seconds == 5
    assert s.keys[OVERALL].total_requests == sum(iv.requests for iv in run.series[3:])


def test_an_endpoint_without_histograms_has_no_buckets() -> None:
    empty = KeySamples(
        buckets=np.zeros(0, dtype=np.int64),
        counts=np.zeros((2, 0)),
        requests=np.zeros(2),
        failures=np.zeros(2),
    )
    assert empty.total_requests == 0 and empty.active_seconds == 0
    assert empty.on(np.array([1, 2])).shape == (2, 2)
