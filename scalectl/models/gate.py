"""GateVerdict: the CI performance gate's judgement of one run."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scalectl.models._base import Model

GATE_SCHEMA_VERSION = 1

CheckStatus = Literal["pass", "fail", "insufficient", "warn"]


class CheckResult(Model):
    name: str
    kind: Literal["threshold", "regression"]
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


class GateVerdict(Model):
    schema_version: int = GATE_SCHEMA_VERSION
    run_id: str
    baseline: str | None = None
    passed: bool
    checks: list[CheckResult] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status == "fail"]
