from __future__ import annotations

import pytest

from scalectl.capacity.evidence import EvidenceSet, collect
from scalectl.models import Baseline
from tests.capacity.synth import sweep


def evidence_of(baselines: list[Baseline], slo: list[str] | None = None) -> EvidenceSet:
    return collect([(b.name, [s.run for s in b.steps], b) for b in baselines], slo)


@pytest.fixture(scope="session")
def sweep_baselines() -> list[Baseline]:
    """Replica sweep 1..4 of a service with λ=40 req/s, σ=0.05, κ=0.002 and a DB pool."""
    return sweep(40.0, 0.05, 0.002, pool=(5, 5), pool_hold_ms=20.0)


@pytest.fixture(scope="session")
def single_baseline(sweep_baselines: list[Baseline]) -> Baseline:
    return sweep_baselines[0]
