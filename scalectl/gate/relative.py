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

where ``P`` is a percentile (p50, p95, p99) of the endpoint ``e`` or of all other endpoints merged
(``rest``), each read from the run's merged HDR histograms. A machine that multiplies all latencies
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


def rest_of(overall: KeySamples, key: KeySamples) -> KeySamples:
    """All requests of the run except ``key``'s (``overall`` holds every endpoint's buckets)."""
    counts = np.maximum(overall.counts - key.on(overall.buckets), 0.0)
    return KeySamples(
        buckets=overall.buckets,
        counts=counts,
        requests=overall.requests - key.requests,
        failures=overall.failures - key.failures,
    )


def relative_checks(
    key: str,
    cand: RunSamples,
    base: RunSamples,
    w_c: np.ndarray,
    w_b: np.ndarray,
    tol: Tolerances,
    st: StatSettings,
    df: int,
) -> list[Raw]:
    """p50/p95/p99 of endpoint ``key`` relative to the rest of the run; [] when the run has no rest."""
    kc, kb = cand.keys[key], base.keys[key]
    rc, rb = rest_of(cand.keys[OVERALL], kc), rest_of(base.keys[OVERALL], kb)
    if rc.total_requests == 0 or rb.total_requests == 0:
        return []
    buckets = np.union1d(cand.keys[OVERALL].buckets, base.keys[OVERALL].buckets)
    values = bucket_values_ms(buckets)
    qs = list(LATENCY_METRICS.values())

    def point_and_reps(k: KeySamples, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = k.on(buckets)
        return percentiles_ms(m.sum(axis=0), values, qs)[0], percentiles_ms(w @ m, values, qs)

    (ec, ec_r), (eb, eb_r) = point_and_reps(kc, w_c), point_and_reps(kb, w_b)
    (xc, xc_r), (xb, xb_r) = point_and_reps(rc, w_c), point_and_reps(rb, w_b)
    z = float(stdtrit(df, 0.5 + st.confidence / 2))
    out = []
    for j, (metric, q) in enumerate(LATENCY_METRICS.items()):
        t = getattr(tol, metric)
        shift = float(xc[j] / xb[j])
        expected = float(eb[j]) * shift
        raw = Raw(key, metric + SUFFIX, float(ec[j]), expected, expected * (1 + t), "ms", tol_metric=metric)
        raw.note = f"baseline {eb[j]:.4g} ms × rest of the run {shift - 1:+.1%}"
        need = max(st.min_requests, st.min_tail / (1 - q / 100.0))
        parts = [why_insufficient(kc, kb, need, st)]
        if rest_why := why_insufficient(rc, rb, need, st):
            parts.append(f"rest of the run: {rest_why}")
        raw.insufficient = "; ".join(w for w in parts if w) or None
        if raw.insufficient is None:
            d = math.log(ec[j] / eb[j]) - math.log(shift)
            with np.errstate(invalid="ignore", divide="ignore"):
                reps = np.log(ec_r[:, j] / eb_r[:, j]) - np.log(xc_r[:, j] / xb_r[:, j])
            raw.change = math.exp(d) - 1
            raw.beyond = raw.change > t
            raw.p_value, se = log_test(d, reps, worse_if_up=True, df=df, floor=st.relative_noise)
            raw.ci = (math.exp(d - z * se) - 1, math.exp(d + z * se) - 1)
        out.append(raw)
    return out
