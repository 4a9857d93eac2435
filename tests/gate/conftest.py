"""Use the exact numpy ``summarize`` (tests/gate/_fast.py) while building synthetic runs."""

from __future__ import annotations

import pytest

from scalectl import histograms
from tests.gate._fast import fast_summarize


@pytest.fixture(autouse=True, scope="module")
def _fast_summarize():
    mp = pytest.MonkeyPatch()
    mp.setattr(histograms, "summarize", fast_summarize)
    yield
    mp.undo()
