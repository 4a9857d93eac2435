"""Queueing formulas: Little's law and Erlang C (M/M/c). Pure functions.

Used to size a replica's database pool and its upstream (LLM) concurrency: with ``rate`` arrivals per
second each holding a server (a connection, an upstream slot) for ``service_s`` seconds, the offered
load is a = rate × service_s Erlangs (Little's law: the mean number busy).
"""

from __future__ import annotations

import math

#: Default bound on the probability that a request waits for a connection.
DEFAULT_MAX_P_WAIT = 0.05
#: Largest c searched before giving up.
MAX_SERVERS = 10_000


def littles_law(rate_per_s: float, latency_s: float) -> float:
    """Mean concurrency L = λ × W (requests in the system)."""
    if rate_per_s < 0 or latency_s < 0:
        raise ValueError("rate and latency must be ≥ 0")
    return rate_per_s * latency_s


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/M/c/c (stable recursion)."""
    if servers < 0 or load < 0:
        raise ValueError("servers and load must be ≥ 0")
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(servers: int, load: float) -> float:
    """P(wait) in M/M/c with ``load`` = λ/μ Erlangs; 1.0 when the queue is unstable (load ≥ c)."""
    if servers <= 0:
        return 1.0
    if load <= 0:
        return 0.0
    if load >= servers:
        return 1.0
    b = erlang_b(servers, load)
    return servers * b / (servers - load * (1.0 - b))


def mean_wait_s(servers: int, rate_per_s: float, service_s: float) -> float:
    """Mean time in queue W_q = C / (cμ − λ); infinite when unstable."""
    load = rate_per_s * service_s
    if rate_per_s <= 0 or service_s <= 0:
        return 0.0
    if load >= servers:
        return math.inf
    mu = 1.0 / service_s
    return erlang_c(servers, load) / (servers * mu - rate_per_s)


def min_servers(
    rate_per_s: float,
    service_s: float,
    *,
    max_p_wait: float | None = DEFAULT_MAX_P_WAIT,
    max_mean_wait_s: float | None = None,
    max_servers: int = MAX_SERVERS,
) -> int:
    """The smallest c keeping P(wait) ≤ ``max_p_wait`` and the mean wait ≤ ``max_mean_wait_s``.

    Returns at least 1; returns ``max_servers`` when even that does not meet the bounds.
    """
    load = max(rate_per_s, 0.0) * max(service_s, 0.0)
    if load <= 0:
        return 1
    c = max(1, math.floor(load) + 1)
    while c < max_servers:
        ok = True
        if max_p_wait is not None and erlang_c(c, load) > max_p_wait:
            ok = False
        if ok and max_mean_wait_s is not None and mean_wait_s(c, rate_per_s, service_s) > max_mean_wait_s:
            ok = False
        if ok:
            return c
        c += 1
    return max_servers
