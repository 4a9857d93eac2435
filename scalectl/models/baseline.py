"""Baseline: a named, committed reference made by ``scalectl baseline`` (``reports/baselines/NAME.json``).

It is self-contained: each step embeds its full RunResult, so the gate and the capacity model need
nothing else.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from scalectl.models._base import Model
from scalectl.models.run import Environment, RunResult, TargetSpec

BASELINE_SCHEMA_VERSION = 1


class BaselineStep(Model):
    index: int
    #: Offered load of this step: users (closed model) or arrival rate (open model).
    users: int | None = None
    offered_rps: float | None = None
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    error_rate: float
    slo_ok: bool
    run_dir: str | None = None
    run: RunResult


class KneePoint(Model):
    """The highest measured throughput that still met the SLO."""

    rps: float
    p95_ms: float
    p99_ms: float | None = None
    users: int | None = None
    offered_rps: float | None = None
    step: int
    #: True when the SLO never broke, so the real knee lies beyond the last step.
    beyond_last_step: bool = False


class Baseline(Model):
    schema_version: int = BASELINE_SCHEMA_VERSION
    name: str
    scenario_name: str
    created_at: datetime
    environment: Environment = Field(default_factory=Environment)
    slo: list[str] = Field(default_factory=list)
    #: Replicas measured; None when unknown (``--host`` without ``--replicas``): such a baseline cannot
    #: be used to fit capacity per replica.
    replicas: int | None = 1
    #: How the target was started (None in baselines written before it was recorded).
    target: TargetSpec | None = None
    steps: list[BaselineStep] = Field(default_factory=list)
    knee: KneePoint | None = None
    #: Per endpoint key ("GET /api/content/{id}").
    endpoint_knees: dict[str, KneePoint] = Field(default_factory=dict)
    stop_reason: str = ""
    warnings: list[str] = Field(default_factory=list)
