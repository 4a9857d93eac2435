"""Database scaling advice when the database is the limit, with numbers. Pure.

Three branches, each from evidence:

- **read-heavy mix** (read share ≥ :data:`READ_HEAVY_SHARE`, from the scenario's request weights):
  read replicas. The model: one database node carries what the service carried at its measured
  ceiling (``node_rps``, the capacity when the database limits it) at the same utilization target;
  reads move to replicas, writes stay on the primary, so replicas = ⌈target × read share ÷
  (node_rps × utilization)⌉, provided the writes alone fit the primary.
- **the connection budget is the cap** (replicas × (pool + overflow) exceeds the usable
  connections now or within the forecast): a pooler (PgBouncer, transaction mode). The app pools
  talk to PgBouncer (``max_client_conn`` = replicas × (pool + overflow)); behind it,
  ``default_pool_size`` = the connections the whole load keeps busy (Erlang C for target × hold time),
  within the usable budget.
- **writes dominate** (read share < :data:`WRITE_HEAVY_SHARE`, or the writes alone exceed one
  node): partitioning or sharding, as a next step, not sized.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from scalectl.capacity import queueing
from scalectl.models.plan import DbAdvice

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_HEAVY_SHARE = 0.7
WRITE_HEAVY_SHARE = 0.5


def read_share(scenario: Mapping[str, object] | None) -> float | None:
    """Weight of read requests (GET/HEAD/OPTIONS) over all the scenario's requests, or None."""
    reqs = (scenario or {}).get("requests")
    if not isinstance(reqs, list) or not reqs:
        return None
    total = reads = 0.0
    for r in reqs:
        if not isinstance(r, Mapping):
            continue
        w = float(r.get("weight", 1.0) or 0.0)
        total += w
        if str(r.get("method", "GET")).upper() in READ_METHODS:
            reads += w
    return reads / total if total > 0 else None


@dataclass(frozen=True)
class DbEvidence:
    target_rps: float
    #: Peak forecast load (the target without a forecast).
    peak_rps: float
    #: Service throughput the database allows (req/s at the measured ceiling).
    node_rps: float
    utilization: float
    read_share: float | None
    #: Connections the whole load holds: seconds of connection hold per request (None: unknown).
    hold_s: float | None = None
    replicas: int = 1
    pool_size: int | None = None
    max_overflow: int | None = None
    usable_connections: int | None = None
    #: The budget does not fit now or within the forecast.
    budget_exceeded: bool = False
    max_p_wait: float = queueing.DEFAULT_MAX_P_WAIT


def _read_replicas(ev: DbEvidence, share: float) -> DbAdvice:
    per_node = ev.node_rps * ev.utilization
    reads, writes = ev.peak_rps * share, ev.peak_rps * (1 - share)
    n = max(math.ceil(reads / per_node - 1e-9), 1)
    return DbAdvice(
        kind="read_replicas",
        summary=f"read-heavy ({share:.0%} reads): add {n} read replica(s) and send reads to them",
        read_share=share,
        read_replicas=n,
        reasoning=[
            f"one database node carries about {ev.node_rps:.0f} req/s of this mix (the measured ceiling); "
            f"× utilization {ev.utilization:g} = {per_node:.0f} req/s",
            f"at {ev.peak_rps:.0f} req/s: reads {reads:.0f} req/s ÷ {per_node:.0f} → {n} read replica(s); "
            f"writes {writes:.0f} req/s stay on the primary (≤ {per_node:.0f})",
        ],
    )


def _pooler(ev: DbEvidence) -> DbAdvice:
    pool, over = ev.pool_size or 1, ev.max_overflow or 0
    clients = ev.replicas * (pool + over)
    server = None
    why = [
        f"{ev.replicas} replicas × ({pool} + {over}) = {clients} client connections "
        f"> {ev.usable_connections} usable: the budget, not the database's speed, caps replicas"
    ]
    if ev.hold_s is not None and ev.hold_s > 0:
        server = queueing.min_servers(ev.peak_rps, ev.hold_s, max_p_wait=ev.max_p_wait)
        why.append(
            f"server side: {ev.peak_rps:.0f} req/s × {ev.hold_s * 1000:.1f} ms hold = "
            f"{ev.peak_rps * ev.hold_s:.1f} Erlangs → default_pool_size {server} (Erlang C, "
            f"P(wait) ≤ {ev.max_p_wait:.0%})"
        )
        if ev.usable_connections is not None and server > ev.usable_connections:
            why.append(f"that exceeds the {ev.usable_connections} usable connections: see partitioning")
    summary = (
        f"put PgBouncer (pool_mode = transaction) between the replicas and the database: "
        f"max_client_conn {clients}"
        + (f", default_pool_size {server}" if server is not None else "")
        + f"; keep the app pools at {pool} + {over} per replica behind it"
    )
    return DbAdvice(
        kind="pooler",
        summary=summary,
        read_share=ev.read_share,
        pgbouncer_default_pool_size=server,
        pgbouncer_max_client_conn=clients,
        app_pool_size=pool,
        app_max_overflow=over,
        reasoning=why,
    )


def _partitioning(ev: DbEvidence, share: float | None) -> DbAdvice:
    writes = ev.peak_rps * (1 - (share or 0.0))
    mix = f"{1 - share:.0%} writes" if share is not None else "writes"
    return DbAdvice(
        kind="partitioning",
        summary=(
            f"writes dominate ({mix}, {writes:.0f} req/s at the peak): read replicas will not help; "
            "the next step is partitioning the hot tables or sharding by tenant/user (not sized here: "
            "measure a partitioned schema)"
        ),
        read_share=share,
        reasoning=[
            f"one node carries about {ev.node_rps * ev.utilization:.0f} req/s at utilization "
            f"{ev.utilization:g}; every write must reach the primary"
        ],
    )


def advise(ev: DbEvidence) -> list[DbAdvice]:
    """The branches that apply (see the module doc), the most pressing first."""
    out: list[DbAdvice] = []
    share = ev.read_share
    if ev.budget_exceeded and ev.pool_size is not None and ev.usable_connections is not None:
        out.append(_pooler(ev))
    if ev.node_rps <= 0:
        return out
    writes_over = ev.peak_rps * (1 - (share or 0.0)) > ev.node_rps * ev.utilization
    if share is not None and share >= READ_HEAVY_SHARE and not writes_over:
        out.append(_read_replicas(ev, share))
    elif (share is not None and share < WRITE_HEAVY_SHARE) or (share is not None and writes_over):
        out.append(_partitioning(ev, share))
    return out
