"""Telemetry from an existing Prometheus server, for replicas scalectl cannot scrape one by one.

``--prometheus-url URL --prometheus-selector 'job="api"'``: before the run, :meth:`PrometheusServer.check`
makes sure the server answers and the selector parses (else exit 3 / exit 2); after the run,
:meth:`PrometheusServer.collect` asks ``/api/v1/query_range`` for every series the selector matches
over the run's window, and :meth:`PrometheusServer.series` turns them into one ``TelemetrySeries`` per
``instance`` (kind ``prometheus``, role ``target``), keyed exactly like a scraped ``/metrics``, so
that the analysis and the sizing read them as they read scraped replicas. A selector that matches
nothing, or a server gone by the time the run ends, becomes a warning on the run; the load's own
results are never lost to it.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from scalectl.durations import parse_duration
from scalectl.errors import InputError, TargetError
from scalectl.models.run import TelemetrySeries
from scalectl.telemetry.prometheus import sample_key

#: Prometheus refuses a range query of more points than this per series.
MAX_POINTS = 11_000
#: Labels that name the scraped target; they make the instance, not the sample key.
TARGET_LABELS = ("instance", "job")
_MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"')


def normalize_selector(selector: str) -> str:
    """``job="api"`` or ``{job="api"}`` (or ``name{...}``) → a PromQL instant-vector selector."""
    s = selector.strip()
    if not s:
        raise InputError("--prometheus-selector is empty; give label matchers such as 'job=\"api\"'")
    return s if ("{" in s or re.fullmatch(r"[A-Za-z_:][A-Za-z0-9_:]*", s)) else "{" + s + "}"


@dataclass
class PrometheusServer:
    """The run's telemetry source on a Prometheus server (built from the options, used by the run)."""

    url: str
    selector: str
    #: Seconds between points asked for; raised to the targets' scrape interval when the server says.
    step: float = 1.0
    timeout: float = 10.0
    #: Longest wait after the run for the last scrape to land (the scrape interval, capped).
    max_wait: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    warnings: list[str] = field(default_factory=list)
    _result: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        if not re.match(r"^https?://[^/\s]+", self.url):
            raise InputError(f"--prometheus-url {self.url!r} is not an http(s) URL")
        self.selector = normalize_selector(self.selector)

    def _get(self, client: httpx.Client, path: str, params: dict[str, Any]) -> Any:
        try:
            resp = client.get(self.url + path, params=params)
        except httpx.HTTPError as exc:
            raise TargetError(
                f"Prometheus at {self.url} is unreachable: {type(exc).__name__}: {exc}",
                hint="check --prometheus-url (the server's base URL, e.g. http://prometheus:9090)",
            ) from None
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "status" not in body:
            raise TargetError(
                f"{self.url}{path} answered HTTP {resp.status_code} without a Prometheus API response",
                hint="--prometheus-url is the server's base URL, without /api/v1",
            )
        if body["status"] != "success":
            msg = f"Prometheus at {self.url}: {body.get('errorType', 'error')}: {body.get('error', '')}"
            if body.get("errorType") == "bad_data":
                raise InputError(f"{msg} (selector {self.selector})")
            raise TargetError(msg)
        return body.get("data")

    def check(self) -> None:
        """Before the run: the server answers and the selector parses (exit 3 / exit 2 otherwise).

        Also learns the scrape interval of the matching targets, so that points are not asked for
        more often than they are scraped.
        """
        with httpx.Client(timeout=self.timeout) as client:
            self._get(client, "/api/v1/query", {"query": f"count({self.selector})"})
            try:
                targets = self._get(client, "/api/v1/targets", {"state": "active"}) or {}
            except TargetError:
                return
        wanted = dict(_MATCHER.findall(self.selector))
        intervals = []
        for t in targets.get("activeTargets", []) or []:
            labels = t.get("labels") or {}
            if all(labels.get(k) == v for k, v in wanted.items()):
                try:
                    intervals.append(parse_duration(str(t.get("scrapeInterval", ""))))
                except InputError:
                    continue
        if intervals:
            self.step = max(self.step, max(intervals))

    def collect(self, start: float, end: float) -> None:
        """After the run: every series the selector matches over [start - step, end + step]."""
        self.warnings, self._result = [], []  # one source serves each step of a sweep in turn
        wait = min(self.max_wait, self.step) + 0.5  # the last scrape after the run, and its ingestion
        remaining = end + wait - time.time()
        if remaining > 0:
            try:
                self.sleep(remaining)
            except KeyboardInterrupt:  # the run is written all the same, without these series
                self.warnings.append("interrupted before the telemetry was read from Prometheus")
                return
        lo, hi = start - self.step, end + self.step
        step = max(self.step, math.ceil((hi - lo) / MAX_POINTS))
        params = {"query": self.selector, "start": f"{lo:.3f}", "end": f"{hi:.3f}", "step": f"{step:g}"}
        try:
            with httpx.Client(timeout=max(self.timeout, 30.0)) as client:
                data = self._get(client, "/api/v1/query_range", params) or {}
        except (TargetError, InputError) as exc:
            self.warnings.append(f"no telemetry from Prometheus: {exc.message}")
            return
        self._result = [r for r in data.get("result", []) if isinstance(r, dict)]
        if not self._result:
            self.warnings.append(
                f"Prometheus at {self.url}: the selector {self.selector} matched no series during the "
                "run; the run has no server-side telemetry from it (check the labels with "
                f"{self.url}/api/v1/series?match[]={self.selector})"
            )

    def series(self, t0: float) -> list[TelemetrySeries]:
        """One TelemetrySeries per ``instance``, times in seconds from ``t0``, like scraped replicas."""
        by_instance: dict[str, dict[str, dict[float, float | None]]] = {}
        for r in self._result:
            labels = {str(k): str(v) for k, v in (r.get("metric") or {}).items()}
            name = labels.pop("__name__", "")
            if not name:
                continue
            instance = labels.get("instance") or labels.get("job") or "prometheus"
            for lb in TARGET_LABELS:
                labels.pop(lb, None)
            points = by_instance.setdefault(instance, {}).setdefault(sample_key(name, labels), {})
            for ts, value in r.get("values") or []:
                points[float(ts)] = _value(value)
        out = []
        for instance, metrics in sorted(by_instance.items()):
            times = sorted({ts for pts in metrics.values() for ts in pts})
            out.append(
                TelemetrySeries(
                    source=instance,
                    kind="prometheus",
                    role="target",
                    url=f"{self.url} {self.selector}",
                    t=[round(ts - t0, 3) for ts in times],
                    metrics={k: [pts.get(ts) for ts in times] for k, pts in metrics.items()},
                )
            )
        return out


def _value(text: Any) -> float | None:
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def from_options(url: str | None, selector: str | None, *, step: float = 1.0) -> PrometheusServer | None:
    """The source for ``--prometheus-url`` / ``--prometheus-selector`` (both or neither; exit 2)."""
    if url is None and selector is None:
        return None
    if url is None:
        raise InputError("--prometheus-selector needs --prometheus-url (the Prometheus server's URL)")
    if selector is None:
        raise InputError(
            "--prometheus-url needs --prometheus-selector: the label matchers of your service's "
            "series, e.g. --prometheus-selector 'job=\"api\"'"
        )
    return PrometheusServer(url=url, selector=selector, step=step)


def scenario_prometheus(scenario: Any) -> PrometheusServer | None:
    """The scenario's ``telemetry.prometheus`` block as a source (step: its telemetry interval)."""
    tel = getattr(scenario, "telemetry", None)
    spec = getattr(tel, "prometheus", None)
    if spec is None or not tel.enabled:
        return None
    return PrometheusServer(url=spec.url, selector=spec.selector, step=float(tel.interval))
