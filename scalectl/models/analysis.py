"""Analysis: the monitor → analyze → scale flowchart walked on a run's evidence (``analysis.json``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scalectl.models._base import Model
from scalectl.models.experiment import Experiment

ANALYSIS_SCHEMA_VERSION = 1

Category = Literal["database", "application", "infrastructure", "code"]
Severity = Literal["critical", "high", "medium", "low"]
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class Evidence(Model):
    metric: str
    observed: float | str | None = None
    threshold: float | str | None = None
    #: [start, end] seconds from the run start.
    window: tuple[float, float] | None = None
    source: str | None = None
    note: str | None = None


class Finding(Model):
    rule: str
    category: Category
    severity: Severity
    #: 0..1; lower when resting on client-side evidence alone.
    confidence: float = Field(ge=0.0, le=1.0)
    title: str
    evidence: list[Evidence] = Field(default_factory=list)
    action: str
    #: A command that verifies the action once taken.
    verify: str | None = None
    #: The action as a change of knobs (``{"DB_POOL_SIZE": "12"}``, ``{"replicas": "3"}``), when it maps
    #: to one; what ``scalectl analyze --experiment`` tries.
    change: dict[str, str] = Field(default_factory=dict)
    #: The experiment that tried ``change`` (``analyze --experiment``), and what it says of the finding:
    #: ``confirmed`` (the change improved the run), ``rejected`` (no effect, or worse), None (not tried,
    #: or inconclusive).
    experiment: Experiment | None = None
    tested: Literal["confirmed", "rejected"] | None = None


#: ``SloResult.note`` of a per-endpoint view of an overall SLO: shown, not part of the verdict.
PER_ENDPOINT_VIEW = "per-endpoint view of an overall SLO"


class SloResult(Model):
    expression: str
    scope: str = "overall"
    observed: float | None = None
    limit: float | None = None
    ok: bool | None = None
    note: str | None = None

    @property
    def counts(self) -> bool:
        """Whether this result is part of the SLO verdict (a per-endpoint view of an overall SLO is
        not: the overall figure is the SLO; every view reads the verdict the same way)."""
        return self.note != PER_ENDPOINT_VIEW


#: The flowchart's boxes (``FlowStep.step``) as the diagram names them; every reporter uses these.
FLOW_STEP_TITLES: dict[str, str] = {
    "monitor": "Monitor",
    "generator": "Load generator saturated?",
    "performance_ok": "Performance OK?",
    "database": "Database issue?",
    "application": "Application issue?",
    "infrastructure": "Infrastructure issue?",
    "code": "Code issue?",
    "scale": "Scale",
    "monitor_results": "Monitor Results",
}


def flow_step_title(step: str) -> str:
    return FLOW_STEP_TITLES.get(step, step.replace("_", " ").capitalize())


#: The boxes that ask a yes/no question (``FlowStep.outcome`` is its answer, True = yes).
FLOW_QUESTIONS = ("generator", "performance_ok", "database", "application", "infrastructure", "code")


def flow_step_good(step: str, outcome: bool | None) -> bool | None:
    """Whether a box's answer is good news, the one meaning every view marks (✔ good, ✘ bad):
    "Performance OK?" yes is good; "Database issue?" (and every other question) yes is bad; None when
    the box has no yes/no answer (or is the final ``scale`` box)."""
    if outcome is None or step not in FLOW_QUESTIONS:
        return None
    return outcome if step == "performance_ok" else not outcome


def flow_step_mark(step: str, outcome: bool | None) -> str:
    """``✔`` good news, ``✘`` bad news, ``→`` the scale box, ``·`` no answer."""
    if step == "scale" and outcome is not None:
        return "→"
    return {True: "✔", False: "✘", None: "·"}[flow_step_good(step, outcome)]


class FlowStep(Model):
    """One box of the flowchart as walked: ``monitor``, ``generator`` (only when the load generator
    saturated), ``performance_ok``, ``database``, ``application``, ``infrastructure``, ``code``, ``scale``."""

    step: str
    verdict: str
    #: The answer to the box's question (True = yes: "Performance OK?" yes, "Database issue?" yes);
    #: ``flow_step_good`` says which answer is good news, for every view alike.
    outcome: bool | None = None
    details: list[str] = Field(default_factory=list)


class Analysis(Model):
    schema_version: int = ANALYSIS_SCHEMA_VERSION
    run_id: str
    performance_ok: bool
    slo: list[SloResult] = Field(default_factory=list)
    error_rate: float = 0.0
    achieved_rps: float = 0.0
    offered_rps: float | None = None
    #: Fraction of capacity left at the measured load, when it can be estimated.
    headroom: float | None = None
    telemetry_available: bool = False
    #: Most severe first.
    findings: list[Finding] = Field(default_factory=list)
    path: list[FlowStep] = Field(default_factory=list)
    summary: str = ""
    notes: list[str] = Field(default_factory=list)
