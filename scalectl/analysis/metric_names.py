"""The telemetry metric-name contract (docs/architecture.md, "Where each contract lives") and its renaming.

A target that exports other names is described in the scenario by
``telemetry.metric_names: {contract_name: app_name}``; :func:`resolver` turns raw sample keys
(``app_name_bucket{le="0.1"}``) back into contract names.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from scalectl.metric_contract import (  # noqa: F401  (the contract, re-exported)
    BREAKER_CLOSED,
    BREAKER_HALF_OPEN,
    BREAKER_OPEN,
    BREAKER_REJECTIONS,
    BREAKER_STATE,
    CACHE_ERRORS,
    CACHE_HITS,
    CACHE_MISSES,
    CONTRACT,
    DB_POOL_CHECKED_OUT,
    DB_POOL_MAX_OVERFLOW,
    DB_POOL_OVERFLOW,
    DB_POOL_SIZE,
    DB_POOL_TIMEOUTS,
    DB_POOL_WAIT,
    EVENT_LOOP_LAG,
    HTTP_DURATION,
    HTTP_IN_FLIGHT,
    HTTP_REQUESTS,
    PROCESS_CPU_SECONDS,
    PROCESS_RSS,
    RATE_LIMIT_REJECTIONS,
    UPSTREAM_DURATION,
)

_SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")
#: Prefix of a sample whose name is a contract name the app's mapping points elsewhere.
SHADOWED = "unmapped:"


@lru_cache(maxsize=65536)
def parse_key(key: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``'name{a="x",b="y"}'`` → ``('name', (('a', 'x'), ('b', 'y')))`` with prometheus-client's parser.

    Keys it cannot read come back as ``(key, ())``.
    """
    try:
        for family in text_string_to_metric_families(f"{key} 0\n"):
            for sample in family.samples:
                return sample.name, tuple(sorted(sample.labels.items()))
    except ValueError:
        pass
    return key, ()


def mapping_from_scenario(scenario: Mapping[str, Any] | None) -> dict[str, str]:
    """``scenario["telemetry"]["metric_names"]`` ({contract_name: app_name}), or {} when absent/invalid."""
    if not isinstance(scenario, Mapping):
        return {}
    tel = scenario.get("telemetry")
    names = tel.get("metric_names") if isinstance(tel, Mapping) else None
    if not isinstance(names, Mapping):
        return {}
    return {str(k): str(v) for k, v in names.items() if k and v}


def resolver(mapping: Mapping[str, str]):
    """A function from a raw sample name to its contract name (unchanged when not renamed)."""
    reverse = {app: contract for contract, app in mapping.items() if app != contract}
    # a contract name mapped to another metric no longer means the contract metric in this app
    shadowed = {contract for contract, app in mapping.items() if app != contract}

    def resolve(name: str) -> str:
        if not reverse:
            return name
        if name in reverse:
            return reverse[name]
        for suffix in _SUFFIXES:
            if name.endswith(suffix) and name[: -len(suffix)] in reverse:
                base = reverse[name[: -len(suffix)]]
                # a counter's contract name already ends in _total
                return base if suffix == "_total" and base.endswith("_total") else base + suffix
        if name in shadowed or any(
            name.endswith(suffix) and name[: -len(suffix)] in shadowed for suffix in _SUFFIXES
        ):
            return SHADOWED + name
        return name

    return resolve
