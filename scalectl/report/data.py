"""Pure extraction of what the reports show from a RunResult: time series, distributions, deltas.

Every reporter (HTML charts, Markdown, terminal, JSON) reads its numbers here, so they agree.
No I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from hdrh.histogram import HdrHistogram

from scalectl import histograms
from scalectl.models import EndpointStats, RunResult

Series = list[float | None]


def times(run: RunResult) -> list[float]:
    return [iv.t for iv in run.series]


def latency_over_time(run: RunResult) -> dict[str, Series]:
    """Overall p50/p95/p99 per interval (ms); None where an interval had no requests."""
    out: dict[str, Series] = {"p50": [], "p95": [], "p99": []}
    for iv in run.series:
        for k in out:
            out[k].append(getattr(iv.latency_ms, k) if iv.requests else None)
    return out


def endpoint_latency_over_time(run: RunResult, q: float = 95.0) -> dict[str, Series]:
    """The q-th percentile per endpoint per interval (ms), read from the interval histograms."""
    keys = [ep.key for ep in run.endpoints] or sorted({k for iv in run.series for k in iv.endpoints})
    out: dict[str, Series] = {k: [] for k in keys}
    for iv in run.series:
        for key in keys:
            ie = iv.endpoints.get(key)
            if ie is None or not ie.histogram or not ie.requests:
                out[key].append(None)
                continue
            out[key].append(quantiles_ms(histograms.decode(ie.histogram), [q])[0])
    return out


def quantiles_ms(hist: HdrHistogram, qs: Sequence[float]) -> list[float]:
    """Several percentiles (0..100) in ms in one pass (``histograms.percentiles_ms``)."""
    return histograms.percentiles_ms(hist, qs)


def errors_by_kind_over_time(run: RunResult) -> dict[str, list[float]]:
    """Errors per second by kind (``http_503``...); failures without a kind count as ``other``."""
    kinds = sorted({k for iv in run.series for ie in iv.endpoints.values() for k in ie.errors})
    out: dict[str, list[float]] = {k: [] for k in kinds}
    other: list[float] = []
    for iv in run.series:
        dur = iv.duration_s or 1.0
        counts = dict.fromkeys(kinds, 0)
        for ie in iv.endpoints.values():
            for k, n in ie.errors.items():
                counts[k] += n
        for k in kinds:
            out[k].append(counts[k] / dur)
        other.append(max(iv.failures - sum(counts.values()), 0) / dur)
    if any(other):
        out["other"] = [a + b for a, b in zip(out.get("other", [0.0] * len(other)), other, strict=True)]
    return out


def hdr_distribution(stats: EndpointStats, points_per_decade: int = 12) -> list[tuple[float, float]]:
    """(percentile, latency ms) pairs spaced evenly on the 1/(1-q) axis, like HdrHistogram plots.

    Runs from the median up to the highest percentile the sample count supports, then the max.
    """
    if not stats.histogram:
        return []
    hist = histograms.decode(stats.histogram)
    n = hist.get_total_count()
    if n == 0:
        return []
    decades = max(math.log10(n), 0.3)
    steps = max(int(decades * points_per_decade), 2)
    qs = [round(100.0 * (1.0 - 10 ** (-decades * i / steps)), 6) for i in range(steps + 1)]
    out = list(zip(qs, quantiles_ms(hist, qs), strict=True))
    out.append((100.0, hist.get_max_value() / 1000.0))
    return out


# ---- telemetry ------------------------------------------------------------------------------


@dataclass
class Line:
    """One plotted line: a name and its points."""

    name: str
    t: list[float]
    y: Series


@dataclass
class Telemetry:
    cpu_percent: list[Line] = field(default_factory=list)
    rss_mib: list[Line] = field(default_factory=list)
    pool_checked_out: list[Line] = field(default_factory=list)
    pool_wait_ms: list[Line] = field(default_factory=list)
    cache_hit_ratio: list[Line] = field(default_factory=list)
    breaker_state: list[Line] = field(default_factory=list)

    def empty(self) -> bool:
        return not any(
            (
                self.cpu_percent,
                self.rss_mib,
                self.pool_checked_out,
                self.pool_wait_ms,
                self.cache_hit_ratio,
                self.breaker_state,
            )
        )


def metric_name(run: RunResult, contract: str) -> str:
    """The app's name for a contract metric (scenario ``telemetry.metric_names``), else the name."""
    tel = run.scenario.get("telemetry") if isinstance(run.scenario, dict) else None
    names = tel.get("metric_names") if isinstance(tel, dict) else None
    if isinstance(names, dict) and isinstance(names.get(contract), str):
        return names[contract]
    return contract


