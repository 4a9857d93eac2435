"""SLO / threshold expressions: the one grammar and the one evaluator every stage uses.

The analysis (monitor), the baseline sweep and its knees, the capacity evidence, the gate, ``recommend
--verify`` and the reporters all judge SLOs through :func:`evaluate` (or :func:`meets`, which adds the
error-rate guard a knee needs), so one expression means the same thing on every screen.

Grammar (k6-compatible where k6 has the form)::

    [SCOPE ": "] [K6_METRIC ": "] STAT OP NUMBER [UNIT]

    STAT    p(95) | p95 | p99.9 | med | avg | mean | min | max      latency, default unit ms
            rate | error_rate | failure_rate                        failure fraction, unit % allowed
            rps | throughput                                        requests per second
            http_reqs | requests | count                            number of requests
    OP      <  <=  >  >=  ==
    UNIT    us | ms | s    (latency)      %  (rates)      /s | rps | req/s  (throughput)
    SCOPE   an endpoint key ("GET /api/content/{id}") or name ("/api/content/{id}");
            absent (or "overall") = whole run
    K6_METRIC  http_req_duration | http_req_failed | http_reqs   (accepted, and checked against STAT)

Examples: ``p(95)<300``, ``p95<300ms``, ``rate<0.01``, ``error_rate<1%``, ``rps>=100``,
``http_reqs>100``, ``/api/content/{id}: p99<0.5s``, ``http_req_duration: p(99)<800``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Union

from scalectl.errors import InputError
from scalectl.models.analysis import PER_ENDPOINT_VIEW, SloResult
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

_OP_RE = re.compile(r"<=|>=|==|<|>")
_STAT_RE = re.compile(r"^(?:p\((?P<pp>[0-9]*\.?[0-9]+)\)|p(?P<p>[0-9]+(?:\.[0-9]+)?)|(?P<name>[a-z_]+))$")
_NUM_RE = re.compile(r"^(?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?P<unit>.*)$")
_RPS_UNITS = {"", "/s", "rps", "req/s"}
EXPECTED = (
    "expected [SCOPE: ] STAT OP NUMBER[UNIT], e.g. 'p95<300ms', 'p(95)<300', 'p99<0.5s', 'error_rate<1%', "
    "'rate<0.01', 'rps>=100', 'http_reqs>100', '/api/content/{id}: p95<300ms', 'GET /api/x: p99<1s'"
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


def format_value(metric: Metric | str, value: float) -> str:
    """A value in its metric's display unit: ``312.4 ms``, ``1.25%``, ``98.2 req/s``, ``1200``."""
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
    """Peel off ``SCOPE:`` and ``K6_METRIC:`` prefixes; the expression itself holds no colon."""
    head, sep, expr = text.strip().rpartition(":")
    if not sep:
        return None, None, expr.strip()
    expr = expr.strip()
    if not expr:
        raise _fail(text, "nothing after the colon (expected an expression such as 'p95<300ms')")
    head = head.strip()
    k6_metric: str | None = None
    scope_part, sep2, last = head.rpartition(":")
    if last.strip() in _K6_METRICS:
        k6_metric = last.strip()
        head = scope_part.strip() if sep2 else ""
    if head.endswith(":"):
        raise _fail(text, "empty field between colons")
    if not head and not k6_metric:
        raise _fail(
            text, "empty scope before the colon (expected an endpoint such as '/api/x' or 'GET /api/x')"
        )
    return head or None, k6_metric, expr


def _read_stat(text: str, stat_raw: str) -> tuple[Metric, str, float | None]:
    m = _STAT_RE.match(stat_raw)
    if not m:
        raise _fail(text, f"cannot read the statistic {stat_raw!r} (expected p95, p(95), avg, rate, rps...)")
    digits = m["pp"] or m["p"]
    if digits is not None:
        percentile = float(digits)
        if not 0 < percentile <= 100:
            raise _fail(text, f"percentile {digits} is outside (0, 100]")
        return "latency", f"p{percentile:g}", percentile
    name = m["name"]
    if name in _LATENCY_STATS:
        stat = "p50" if name == "med" else ("mean" if name == "avg" else name)
        return "latency", stat, _LATENCY_STATS[name]
    if name in _RATE_STATS:
        return "error_rate", "error_rate", None
    if name in _RPS_STATS:
        return "rps", "rps", None
    if name in _COUNT_STATS:
        return "requests", "requests", None
    known = "p95, p(99), p99.9, med, avg, min, max, rate, error_rate, rps, http_reqs, count"
    raise _fail(text, f"unknown statistic {name!r} (known: {known})")


