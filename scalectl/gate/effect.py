"""The effect of a change, judged with the gate's statistics (pure).

An experiment runs arm A (as recorded) and arm B (with a change) in alternation, ``rounds`` runs each.
Each arm's runs are pooled second by second (their per-second HDR histograms stacked), and B is
compared with A by :func:`scalectl.gate.compare.compare`: the same circular block bootstrap over
seconds, the same run-to-run noise floor added in quadrature, the same Student-t intervals. Only the
reading differs. The gate asks one-sided "is it worse beyond the tolerance?"; an experiment asks both
ways, and also whether the change is too small to matter:

* a metric is **better** (or **worse**) when its whole interval lies on that side of zero and the
  point change is at least ``min_effect``;
* a metric is **same** when its whole interval lies within ±``equivalence`` (±``min_error_effect``
  for the error rate): an equivalence test in the manner of TOST, so "no effect" has to be shown,
  not assumed from a lack of significance. The verdict "no effect" needs throughput (the capacity)
  to be the same and no metric better or worse; a latency interval too wide to call stays "unclear";
* several metrics are judged at once, so each interval is at 1 − alpha/m (Bonferroni), keeping the
  chance that an A/A experiment reports any effect at ``alpha``.

The floor is the run-to-run noise of one run in an *interleaved* experiment; an arm pooled from k
runs averages k such runs, so its floor is ``run_noise/√k``. The calibrated floor is raised to the
spread the experiment's own runs show (each run's log throughput, p50, p95 around its arm's mean), so
a busier machine than the one calibrated on widens the intervals instead of inventing an effect.
"""

from __future__ import annotations

import math

import numpy as np

from scalectl.gate.compare import StatSettings, Tolerances, compare
from scalectl.gate.samples import OVERALL, KeySamples, RunSamples
from scalectl.models.experiment import ArmSummary, Effect, ExperimentSettings, Verdict
from scalectl.models.gate import CheckResult
from scalectl.models.run import RunResult

#: The metrics that decide the verdict. p50 and p99 are shown, not judged: the median of a mix of fast
#: and slow routes sits on the boundary between them and jumps from run to run (A/A experiments on
#: content_mix saw +77 % in p50 with the same build), and short arms have few requests past p99.
JUDGED = ("throughput", "p95", "error_rate")
SHOWN = ("throughput", "p50", "p95", "p99", "error_rate")
#: +1: higher is better; −1: lower is better.
_GOOD = {"throughput": 1, "p50": -1, "p95": -1, "p99": -1, "error_rate": -1}


def pool(samples: list[RunSamples]) -> RunSamples:
    """Runs stacked second after second into one sample (each endpoint on the union of its buckets)."""
    if not samples:
        raise ValueError("pool() needs at least one run")
    names = list(dict.fromkeys(k for s in samples for k in s.keys))
    keys: dict[str, KeySamples] = {}
    for name in names:
        parts = [s.keys.get(name) for s in samples]
        buckets = np.unique(np.concatenate([p.buckets for p in parts if p is not None] or [np.array([])]))
        buckets = buckets.astype(np.int64)
        counts, req, fail = [], [], []
        for s, p in zip(samples, parts, strict=True):
            if p is None:
                counts.append(np.zeros((s.seconds, len(buckets))))
                req.append(np.zeros(s.seconds))
                fail.append(np.zeros(s.seconds))
            else:
                counts.append(p.on(buckets))
                req.append(p.requests)
                fail.append(p.failures)
        keys[name] = KeySamples(buckets, np.vstack(counts), np.concatenate(req), np.concatenate(fail))
    durations = np.concatenate([s.durations for s in samples])
    loaded = np.concatenate([s.loaded_mask for s in samples])
    return RunSamples(
        run_id="+".join(s.run_id for s in samples), durations=durations, keys=keys, loaded=loaded
    )


def stat_settings(settings: ExperimentSettings, rounds: int) -> StatSettings:
    """The gate's settings for an experiment with ``rounds`` runs per arm."""
    k = max(1, rounds)
    return StatSettings(
        alpha=settings.alpha,
        confidence=1.0 - settings.alpha / len(JUDGED),
        resamples=settings.resamples,
        run_noise=settings.run_noise / math.sqrt(k),
        run_noise_tail=settings.run_noise_tail / math.sqrt(k),
        relative=False,
        correction="none",
        seed=settings.seed,
    )


