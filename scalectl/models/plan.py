"""The plan over time and money that a Recommendation carries: forecast, cost, options, risk, DB advice."""

from __future__ import annotations

from pydantic import Field

from scalectl.models._base import Model


class InstanceType(Model):
    """A named machine from the user's price sheet."""

    name: str
    vcpu: float = Field(gt=0)
    memory_gib: float = Field(gt=0)
    hourly: float = Field(ge=0)


class Prices(Model):
    """``--price-vcpu-hour`` / ``--price-gib-hour``, or a ``--prices FILE.yaml`` with the same keys."""

    vcpu_hour: float | None = Field(None, ge=0)
    gib_hour: float | None = Field(None, ge=0)
    currency: str = "USD"
    instance_types: list[InstanceType] = Field(default_factory=list)


class InstancePacking(Model):
    method: str
    #: One row per type used: {type, count, replicas_each, hourly}.
    instances: list[dict[str, str | int | float]] = Field(default_factory=list)
    hourly: float
    monthly: float


class CostEstimate(Model):
    per_replica_hourly: float
    #: replicas × per_replica_hourly × hours_per_month (basis ``requests``), or the packing's price.
    monthly: float
    currency: str = "USD"
    replicas: int
    cpu_request_cores: float
    memory_request_gib: float
    hours_per_month: float = 730.0
    #: ``requests`` (unit prices × the CPU/memory requests) or ``instances`` (the packing alone).
    basis: str = "requests"
    packing: InstancePacking | None = None
    #: The prices it was computed from (so the gate can price another replica count the same way).
    prices: Prices | None = None


class ForecastMonth(Model):
    month: int
    #: ``YYYY-MM``.
    date: str
    rps: float
    replicas: int
    reachable: bool = True
    monthly_cost: float | None = None
    #: replicas × (pool + overflow), when the pool is known.
    db_connections: int | None = None


class GrowthInfo(Model):
    label: str
    monthly_factor: float
    source: str = "stated"
    r2: float | None = None
    n_points: int | None = None
    start_rps: float
    current_replicas: int
    horizon_months: int


class ScalingOption(Model):
    """'N replicas × k cores': one shape that carries the target rate."""

    cores_per_replica: float
    replicas: int
    needed_replicas: int
    reachable: bool
    #: Predicted capacity at the SLO of ``needed_replicas`` and of ``replicas``.
    capacity_rps: float
    total_capacity_rps: float
    per_replica_rps: float
    #: Capacity lost when one of ``replicas`` dies, in req/s and as a fraction of the total.
    blast_radius_rps: float
    blast_radius_fraction: float
    monthly_cost: float | None = None
    chosen: bool = False
    source: str = ""
    #: What holds it back when it does not reach the target (the recommendation's ``limited_by``).
    limited_by: str | None = None

    @property
    def reach_note(self) -> str:
        """ "" when it reaches the target, else why not: a capacity above the target with a shared
        limit (database, ...) shown at one replica count only is a linear extrapolation, not a promise."""
        if self.reachable:
            return ""
        if self.limited_by and self.limited_by != "unknown":
            return f"not reachable: {self.limited_by} limit, not shown to scale with replicas"
        return "not reachable"


class Risk(Model):
    #: The forecast peak (last month of the horizon, or the target without a forecast).
    peak_rps: float
    peak_month: int | None = None
    replicas: int
    #: Predicted capacity at the SLO with one replica down, and the load's share of it.
    capacity_one_down_rps: float
    utilization_one_down: float
    #: Does the model predict the SLO holds at the peak with one replica down?
    slo_holds_one_down: bool
    db_connections_at_peak: int | None = None
    db_usable_connections: int | None = None
    db_max_connections: int | None = None
    #: First forecast month whose connections exceed the usable budget (None: never in the horizon).
    db_budget_breaks_month: int | None = None
    notes: list[str] = Field(default_factory=list)


class DbAdvice(Model):
    #: ``read_replicas`` | ``pooler`` | ``partitioning``.
    kind: str
    summary: str
    read_share: float | None = None
    read_replicas: int | None = None
    pgbouncer_default_pool_size: int | None = None
    pgbouncer_max_client_conn: int | None = None
    app_pool_size: int | None = None
    app_max_overflow: int | None = None
    reasoning: list[str] = Field(default_factory=list)
