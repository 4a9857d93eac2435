"""Recommendation: replicas, resources and settings from the capacity model (``recommendation.json``)."""

from __future__ import annotations

from pydantic import Field

from scalectl.models._base import Model
from scalectl.models.plan import (
    CostEstimate,
    DbAdvice,
    ForecastMonth,
    GrowthInfo,
    InstancePacking,
    InstanceType,
    Prices,
    Risk,
    ScalingOption,
)
from scalectl.models.verification import Verification

RECOMMENDATION_SCHEMA_VERSION = 1


class UslModel(Model):
    """Universal Scalability Law X(N) = λN / (1 + σ(N−1) + κN(N−1)) as fitted."""

    lam: float = Field(alias="lambda")
    sigma: float
    kappa: float
    #: N* = sqrt((1−σ)/κ); None when κ is 0 (no retrograde term).
    peak_n: float | None = None
    peak_throughput: float | None = None
    r2: float | None = None
    n_points: int
    #: What N counts: ``replicas`` or ``concurrency``.
    axis: str = "replicas"
    points: list[tuple[float, float]] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class Resources(Model):
    """Kubernetes-style quantities: CPU in cores ("250m"), memory in bytes ("512Mi")."""

    cpu_request: str
    cpu_limit: str | None = None
    memory_request: str
    memory_limit: str
    hpa_cpu_utilization: int | None = None


class Recommendation(Model):
    schema_version: int = RECOMMENDATION_SCHEMA_VERSION
    target_rps: float
    slo: list[str] = Field(default_factory=list)
    replicas: int
    #: Can the target rate be met by adding replicas alone?
    reachable: bool
    #: Category of what limits capacity at the measured point (``database``...), or None.
    limited_by: str | None = None
    per_replica_capacity_rps: float | None = None
    utilization_target: float = 0.7
    redundancy: int = 1
    resources: Resources
    model: UslModel | None = None
    db_pool_size: int | None = None
    db_max_overflow: int | None = None
    db_max_connections: int | None = None
    upstream_concurrency: int | None = None
    concurrency_per_replica: float | None = None
    settings: dict[str, str] = Field(default_factory=dict)
    confidence: str = "low"
    evidence: list[str] = Field(default_factory=list)
    reasoning: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    # Optional additions (capacity engineer): the per-replica concurrency curve, the sizing detail,
    # configuration advice, and the --verify outcome.
    concurrency_model: UslModel | None = None
    needed_replicas: int | None = None
    predicted_capacity_rps: float | None = None
    db_usable_connections: int | None = None
    advice: list[str] = Field(default_factory=list)
    raise_confidence: list[str] = Field(default_factory=list)
    verification: Verification | None = None
    # The plan over time and money (issue 16).
    cost: CostEstimate | None = None
    growth: GrowthInfo | None = None
    forecast: list[ForecastMonth] = Field(default_factory=list)
    #: First forecast month whose replicas exceed the current ones (None: not within the horizon).
    capacity_runs_out_month: int | None = None
    options: list[ScalingOption] = Field(default_factory=list)
    #: Why the chosen option wins over the others.
    option_reason: str | None = None
    risk: Risk | None = None
    db_advice: list[DbAdvice] = Field(default_factory=list)

    @property
    def replicas_detail(self) -> str:
        """ "needed 4, N+1" (or "N+1" when the file says nothing of the count needed): the same words
        in the terminal, Markdown, HTML and the manifests' header."""
        if not self.reachable:  # the count is what fits, not what the target needs: no N+1 claim
            n = self.needed_replicas
            return f"the target needs {n}: not reachable" if n and n > self.replicas else "not reachable"
        needed = f"needed {self.needed_replicas}, " if self.needed_replicas is not None else ""
        return f"{needed}N+{self.redundancy}"


__all__ = [
    "CostEstimate",
    "DbAdvice",
    "ForecastMonth",
    "GrowthInfo",
    "InstancePacking",
    "InstanceType",
    "Prices",
    "Recommendation",
    "Resources",
    "Risk",
    "ScalingOption",
    "UslModel",
]
