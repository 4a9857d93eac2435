"""The experiment's judgement on synthetic arms: each verdict, pooling, and the A/A false-alarm rate."""

from __future__ import annotations

import numpy as np
import pytest

from scalectl.gate import effect
from scalectl.gate.samples import OVERALL, RunSamples
from scalectl.models.experiment import Effect, ExperimentSettings
from tests.factories import lognormal_latency, make_run

KEYS = ("GET /api/content/{id}", "GET /api/content")
#: factories draw requests independently: no run-to-run machine noise, so the floors are off here.
IID = ExperimentSettings(run_noise=0.0, run_noise_tail=0.0, resamples=200)


def arm(seed: int, *, rps: float = 80, median: float = 20.0, fail: float = 0.0, seconds: int = 20):
    eps = {k: lognormal_latency(median * (1 + i), 0.4) for i, k in enumerate(KEYS)}
    return make_run(endpoints=eps, rps=rps, seconds=seconds, seed=seed, failure_rate=fail, run_id=f"r{seed}")


def by(found: list[Effect], metric: str) -> Effect:
    return next(e for e in found if e.metric == metric)


def test_pool_stacks_seconds_and_keeps_every_endpoint() -> None:
    a, b = arm(1, seconds=8), make_run(endpoints={"GET /other": lognormal_latency(5)}, seconds=6, seed=2)
    pooled = effect.pool([RunSamples.from_run(a), RunSamples.from_run(b)])
    assert pooled.seconds == 14
    assert set(pooled.keys) == {*KEYS, "GET /other", OVERALL}
    assert pooled.keys["GET /other"].requests[:8].sum() == 0
    assert pooled.keys[OVERALL].total_requests == a.total.requests + b.total.requests
    # the merged counts hold every recorded request of the first run's endpoint
    assert pooled.keys[KEYS[0]].counts.sum() == pytest.approx(a.endpoint(KEYS[0]).requests)


def test_faster_and_more_throughput_is_improved() -> None:
    found, verdict, why = effect.judge(
        [arm(1), arm(2)], [arm(3, rps=120, median=12), arm(4, rps=120, median=12)], IID
    )
    assert verdict == "improved", why
    assert by(found, "throughput").status == "better"
    assert by(found, "throughput").change == pytest.approx(0.5, abs=0.02)
    assert by(found, "p95").status == "better"
    assert by(found, "p50").status == "better"  # shown with its status, not judged


def test_slower_is_worse() -> None:
    _, verdict, why = effect.judge([arm(1), arm(2)], [arm(3, median=30), arm(4, median=30)], IID)
    assert verdict == "worse"
    assert "p95" in why and "p50" not in why  # p50 is shown, not judged


def test_errors_alone_make_it_worse() -> None:
    found, verdict, _ = effect.judge([arm(1), arm(2)], [arm(3, fail=0.05), arm(4, fail=0.05)], IID)
    assert verdict == "worse"
    assert by(found, "error_rate").status == "worse"


def test_the_same_distribution_is_no_effect() -> None:
    found, verdict, why = effect.judge([arm(1), arm(2)], [arm(3), arm(4)], IID)
    assert verdict == "no effect", why
    tp = by(found, "throughput")
    assert -IID.equivalence <= tp.ci_low <= tp.ci_high <= IID.equivalence


def test_a_wide_floor_makes_the_same_data_inconclusive() -> None:
    noisy = ExperimentSettings(run_noise=0.30, run_noise_tail=0.5, resamples=200)
    _, verdict, why = effect.judge([arm(1)], [arm(3)], noisy)
    assert verdict == "inconclusive"
    assert "--rounds" in why


def test_more_throughput_but_slower_is_a_trade_off() -> None:
    _, verdict, why = effect.judge(
        [arm(1), arm(2)], [arm(3, rps=120, median=40), arm(4, rps=120, median=40)], IID
    )
    assert verdict == "inconclusive"
    assert why.startswith("a trade-off")