def _check_k6(text: str, k6_metric: str | None, metric: Metric, stat_raw: str) -> Metric:
    if k6_metric == "http_req_duration" and metric != "latency":
        raise _fail(text, f"http_req_duration takes a latency statistic (p(95), avg, max), not {stat_raw!r}")
    if k6_metric == "http_req_failed" and metric != "error_rate":
        raise _fail(text, f"http_req_failed takes 'rate', not {stat_raw!r}")
    if k6_metric == "http_reqs":
        if stat_raw == "rate":
            return "rps"  # k6: http_reqs rate is requests per second
        if metric not in ("requests", "rps"):
            raise _fail(text, f"http_reqs takes 'count' or 'rate', not {stat_raw!r}")
    return metric


def _convert(text: str, metric: Metric, stat: str, num: float, unit: str) -> float:
    if metric == "latency":
        if unit and unit not in _LATENCY_UNITS:
            raise _fail(text, f"unit {unit!r} is not a time unit (us, ms, s)")
        return num * _LATENCY_UNITS[unit or "ms"]
    if metric == "error_rate":
        if unit not in ("", "%"):
            raise _fail(text, f"unit {unit!r} does not fit a rate (use a fraction such as 0.01, or 1%)")
        value = num / 100.0 if unit == "%" else num
        if value > 1.0:
            raise _fail(text, "a rate is a fraction from 0 to 1 (or a percentage with %)")
        return value
    allowed = _RPS_UNITS if metric == "rps" else {""}
    if unit not in allowed:
        raise _fail(
            text,
            f"unit {unit!r} does not fit {stat} (allowed: {', '.join(sorted(allowed - {''})) or 'none'})",
        )
    return num


def parse_threshold(text: str) -> Threshold:
    """Parse one expression; raise InputError naming the expression and what was expected."""
    if not isinstance(text, str) or not text.strip():
        raise _fail(str(text), "empty expression")
    scope, k6_metric, expr = _split_scope(text)
    compact = re.sub(r"\s+", "", expr).lower().replace("µs", "us")
    ops = list(_OP_RE.finditer(compact))
    if not ops:
        raise _fail(text, "no comparison operator (expected one of <, <=, >, >=, ==)")
    if len(ops) > 1:
        raise _fail(text, "more than one comparison operator")
    op_m = ops[0]
    stat_raw, op, rhs = compact[: op_m.start()], op_m.group(), compact[op_m.end() :]
    if not stat_raw:
        raise _fail(text, f"no statistic before {op!r} (expected p95, p(95), rate, rps...)")
    num_m = _NUM_RE.match(rhs)
    if not num_m:
        raise _fail(
            text,
            f"expected a non-negative number after {op!r}, got {rhs!r}" if rhs else f"no number after {op!r}",
        )
    metric, stat, percentile = _read_stat(text, stat_raw)
    metric = _check_k6(text, k6_metric, metric, stat_raw)
    if metric == "rps":
        stat = "rps"
    value = _convert(text, metric, stat, float(num_m["num"]), num_m["unit"])
    return Threshold(
        text=text.strip(), metric=metric, stat=stat, op=op, value=value, scope=scope, percentile=percentile
    )


def parse_all(texts: Iterable[str]) -> list[Threshold]:
    """Parse every expression; the first invalid one raises InputError."""
    return [parse_threshold(t) for t in texts]


@dataclass(frozen=True)
class Measured:
    """Totals and endpoints measured over ``duration_s`` seconds: a load level inside a run."""

    total: EndpointStats
    endpoints: Sequence[EndpointStats]
    duration_s: float

    def endpoint(self, key_or_name: str) -> EndpointStats | None:
        return next((ep for ep in self.endpoints if key_or_name in (ep.key, ep.name)), None)


#: What an SLO is judged on: a run, a load level of one, or one endpoint's stats (scope not applied).
Subject = Union[RunResult, Measured, EndpointStats]  # noqa: UP007 (a runtime alias)

#: ``SloResult.note`` when the expression's endpoint is not in the run.
NO_ENDPOINT = "no such endpoint in run"
#: ``SloResult.note`` when the scope exists but holds nothing to observe (no requests).
NOTHING_MEASURED = "nothing measured"
#: ``SloResult.note`` of an overall SLO applied to one endpoint (informational: the overall verdict
#: comes from the whole run; scope an SLO to an endpoint to make it count).
PER_ENDPOINT = PER_ENDPOINT_VIEW  # shown, not judged (SloResult.counts)


