"""Every threshold the analysis uses, in one frozen object with documented defaults.

Pass a modified copy (``dataclasses.replace(AnalysisParams(), pool_full_ratio=0.9)``) to change one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnalysisParams:
    # --- monitor / performance OK? -------------------------------------------------------------
    #: SLOs used when neither the caller nor the run gives any.
    default_slo: tuple[str, ...] = ("p95<1000ms", "error_rate<1%")
    #: Overall failure fraction above which performance is not OK (whatever the SLOs say).
    max_error_rate: float = 0.01
    #: Open model: achieved below offered × (1 - this) means the target did not keep up.
    max_load_shortfall: float = 0.10
    #: Utilisation the headroom is measured against (1.0 = the resource is full).
    headroom_target: float = 1.0

    # --- load shape: "rising with load" -------------------------------------------------------
    #: Load must span at least this ratio (highest / lowest level) to judge trends with load.
    min_load_span: float = 1.5
    #: Spearman correlation of per-second p95 with load that counts as "rising with load".
    latency_load_corr: float = 0.5
    #: p95 at the top load level / p95 at the bottom level that counts as "rising".
    latency_rise_ratio: float = 2.0
    #: Fraction of the load range (from the bottom) treated as "low load".
    low_load_fraction: float = 0.25
    #: Seconds with fewer requests than this share of the median second are start/stop edges,
    #: left out of per-second judgements (trends, p90s, "low load").
    edge_fraction: float = 0.1
    #: Fewest seconds a low / high load window needs to count as a load level.
    min_window_seconds: int = 3

    # --- load levels and Little's law (analysis/levels.py) -------------------------------------
    #: A ramp that holds no load level for ``min_window_seconds`` is cut into this many groups.
    level_bins: int = 5
    #: Levels whose throughput is within this share of the best are "flat" (the plateau).
    plateau_tolerance: float = 0.15
    #: The load must grow at least this much (top / first level of the plateau) to call it flat.
    plateau_min_load_growth: float = 1.4
    #: Across the plateau, mean latency must grow by at least this share of the load's growth
    #: (1.0 = in proportion: the extra users only queue).
    plateau_latency_share: float = 0.5
    #: A single load level counts as "low load" when Little's law puts fewer requests than this in
    #: flight (throughput × mean latency): too few to queue behind each other.
    low_load_in_flight: float = 0.5

    # --- database -----------------------------------------------------------------------------
    #: checked_out / (pool_size + max_overflow) at or above this counts as "pool full".
    pool_full_ratio: float = 0.95
    #: Share of loaded seconds with the pool full that makes a finding.
    pool_full_min_share: float = 0.25
    #: Mean pool wait (ms) that makes a finding; "rising" when the last third / first third ≥ ratio.
    pool_wait_ms: float = 10.0
    pool_wait_rise_ratio: float = 1.5
    #: Mean pool wait (ms) that makes the finding high severity even when it is not rising.
    pool_wait_high_ms: float = 100.0
    #: Pool timeouts (count over the run) that make a finding.
    pool_timeouts_min: int = 1
    #: Pool utilisation below this counts as "idle".
    pool_idle_ratio: float = 0.30
    #: Target pool utilisation when proposing a new size.
    pool_target_ratio: float = 0.70
    #: The database's connection limit (PostgreSQL's max_connections default) and the share of it
    #: scalectl lets the application's pools use.
    db_max_connections: int = 100
    db_connection_budget: float = 0.8

    # --- application --------------------------------------------------------------------------
    #: Cores each replica may use when the run does not say (one Python worker process).
    default_cores_per_replica: float = 1.0
    #: CPU (p90 over loaded seconds) at or above this share of the allotment is "near its allotment".
    cpu_high_ratio: float = 0.85
    #: CPU below this share of the allotment "has room".
    cpu_room_ratio: float = 0.60
    #: Target CPU utilisation when proposing a replica count.
    cpu_target_ratio: float = 0.70
    #: Event-loop lag (p95 over loaded seconds, ms) that makes a finding.
    loop_lag_ms: float = 50.0
    #: 429 responses (or rate-limit rejections) as a share of all requests that "dominate".
    rate_limited_share: float = 0.02
    #: Share of loaded seconds with a circuit breaker open (state 1) that makes a finding.
    breaker_open_min_share: float = 0.0
    #: Mean upstream call duration (ms) that counts as slow.
    upstream_slow_ms: float = 5000.0
    #: Cache hit ratio below this on a cache with at least ``cache_min_lookups`` lookups.
    cache_hit_min: float = 0.5
    cache_min_lookups: int = 100

    # --- infrastructure -----------------------------------------------------------------------
    #: Generator process CPU (% of one core) above which the run is generator-bound, when the
    #: run's own GeneratorInfo does not say.
    generator_cpu_saturated: float = 90.0
    #: Connection errors / timeouts as a share of all requests.
    connection_error_share: float = 0.005
    #: 502 / 504 responses as a share of all requests.
    lb_error_share: float = 0.005
    #: max / mean of per-replica request rates above which load is uneven.
    uneven_ratio: float = 1.3
    #: RSS at or above this share of the memory limit is "near a limit".
    memory_high_ratio: float = 0.85
    #: Per-replica memory limit (bytes); None = host memory / replicas.
    memory_limit_bytes: float | None = None

    # --- code ---------------------------------------------------------------------------------
    #: p95 at low load at or above this share of the latency SLO (or ``slow_at_low_load_ms``
    #: without a latency SLO) is "slow already at low load".
    slow_at_low_load_slo_share: float = 0.8
    slow_at_low_load_ms: float = 500.0
    #: One route's share of total time (requests × mean latency) that "dominates".
    route_time_share: float = 0.6
    #: Throughput at the highest load this far below the peak is retrograde.
    retrograde_drop: float = 0.15
    #: ... and beyond this many standard errors of the per-second rates (Poisson at least).
    retrograde_z: float = 3.0
    #: ... while mean latency at the top load level is at least this multiple of the peak level's.
    retrograde_latency_rise: float = 1.2
    #: Most per-second endpoint histograms decoded for the low-load window.
    max_decoded_seconds: int = 60
    #: Fewest requests of a route in the low-load window to call it slow there.
    slow_min_requests: int = 30

    # --- confidence ---------------------------------------------------------------------------
    #: Multiplier on a rule's confidence when it rests on client-side evidence only.
    client_only_confidence: float = 0.5