def test_too_few_seconds_is_inconclusive_and_says_why() -> None:
    found, verdict, why = effect.judge([arm(1, seconds=3)], [arm(2, seconds=3)], IID)
    assert verdict == "inconclusive"
    assert all(e.status == "insufficient" for e in found)
    assert "--duration" in why


def test_floor_shrinks_with_rounds() -> None:
    s = ExperimentSettings(run_noise=0.08, run_noise_tail=0.2)
    one, four = effect.stat_settings(s, 1), effect.stat_settings(s, 4)
    assert four.run_noise == pytest.approx(one.run_noise / 2)
    assert four.run_noise_tail == pytest.approx(one.run_noise_tail / 2)
    assert one.confidence == pytest.approx(1 - 0.05 / len(effect.JUDGED))


def test_arm_summary_reads_the_effects() -> None:
    runs_a, runs_b = [arm(1), arm(2)], [arm(3, rps=120)]
    found, _, _ = effect.judge(runs_a, runs_b, IID)
    a = effect.arm_summary("A", "as recorded", runs_a, found)
    assert a.throughput_rps == by(found, "throughput").a
    assert a.requests == sum(r.total.requests for r in runs_a)
    assert a.seconds == pytest.approx(40)


def test_a_over_a_false_alarms_stay_rare() -> None:
    """20 A/A experiments on independent draws: improved or worse at most once (alpha = 0.05)."""
    verdicts = [
        effect.judge([arm(10 * i + 1), arm(10 * i + 2)], [arm(10 * i + 3), arm(10 * i + 4)], IID)[1]
        for i in range(20)
    ]
    assert sum(v in ("improved", "worse") for v in verdicts) <= 1, verdicts
    assert np.mean([v == "no effect" for v in verdicts]) >= 0.8


def _mix(seed: int, slow_share: float) -> RunSamples:
    """A fast route (20 ms) and a slow one (600 ms), the slow one ``slow_share`` of the requests."""
    fast = RunSamples.from_run(
        make_run(endpoints={"GET /fast": lognormal_latency(20.0, 0.2)}, rps=190, seconds=20, seed=seed)
    )
    slow = RunSamples.from_run(
        make_run(endpoints={"GET /slow": lognormal_latency(600.0, 0.2)}, rps=10, seconds=20, seed=seed + 1)
    )
    f, s = fast.keys["GET /fast"], slow.keys["GET /slow"]
    w = slow_share / (1 - slow_share) * f.total_requests / s.total_requests  # scale the slow route's counts
    s = s.__class__(s.buckets, s.counts * w, s.requests * w, s.failures * w)
    buckets = np.unique(np.concatenate([f.buckets, s.buckets])).astype(np.int64)
    overall = s.__class__(
        buckets, f.on(buckets) + s.on(buckets), f.requests + s.requests, f.failures + s.failures
    )
    return RunSamples(
        run_id=f"m{seed}", durations=fast.durations, keys={"GET /fast": f, "GET /slow": s, OVERALL: overall}
    )


def test_latency_is_judged_at_a_common_route_mix() -> None:
    """Issue 14's A/A false alarm: the same routes, 4 % slow draws in A and 6 % in B, moved the mix's
    p95 from the fast group to the slow one (p95 18/35 ms → 548/602 ms). At A's mix B's p95 is A's."""
    from scalectl.gate.samples import bucket_values_ms, percentiles_ms

    a, b = _mix(1, 0.04), _mix(3, 0.06)

    def p95(x: RunSamples) -> float:
        o = x.keys[OVERALL]
        return float(percentiles_ms(o.counts.sum(axis=0), bucket_values_ms(o.buckets), [95.0])[0, 0])

    assert p95(a) < 100 and p95(b) > 400  # the raw mixes fall on either side of the boundary
    assert p95(effect.with_mix_of(b, a)) < 100  # B's routes at A's mix: the fast group, as A
    same = _mix(5, 0.04)
    assert (
        effect.with_mix_of(same, a).keys[OVERALL].requests is same.keys[OVERALL].requests
    )  # rates untouched
