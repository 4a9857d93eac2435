"""The telemetry metric-name contract (docs/architecture.md): the names scalectl understands on any
target's Prometheus endpoint, and the syntax of a ``telemetry.metric_names`` value.

Plain data at the bottom of the layers, so the scenario loader can validate a mapping where it is
read; the interpretation (renaming, conventions, signals) is the analysis package's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class MetricSpec:
    """The app's name of one contract metric, and contract label → the app's label."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)


_SPEC = re.compile(r"^\s*([A-Za-z_:][A-Za-z0-9_:]*)?\s*(?:\{([^{}]*)\})?\s*$")
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_spec(contract: str, value: str) -> MetricSpec:
    """``"app_name{route=handler,status=code}"`` → MetricSpec; ValueError on anything else."""
    m = _SPEC.match(value)
    if not m or not (m.group(1) or m.group(2)):
        raise ValueError(f"{value!r} is not 'metric_name' or 'metric_name{{label=app_label,...}}'")
    labels: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (m.group(2) or "").split(","))):
        ours, eq, theirs = (s.strip().strip('"') for s in part.partition("="))
        if not eq or not _LABEL.match(ours) or not _LABEL.match(theirs):
            raise ValueError(f"label mapping {part!r} in {value!r} is not 'label=app_label'")
        labels[ours] = theirs
    return MetricSpec(m.group(1) or contract, labels)