def _status(metric: str, check: CheckResult, s: ExperimentSettings) -> tuple[str, float | None]:
    if check.status == "insufficient" or check.ci_low is None or check.ci_high is None:
        return "insufficient", None
    assert check.observed is not None and check.baseline is not None
    if metric == "error_rate":
        change, thr = check.observed - check.baseline, s.min_error_effect
    else:
        change, thr = (check.observed / check.baseline - 1) if check.baseline else 0.0, s.min_effect
    good = _GOOD[metric]
    lo, hi = sorted((check.ci_low * good, check.ci_high * good))
    signed = change * good
    if lo > 0 and signed >= thr:
        return "better", change
    if hi < 0 and signed <= -thr:
        return "worse", change
    band = thr if metric == "error_rate" else s.equivalence
    return ("same" if -band <= lo and hi <= band else "unclear"), change


def effects(b: RunSamples, a: RunSamples, settings: ExperimentSettings, rounds: int) -> list[Effect]:
    """B against A for each shown metric, overall."""
    st = stat_settings(settings, rounds)
    tol = Tolerances(
        p50=settings.min_effect,
        p95=settings.min_effect,
        p99=settings.min_effect,
        error_rate=settings.min_error_effect,
        throughput=settings.min_effect,
    )
    checks = {c.metric: c for c in compare(b, a, tol, st) if c.scope == OVERALL}
    out = []
    for metric in SHOWN:
        c = checks[metric]
        status, change = _status(metric, c, settings)
        note = c.message if status == "insufficient" else ""
        out.append(
            Effect(metric=metric, a=c.baseline, b=c.observed, change=change, ci_low=c.ci_low,  # type: ignore[arg-type]
                   ci_high=c.ci_high, confidence=st.confidence, status=status, note=note)  # type: ignore[arg-type]
        )  # fmt: skip
    return out


def _pct(e: Effect) -> str:
    if e.change is None:
        return f"{e.metric} n/a"
    if e.metric == "error_rate":
        return f"error rate {e.change * 100:+.2f} pp"
    return f"{e.metric} {e.change:+.0%}"


def verdict(found: list[Effect], settings: ExperimentSettings) -> tuple[Verdict, str]:
    """The verdict and one sentence why, from the judged metrics' effects."""
    judged = [e for e in found if e.metric in JUDGED]
    better = [e for e in judged if e.status == "better"]
    worse = [e for e in judged if e.status == "worse"]
    tp = next((e for e in judged if e.metric == "throughput"), None)
    if worse and not better:
        return "worse", "B is worse: " + ", ".join(_pct(e) for e in worse) + ", beyond the noise"
    if better and not worse:
        return "improved", "B is better: " + ", ".join(_pct(e) for e in better) + ", beyond the noise"
    if better and worse:
        parts = ", ".join(_pct(e) for e in better + worse)
        return "inconclusive", f"a trade-off: {parts}; decide which matters"
    if tp is not None and tp.status == "same":
        band = f"±{settings.equivalence:.0%}"
        return "no effect", f"throughput moved {_pct(tp).split()[-1]}, inside the {band} band, beyond doubt"
    if all(e.status == "insufficient" for e in judged):
        return "inconclusive", "too few requests or seconds to judge: run longer (--duration)"
    return (
        "inconclusive",
        "the intervals are too wide to tell: run longer or more rounds (--duration, --rounds)",
    )


def arm_summary(arm: str, label: str, runs: list[RunResult], found: list[Effect]) -> ArmSummary:
    """An arm's pooled figures, read from the effects (the one place they are computed)."""
    by = {e.metric: (e.a if arm == "A" else e.b) for e in found}
    seconds = sum(sum(iv.duration_s for iv in r.series if not iv.warmup) for r in runs)
    return ArmSummary(
        arm=arm,  # type: ignore[arg-type]
        label=label,
        runs=len(runs),
        requests=sum(r.total.requests for r in runs),
        seconds=round(seconds, 3),
        throughput_rps=by.get("throughput") or 0.0,
        p50_ms=by.get("p50") or 0.0,
        p95_ms=by.get("p95") or 0.0,
        p99_ms=by.get("p99") or 0.0,
        error_rate=by.get("error_rate") or 0.0,
    )


