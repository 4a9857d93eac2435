"""Prometheus metrics (names as in scalectl's DESIGN.md) and the pure ASGI middleware that records them.

Each app gets its own CollectorRegistry (no module-level metric objects), so several apps can live in
one test process. Requests are labelled by route template (``/api/content/{id}``), never by raw path;
requests that match no route are labelled ``<unmatched>``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.process_collector import ProcessCollector

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
UNMATCHED = "<unmatched>"


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        ProcessCollector(registry=r)
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "HTTP request duration",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge("http_requests_in_flight", "Requests being handled", registry=r)
        self.pool_size = Gauge("db_pool_size", "Configured pool size", registry=r)
        self.pool_max_overflow = Gauge("db_pool_max_overflow", "Configured pool max overflow", registry=r)
        self.pool_checked_out = Gauge("db_pool_checked_out", "Connections checked out", registry=r)
        self.pool_overflow = Gauge("db_pool_overflow", "Overflow connections open", registry=r)
        self.pool_wait = Histogram(
            "db_pool_wait_seconds", "Time waiting for a pool connection", buckets=LATENCY_BUCKETS, registry=r
        )
        self.pool_timeouts = Counter("db_pool_timeouts_total", "Pool checkouts that timed out", registry=r)
        self.cache_hits = Counter("cache_hits_total", "Cache hits", ["cache"], registry=r)
        self.cache_misses = Counter("cache_misses_total", "Cache misses", ["cache"], registry=r)
        self.cache_errors = Counter("cache_errors_total", "Cache backend errors", ["cache"], registry=r)
        self.rate_limited = Counter(
            "rate_limit_rejections_total", "Requests rejected by rate limits", ["route"], registry=r
        )
        self.breaker_state = Gauge(
            "circuit_breaker_state", "0 closed, 1 open, 2 half-open", ["name"], registry=r
        )
        self.breaker_rejections = Counter(
            "circuit_breaker_rejections_total", "Calls rejected by an open breaker", ["name"], registry=r
        )
        self.upstream = Histogram(
            "upstream_duration_seconds",
            "Upstream call duration",
            ["name"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.loop_lag = Gauge("event_loop_lag_seconds", "Event-loop scheduling lag", registry=r)

    def bind_pool(
        self, size: int, max_overflow: int, checked_out: Callable[[], int], overflow: Callable[[], int]
    ):
        self.pool_size.set(size)
        self.pool_max_overflow.set(max_overflow)
        self.pool_checked_out.set_function(lambda: float(checked_out()))
        self.pool_overflow.set_function(lambda: float(max(0, overflow())))


class MetricsMiddleware:
    """Pure ASGI middleware: count, time and track in-flight HTTP requests by route template."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        m = self.metrics
        status = 500
        start = time.perf_counter()

        async def send_wrapper(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        m.in_flight.inc()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            m.in_flight.dec()
            route = scope.get("route")
            template = getattr(route, "path", None) or scope.get("route_template") or UNMATCHED
            method = scope.get("method", "GET")
            m.duration.labels(method, template).observe(time.perf_counter() - start)
            m.requests.labels(method, template, str(status)).inc()


async def watch_event_loop_lag(metrics: Metrics, interval_s: float, window_s: float = 1.0) -> None:
    """Sleep ``interval_s`` repeatedly; how late each wake-up comes is the loop's scheduling lag.

    The gauge shows the largest lag of the last ``window_s`` seconds, so a stall between two
    scrapes is not overwritten by the next on-time wake-up.
    """
    loop = asyncio.get_running_loop()
    recent: deque[tuple[float, float]] = deque()
    while True:
        before = loop.time()
        await asyncio.sleep(interval_s)
        now = loop.time()
        recent.append((now, max(0.0, now - before - interval_s)))
        while recent and recent[0][0] < now - window_s:
            recent.popleft()
        metrics.loop_lag.set(max(lag for _, lag in recent))
