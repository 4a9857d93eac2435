"""A simulated LLM provider: latency, failures, a timeout and a concurrency cap, behind a breaker.

Latency per call kind (seconds at ``LLM_LATENCY_SCALE=1``) is ``BASE_LATENCY_S[kind]`` ± 25 %
(seeded by ``LLM_SEED``). With probability ``LLM_FAILURE_RATE`` the call fails after a short delay.
Calls wait for one of ``LLM_MAX_CONCURRENCY`` slots; ``LLM_TIMEOUT_S`` bounds the slot wait and the
call together. A call that times out waiting for a slot raises ``LlmBusy`` (503 + Retry-After: this
replica is saturated, the provider is not at fault, so the breaker does not count it); one that times
out in the call raises ``UpstreamError`` (502, counted by the breaker).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time

from target_app.breaker import CircuitBreaker
from target_app.chaos import Chaos
from target_app.config import Settings
from target_app.metrics import Metrics

BASE_LATENCY_S = {"generate": 0.8, "linkedin": 0.6, "research": 1.5}
_WORDS = [
    "scalable",
    "content",
    "strategy",
    "audience",
    "engagement",
    "growth",
    "insight",
    "platform",
    "data",
    "quality",
    "search",
    "brand",
    "narrative",
    "conversion",
    "trust",
    "value",
    "workflow",
    "automation",
    "research",
    "analysis",
    "signal",
]


class UpstreamError(Exception):
    """The provider failed or timed out (counts against the breaker)."""


class LlmBusy(Exception):
    """No LLM slot came free within LLM_TIMEOUT_S (not the provider's fault; not counted)."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(f"all LLM slots busy for {timeout_s}s, retry later")


def fake_text(prompt: str, words: int) -> str:
    """Deterministic filler text for a prompt."""
    rng = random.Random(hashlib.sha256(prompt.encode()).digest())
    return " ".join(rng.choice(_WORDS) for _ in range(max(1, words))).capitalize() + "."


class LlmProvider:
    def __init__(self, settings: Settings, metrics: Metrics, chaos: Chaos | None = None) -> None:
        self.settings = settings
        self.metrics = metrics
        self.chaos = chaos or Chaos()
        self._rng = random.Random(settings.llm_seed)
        self._slots = asyncio.Semaphore(settings.llm_max_concurrency)
        self.breaker = CircuitBreaker(
            "llm",
            metrics,
            failure_threshold=settings.breaker_failure_threshold,
            recovery_s=settings.breaker_recovery_s,
            half_open_probes=settings.breaker_half_open_probes,
            failure_types=(UpstreamError,),
        )

    async def _call(self, kind: str, prompt: str, words: int) -> str:
        s = self.settings
        latency = BASE_LATENCY_S[kind] * s.llm_latency_scale * self._rng.uniform(0.75, 1.25)
        rate = s.llm_failure_rate if self.chaos.llm_failure_rate is None else self.chaos.llm_failure_rate
        fails = self._rng.random() < rate
        deadline = asyncio.get_running_loop().time() + s.llm_timeout_s  # slot wait + call
        try:
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire()
        except TimeoutError:
            raise LlmBusy(s.llm_timeout_s) from None
        start = time.perf_counter()
        try:
            async with asyncio.timeout_at(deadline):
                if fails:
                    await asyncio.sleep(min(latency, 0.05))
                    raise UpstreamError("LLM provider returned an error")
                await asyncio.sleep(latency)
        except TimeoutError:
            raise UpstreamError(f"LLM provider timed out after {s.llm_timeout_s}s") from None
        finally:
            self._slots.release()
            self.metrics.upstream.labels("llm").observe(time.perf_counter() - start)
        return fake_text(prompt, words)

    async def complete(self, kind: str, prompt: str, words: int = 120) -> str:
        """Generate text through the breaker; raises BreakerOpen or UpstreamError."""
        return await self.breaker.call(lambda: self._call(kind, prompt, words))