def split_key(key: str) -> tuple[str, str]:
    """``name{a="b"}`` → (``name``, ``a="b"``)."""
    name, _, rest = key.partition("{")
    return name, rest.rstrip("}")


def _matching(metrics: dict[str, Series], name: str) -> dict[str, Series]:
    """Samples of metric ``name`` keyed by their label string ("" when unlabelled)."""
    out: dict[str, Series] = {}
    for key, values in metrics.items():
        n, labels = split_key(key)
        if n == name:
            out[labels] = values
    return out


def _sum(columns: Sequence[Series]) -> Series:
    if not columns:
        return []
    length = max(len(c) for c in columns)
    out: Series = []
    for i in range(length):
        vals = [c[i] for c in columns if i < len(c) and c[i] is not None]
        out.append(float(sum(vals)) if vals else None)  # type: ignore[arg-type]
    return out


def _deltas(values: Series) -> Series:
    """Per-interval increase of a counter; None at the start, across gaps and counter resets."""
    out: Series = [None]
    for prev, cur in zip(values, values[1:], strict=False):
        if prev is None or cur is None or cur < prev:
            out.append(None)
        else:
            out.append(cur - prev)
    return out


def _ratio(num: Series, den: Series, scale: float = 1.0) -> Series:
    return [
        (a / b * scale) if a is not None and b is not None and b > 0 else None
        for a, b in zip(num, den, strict=False)
    ]


def _replica_name(source: str, index: int) -> str:
    return source or f"replica {index}"


def telemetry(run: RunResult) -> Telemetry:
    """The target's telemetry as plot lines; lists stay empty where the data is absent."""
    tel = Telemetry()
    targets = [s for s in run.telemetry if s.role == "target"]
    procs = [s for s in targets if s.kind == "process"]
    proms = [s for s in targets if s.kind == "prometheus"]
    for i, s in enumerate(procs):
        name = _replica_name(s.source, i)
        if "cpu_percent" in s.metrics:
            tel.cpu_percent.append(Line(name, s.t, list(s.metrics["cpu_percent"])))
        if "rss_bytes" in s.metrics:
            tel.rss_mib.append(Line(name, s.t, [_mib(v) for v in s.metrics["rss_bytes"]]))
    m = lambda c: metric_name(run, c)  # noqa: E731
    for i, s in enumerate(proms):
        name = _replica_name(s.source, i)
        if not procs:  # fall back to the app's own process metrics
            cpu = _sum(list(_matching(s.metrics, m("process_cpu_seconds_total")).values()))
            if cpu:
                tel.cpu_percent.append(Line(name, s.t, _rate(s.t, cpu, 100.0)))
            rss = _sum(list(_matching(s.metrics, m("process_resident_memory_bytes")).values()))
            if rss:
                tel.rss_mib.append(Line(name, s.t, [_mib(v) for v in rss]))
        checked = _sum(list(_matching(s.metrics, m("db_pool_checked_out")).values()))
        if checked:
            tel.pool_checked_out.append(Line(name, s.t, checked))
        wait = m("db_pool_wait_seconds")
        w_sum = _sum(list(_matching(s.metrics, f"{wait}_sum").values()))
        w_cnt = _sum(list(_matching(s.metrics, f"{wait}_count").values()))
        if w_sum and w_cnt:
            tel.pool_wait_ms.append(Line(name, s.t, _ratio(_deltas(w_sum), _deltas(w_cnt), 1000.0)))
        hits = _sum(list(_matching(s.metrics, m("cache_hits_total")).values()))
        misses = _sum(list(_matching(s.metrics, m("cache_misses_total")).values()))
        if hits or misses:  # a replica that only ever missed (or hit) exports one of the two
            hits = hits or [0.0 if v is not None else None for v in misses]
            misses = misses or [0.0 if v is not None else None for v in hits]
            dh, dm = _deltas(hits), _deltas(misses)
            looked = [
                a + b if a is not None and b is not None else None for a, b in zip(dh, dm, strict=False)
            ]
            tel.cache_hit_ratio.append(Line(name, s.t, _ratio(dh, looked)))
        for labels, values in sorted(_matching(s.metrics, m("circuit_breaker_state")).items()):
            label = labels.replace('name="', "").replace('"', "") or "breaker"
            tel.breaker_state.append(Line(f"{name} {label}", s.t, list(values)))
    return tel


