"""Endpoint-vs-rest checks on synthetic runs: a machine slower for a whole run moves every endpoint and
passes them; one slower endpoint fails them even when the whole-run noise floor is huge."""

from __future__ import annotations

import functools

import pytest

from scalectl.gate.compare import StatSettings, compare
from scalectl.gate.samples import OVERALL
from tests.factories import lognormal_latency, make_run

KEYS = ("GET /api/content/{id}", "GET /api/content", "GET /api/analytics/content")
MEDIANS = (8.0, 15.0, 4.0)
#: tests.factories runs have no run-to-run machine noise: both floors off unless a test says otherwise.
QUIET = StatSettings(run_noise=0.0, run_noise_tail=None, relative_noise=0.0)


@functools.cache
def run(seed: int, machine: float = 1.0, slow: float = 1.0, keys: tuple[str, ...] = KEYS):
    eps = {
        k: lognormal_latency(m * machine * (slow if k == KEYS[0] else 1.0), 0.5)
        for k, m in zip(keys, MEDIANS, strict=False)
    }
    return make_run(endpoints=eps, rps=90, seconds=20, seed=seed)


def by(checks, scope, metric):
    return next(c for c in checks if c.scope == scope and c.metric == metric)


def test_every_endpoint_gets_relative_latency_checks_but_overall_does_not() -> None:
    checks = compare(run(2), run(1), settings=QUIET)
    relative = [c for c in checks if c.metric.endswith(" vs rest")]
    assert {(c.scope, c.metric) for c in relative} == {
        (k, f"{m} vs rest") for k in KEYS for m in ("p50", "p95", "p99")
    }
    assert all(c.status != "fail" for c in checks)


def test_a_whole_run_slowdown_moves_absolute_checks_not_relative_ones() -> None:
    checks = compare(run(3, machine=1.6), run(1), settings=QUIET)
    assert by(checks, OVERALL, "p50").status == "fail"  # without a floor, the machine looks like a regression
    for key in KEYS:
        rel = by(checks, key, "p50 vs rest")
        assert rel.status == "pass", rel.message
        assert abs(rel.observed / rel.baseline - 1) < 0.1
        assert "other endpoints +" in rel.message


def test_one_slower_endpoint_fails_relative_check_despite_a_huge_run_noise_floor() -> None:
    settings = StatSettings(run_noise=3.0, run_noise_tail=None, relative_noise=0.0)
    checks = compare(run(4, machine=0.8, slow=1.3), run(1), settings=settings)
    failed = [c for c in checks if c.status == "fail"]
    assert failed and {c.scope for c in failed} == {KEYS[0]}
    assert all(c.metric.endswith(" vs rest") for c in failed)
    p50 = by(checks, KEYS[0], "p50 vs rest")
    assert p50.observed > p50.limit > p50.baseline  # baseline = what it would be had it moved with the rest
    assert 0 < p50.ci_low < p50.observed / p50.baseline - 1 < p50.ci_high


def test_relative_noise_floor_silences_the_relative_check() -> None:
    checks = compare(
        run(4, machine=0.8, slow=1.3),
        run(1),
        settings=StatSettings(run_noise=3.0, run_noise_tail=None, relative_noise=3.0),
    )
    assert not [c for c in checks if c.status == "fail"]
    assert by(checks, KEYS[0], "p50 vs rest").status == "warn"


@pytest.mark.parametrize("keys", [KEYS[:1]])
def test_a_lone_endpoint_has_no_rest(keys) -> None:
    checks = compare(run(2, keys=keys), run(1, keys=keys), settings=QUIET)
    assert not [c for c in checks if c.metric.endswith(" vs rest")]


def test_relative_checks_can_be_turned_off() -> None:
    checks = compare(run(2), run(1), settings=StatSettings(relative=False))
    assert not [c for c in checks if c.metric.endswith(" vs rest")]


def test_tails_keep_their_own_relative_floor() -> None:
    st = StatSettings(relative_noise=0.03, relative_noise_tail=0.07)
    assert st.relative_floor("p50") == 0.03
    assert st.relative_floor("p95") == st.relative_floor("p99") == 0.07
    assert StatSettings(relative_noise=0.2, relative_noise_tail=0.07).relative_floor("p99") == 0.2
    assert StatSettings(relative_noise=0.03, relative_noise_tail=None).relative_floor("p95") == 0.03


