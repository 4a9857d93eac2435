"""Verification: what ``recommend --verify`` measured against what the recommendation predicted."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scalectl.models._base import Model


class VerifiedSlo(Model):
    """One SLO expression on the verification run."""

    text: str
    observed: float | None = None
    #: None when there was nothing to judge (no requests in its scope).
    holds: bool | None = None


class Verification(Model):
    run_dir: str
    replicas: int
    #: The rate the generator was asked to send (the target rate, or less when it cannot send that).
    offered_rps: float
    #: Throughput over the loaded seconds (``capacity.evidence.active_rps``).
    measured_rps: float
    measured_p95_ms: float
    error_rate: float
    #: What the recommendation predicts this run shows: min(offered, the model's capacity).
    predicted_rps: float | None = None
    #: The model's capacity of ``replicas`` with their cores to themselves (production).
    predicted_capacity_rps: float | None = None
    #: What this host can show: the model's capacity, less the generator's CPU on the replicas'
    #: cores, and never more than the generator showed it can send here (``generator_limit_rps``).
    predicted_capacity_on_this_host_rps: float | None = None
    #: The most the load generator can send on this machine: its processes / its CPU seconds per
    #: request as measured (None when not measured).
    generator_limit_rps: float | None = None
    generator_saturated: bool = False
    slo: list[VerifiedSlo] = Field(default_factory=list)
    #: All SLOs held; None when the run is inconclusive (the generator saturated).
    slo_ok: bool | None = None
    verdict: Literal["met", "missed", "inconclusive"]
    #: Why measured and predicted differ (empty when they agree).
    why: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
