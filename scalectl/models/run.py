"""RunResult: what one load test measured (``run.json``).

The JSON Schema in ``docs/run.schema.json`` is generated from these models
(``python -m scalectl.load.schema``); a test keeps the two in step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from scalectl.models._base import Model

RUN_SCHEMA_VERSION = 1

#: Failure kinds used in ``errors`` maps: ``http_429``, ``http_503`` (one per status code),
#: ``connection``, ``timeout``, ``assertion`` (unexpected status or body), ``other``.
ErrorKind = str


class LatencySummary(Model):
    """Latency percentiles in milliseconds, read from an HDR histogram (3 significant digits)."""

    p50: float = 0.0
    p90: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    p999: float = 0.0
    max: float = 0.0
    min: float = 0.0
    mean: float = 0.0


class EndpointStats(Model):
    """Totals for one endpoint (``name`` + ``method``), or for the whole run (name ``"Total"``)."""

    name: str
    method: str = ""
    requests: int = 0
    failures: int = 0
    rps: float = Field(
        0.0,
        description="requests / duration_s (wall clock, edges included). The throughput every view shows "
        "(terminal, report, gate, baseline, recommend) is the active rate instead: requests over the seconds "
        "that carried load, without partial edge seconds (scalectl.analysis.throughput.active_rps), so it is "
        "a little higher",
    )
    failure_rate: float = 0.0
    latency_ms: LatencySummary = Field(default_factory=LatencySummary)
    errors: dict[ErrorKind, int] = Field(default_factory=dict)
    #: HDR histogram of all latencies (microseconds), base64 as produced by ``HdrHistogram.encode()``.
    histogram: str | None = None

    @model_validator(mode="after")
    def _fill_failure_rate(self) -> EndpointStats:
        """``failure_rate`` is ``failures / requests``; filled in where a builder (or an older file)
        left it out, so every reader takes it from here instead of recomputing it."""
        if self.failures and not self.failure_rate and self.requests:
            self.__dict__["failure_rate"] = self.failures / self.requests
        return self

    @property
    def key(self) -> str:
        return f"{self.method} {self.name}".strip()


class IntervalEndpoint(Model):
    """One endpoint in one interval (normally one second)."""

    requests: int = 0
    failures: int = 0
    errors: dict[ErrorKind, int] = Field(default_factory=dict)
    #: HDR histogram (microseconds) of this endpoint's latencies in this interval, encoded.
    histogram: str | None = None


class IntervalStats(Model):
    """One interval of the request timeline; ``t`` is seconds from the run start (interval start)."""

    t: float
    duration_s: float = 1.0
    users: int = 0
    #: Offered arrival rate in open mode (requests/s); None in closed mode.
    offered_rps: float | None = None
    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    latency_ms: LatencySummary = Field(default_factory=LatencySummary)
    #: Keyed by ``EndpointStats.key`` ("GET /api/content/{id}").
    endpoints: dict[str, IntervalEndpoint] = Field(default_factory=dict)
    #: In the run's warm-up: shown in the timeline, not counted in the summary, knee or gate.
    warmup: bool = False


class ScrapeError(Model):
    t: float
    message: str


class TelemetrySeries(Model):
    """Time series sampled from one source during the run.

    ``kind="prometheus"``: one replica's ``/metrics`` (or one ``instance``'s series read from a
    Prometheus server after the run, ``url="<server> <selector>"``); metric keys are sample names
    with their labels in Prometheus form (``cache_hits_total{cache="content"}``), histograms flattened to
    ``_count``/``_sum``/``_bucket{le=...}`` samples.
    ``kind="process"``: a local process sampled with psutil; keys ``cpu_percent`` (100 = one core),
    ``rss_bytes``, ``cpu_seconds``, ``num_threads``.
    ``t`` is seconds from the run start, aligned with ``RunResult.series``.
    """

    source: str
    kind: Literal["prometheus", "process"]
    role: Literal["target", "generator", "load_balancer", "other"] = "target"
    url: str | None = None
    pid: int | None = None
    t: list[float] = Field(default_factory=list)
    metrics: dict[str, list[float | None]] = Field(default_factory=dict)
    errors: list[ScrapeError] = Field(default_factory=list)


class Environment(Model):
    """Fingerprint of where a run was measured; every figure that leaves scalectl carries it."""

    hostname: str = ""
    platform: str = ""
    python: str = ""
    scalectl_version: str = ""
    locust_version: str = ""
    cpu_count: int = 0
    cpu_model: str = ""
    memory_bytes: int = 0
    #: Number of target replicas, when known (bundled target, or given).
    replicas: int | None = None
    #: Cores given to each replica (``--cpus-per-replica``), when pinned.
    cpus_per_replica: float | None = None
    target: str = ""
    target_version: str | None = None
    workers: int = 0


class WorkerAccount(Model):
    """Distributed mode: one worker's requests, what it recorded against what reached the master."""

    worker: str
    pid: int | None = None
    #: Requests the worker recorded (its running count in its last batch that arrived).
    recorded: int = 0
    #: Requests in the batches that reached the master (counted in this run).
    received: int = 0
    #: Its final batch (sent after its users stopped) arrived: nothing it recorded is missing.
    final: bool = False
    #: ``recorded - received``: counted by the worker, never reached the master.
    unaccounted: int = 0
    #: A lost worker (no final batch): requests it completed after its last batch, estimated from its
    #: last rate over one report interval; None when its final batch arrived.
    estimated_after_last_report: int | None = None


