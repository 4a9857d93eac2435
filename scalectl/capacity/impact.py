"""What a change in CPU per request does to capacity and money (the gate's capacity check). Pure.

By the utilization law U = X · D (D: CPU seconds per request), a replica that may run at utilization
U carries X = U / D: capacity per replica scales with 1 / D. So CPU per request +18 % gives capacity
per replica 1/1.18 − 1 = −15 %. With a plan (recommendation.json), the fitted curve's λ is scaled by
the same factor and the plan's target rate sized again under its utilization and redundancy; the
monthly cost is priced with the plan's own prices.
"""

from __future__ import annotations

from scalectl.capacity import cost as costs
from scalectl.capacity.resources import parse_cpu, parse_memory
from scalectl.capacity.signals import cpu_s_per_request
from scalectl.capacity.sizing import size_replicas
from scalectl.models import CheckResult, Recommendation, RunResult
from scalectl.models.gate import CapacityImpact


def capacity_change(cpu_run: float, cpu_base: float) -> float:
    """baseline / run − 1: the change in capacity per replica for a change in CPU per request."""
    return cpu_base / cpu_run - 1.0


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
    run: RunResult, baseline: RunResult, *, plan: Recommendation | None = None, max_loss: float | None = None
) -> tuple[CapacityImpact | None, CheckResult | None, str | None]:
    """The impact, its check (fails only with ``max_loss`` and a larger loss), or a note saying why
    there is none (no process telemetry on one side)."""
    d_run, d_base = cpu_s_per_request(run), cpu_s_per_request(baseline)
    if d_run is None or d_base is None or d_run <= 0 or d_base <= 0:
        side = "the run" if d_run is None or d_run <= 0 else "the baseline"
        return None, None, f"capacity check skipped: {side} has no process CPU telemetry of the target"
    cpu_ch = d_run / d_base - 1.0
    cap_ch = capacity_change(d_run, d_base)
    text = f"CPU per request {cpu_ch:+.0%} → capacity per replica {cap_ch:+.0%}"
    impact = CapacityImpact(
        cpu_s_per_request=d_run,
        baseline_cpu_s_per_request=d_base,
        cpu_change=cpu_ch,
        capacity_change=cap_ch,
        text=text,
        max_loss=max_loss,
    )
    if plan is not None:
        impact = _with_plan(impact, plan)
    loss = -cap_ch
    failed = max_loss is not None and loss > max_loss
    limit = (
        f" (allowed loss {max_loss:.0%})"
        if max_loss is not None
        else " (no --max-capacity-loss: reported only)"
    )
    check = CheckResult(
        name="capacity per replica",
        kind="capacity",
        metric="capacity_change",
        observed=cap_ch,
        limit=-max_loss if max_loss is not None else None,
        baseline=0.0,
        unit="%",
        status="fail" if failed else "pass",
        message=text + (f"; {impact.plan_text}" if impact.plan_text else "") + limit,
    )
    return impact, check, None
