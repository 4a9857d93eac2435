"""Helpers shared by target_app tests."""

from __future__ import annotations


def metric(text: str, metric_name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus exposition (0.0 when absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == metric_name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def auth(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {user}"}
