"""Prometheus text exposition → flat ``{sample name with sorted labels: value}``."""

from __future__ import annotations

import math

from prometheus_client.parser import text_string_to_metric_families


def sample_key(name: str, labels: dict[str, str]) -> str:
    if not labels:
        return name
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def _escape(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def parse_metrics(text: str) -> dict[str, float]:
    """Every sample of every family (histograms as ``_bucket``/``_count``/``_sum``); NaN dropped."""
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.value is None or (isinstance(s.value, float) and math.isnan(s.value)):
                continue
            out[sample_key(s.name, dict(s.labels))] = float(s.value)
    return out
