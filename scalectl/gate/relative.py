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
by the same factor cancels out of ``D``; an endpoint that got slower does not.

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
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import stdtrit

from scalectl.gate.samples import OVERALL, KeySamples, RunSamples, bucket_values_ms, percentiles_ms
from scalectl.gate.stat import Raw, log_test, why_insufficient

if TYPE_CHECKING:
    from scalectl.gate.compare import StatSettings, Tolerances

LATENCY_METRICS = {"p50": 50.0, "p95": 95.0, "p99": 99.0}
SUFFIX = " vs rest"


def _log_ratios(
    kc: KeySamples, kb: KeySamples, w_c: np.ndarray, w_b: np.ndarray, st: StatSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str | None]]:
    """Per latency metric: candidate and baseline percentiles, the log ratio's bootstrap replicates,
    and why there is not enough data (None when there is)."""
    buckets = np.union1d(kc.buckets, kb.buckets)
    values = bucket_values_ms(buckets)
    mc, mb = kc.on(buckets), kb.on(buckets)
    qs = list(LATENCY_METRICS.values())
    pc, pb = percentiles_ms(mc.sum(axis=0), values, qs)[0], percentiles_ms(mb.sum(axis=0), values, qs)[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        reps = np.log(percentiles_ms(w_c @ mc, values, qs) / percentiles_ms(w_b @ mb, values, qs))
    why = [why_insufficient(kc, kb, max(st.min_requests, st.min_tail / (1 - q / 100.0)), st) for q in qs]
    return pc, pb, np.log(pc / pb), reps, why


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
    lr = {k: _log_ratios(cand.keys[k], base.keys[k], w_c, w_b, st) for k in keys}
    weight = {
        k: np.array([0.0 if w else cand.keys[k].total_requests + base.keys[k].total_requests for w in why])
        for k, (_, _, _, _, why) in lr.items()
    }
    z = float(stdtrit(df, 0.5 + st.confidence / 2))
    out: dict[str, list[Raw]] = {}
    for e in keys:
        pc, pb, point, reps, why = lr[e]
        others = [k for k in keys if k != e]
        checks = []
        for j, metric in enumerate(LATENCY_METRICS):
            t = getattr(tol, metric)
            w = np.array([weight[k][j] for k in others])
            if w.sum() > 0:
                used = [(wk, k) for wk, k in zip(w, others, strict=True) if wk > 0]
                shift = float(sum(wk * lr[k][2][j] for wk, k in used) / w.sum())
                shift_reps = sum(wk * lr[k][3][:, j] for wk, k in used) / w.sum()
            else:
                shift, shift_reps = 0.0, None
            expected = float(pb[j]) * math.exp(shift)
            raw = Raw(e, metric + SUFFIX, float(pc[j]), expected, expected * (1 + t), "ms", tol_metric=metric)
            raw.note = f"baseline {pb[j]:.4g} ms × other endpoints {math.exp(shift) - 1:+.1%}"
            raw.insufficient = why[j] or (
                None
                if shift_reps is not None
                else "no other endpoint has enough data for the run-wide change"
            )
            if raw.insufficient is None:
                d = float(point[j]) - shift
                raw.change = math.exp(d) - 1
                raw.beyond = raw.change > t
                raw.p_value, se = log_test(
                    d, reps[:, j] - shift_reps, True, df, floor=st.relative_floor(metric)
                )
                raw.ci = (math.exp(d - z * se) - 1, math.exp(d + z * se) - 1)
            checks.append(raw)
        out[e] = checks
    return out
