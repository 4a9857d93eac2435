"""A simulated LLM provider: latency, failures, a timeout and a concurrency cap, behind a breaker.

Latency per call kind (seconds at ``LLM_LATENCY_SCALE=1``) is ``BASE_LATENCY_S[kind]`` ± 25 %
(seeded by ``LLM_SEED``). With probability ``LLM_FAILURE_RATE`` the call fails after a short delay.
Calls wait for one of ``LLM_MAX_CONCURRENCY`` slots, then must finish within ``LLM_TIMEOUT_S``.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time

from target_app.breaker import CircuitBreaker
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


def fake_text(prompt: str, words: int) -> str:
    """Deterministic filler text for a prompt."""
    rng = random.Random(hashlib.sha256(prompt.encode()).digest())
    return " ".join(rng.choice(_WORDS) for _ in range(max(1, words))).capitalize() + "."


class LlmProvider:
    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
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
        fails = self._rng.random() < s.llm_failure_rate
        async with self._slots:
            start = time.perf_counter()
            try:
                if fails:
                    await asyncio.sleep(min(latency, 0.05))
                    raise UpstreamError("LLM provider returned an error")
                await asyncio.wait_for(asyncio.sleep(latency), s.llm_timeout_s)
            except TimeoutError:
                raise UpstreamError(f"LLM provider timed out after {s.llm_timeout_s}s") from None
            finally:
                self.metrics.upstream.labels("llm").observe(time.perf_counter() - start)
        return fake_text(prompt, words)

    async def complete(self, kind: str, prompt: str, words: int = 120) -> str:
        """Generate text through the breaker; raises BreakerOpen or UpstreamError."""
        return await self.breaker.call(lambda: self._call(kind, prompt, words))
