"""GateVerdict: the CI performance gate's judgement of one run."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scalectl.models._base import Model

GATE_SCHEMA_VERSION = 1

CheckStatus = Literal["pass", "fail", "insufficient", "warn"]


class CheckResult(Model):
    name: str
    kind: Literal["threshold", "regression", "capacity"]
    #: ``overall`` or an endpoint key.
    scope: str = "overall"
    metric: str
    observed: float | None = None
    limit: float | None = None
    baseline: float | None = None
    unit: str = ""
    status: CheckStatus
    message: str = ""
    #: Confidence interval of the relative change, for regression checks.
    ci_low: float | None = None
    ci_high: float | None = None


class CapacityImpact(Model):
    """CPU per request against the baseline's, and what it means for capacity and money."""

    cpu_s_per_request: float
    baseline_cpu_s_per_request: float
    #: run / baseline − 1.
    cpu_change: float
    #: By the utilization law (capacity per replica ∝ 1 / CPU per request): baseline / run − 1.
    capacity_change: float
    #: The interval of ``capacity_change`` at ``confidence`` (block bootstrap of both runs' seconds).
    capacity_change_low: float | None = None
    capacity_change_high: float | None = None
    confidence: float | None = None
    text: str
    #: With ``--plan``: the plan's target rate, replicas and monthly cost before and after.
    target_rps: float | None = None
    replicas_before: int | None = None
    replicas_after: int | None = None
    monthly_cost_before: float | None = None
    monthly_cost_after: float | None = None
    currency: str | None = None
    plan_text: str | None = None
    max_loss: float | None = None


class GateVerdict(Model):
    schema_version: int = GATE_SCHEMA_VERSION
    run_id: str
    baseline: str | None = None
    passed: bool
    checks: list[CheckResult] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    capacity: CapacityImpact | None = None

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status == "fail"]