def observed_noise(a_runs: list[RunResult], b_runs: list[RunResult]) -> dict[str, float]:
    """Run-to-run noise seen in this experiment: the pooled sd of each run's log throughput, p50 and
    p95 around its arm's mean (needs two runs in an arm; empty otherwise)."""
    out: dict[str, float] = {}
    for name, get in (("throughput", lambda r: r.total.rps), ("p50", lambda r: r.total.latency_ms.p50),
                      ("p95", lambda r: r.total.latency_ms.p95)):  # fmt: skip
        dev, dof = 0.0, 0
        for runs in (a_runs, b_runs):
            x = np.log([get(r) for r in runs if get(r) > 0])
            if len(x) > 1:
                dev += float(((x - x.mean()) ** 2).sum())
                dof += len(x) - 1
        if dof:
            out[name] = math.sqrt(dev / dof)
    return out


def floors(settings: ExperimentSettings, seen: dict[str, float]) -> ExperimentSettings:
    """The calibrated floors, raised to the noise this experiment showed between its own runs (a
    machine busier than the one calibrated on must not turn its noise into an effect)."""
    run_noise = max([settings.run_noise, seen.get("throughput", 0.0), seen.get("p50", 0.0)])
    tail = max(settings.run_noise_tail, seen.get("p95", 0.0))
    return settings.model_copy(update={"run_noise": run_noise, "run_noise_tail": tail})


#: The latency metrics, judged on B's routes at A's mix (:func:`with_mix_of`).
LATENCY = ("p50", "p95", "p99")


def with_mix_of(b: RunSamples, a: RunSamples) -> RunSamples:
    """B with its overall latency histograms rebuilt from its routes, each weighted to the share of the
    requests it had in A (B's requests and failures per second unchanged): B's latency at A's mix.

    A change moves the routes' own latency; which routes an arm happened to draw is noise. In a mix
    whose slow routes are about 5 % of the requests, the p95 sits on the boundary between the fast and
    the slow group, and a per cent more or less of slow draws moves it across: A/A experiments on
    content_mix saw p95 18 and 35 ms in A and 548 and 602 ms in B, the same build. Routes that A did
    not see keep no weight; with fewer than two shared routes B is returned as it is."""
    routes = [k for k in a.keys if k != OVERALL and k in b.keys]
    total_a = sum(a.keys[k].total_requests for k in routes)
    total_b = sum(b.keys[k].total_requests for k in routes)
    if len(routes) < 2 or total_a <= 0 or total_b <= 0:
        return b
    parts = [np.asarray(b.keys[k].buckets) for k in routes]
    buckets = np.unique(np.concatenate(parts)).astype(np.int64)
    counts = np.zeros((b.seconds, len(buckets)))
    for k in routes:
        share_b = b.keys[k].total_requests / total_b
        if share_b > 0:
            counts += (a.keys[k].total_requests / total_a) / share_b * b.keys[k].on(buckets)
    overall = b.keys[OVERALL]
    keys = {**b.keys, OVERALL: KeySamples(buckets, counts, overall.requests, overall.failures)}
    return RunSamples(run_id=b.run_id, durations=b.durations, keys=keys, loaded=b.loaded)


def judge(
    a_runs: list[RunResult], b_runs: list[RunResult], settings: ExperimentSettings
) -> tuple[list[Effect], Verdict, str]:
    """Effects of B against A and the verdict, from each arm's runs; latency at A's route mix."""
    a = pool([RunSamples.from_run(r) for r in a_runs])
    b = pool([RunSamples.from_run(r) for r in b_runs])
    used = floors(settings, observed_noise(a_runs, b_runs))
    rounds = min(len(a_runs), len(b_runs))
    found = effects(b, a, used, rounds=rounds)
    at_a_mix = {e.metric: e for e in effects(with_mix_of(b, a), a, used, rounds=rounds)}
    found = [at_a_mix[e.metric] if e.metric in LATENCY else e for e in found]
    v, why = verdict(found, used)
    return found, v, why
