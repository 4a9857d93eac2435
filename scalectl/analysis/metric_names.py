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

PROCESS_CPU_SECONDS = "process_cpu_seconds_total"
PROCESS_RSS = "process_resident_memory_bytes"
HTTP_REQUESTS = "http_requests_total"
HTTP_DURATION = "http_request_duration_seconds"
HTTP_IN_FLIGHT = "http_requests_in_flight"
DB_POOL_SIZE = "db_pool_size"
DB_POOL_MAX_OVERFLOW = "db_pool_max_overflow"
DB_POOL_CHECKED_OUT = "db_pool_checked_out"
DB_POOL_OVERFLOW = "db_pool_overflow"
DB_POOL_WAIT = "db_pool_wait_seconds"
DB_POOL_TIMEOUTS = "db_pool_timeouts_total"
CACHE_HITS = "cache_hits_total"
CACHE_MISSES = "cache_misses_total"
CACHE_ERRORS = "cache_errors_total"
RATE_LIMIT_REJECTIONS = "rate_limit_rejections_total"
BREAKER_STATE = "circuit_breaker_state"
BREAKER_REJECTIONS = "circuit_breaker_rejections_total"
UPSTREAM_DURATION = "upstream_duration_seconds"
EVENT_LOOP_LAG = "event_loop_lag_seconds"

#: Every contract name, with its Prometheus type.
CONTRACT: dict[str, str] = {
    PROCESS_CPU_SECONDS: "counter",
    PROCESS_RSS: "gauge",
    HTTP_REQUESTS: "counter",
    HTTP_DURATION: "histogram",
    HTTP_IN_FLIGHT: "gauge",
    DB_POOL_SIZE: "gauge",
    DB_POOL_MAX_OVERFLOW: "gauge",
    DB_POOL_CHECKED_OUT: "gauge",
    DB_POOL_OVERFLOW: "gauge",
    DB_POOL_WAIT: "histogram",
    DB_POOL_TIMEOUTS: "counter",
    CACHE_HITS: "counter",
    CACHE_MISSES: "counter",
    CACHE_ERRORS: "counter",
    RATE_LIMIT_REJECTIONS: "counter",
    BREAKER_STATE: "gauge",
    BREAKER_REJECTIONS: "counter",
    UPSTREAM_DURATION: "histogram",
    EVENT_LOOP_LAG: "gauge",
}

#: Circuit breaker states as exported by ``circuit_breaker_state``.
BREAKER_CLOSED, BREAKER_OPEN, BREAKER_HALF_OPEN = 0, 1, 2

_SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


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
        return name

    return resolve