def _mib(v: float | None) -> float | None:
    return None if v is None else v / (1024 * 1024)


def _rate(t: list[float], counter: Series, scale: float = 1.0) -> Series:
    out: Series = [None]
    for i in range(1, len(counter)):
        a, b = counter[i - 1], counter[i]
        dt = t[i] - t[i - 1] if i < len(t) else 0.0
        out.append((b - a) / dt * scale if a is not None and b is not None and b >= a and dt > 0 else None)
    return out


# ---- comparison -----------------------------------------------------------------------------

#: (label, attribute getter, unit, higher is better)
COMPARE_METRICS: tuple[tuple[str, str, str, bool], ...] = (
    ("requests/s", "rps", "req/s", True),
    ("p50", "p50", "ms", False),
    ("p95", "p95", "ms", False),
    ("p99", "p99", "ms", False),
    ("error rate", "failure_rate", "%", False),
)


@dataclass(frozen=True)
class CompareRow:
    scope: str
    metric: str
    unit: str
    higher_is_better: bool
    #: One value per run (None where the run lacks the endpoint).
    values: tuple[float | None, ...]

    def delta(self, i: int) -> float | None:
        """Relative change of run ``i`` against the first run; None when not computable."""
        base, v = self.values[0], self.values[i]
        if base is None or v is None or base == 0:
            return None
        return (v - base) / base


def _metric(stats: EndpointStats | None, attr: str) -> float | None:
    if stats is None:
        return None
    if attr in ("rps", "failure_rate"):
        v = getattr(stats, attr)
        return float(v) * (100.0 if attr == "failure_rate" else 1.0)
    return float(getattr(stats.latency_ms, attr)) if stats.requests else None


def compare_rows(runs: Sequence[RunResult]) -> list[CompareRow]:
    """Totals, then every endpoint any run has (in first-seen order), for each compared metric."""
    scopes: list[str] = ["overall"]
    for run in runs:
        for ep in run.endpoints:
            if ep.key not in scopes:
                scopes.append(ep.key)
    rows: list[CompareRow] = []
    for scope in scopes:
        stats = [run.total if scope == "overall" else run.endpoint(scope) for run in runs]
        for label, attr, unit, hib in COMPARE_METRICS:
            rows.append(CompareRow(scope, label, unit, hib, tuple(_metric(s, attr) for s in stats)))
    return rows


def is_worse(row: CompareRow, i: int, tolerance: float = 0.05) -> bool | None:
    """Did run ``i`` get worse than the first by more than ``tolerance`` (relative)? None if unknown."""
    d = row.delta(i)
    if d is None:
        return None
    return d < -tolerance if row.higher_is_better else d > tolerance
