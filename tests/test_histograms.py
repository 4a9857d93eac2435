from __future__ import annotations

import numpy as np
import pytest

from scalectl import histograms


def test_percentiles_within_a_tenth_of_a_percent_of_exact() -> None:
    rng = np.random.default_rng(7)
    samples = rng.lognormal(mean=3.0, sigma=0.8, size=50_000)  # ms
    h = histograms.new_histogram()
    for x in samples:
        histograms.record_ms(h, float(x))
    for q in (50, 90, 95, 99, 99.9):
        exact = float(np.percentile(samples, q, method="inverted_cdf"))
        got = histograms.percentile_ms(h, q)
        assert abs(got - exact) / exact < 0.002, (q, got, exact)


def test_encode_decode_and_merge_are_exact() -> None:
    a, b = histograms.new_histogram(), histograms.new_histogram()
    for v in range(1, 1000):
        histograms.record_ms(a, v / 10)
        histograms.record_ms(b, v)
    merged = histograms.merge([histograms.encode(a), b, None])
    assert merged.get_total_count() == a.get_total_count() + b.get_total_count()
    again = histograms.decode(histograms.encode(merged))
    assert histograms.summarize(again) == histograms.summarize(merged)


def test_empty_histogram_summarizes_to_zero() -> None:
    s = histograms.summarize(histograms.new_histogram())
    assert s.p95 == 0 and s.max == 0


def test_nearest_rank_on_small_samples_and_one_pass_agrees() -> None:
    import math

    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 100, 266, 1197):
        samples = rng.lognormal(3.0, 1.0, size=n)
        h = histograms.new_histogram()
        for x in samples:
            histograms.record_ms(h, float(x))
        qs = (1, 50, 90, 95, 99, 99.9, 100)
        one_pass = histograms.percentiles_ms(h, qs)
        for q, fast in zip(qs, one_pass, strict=True):
            exact = float(np.sort(samples)[max(1, math.ceil(q / 100 * n)) - 1])
            slow = histograms.percentile_ms(h, q)
            assert fast == slow
            assert abs(slow - exact) / exact < 0.002, (n, q, slow, exact)


def test_fast_mean_equals_hdrh_mean() -> None:
    rng = np.random.default_rng(5)
    h = histograms.new_histogram()
    for x in rng.lognormal(2.0, 1.2, size=5000):
        histograms.record_ms(h, float(x))
    assert histograms.mean_ms(h) == pytest.approx(h.get_mean_value() / 1000.0, rel=1e-12)