def observe(th: Threshold, stats: EndpointStats, duration_s: float) -> float | None:
    """The value of the threshold's statistic in ``stats``; None when there is nothing to observe."""
    if th.metric == "requests":
        return float(stats.requests)
    if th.metric == "rps":
        return stats.rps if stats.rps else (stats.requests / duration_s if duration_s > 0 else None)
    if stats.requests == 0:
        return None
    if th.metric == "error_rate":
        return stats.failure_rate
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


_OVERALL = {"overall", "total", "all"}


def scoped_stats(th: Threshold, subject: Subject) -> EndpointStats | None:
    """The subject's totals (no scope, or ``overall``/``total``) or the scoped endpoint; None if absent.
    An ``EndpointStats`` subject is its own scope."""
    if isinstance(subject, EndpointStats):
        return subject
    if th.scope is None or th.scope.lower() in _OVERALL:
        return subject.total
    return subject.endpoint(th.scope)


def _result(
    text: str, th: Threshold, stats: EndpointStats | None, duration_s: float, scope: str, note=None
) -> SloResult:
    if stats is None:
        return SloResult(expression=text, scope=scope, note=NO_ENDPOINT)
    obs = observe(th, stats, duration_s)
    return SloResult(
        expression=text,
        scope=scope,
        observed=obs,
        limit=th.value,
        ok=None if obs is None else th.holds(obs),
        note=note if obs is not None else (note or NOTHING_MEASURED),
    )


def evaluate(
    subject: Subject,
    slos: Iterable[str | Threshold],
    *,
    duration_s: float | None = None,
    per_endpoint: bool = False,
) -> list[SloResult]:
    """Judge every SLO on ``subject``: one ``SloResult`` each (``ok`` None when nothing could be judged:
    ``note`` says why). ``per_endpoint`` adds, for each overall latency or error-rate SLO, one
    informational row per endpoint (note :data:`PER_ENDPOINT`). Raises InputError for a bad expression."""
    if duration_s is None:
        duration_s = getattr(subject, "duration_s", 0.0)
    out: list[SloResult] = []
    for item in slos:
        th = item if isinstance(item, Threshold) else parse_threshold(item)
        text = item if isinstance(item, str) else th.text
        stats = scoped_stats(th, subject)
        result = _result(text, th, stats, duration_s, th.scope or "overall")
        if th.metric == "rps" and isinstance(subject, RunResult) and stats is not None and subject.series:
            result = _with_active_rps(result, th, subject, stats)
        out.append(result)
        if per_endpoint and th.scope is None and th.metric in ("latency", "error_rate"):
            for ep in getattr(subject, "endpoints", ()):
                out.append(_result(text, th, ep, duration_s, ep.key, PER_ENDPOINT))
    return out


def _with_active_rps(result: SloResult, th: Threshold, run: RunResult, stats: EndpointStats) -> SloResult:
    """An ``rps`` SLO on a run is judged on the run's one throughput figure (``RunResult.active_rps``),
    or the endpoint's share of it: the figure every view shows, not requests over the wall time."""
    if not run.total.requests:
        return result
    obs = run.active_rps() * stats.requests / run.total.requests
    return result.model_copy(update={"observed": obs, "ok": th.holds(obs)})


def holds(results: Iterable[SloResult]) -> bool:
    """No SLO failed (an SLO that could not be judged does not fail)."""
    return not any(r.ok is False for r in results)


def meets(
    subject: Subject, slos: Sequence[Threshold], max_error_rate: float, *, duration_s: float | None = None
) -> bool:
    """A load level that counts for a knee: it served requests, its failure rate is within
    ``max_error_rate``, and no SLO failed."""
    total = subject if isinstance(subject, EndpointStats) else subject.total
    if total.requests == 0 or total.failure_rate > max_error_rate:
        return False
    return holds(evaluate(subject, slos, duration_s=duration_s))


def overall_latency_limit_ms(texts: Iterable[str]) -> float | None:
    """The limit of the first overall latency SLO (``p95<300ms``) in ms, for a chart's SLO line; None
    when there is none (or none is understood)."""
    for text in texts:
        try:
            th = parse_threshold(text)
        except InputError:
            continue
        if th.metric == "latency" and th.scope is None and th.op in ("<", "<="):
            return th.value
    return None
