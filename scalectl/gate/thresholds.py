"""Threshold / SLO expressions: parsing and evaluation against a run.

Grammar (k6-compatible where k6 has the form)::

    [SCOPE ": "] [K6_METRIC ": "] STAT OP NUMBER [UNIT]

    STAT    p(95) | p95 | p99.9 | med | avg | mean | min | max      latency, default unit ms
            rate | error_rate | failure_rate                        failure fraction, unit % allowed
            rps | throughput                                        requests per second
            http_reqs | requests | count                            number of requests
    OP      <  <=  >  >=  ==
    UNIT    us | ms | s    (latency)      %  (rates)
    SCOPE   an endpoint key ("GET /api/content/{id}") or name ("/api/content/{id}"); absent = whole run
    K6_METRIC  http_req_duration | http_req_failed | http_reqs   (accepted, and checked against STAT)

Examples: ``p(95)<300``, ``p95<300ms``, ``rate<0.01``, ``error_rate<1%``, ``rps>=100``,
``http_reqs>100``, ``/api/content/{id}: p99<0.5s``, ``http_req_duration: p(99)<800``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from scalectl.errors import InputError
from scalectl.models.run import EndpointStats, RunResult

Metric = Literal["latency", "error_rate", "rps", "requests"]

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
}
_LATENCY_STATS = {"med": 50.0, "avg": None, "mean": None, "min": None, "max": None}
_RATE_STATS = {"rate", "error_rate", "failure_rate", "errors"}
_RPS_STATS = {"rps", "throughput"}
_COUNT_STATS = {"http_reqs", "requests", "count"}
_K6_METRICS = {"http_req_duration": "latency", "http_req_failed": "error_rate", "http_reqs": None}
_LATENCY_UNITS = {"us": 0.001, "µs": 0.001, "ms": 1.0, "s": 1000.0}

_EXPR = re.compile(
    r"^\s*(?P<stat>p\(\s*[0-9.]+\s*\)|p[0-9]+(?:\.[0-9]+)?|[a-z_]+)\s*"
    r"(?P<op><=|>=|==|<|>)\s*"
    r"(?P<num>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(?P<unit>[a-zµ%]*)\s*$"
)
EXPECTED = (
    "expected STAT OP NUMBER[UNIT], e.g. 'p95<300ms', 'p(95)<300', 'error_rate<1%', 'rate<0.01', "
    "'rps>=100', 'http_reqs>100', optionally scoped as '/path: p95<300ms'"
)


@dataclass(frozen=True)
class Threshold:
    text: str
    metric: Metric
    #: "p95", "p99.9", "mean", "min", "max" for latency; the metric name otherwise.
    stat: str
    op: str
    #: In canonical units: milliseconds, a fraction (0..1), requests/s, or a count.
    value: float
    scope: str | None = None
    percentile: float | None = None

    @property
    def unit(self) -> str:
        return {"latency": "ms", "error_rate": "", "rps": "req/s", "requests": ""}[self.metric]

    def holds(self, observed: float) -> bool:
        return _OPS[self.op](observed, self.value)

    def describe(self) -> str:
        where = self.scope or "overall"
        return f"{self.stat} {self.op} {format_value(self.metric, self.value)} ({where})"


def format_value(metric: Metric, value: float) -> str:
    if metric == "latency":
        return f"{value:.4g} ms"
    if metric == "error_rate":
        return f"{value * 100:.3g}%"
    if metric == "rps":
        return f"{value:.4g} req/s"
    return f"{value:.0f}"


def _fail(text: str, why: str) -> InputError:
    return InputError(f"invalid threshold {text!r}: {why}", hint=EXPECTED)


def _split_scope(text: str) -> tuple[str | None, str | None, str]:
    """Peel off ``SCOPE: `` and ``K6_METRIC: `` prefixes (separated by a colon and a space)."""
    scope: str | None = None
    k6_metric: str | None = None
    rest = text.strip()
    while True:
        idx = rest.rfind(": ")
        if idx < 0:
            break
        head, tail = rest[:idx].strip(), rest[idx + 2 :].strip()
        # a k6 metric may come last before the expression: "SCOPE: http_req_duration: p(95)<300"
        sub = head.rfind(": ")
        last = head[sub + 2 :].strip() if sub >= 0 else head
        if last in _K6_METRICS:
            k6_metric = last
            head = head[:sub].strip() if sub >= 0 else ""
        scope = head or None
        rest = tail
        break
    if rest.endswith(":"):
        raise _fail(text, "nothing after the scope")
    return scope, k6_metric, rest


def parse_threshold(text: str) -> Threshold:
    """Parse one expression; raise InputError naming the expression and what was expected."""
    if not isinstance(text, str) or not text.strip():
        raise _fail(str(text), "empty expression")
    scope, k6_metric, expr = _split_scope(text)
    m = _EXPR.match(expr.replace(" ", "") if " " in expr else expr)
    if not m:
        raise _fail(text, "could not read it")
    stat_raw, op, num, unit = m["stat"], m["op"], float(m["num"]), m["unit"]
    percentile: float | None = None
    if stat_raw.startswith("p(") or re.fullmatch(r"p[0-9]+(?:\.[0-9]+)?", stat_raw):
        digits = stat_raw[2:-1] if stat_raw.startswith("p(") else stat_raw[1:]
        percentile = float(digits)
        if not 0 < percentile <= 100:
            raise _fail(text, f"percentile {digits} is outside (0, 100]")
        metric: Metric = "latency"
        stat = "p" + (f"{percentile:g}")
    elif stat_raw in _LATENCY_STATS:
        metric = "latency"
        percentile = _LATENCY_STATS[stat_raw]
        stat = "p50" if stat_raw == "med" else ("mean" if stat_raw == "avg" else stat_raw)
    elif stat_raw in _RATE_STATS:
        metric, stat = "error_rate", "error_rate"
    elif stat_raw in _RPS_STATS:
        metric, stat = "rps", "rps"
    elif stat_raw in _COUNT_STATS:
        metric, stat = "requests", "requests"
    else:
        raise _fail(text, f"unknown statistic {stat_raw!r}")

    if k6_metric == "http_req_duration" and metric != "latency":
        raise _fail(text, f"http_req_duration takes a latency statistic (p(95), avg, max), not {stat_raw!r}")
    if k6_metric == "http_req_failed" and metric != "error_rate":
        raise _fail(text, f"http_req_failed takes 'rate', not {stat_raw!r}")
    if k6_metric == "http_reqs" and metric not in ("requests", "rps", "error_rate"):
        raise _fail(text, f"http_reqs takes 'count' or 'rate', not {stat_raw!r}")
    if k6_metric == "http_reqs" and stat_raw == "rate":
        metric, stat = "rps", "rps"

    if metric == "latency":
        if unit and unit not in _LATENCY_UNITS:
            raise _fail(text, f"unit {unit!r} is not a time unit (us, ms, s)")
        value = num * _LATENCY_UNITS.get(unit or "ms", 1.0)
    elif metric == "error_rate":
        if unit not in ("", "%"):
            raise _fail(text, f"unit {unit!r} does not fit a rate (use a fraction or %)")
        value = num / 100.0 if unit == "%" else num
        if value > 1.0:
            raise _fail(text, "a rate is a fraction from 0 to 1 (or a percentage with %)")
    else:
        if unit not in ("", "/s", "rps") and not (metric == "rps" and unit in ("rps",)):
            raise _fail(text, f"unit {unit!r} does not fit {stat}")
        value = num
    return Threshold(
        text=text.strip(), metric=metric, stat=stat, op=op, value=value, scope=scope, percentile=percentile
    )


def parse_all(texts: list[str]) -> list[Threshold]:
    return [parse_threshold(t) for t in texts]


def observe(th: Threshold, stats: EndpointStats, duration_s: float) -> float | None:
    """The value of the threshold's statistic in ``stats``; None when there is nothing to observe."""
    if th.metric == "requests":
        return float(stats.requests)
    if th.metric == "rps":
        return stats.rps if stats.rps else (stats.requests / duration_s if duration_s > 0 else None)
    if stats.requests == 0:
        return None
    if th.metric == "error_rate":
        return stats.failures / stats.requests
    lat = stats.latency_ms
    if th.stat in ("mean", "min", "max"):
        return float(getattr(lat, th.stat))
    fixed = {50.0: lat.p50, 90.0: lat.p90, 95.0: lat.p95, 99.0: lat.p99, 99.9: lat.p999, 100.0: lat.max}
    assert th.percentile is not None
    if th.percentile in fixed:
        return float(fixed[th.percentile])
    if stats.histogram:
        from scalectl import histograms

        return histograms.percentile_ms(histograms.decode(stats.histogram), th.percentile)
    return None


def scoped_stats(th: Threshold, run: RunResult) -> EndpointStats | None:
    if th.scope is None:
        return run.total
    return run.endpoint(th.scope)


def evaluate(th: Threshold, run: RunResult) -> tuple[float | None, bool | None]:
    """(observed, holds); holds is None when the scope is missing or nothing was measured."""
    stats = scoped_stats(th, run)
    if stats is None:
        return None, None
    observed = observe(th, stats, run.duration_s)
    if observed is None:
        return None, None
    return observed, th.holds(observed)
