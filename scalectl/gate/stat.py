"""Pieces shared by the gate's absolute and relative regression checks (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import stdtr

from scalectl.gate.samples import KeySamples

if TYPE_CHECKING:
    from scalectl.gate.compare import StatSettings


@dataclass
class Raw:
    """One check before multiplicity adjustment."""

    scope: str
    metric: str
    observed: float | None
    baseline: float | None
    limit: float | None
    unit: str
    beyond: bool = False
    p_value: float = 1.0
    ci: tuple[float, float] | None = None
    change: float | None = None
    insufficient: str | None = None
    #: Tolerance field of ``Tolerances`` (default: ``metric``).
    tol_metric: str | None = None
    #: Appended to the check's message (how the baseline value was derived).
    note: str = ""


def enough(k: KeySamples, need: float, st: StatSettings) -> str | None:
    if k.active_seconds < st.min_seconds:
        return f"{k.active_seconds} s with requests (need ≥ {st.min_seconds})"
    if k.total_requests < need:
        return f"{k.total_requests} requests (need ≥ {math.ceil(need)})"
    return None


def why_insufficient(kc: KeySamples, kb: KeySamples, need: float, st: StatSettings) -> str | None:
    parts = [
        f"{who} has {why}" for who, k in (("candidate", kc), ("baseline", kb)) if (why := enough(k, need, st))
    ]
    return "; ".join(parts) or None


def log_test(
    point: float, reps: np.ndarray, worse_if_up: bool, df: int, floor: float = 0.0
) -> tuple[float, float]:
    """(p-value for 'worse', standard error) of a log ratio from its bootstrap replicates, with the
    run-to-run noise ``floor`` of each of the two runs added in quadrature."""
    reps = reps[np.isfinite(reps)]
    se = float(np.std(reps, ddof=1)) if len(reps) > 2 else 0.0
    se = math.sqrt(se**2 + 2 * floor**2)
    z = point if worse_if_up else -point
    if se <= 0:
        return (0.0 if z > 0 else 1.0), 0.0
    return float(stdtr(df, -z / se)), se
