"""A circuit breaker with a limited number of half-open probes.

closed → (``failure_threshold`` consecutive upstream failures or timeouts) → open → (after
``recovery_s``) → half-open: at most ``half_open_probes`` calls go through at once; one success closes
the breaker, one failure re-opens it for another ``recovery_s``. Everything else is rejected fast with
``BreakerOpen`` (the app answers 503 + Retry-After). Only exceptions the caller marks as upstream
failures count; cancellations and the caller's own errors do not.

Every state change starts a new *generation*; a call's outcome counts only in the generation that
admitted it. So a slow call admitted while closed that succeeds after the breaker opened does not
close it (nor does its late failure re-open or extend a newer state).
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from target_app.metrics import Metrics

T = TypeVar("T")
CLOSED, OPEN, HALF_OPEN = 0, 1, 2
STATE_NAMES = {CLOSED: "closed", OPEN: "open", HALF_OPEN: "half_open"}


class BreakerOpen(Exception):
    def __init__(self, name: str, retry_after_s: float) -> None:
        super().__init__(f"circuit breaker '{name}' is open")
        self.retry_after = max(1, math.ceil(retry_after_s))


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        metrics: Metrics,
        failure_threshold: int,
        recovery_s: float,
        half_open_probes: int,
        failure_types: tuple[type[BaseException], ...],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.metrics = metrics
        self.failure_threshold = failure_threshold
        self.recovery_s = recovery_s
        self.half_open_probes = half_open_probes
        self.failure_types = failure_types
        self.clock = clock
        self.failures = 0
        self.opened_at = 0.0
        self.probes_in_flight = 0
        self.generation = 0
        self._state = CLOSED
        metrics.breaker_state.labels(name).set(CLOSED)

    @property
    def state(self) -> int:
        if self._state == OPEN and self.clock() - self.opened_at >= self.recovery_s:
            self._set(HALF_OPEN)
        return self._state

    def _set(self, state: int) -> None:
        self._state = state
        self.generation += 1
        self.metrics.breaker_state.labels(self.name).set(state)

    def _reject(self) -> BreakerOpen:
        self.metrics.breaker_rejections.labels(self.name).inc()
        return BreakerOpen(self.name, self.recovery_s - (self.clock() - self.opened_at))

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        state = self.state
        probe = False
        if state == OPEN:
            raise self._reject()
        if state == HALF_OPEN:
            if self.probes_in_flight >= self.half_open_probes:
                raise self._reject()
            self.probes_in_flight += 1
            probe = True
        generation = self.generation
        try:
            result = await fn()
        except self.failure_types:
            self._on_failure(generation)
            raise
        finally:
            if probe:
                self.probes_in_flight -= 1
        self._on_success(generation)
        return result

    def _on_success(self, generation: int) -> None:
        if generation != self.generation:  # admitted under an earlier state: says nothing about now
            return
        self.failures = 0
        if self._state != CLOSED:
            self._set(CLOSED)

    def _on_failure(self, generation: int) -> None:
        if generation != self.generation:
            return
        self.failures += 1
        if self._state == HALF_OPEN or self.failures >= self.failure_threshold:
            self.opened_at = self.clock()
            self._set(OPEN)