@functools.cache
def shifted_run(seed: int, add_ms: float):
    """Every endpoint + ``add_ms`` on every request: a fixed cost (a middleware, a network hop)."""

    def plus(median: float):
        base = lognormal_latency(median, 0.5)
        return lambda rng, k: base(rng, k) + add_ms

    return make_run(
        endpoints={k: plus(m) for k, m in zip(KEYS, MEDIANS, strict=True)}, rps=90, seconds=20, seed=seed
    )


def test_a_uniform_additive_shift_is_run_wide_not_the_smallest_routes() -> None:
    checks = compare(shifted_run(5, 5.0), run(1), settings=QUIET)
    relative = [c for c in checks if c.metric.endswith(" vs rest")]
    assert not [c for c in relative if c.status == "fail"], [
        c.message for c in relative if c.status == "fail"
    ]
    fastest = by(checks, KEYS[2], "p50 vs rest")  # 4 ms → 9 ms: +125 % as a ratio
    assert "(run-wide)" in fastest.message and fastest.status == "pass", fastest.message
    assert by(checks, OVERALL, "p50").status == "fail"  # the shift itself is reported, run-wide


def test_an_endpoint_slower_beyond_a_run_wide_shift_still_fails() -> None:
    checks = compare(run(4, machine=1.0, slow=1.5), shifted_run(1, 0.5), settings=QUIET)
    assert by(checks, KEYS[0], "p50 vs rest").status == "fail"


def test_a_doubled_p95_fails_under_the_default_noise_floors() -> None:
    checks = compare(run(6, machine=2.0), run(1))  # the CI machine's floors, Holm over every check
    p95 = by(checks, OVERALL, "p95")
    assert p95.status == "fail", p95.message
    assert "doubled" in p95.message
    small = compare(run(6, machine=1.3), run(1))  # +30 %: beyond the tolerance, within the noise
    assert by(small, OVERALL, "p95").status == "warn"


def test_a_run_wide_speed_up_is_not_subtracted_down_to_nothing_on_a_fast_route() -> None:
    """The whole run got 1.7 ms faster; a 1.9 ms route got 36 % faster. The additive model expects
    1.9 − 1.7 = 0.2 ms of it, so it read as +500 % (limit 0.2 ms, CI up to +10⁹ %) while the route's
    own p50 passed. An additive expectation below half the baseline is not used: the route is judged
    against the run-wide factor instead, and passes."""
    shift = 1.7

    def plus(median: float, add: float, sigma: float = 0.3):
        base = lognormal_latency(median, sigma)
        return lambda rng, k: base(rng, k) + add

    slow = {KEYS[0]: plus(8.0, shift), KEYS[1]: plus(15.0, shift), KEYS[2]: lognormal_latency(1.9, 0.3)}
    fast = {KEYS[0]: plus(8.0, 0.0), KEYS[1]: plus(15.0, 0.0), KEYS[2]: lognormal_latency(1.213, 0.3)}
    baseline = make_run(endpoints=slow, rps=90, seconds=20, seed=1)
    candidate = make_run(endpoints=fast, rps=90, seconds=20, seed=2)
    checks = compare(candidate, baseline, settings=QUIET)
    route = by(checks, KEYS[2], "p50")
    assert route.status == "pass" and route.observed < route.baseline  # its own p50: faster
    rel = by(checks, KEYS[2], "p50 vs rest")
    assert rel.status == "pass", rel.message
    assert "×" in rel.message and "(run-wide)" not in rel.message  # the multiplicative model
    assert rel.baseline >= 0.5 * route.baseline  # no near-zero expectation
    for metric in ("p50 vs rest", "p95 vs rest", "p99 vs rest"):
        rel = by(checks, KEYS[2], metric)
        assert rel.status != "fail", rel.message
        if rel.status == "insufficient":  # p99: fewer than 1,000 requests of the route
            continue
        assert -1 < rel.ci_low < rel.ci_high < 1.0, rel.message  # no absurd interval
