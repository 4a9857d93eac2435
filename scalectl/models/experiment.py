"""Experiment: one change tried on a run's target, measured in interleaved arms (``experiment.json``).

The flowchart's loop after "Scale": Update Configuration → Deploy Changes → **Monitor Results**. Arm A
is the target as the run recorded it; arm B the same target with the change. The arms alternate
(A B A B …) so that a machine that drifts during the experiment moves both alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from scalectl.models._base import Model

EXPERIMENT_SCHEMA_VERSION = 1

Verdict = Literal["improved", "worse", "no effect", "inconclusive"]
#: How one metric moved from A to B: beyond the effect size and the noise in the good or bad direction,
#: within the equivalence band ("same"), or neither ("unclear"); "insufficient" without enough samples.
EffectStatus = Literal["better", "worse", "same", "unclear", "insufficient"]


class ArmRun(Model):
    """One run of one arm, in the order it ran."""

    arm: Literal["A", "B"]
    round: int
    run_id: str
    #: Relative to the experiment directory.
    run_dir: str
    complete: bool = True
    requests: int = 0
    throughput_rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    error_rate: float = 0.0


class ArmSummary(Model):
    """An arm's runs pooled: requests over seconds, percentiles from the merged histograms."""

    arm: Literal["A", "B"]
    label: str
    runs: int
    requests: int = 0
    seconds: float = 0.0
    throughput_rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    error_rate: float = 0.0


class Effect(Model):
    """B against A for one metric: ``change`` is relative (B/A − 1) except for ``error_rate``
    (a difference of fractions); the interval is two-sided at ``confidence``."""

    metric: Literal["throughput", "p50", "p95", "p99", "error_rate"]
    a: float | None = None
    b: float | None = None
    change: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    confidence: float = 0.95
    status: EffectStatus = "insufficient"
    note: str = ""


class ExperimentSettings(Model):
    """How the experiment was judged (defaults and their reasons: docs/analysis.md, "Experiments")."""

    #: Smallest relative change (throughput, p50, p95) that counts as an effect.
    min_effect: float = 0.10
    #: Smallest change of the error rate (absolute fraction) that counts as an effect.
    min_error_effect: float = 0.01
    #: "No effect" needs the throughput interval inside ±equivalence.
    equivalence: float = 0.10
    #: Family-wise error over the judged metrics (Bonferroni: each interval at 1 − alpha/m).
    alpha: float = 0.05
    #: Run-to-run noise of one run of an interleaved experiment (relative sd), for throughput/p50 and
    #: for p95/p99; divided by √rounds for an arm's pooled runs. A floor: raised to the spread the
    #: experiment's own runs show (``gate.effect.floors``), so a busy machine widens the intervals.
    run_noise: float = 0.02
    run_noise_tail: float = 0.10
    resamples: int = 400
    seed: int = 0


class Experiment(Model):
    schema_version: int = EXPERIMENT_SCHEMA_VERSION
    experiment_id: str
    #: The run whose target and load were reused.
    base_run_id: str
    base_run_dir: str
    scenario_name: str
    target_kind: Literal["bundled", "command"]
    #: The change of arm B, as given (``DB_POOL_SIZE=20``, ``replicas=3``).
    change: dict[str, str] = Field(default_factory=dict)
    #: The value each changed key had in arm A (None: unset, the target's default).
    before: dict[str, str | None] = Field(default_factory=dict)
    duration_s: float
    rounds: int
    started_at: datetime
    ended_at: datetime
    complete: bool = True
    stop_reason: str | None = None
    runs: list[ArmRun] = Field(default_factory=list)
    arms: list[ArmSummary] = Field(default_factory=list)
    effects: list[Effect] = Field(default_factory=list)
    throughput_change: Effect | None = None
    p95_change: Effect | None = None
    verdict: Verdict = "inconclusive"
    #: One sentence: why this verdict.
    reason: str = ""
    settings: ExperimentSettings = Field(default_factory=ExperimentSettings)
    warnings: list[str] = Field(default_factory=list)

    def arm(self, name: str) -> ArmSummary | None:
        return next((a for a in self.arms if a.arm == name), None)
