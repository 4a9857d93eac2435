"""The numpy summarize used by the gate tests equals scalectl.histograms.summarize exactly."""

from __future__ import annotations

import numpy as np

from scalectl import histograms
from tests.gate._fast import fast_summarize

_original = histograms.summarize  # imported before the session fixture patches it


def test_fast_summarize_equals_the_original() -> None:
    rng = np.random.default_rng(0)
    h = histograms.new_histogram()
    for x in rng.lognormal(2.0, 1.0, 500):
        histograms.record_ms(h, float(x))
    assert fast_summarize(h) == _original(h)
    assert fast_summarize(histograms.new_histogram()) == _original(histograms.new_histogram())