class GeneratorInfo(Model):
    """The load generator watching itself; a saturated generator's numbers size nothing."""

    processes: int = 1
    workers: int = 0
    cpu_percent_mean: float = 0.0
    cpu_percent_max: float = 0.0
    #: Per-process CPU threshold (percent of one core) above which the run is generator-bound.
    saturation_threshold: float = 90.0
    saturated: bool = False
    lost_workers: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    #: Distributed mode: each worker's account (empty for a single-process run).
    accounts: list[WorkerAccount] = Field(default_factory=list)
    #: Requests the workers sent that are not in this run's counts: the exact shortfall of the
    #: workers' own counts, plus the estimate for lost workers (``unaccounted_estimated``). A run
    #: with any is not complete.
    unaccounted_requests: int = 0
    unaccounted_estimated: bool = False


class TargetSpec(Model):
    """How the target of a run was started, so later stages (experiment, ``recommend --verify``) can
    start the same target again with one change. Only ``bundled`` and ``command`` targets were started
    by scalectl; an ``external`` one (``--host``) cannot be changed by scalectl.
    """

    kind: Literal["bundled", "command", "external"] = "external"
    #: The user's command as given, with its placeholders (``{port}``, ``{replicas}``, ``{cpus}``).
    command: str | None = None
    #: Working directory of the command.
    cwd: str | None = None
    #: Replicas (bundled) or the ``{replicas}`` value (command); for ``external`` what the user declared
    #: with ``--replicas``, or None when unknown.
    replicas: int | None = None
    #: Cores per replica (``--cpus-per-replica`` / ``{cpus}``), when given.
    cpus_per_replica: float | None = None
    #: Port the target listened on (the one scalectl picked for ``{port}``).
    port: int | None = None
    #: The address load went to (for ``external``, the ``--host`` URL).
    url: str | None = None
    #: Readiness path: answers below 500 when the target is up.
    ready_path: str = "/"
    ready_timeout_s: float = 30.0
    #: Environment given to the target (values included: a run must be reproducible).
    env: dict[str, str] = Field(default_factory=dict)
    #: Declared knobs an experiment may change: name -> the environment variable or placeholder it sets.
    knobs: dict[str, str] = Field(default_factory=dict)
    #: Load balancer in front of bundled replicas (``reuseport`` / ``nginx``), when any.
    lb: str | None = None


class RunResult(Model):
    schema_version: int = RUN_SCHEMA_VERSION
    run_id: str
    scenario_name: str
    #: The scenario as run (after CLI overrides), as a plain mapping.
    scenario: dict = Field(default_factory=dict)
    host: str
    load_model: Literal["closed", "open", "locustfile"] = "closed"
    started_at: datetime
    ended_at: datetime
    #: Seconds of load: from the start (after the warm-up, when there is one) to the end of the last
    #: second in which a request completed (the drain after the load stopped is not counted); every
    #: ``rps`` divides by it.
    duration_s: float
    #: Seconds at the start not counted in ``total``/``endpoints`` (their intervals are marked ``warmup``).
    warmup_s: float = 0.0
    complete: bool = True
    #: Why the run ended early (``"interrupted (SIGINT)"``...), when ``complete`` is false.
    stop_reason: str | None = None
    environment: Environment = Field(default_factory=Environment)
    #: How the target was started (None in runs written before it was recorded).
    target: TargetSpec | None = None
    slo: list[str] = Field(default_factory=list)
    thresholds: list[str] = Field(default_factory=list)
    total: EndpointStats
    endpoints: list[EndpointStats] = Field(default_factory=list)
    series: list[IntervalStats] = Field(default_factory=list)
    telemetry: list[TelemetrySeries] = Field(default_factory=list)
    generator: GeneratorInfo = Field(default_factory=GeneratorInfo)
    warnings: list[str] = Field(default_factory=list)

    def loaded_seconds(self) -> list[int]:
        """Indices into ``series`` of the seconds a run's throughput is measured over: first to last with
        requests (warm-up left out), without those two partial seconds when there are four or more (after
        a warm-up the first is whole). The one definition of which seconds count, for
        ``analysis.throughput.active_rps`` and the gate's throughput (``gate/samples.py``)."""
        busy = [i for i, iv in enumerate(self.series) if iv.requests > 0 and not iv.warmup]
        if not busy:
            return []
        span = list(range(busy[0], busy[-1] + 1))
        if len(span) >= 4:
            span = span[0 if self.warmup_s else 1 : -1]
        return span

    def active_rps(self) -> float:
        """The run's one throughput figure: requests over the seconds that carried load
        (:meth:`loaded_seconds`), not over the wall time (start-up and drain); warm-up seconds are left
        out; ``total.rps`` when there is no series. Every view, the knee, the gate and ``rps`` SLOs."""
        span = [self.series[i] for i in self.loaded_seconds()]
        if not span:
            return self.total.rps
        seconds = sum(iv.duration_s for iv in span)
        return sum(iv.requests for iv in span) / seconds if seconds > 0 else self.total.rps

    def endpoint(self, key_or_name: str) -> EndpointStats | None:
        """Find an endpoint by key ("GET /x") or by name ("/x")."""
        for ep in self.endpoints:
            if key_or_name in (ep.key, ep.name):
                return ep
        return None
