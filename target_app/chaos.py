"""Runtime fault injection (``POST /api/admin/chaos``): per replica, changed without a restart.

* ``latency_ms``: added to every ``/api/`` request (on top of ``INJECT_LATENCY_MS``);
* ``llm_failure_rate``: replaces ``LLM_FAILURE_RATE`` while set;
* ``db_pool_limit``: at most this many database connections in use at once (a shrunken pool: a
  checkout that waits longer than ``DB_POOL_TIMEOUT`` is answered 503, like an exhausted pool).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class Chaos:
    latency_ms: float = 0.0
    llm_failure_rate: float | None = None
    db_pool_limit: int | None = None
    _gate: asyncio.Semaphore | None = field(default=None, repr=False)

    def set_pool_limit(self, limit: int | None) -> None:
        self.db_pool_limit = limit
        self._gate = None if limit is None else asyncio.Semaphore(limit)

    @property
    def pool_gate(self) -> asyncio.Semaphore | None:
        return self._gate

    def reset(self) -> None:
        self.latency_ms = 0.0
        self.llm_failure_rate = None
        self.set_pool_limit(None)

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "latency_ms": self.latency_ms,
            "llm_failure_rate": self.llm_failure_rate,
            "db_pool_limit": self.db_pool_limit,
        }
