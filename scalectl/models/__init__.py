"""Typed, versioned results that round-trip through JSON.

Dependencies point down: everything may import ``scalectl.models``; models import only the
standard library and pydantic.
"""

from scalectl.models.analysis import Analysis, Evidence, Finding, FlowStep, SloResult
from scalectl.models.baseline import Baseline, BaselineStep, KneePoint
from scalectl.models.gate import CheckResult, GateVerdict
from scalectl.models.recommendation import Recommendation, Resources, UslModel
from scalectl.models.run import (
    EndpointStats,
    Environment,
    GeneratorInfo,
    IntervalEndpoint,
    IntervalStats,
    LatencySummary,
    RunResult,
    TargetSpec,
    TelemetrySeries,
)

__all__ = [
    "Analysis",
    "Baseline",
    "BaselineStep",
    "CheckResult",
    "EndpointStats",
    "Environment",
    "Evidence",
    "Finding",
    "FlowStep",
    "GateVerdict",
    "GeneratorInfo",
    "IntervalEndpoint",
    "IntervalStats",
    "KneePoint",
    "LatencySummary",
    "Recommendation",
    "Resources",
    "RunResult",
    "TargetSpec",
    "SloResult",
    "TelemetrySeries",
    "UslModel",
]
