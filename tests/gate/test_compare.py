"""Regression statistics on synthetic runs: A/A passes, a real shift fails, tiny samples are insufficient."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from scalectl import histograms
from scalectl.errors import InputError
from scalectl.gate.compare import (
    StatSettings,
    Tolerances,
    block_weights,
    compare,
    holm,
    parse_tolerance,
)
from scalectl.gate.samples import OVERALL, RunSamples
from tests.factories import lognormal_latency, make_run

#: tests.factories draws every request independently: its runs have no run-to-run machine noise, so
#: the noise floor (which models exactly that) is off here, except where a test says otherwise.
IID = StatSettings(run_noise=0.0, run_noise_tail=None)

KEYS = ("GET /api/content/{id}", "GET /api/content", "POST /api/seo-dashboard/analyze")


def endpoints(scale: dict[str, float] | None = None):
    scale = scale or {}
    medians = dict(zip(KEYS, (8.0, 15.0, 40.0), strict=True))
    return {k: lognormal_latency(m * scale.get(k, 1.0), 0.5) for k, m in medians.items()}


def run(seed: int, scale=None, **kw):
    kw.setdefault("rps", 75)
    kw.setdefault("seconds", 20)
    return _cached(seed, tuple(sorted((scale or {}).items())), tuple(sorted(kw.items(), key=str)))


@functools.cache
def _cached(seed: int, scale: tuple, kw: tuple):
    kwargs = {k: (dict(v) if isinstance(v, tuple) else v) for k, v in kw}
    return make_run(endpoints=endpoints(dict(scale)), seed=seed, **kwargs)


@pytest.fixture(scope="module")
def baseline():
    return RunSamples.from_run(run(1))


def by(checks, scope, metric):
    return next(c for c in checks if c.scope == scope and c.metric == metric)


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_identical_distributions_with_different_seeds_pass(baseline, seed) -> None:
    checks = compare(run(seed), baseline, settings=IID)
    assert [c for c in checks if c.status == "fail"] == []
    assert {c.scope for c in checks} == {OVERALL, *KEYS}
    # 5 absolute metrics per scope, and p50/p95/p99 of each endpoint relative to the rest of the run
    assert len(checks) == 5 * (len(KEYS) + 1) + 3 * len(KEYS)


def test_a_25_percent_latency_shift_on_one_endpoint_fails_naming_it(baseline) -> None:
    slow = "GET /api/content/{id}"
    checks = compare(run(7, scale={slow: 1.25}), baseline, settings=IID)
    failed = [c for c in checks if c.status == "fail"]
    assert failed, "a 25% shift must fail"
    assert {c.scope for c in failed} <= {slow, OVERALL}
    p50 = by(checks, slow, "p50")
    assert p50.status == "fail"
    assert p50.observed > p50.limit > p50.baseline
    assert 0.0 < p50.ci_low < p50.observed / p50.baseline - 1 < p50.ci_high
    assert "beyond the +10% tolerance and beyond the runs' noise" in p50.message
    assert by(checks, slow, "p95").status in ("fail", "warn")
    for other in KEYS[1:]:
        assert all(c.status != "fail" for c in checks if c.scope == other)


def test_a_shift_within_tolerance_passes(baseline) -> None:
    checks = compare(run(8, scale=dict.fromkeys(KEYS, 1.03)), baseline, settings=IID)
    assert [c for c in checks if c.status == "fail"] == []


def test_faster_candidate_passes(baseline) -> None:
    checks = compare(run(9, scale=dict.fromkeys(KEYS, 0.6)), baseline, settings=IID)
    assert not [c for c in checks if c.status == "fail"]
    latency = [c for c in checks if c.metric in ("p50", "p95", "p99")]
    assert all(c.status in ("pass", "insufficient") for c in latency)
    assert all(c.status == "pass" for c in latency if c.metric != "p99")


def test_tiny_sample_is_insufficient_not_guessed() -> None:
    tiny_a = run(1, rps=6, seconds=3)  # 18 requests in 3 s
    tiny_b = run(2, rps=6, seconds=3, scale=dict.fromkeys(KEYS, 3.0))
    checks = compare(tiny_b, tiny_a)
    assert all(c.status == "insufficient" for c in checks)
    assert all(c.message.startswith("insufficient data to judge") for c in checks)
    assert "3 s with requests (need ≥ 5)" in checks[0].message


def test_p99_needs_enough_requests_beyond_the_percentile() -> None:
    # 30 s × 10 req/s on one endpoint = 300 requests: p50 and p95 are judged, p99 (needs 1000) is not
    one = {"GET /x": lognormal_latency(10.0)}
    a = make_run(endpoints=one, rps=10, seconds=30, seed=1)
    b = make_run(endpoints=one, rps=10, seconds=30, seed=2)
    checks = compare(b, a)
    assert by(checks, "GET /x", "p50").status == "pass"
    assert by(checks, "GET /x", "p95").status in ("pass", "warn")
    p99 = by(checks, "GET /x", "p99")
    assert p99.status == "insufficient" and "need ≥ 1000" in p99.message


def test_error_rate_rise_fails_and_small_rise_passes(baseline) -> None:
    worse = compare(run(10, failure_rate=((KEYS[1], 0.08),)), baseline, settings=IID)
    c = by(worse, KEYS[1], "error_rate")
    assert c.status == "fail" and c.observed == pytest.approx(0.08, abs=0.03)
    assert c.limit == pytest.approx(0.01)
    assert "pp" in c.message
    assert all(by(worse, k, "error_rate").status == "pass" for k in (KEYS[0], KEYS[2]))


def test_throughput_drop_fails(baseline) -> None:
    checks = compare(run(12, rps=60), baseline, settings=IID)
    c = by(checks, OVERALL, "throughput")
    assert c.status == "fail"
    assert c.observed == pytest.approx(60, rel=0.05) and c.baseline == pytest.approx(75, rel=0.05)
    assert "-10% tolerance" in c.message


def test_tolerance_decides_practical_significance(baseline) -> None:
    cand = run(14, scale={KEYS[0]: 1.25})
    loose = Tolerances(p50=0.5, p95=0.5, p99=0.5)
    assert all(c.status != "fail" for c in compare(cand, baseline, loose, IID))
    assert any(c.status == "fail" for c in compare(cand, baseline, None, IID))


def test_run_noise_floor_keeps_a_modest_change_from_failing(baseline) -> None:
    # +15% everywhere is beyond the 10% tolerance; without a run-to-run floor it is "significant",
    # with a 10% floor (a noisy machine) it is within the noise: warn, not fail
    cand = run(17, scale=dict.fromkeys(KEYS, 1.15))
    strict = by(compare(cand, baseline, settings=IID), OVERALL, "p50")
    noisy = by(compare(cand, baseline, settings=StatSettings(run_noise=0.10)), OVERALL, "p50")
    assert strict.status == "fail"
    assert noisy.status == "warn" and "within the runs' noise" in noisy.message
    assert noisy.ci_high - noisy.ci_low > strict.ci_high - strict.ci_low


def test_noise_decides_statistical_significance() -> None:
    # a 25% shift measured on very few requests per second is within the runs' noise: warn, not fail
    one = {"GET /x": lognormal_latency(10.0, 0.9)}
    a = make_run(endpoints=one, rps=5, seconds=20, seed=1)
    b = make_run(endpoints={"GET /x": lognormal_latency(12.5, 0.9)}, rps=5, seconds=20, seed=2)
    statuses = {c.status for c in compare(b, a, settings=IID) if c.metric == "p50"}
    assert "fail" not in statuses


def test_point_estimates_equal_the_histogram_percentiles(baseline) -> None:
    cand = run(15)
    checks = compare(cand, baseline)
    merged = histograms.merge(ep.histogram for ep in cand.endpoints)
    assert by(checks, OVERALL, "p95").observed == pytest.approx(histograms.percentile_ms(merged, 95))
    ep = cand.endpoint(KEYS[2])
    assert by(checks, KEYS[2], "p99").observed == pytest.approx(ep.latency_ms.p99)
    assert by(checks, KEYS[2], "p50").observed == pytest.approx(ep.latency_ms.p50)


def test_seeded_and_reproducible(baseline) -> None:
    cand = run(16, scale={KEYS[0]: 1.12})
    a = compare(cand, baseline, settings=StatSettings(seed=3))
    b = compare(cand, baseline, settings=StatSettings(seed=3))
    assert [c.model_dump() for c in a] == [c.model_dump() for c in b]


def test_missing_endpoint_is_insufficient(baseline) -> None:
    a = baseline
    b = make_run(endpoints={KEYS[0]: lognormal_latency(8.0)}, rps=25, seconds=20, seed=2)
    checks = compare(b, a)
    missing = [c for c in checks if c.scope == KEYS[1]]
    assert missing and all(
        c.status == "insufficient" and "no requests in the candidate" in c.message for c in missing
    )


def test_block_weights_draw_n_seconds_per_replicate() -> None:
    w = block_weights(np.random.default_rng(0), 17, 4, 50)
    assert w.shape == (50, 17)
    assert np.all(w.sum(axis=1) == 17)
    assert w.std() > 0


def test_holm() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [("p95=10%", "p95", 0.10), ("p99=0.2", "p99", 0.2), ("P50 = 15 %", "p50", 0.15),
     ("error_rate=1pp", "error_rate", 0.01), ("error-rate=+0.5%", "error_rate", 0.005),
     ("throughput=-10%", "throughput", 0.10), ("rps=20%", "throughput", 0.20)],
)  # fmt: skip
def test_parse_tolerance(text, name, value) -> None:
    assert parse_tolerance(text) == (name, pytest.approx(value))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("p95", "expected METRIC=VALUE"), ("p95=", "expected METRIC=VALUE"), ("p90=10%", "unknown metric 'p90'"),
     ("p95=abc", "expected METRIC=VALUE"), ("p95=2000%", "non-negative")],
)  # fmt: skip
def test_parse_tolerance_errors(text, fragment) -> None:
    with pytest.raises(InputError, match=fragment) as info:
        parse_tolerance(text)
    assert repr(text) in info.value.message


def test_unknown_tolerance_override() -> None:
    with pytest.raises(InputError, match="unknown tolerance 'p42'"):
        Tolerances().with_overrides({"p42": 0.1})
    assert Tolerances().with_overrides({"p95": 0.3}).p95 == 0.3


def test_a_run_without_per_second_data_is_insufficient(baseline) -> None:
    bare = run(18).model_copy(update={"series": []})
    checks = compare(bare, baseline, settings=IID)
    assert all(
        c.status == "insufficient" and "no per-second data in the candidate" in c.message for c in checks
    )


def test_the_tail_has_its_own_run_noise_floor() -> None:
    st = StatSettings(run_noise=0.05, run_noise_tail=0.4)
    assert [st.noise_of(m) for m in ("p50", "p95", "p99", "throughput")] == [0.05, 0.4, 0.4, 0.05]
    assert StatSettings(run_noise=0.05, run_noise_tail=None).noise_of("p99") == 0.05


def test_warmup_seconds_are_not_samples() -> None:
    run = make_run(seconds=10, seed=3)
    series = [iv.model_copy(update={"warmup": i < 3}) for i, iv in enumerate(run.series)]
    warm = RunSamples.from_run(run.model_copy(update={"series": series, "warmup_s": 3.0}))
    assert RunSamples.from_run(run).seconds == 10 and warm.seconds == 7
    assert warm.keys[OVERALL].requests.sum() == sum(iv.requests for iv in run.series[3:])
