"""Relative regression checks: one endpoint against the rest of the same run (pure, seeded).

Why
---
On a shared runner a whole run is often slower or faster than another run of the same build: the
machine's load changes between the baseline and the candidate. Such a shift moves every endpoint of
the run at once, and no within-run statistic can tell it from a regression; the absolute checks
(``compare.py``) must therefore carry a run-to-run noise floor, and with it they only see large,
run-wide changes. A change in *one* endpoint's code moves that endpoint only. So each endpoint is
also judged relative to the rest of its run:

    D = log(P_cand(e) / P_base(e)) − log(P_cand(rest) / P_base(rest))

where ``P`` is a percentile (p50, p95, p99) read from the run's merged HDR histograms, and the
run-wide change of the rest is the request-weighted mean of the *other endpoints' own* log ratios
(not the percentile of the other endpoints merged: that would move with the request mix, e.g. a
cached fast endpoint's share of a run). A machine that multiplies all latencies
by the same factor cancels out of ``D``; an endpoint that got slower does not. A fixed cost added to
every request (+5 ms on every route) is the other run-wide shape: it is the same milliseconds on each
endpoint, and as a ratio it is largest on the fastest one. So the run-wide change is also estimated
additively (the mean of the other endpoints' differences), and each endpoint is judged against
whichever of the two explanations expects more of it: a uniform shift is then reported by the overall
checks, as run-wide, and not pinned on the smallest route. An additive expectation that would leave
less than half of an endpoint's baseline (a run 1.7 ms faster everywhere, on a 1.7 ms route) is not
used: that route is judged against the multiplicative one (``ADDITIVE_FLOOR``).

Uncertainty: the same circular block bootstrap as the absolute checks (the weights ``w_c``, ``w_b``
draw the same seconds for the endpoint and the rest, so what they share within a second cancels in
each replicate too). What the bootstrap cannot see, the run-to-run spread of ``D`` itself (a busy
machine does not slow every endpoint by exactly the same factor: short requests suffer more from
scheduling delay than long ones), is ``StatSettings.relative_noise``, added in quadrature per run like
``run_noise``, and measured the same way: from A/A runs (``bench/bench_gate.py calibrate``).

The check is reported in the units users know: ``baseline`` is what the endpoint's percentile would
be had it moved with the rest of the run (``P_base(e) × P_cand(rest)/P_base(rest)``), so
``observed / baseline − 1`` is ``exp(D) − 1``, the endpoint's change beyond the run-wide one; it fails
when that is beyond the metric's tolerance and significant (Holm-adjusted with all other checks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import stdtrit

from scalectl.gate.samples import OVERALL, KeySamples, RunSamples, bucket_values_ms, percentiles_ms
from scalectl.gate.stat import Raw, log_test, why_insufficient

if TYPE_CHECKING:
    from scalectl.gate.compare import StatSettings, Tolerances

LATENCY_METRICS = {"p50": 50.0, "p95": 95.0, "p99": 99.0}
SUFFIX = " vs rest"
#: The least an additive run-wide change may leave of an endpoint's baseline value for the additive
#: model to judge it (a fraction of the baseline): below it, the run-wide change is read as a factor.
ADDITIVE_FLOOR = 0.5
#: The smallest latency the histograms resolve (1 µs), in ms: no expectation may fall below it.
RESOLUTION_MS = 0.001


@dataclass
class _Key:
    """One endpoint's percentiles (point and bootstrap replicates) in both runs."""

    pc: np.ndarray  # (metrics,)
    pb: np.ndarray
    rc: np.ndarray  # (resamples, metrics)
    rb: np.ndarray
    why: list[str | None]

    @property
    def point(self) -> np.ndarray:
        return np.log(self.pc / self.pb)

    @property
    def reps(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log(self.rc / self.rb)


def _percentiles(kc: KeySamples, kb: KeySamples, w_c: np.ndarray, w_b: np.ndarray, st: StatSettings) -> _Key:
    """Per latency metric: candidate and baseline percentiles with their bootstrap replicates, and
    why there is not enough data (None when there is)."""
    buckets = np.union1d(kc.buckets, kb.buckets)
    values = bucket_values_ms(buckets)
    mc, mb = kc.on(buckets), kb.on(buckets)
    qs = list(LATENCY_METRICS.values())
    pc, pb = percentiles_ms(mc.sum(axis=0), values, qs)[0], percentiles_ms(mb.sum(axis=0), values, qs)[0]
    rc, rb = percentiles_ms(w_c @ mc, values, qs), percentiles_ms(w_b @ mb, values, qs)
    why = [why_insufficient(kc, kb, max(st.min_requests, st.min_tail / (1 - q / 100.0)), st) for q in qs]
    return _Key(pc, pb, rc, rb, why)


def _run_wide(e: _Key, used: list[tuple[float, _Key]], j: int) -> tuple[float, np.ndarray, str]:
    """What endpoint ``e``'s percentile ``j`` would be had it moved with the rest of the run, its
    bootstrap replicates (log scale), and how.

    A machine that is uniformly slower multiplies every latency (the mean of the others' log ratios);
    a fixed cost added to every request (a middleware, a network hop: +5 ms on every route) adds the
    same milliseconds to each (the mean of the others' differences). Under the wrong model a uniform
    +5 ms looks like a large regression of the fastest route alone. The model that fits the other
    endpoints better (smaller weighted squared log residuals) is used; when they cannot tell (one
    other endpoint fits both exactly), the one that expects more of ``e``.

    The additive model is not used for ``e`` when it would expect less than ``ADDITIVE_FLOOR`` of
    ``e``'s baseline (or less than ``RESOLUTION_MS``): a run that got 1.7 ms faster everywhere does not
    make a 1.7 ms route a 0.03 ms one, and a ratio against a near-zero expectation (and its bootstrap
    replicates) is no measurement. The multiplicative model judges such a route."""
    total = sum(w for w, _ in used)
    shift = float(sum(w * k.point[j] for w, k in used) / total)
    shift_reps = sum(w * k.reps[:, j] for w, k in used) / total
    add = float(sum(w * (k.pc[j] - k.pb[j]) for w, k in used) / total)
    add_reps = sum(w * (k.rc[:, j] - k.rb[:, j]) for w, k in used) / total
    mult_expected = float(e.pb[j]) * math.exp(shift)
    add_expected = float(e.pb[j]) + add
    floor = max(ADDITIVE_FLOOR * float(e.pb[j]), RESOLUTION_MS)
    mult_res = sum(w * (float(k.point[j]) - shift) ** 2 for w, k in used) / total
    add_res = (
        sum(w * (math.log(k.pc[j]) - math.log(max(float(k.pb[j]) + add, 1e-9))) ** 2 for w, k in used) / total
    )
    tie = abs(add_res - mult_res) <= 1e-9 * max(add_res, mult_res, 1e-12)
    if add_expected >= floor and (add_res < mult_res if not tie else add_expected > mult_expected):
        with np.errstate(invalid="ignore", divide="ignore"):
            # a replicate is held to the same floor as the point (no near-zero expectation)
            reps = np.log(np.maximum(e.rb[:, j] + add_reps, ADDITIVE_FLOOR * e.rb[:, j]))
        return add_expected, reps, f"baseline {e.pb[j]:.4g} ms + other endpoints {add:+.3g} ms (run-wide)"
    with np.errstate(invalid="ignore", divide="ignore"):
        reps = np.log(e.rb[:, j]) + shift_reps
    return mult_expected, reps, f"baseline {e.pb[j]:.4g} ms × other endpoints {math.exp(shift) - 1:+.1%}"


def relative_checks(
    cand: RunSamples,
    base: RunSamples,
    w_c: np.ndarray,
    w_b: np.ndarray,
    tol: Tolerances,
    st: StatSettings,
    df: int,
) -> dict[str, list[Raw]]:
    """Per endpoint: p50/p95/p99 relative to the other endpoints of the run (none for a lone endpoint).

    The run-wide change ``s`` is the request-weighted mean of the other endpoints' own log ratios: the
    change an average request of the rest of the run saw, each endpoint compared with itself so that
    the request mix of a run does not move it. (Inverse bootstrap variance weights were tried and are
    worse on real A/A runs: a cached endpoint has a tight within-run spread, so it gets a large weight,
    yet it follows the machine's load less than the endpoints that do work; see docs/ci.md.)"""
    keys = sorted(k for k in set(cand.keys) & set(base.keys) if k != OVERALL)
    keys = [k for k in keys if cand.keys[k].total_requests and base.keys[k].total_requests]
    if len(keys) < 2:
        return {}
    per = {k: _percentiles(cand.keys[k], base.keys[k], w_c, w_b, st) for k in keys}
    weight = {
        k: [0.0 if w else cand.keys[k].total_requests + base.keys[k].total_requests for w in per[k].why]
        for k in keys
    }
    z = float(stdtrit(df, 0.5 + st.confidence / 2))
    out: dict[str, list[Raw]] = {}
    for e in keys:
        checks = []
        for j, metric in enumerate(LATENCY_METRICS):
            t = getattr(tol, metric)
            used = [(weight[k][j], per[k]) for k in keys if k != e and weight[k][j] > 0]
            pc, pb = float(per[e].pc[j]), float(per[e].pb[j])
            if used:
                expected, expected_reps, note = _run_wide(per[e], used, j)
            else:
                expected, expected_reps, note = pb, None, ""
            raw = Raw(e, metric + SUFFIX, pc, expected, expected * (1 + t), "ms", tol_metric=metric)
            raw.note = note
            raw.insufficient = per[e].why[j] or (
                None if used else "no other endpoint has enough data for the run-wide change"
            )
            if raw.insufficient is None:
                assert expected_reps is not None
                d = math.log(pc / expected)
                raw.change = math.exp(d) - 1
                raw.beyond = raw.change > t
                with np.errstate(invalid="ignore"):
                    rep_d = np.log(per[e].rc[:, j]) - expected_reps
                raw.p_value, se = log_test(d, rep_d, True, df, floor=st.relative_floor(metric))
                raw.ci = (math.exp(d - z * se) - 1, math.exp(d + z * se) - 1)
            checks.append(raw)
        out[e] = checks
    return out
