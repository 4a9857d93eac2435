"""What a change in CPU per request does to capacity and money (the gate's capacity check). Pure.

By the utilization law U = X · D (D: CPU seconds per request), a replica that may run at utilization
U carries X = U / D: capacity per replica scales with 1 / D. So CPU per request +18 % gives capacity
per replica 1/1.18 − 1 = −15 %. With a plan (recommendation.json), the fitted curve's λ is scaled by
the same factor and the plan's target rate sized again under its utilization and redundancy; the
monthly cost is priced with the plan's own prices.

How sure: CPU per request moves from run to run of the same build (on the 2-core machine, five
repeats of one build gave −10 %, +3 %, +6 %, +3 %, +29 %), so a bare "loss > --max-capacity-loss"
fails on noise. The change gets an interval in the gate's own way (``scalectl.gate.compare``): each
run's loaded seconds are resampled with the circular block bootstrap (block length from the run's
per-second CPU per request, Politis & White), CPU per request re-read from the drawn seconds' CPU
samples and requests, the log ratio's standard error taken from the replicates with the run-to-run
floor ``StatSettings.capacity_noise`` added in quadrature, and referred to Student's t. The point
estimate stays :func:`scalectl.capacity.signals.cpu_s_per_request`. The check fails only when the
loss is beyond ``--max-capacity-loss`` with confidence: the interval's smallest loss exceeds it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import stdtrit

from scalectl.capacity import cost as costs
from scalectl.capacity.resources import parse_cpu, parse_memory
from scalectl.capacity.signals import _busy_window, cpu_s_per_request
from scalectl.capacity.sizing import size_replicas
from scalectl.gate.blocklen import politis_white
from scalectl.gate.compare import StatSettings, block_weights
from scalectl.gate.stat import log_test
from scalectl.models import CheckResult, Recommendation, RunResult
from scalectl.models.gate import CapacityImpact


def capacity_change(cpu_run: float, cpu_base: float) -> float:
    """baseline / run − 1: the change in capacity per replica for a change in CPU per request."""
    return cpu_base / cpu_run - 1.0


@dataclass(frozen=True)
class CpuSeconds:
    """A run's loaded seconds (the window ``cpu_s_per_request`` reads) as bootstrap samples."""

    #: ``processes × seconds``: the sum of each target process's CPU samples (fractions of a core)
    #: that fall in each second, and how many samples fell there.
    cpu: np.ndarray
    samples: np.ndarray
    #: Per second: requests and interval length.
    requests: np.ndarray
    durations: np.ndarray

    @property
    def seconds(self) -> int:
        return len(self.requests)

    def per_request(self, weights: np.ndarray) -> np.ndarray:
        """CPU seconds per request for each row of ``weights`` (how often each second is drawn): each
        process's mean CPU over the drawn samples, summed, over the drawn requests per second (a row of
        ones: ``cpu_s_per_request``)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            cpu = ((weights @ self.cpu.T) / (weights @ self.samples.T)).sum(axis=1)
            return cpu / ((weights @ self.requests) / (weights @ self.durations))

    def block(self) -> int:
        """Block length (Politis & White) of the per-second log CPU per request."""
        with np.errstate(invalid="ignore", divide="ignore"):
            x = np.log(self.cpu.sum(axis=0) / np.maximum(self.samples.max(axis=0), 1) / self.requests)
        return max(1, min(self.seconds, round(politis_white(x))))

    @classmethod
    def of(cls, run: RunResult, role: str = "target") -> CpuSeconds | None:
        win = _busy_window(run)
        procs = [s for s in run.telemetry if s.kind == "process" and s.role == role]
        if win is None or not procs:
            return None
        first = math.floor(win[0])
        n = max(1, math.ceil(win[1]) - first)
        cpu, count = np.zeros((len(procs), n)), np.zeros((len(procs), n))
        for p, series in enumerate(procs):
            for t, v in zip(series.t, series.metrics.get("cpu_percent", []), strict=False):
                if v is not None and win[0] <= t < win[1]:
                    cpu[p, int(t) - first] += v / 100.0
                    count[p, int(t) - first] += 1
        keep = count.sum(axis=1) > 0
        req, dur = np.zeros(n), np.zeros(n)
        for iv in run.series:
            if win[0] <= iv.t < win[1] and not iv.warmup:
                req[int(iv.t) - first] += iv.requests
                dur[int(iv.t) - first] += iv.duration_s
        if not keep.any() or req.sum() <= 0:
            return None
        return cls(cpu=cpu[keep], samples=count[keep], requests=req, durations=dur)


def cpu_interval(
    run: CpuSeconds, base: CpuSeconds, point: float, settings: StatSettings
) -> tuple[float, float, float]:
    """(low, high, p-value for "more CPU") of the CPU-per-request change run/base − 1 whose point is
    ``point`` (a log ratio), at ``settings.confidence``: the gate's block bootstrap of both runs' seconds,
    the ``capacity_noise`` floor per run, Student's t."""
    rng = np.random.default_rng(settings.seed)
    l_r, l_b = run.block(), base.block()
    w_r = block_weights(rng, run.seconds, l_r, settings.resamples)
    w_b = block_weights(rng, base.seconds, l_b, settings.resamples)
    df = max(1, run.seconds // l_r + base.seconds // l_b - 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        reps = np.log(run.per_request(w_r) / base.per_request(w_b))
    p, se = log_test(point, reps, worse_if_up=True, df=df, floor=settings.capacity_noise)
    z = float(stdtrit(df, 0.5 + settings.confidence / 2))
    return math.exp(point - z * se) - 1.0, math.exp(point + z * se) - 1.0, p


def _pct(x: float) -> str:
    return f"{x:+.0%}"


def _with_plan(impact: CapacityImpact, rec: Recommendation) -> CapacityImpact:
    if rec.model is None or rec.model.lam <= 0:
        return impact
    factor = 1.0 + impact.capacity_change
    model = rec.model.model_copy(update={"lam": rec.model.lam * factor})
    kw = {"utilization": rec.utilization_target, "redundancy": rec.redundancy}
    before = size_replicas(rec.model, rec.target_rps, **kw).replicas
    after = size_replicas(model, rec.target_rps, **kw).replicas
    upd: dict = {"target_rps": rec.target_rps, "replicas_before": before, "replicas_after": after}
    text = f"for {rec.target_rps:g} req/s: {before} → {after} replicas"
    c = rec.cost
    if c is not None and c.prices is not None:
        cpu, mem = parse_cpu(rec.resources.cpu_request), parse_memory(rec.resources.memory_request) / 2**30
        cpu = c.cpu_request_cores or cpu
        mem = c.memory_request_gib or mem
        m0 = costs.estimate(before, cpu, mem, c.prices).monthly
        m1 = costs.estimate(after, cpu, mem, c.prices).monthly
        upd.update(monthly_cost_before=m0, monthly_cost_after=m1, currency=c.currency)
        text += f", {m0:,.2f} → {m1:,.2f} {c.currency}/month ({m1 - m0:+,.2f})"
    return impact.model_copy(update={**upd, "plan_text": text})


def assess(
    run: RunResult,
    baseline: RunResult,
    *,
    plan: Recommendation | None = None,
    max_loss: float | None = None,
    settings: StatSettings | None = None,
) -> tuple[CapacityImpact | None, CheckResult | None, str | None]:
    """The impact, its check (fails only with ``max_loss`` and a loss beyond it with confidence: the
    interval's smallest loss is larger), or a note saying why there is none (no process telemetry)."""
    st = settings or StatSettings()
    d_run, d_base = cpu_s_per_request(run), cpu_s_per_request(baseline)
    if d_run is None or d_base is None or d_run <= 0 or d_base <= 0:
        side = "the run" if d_run is None or d_run <= 0 else "the baseline"
        return None, None, f"capacity check skipped: {side} has no process CPU telemetry of the target"
    cpu_ch = d_run / d_base - 1.0
    cap_ch = capacity_change(d_run, d_base)
    s_run, s_base = CpuSeconds.of(run), CpuSeconds.of(baseline)
    assert s_run is not None and s_base is not None  # both have CPU samples in the loaded window
    cpu_lo, cpu_hi, _ = cpu_interval(s_run, s_base, math.log(d_run / d_base), st)
    # capacity ∝ 1 / CPU per request: the interval's ends swap
    cap_lo, cap_hi = 1.0 / (1.0 + cpu_hi) - 1.0, 1.0 / (1.0 + cpu_lo) - 1.0
    text = (
        f"CPU per request {_pct(cpu_ch)} [{_pct(cpu_lo)}, {_pct(cpu_hi)}] → capacity per replica "
        f"{_pct(cap_ch)} [{_pct(cap_lo)}, {_pct(cap_hi)}]"
    )
    impact = CapacityImpact(
        cpu_s_per_request=d_run,
        baseline_cpu_s_per_request=d_base,
        cpu_change=cpu_ch,
        capacity_change=cap_ch,
        capacity_change_low=cap_lo,
        capacity_change_high=cap_hi,
        confidence=st.confidence,
        text=text,
        max_loss=max_loss,
    )
    if plan is not None:
        impact = _with_plan(impact, plan)
    return impact, _check(impact, max_loss, st.confidence), None


def _check(impact: CapacityImpact, max_loss: float | None, confidence: float) -> CheckResult:
    """The capacity check: fails when the smallest loss the interval allows (loss = −capacity change)
    exceeds ``max_loss``."""
    cap_ch, cap_hi = impact.capacity_change, impact.capacity_change_high
    least_loss = -(cap_hi if cap_hi is not None else cap_ch)
    failed = max_loss is not None and least_loss > max_loss
    if max_loss is None:
        limit = " (no --max-capacity-loss: reported only)"
    elif failed:
        limit = f" (allowed loss {max_loss:.0%}; beyond it with {confidence:.0%} confidence)"
    elif -cap_ch > max_loss:
        limit = f" (allowed loss {max_loss:.0%}; beyond it, but within the runs' noise: not failed)"
    else:
        limit = f" (allowed loss {max_loss:.0%})"
    return CheckResult(
        name="capacity per replica",
        kind="capacity",
        metric="capacity_change",
        observed=cap_ch,
        limit=-max_loss if max_loss is not None else None,
        baseline=0.0,
        unit="%",
        status="fail" if failed else "pass",
        message=impact.text + (f"; {impact.plan_text}" if impact.plan_text else "") + limit,
        ci_low=impact.capacity_change_low,
        ci_high=cap_hi,
    )
