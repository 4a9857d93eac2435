"""Settings: every knob of the reference backend is an environment variable, read once into one object."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./alwrity_target.db"

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|sec|s|minute|min|m|hour|h|day|d)\s*$", re.IGNORECASE)
_UNIT_S = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_UNIT_S |= {"d": 86400, "day": 86400}


PLANS = ("free", "pro")
#: Longest bearer token / user id (the user column is VARCHAR(200); "user:" + 190 fits).
MAX_TOKEN_CHARS = 190


class ConfigError(ValueError):
    """A knob has a value that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Rate:
    """A rate limit: ``limit`` requests per ``window_s`` seconds (parsed from "10/minute", "5/30s")."""

    limit: int
    window_s: int

    @classmethod
    def parse(cls, text: str, name: str = "rate") -> Rate:
        m = _RATE.match(text)
        if not m:
            raise ConfigError(f"{name}: {text!r} is not a rate like '10/minute' or '5/30s'")
        count = int(m.group(2)) if m.group(2) else 1
        return cls(limit=int(m.group(1)), window_s=count * _UNIT_S[m.group(3).lower()])


def _parse_route_rates(text: str, name: str) -> dict[str, Rate]:
    out: dict[str, Rate] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        route, sep, rate = part.rpartition("=")
        if not sep or not route.strip().startswith("/"):
            raise ConfigError(f"{name}: {part!r} is not 'ROUTE_TEMPLATE=N/unit'")
        out[route.strip()] = Rate.parse(rate, name)
    return out


def _parse_tokens(text: str, name: str) -> dict[str, tuple[str, str]]:
    """``token=user[:plan],...`` → {token: (user, plan)}; plan is ``free`` (default) or ``pro``."""
    out: dict[str, tuple[str, str]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        token, sep, who = part.partition("=")
        user, _, plan = who.partition(":")
        plan = plan.strip() or "free"
        if not sep or not token.strip() or not user.strip() or plan not in PLANS:
            raise ConfigError(f"{name}: {part!r} is not 'TOKEN=USER[:free|pro]'")
        if len(token.strip()) > MAX_TOKEN_CHARS or len(user.strip()) > MAX_TOKEN_CHARS:
            raise ConfigError(f"{name}: {part!r}: token and user are at most {MAX_TOKEN_CHARS} characters")
        out[token.strip()] = (user.strip(), plan)
    return out


def _parse_route_ms(text: str, name: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        route, sep, ms = part.rpartition("=")
        if not sep or not route.startswith("/"):
            raise ConfigError(f"{name}: {part!r} is not 'ROUTE_TEMPLATE=MS'")
        try:
            out[route.strip()] = float(ms)
        except ValueError:
            raise ConfigError(f"{name}: {ms!r} is not a number of milliseconds") from None
    return out


def _client_cap(get: Callable[[str, str], str], name: str) -> Rate | None:
    """The per-address cap behind self-declared tokens: default 30 x RATE_LIMIT_GENERATE; 0/off: none."""
    raw = get(name, "")
    if raw.lower() in ("0", "off", "none"):
        return None
    if raw:
        return Rate.parse(raw, name)
    user = Rate.parse(get("RATE_LIMIT_GENERATE", "10/minute"), "RATE_LIMIT_GENERATE")
    return Rate(user.limit * 30, user.window_s)


def _networks(trusted: frozenset[str], name: str) -> frozenset[str]:
    for t in trusted:
        try:
            ipaddress.ip_network(t, strict=False)
        except ValueError:
            raise ConfigError(f"{name}: {t!r} is not an IP address or CIDR network") from None
    return trusted


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    redis_key_prefix: str = "alwrity:"
    redis_timeout_s: float = 0.5
    db_pool_size: int = 5
    db_max_overflow: int = 5
    db_pool_timeout: float = 2.0
    db_slow_query_ms: float = 0.0
    rate_limit_enabled: bool = True
    rate_limit_generate: Rate = Rate(10, 60)
    rate_limit_generate_pro: Rate = Rate(60, 60)
    rate_limit_default: Rate = Rate(6000, 60)
    rate_limit_exempt: frozenset[str] = frozenset()
    rate_limit_routes: Mapping[str, Rate] = field(default_factory=dict)
    rate_limit_generate_client: Rate | None = Rate(300, 60)
    api_tokens: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    trusted_proxies: frozenset[str] = frozenset()
    max_body_bytes: int = 1_048_576
    job_lease_s: float = 30.0
    job_drain_s: float = 5.0
    cache_enabled: bool = True
    cache_ttl_s: float = 60.0
    cache_ttl_jitter: float = 0.1
    cache_max_entries: int = 100_000
    llm_latency_scale: float = 1.0
    llm_failure_rate: float = 0.0
    llm_timeout_s: float = 10.0
    llm_max_concurrency: int = 16
    llm_seed: int = 0
    breaker_failure_threshold: int = 5
    breaker_recovery_s: float = 10.0
    breaker_half_open_probes: int = 1
    seo_cpu_work: float = 1.0
    seed_content_rows: int = 20000
    inject_latency_ms: float = 0.0
    inject_latency_routes: Mapping[str, float] = field(default_factory=dict)
    admin_token: str | None = None
    event_loop_lag_interval_s: float = 0.25

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env

        def get(name: str, default: str) -> str:
            value = e.get(name)
            return default if value is None or value.strip() == "" else value.strip()

        def num(name: str, default: float, lo: float | None = 0.0, hi: float | None = None) -> float:
            raw = get(name, str(default))
            try:
                value = float(raw)
            except ValueError:
                raise ConfigError(f"{name}: {raw!r} is not a number") from None
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                raise ConfigError(f"{name}: {value} is outside [{lo}, {hi}]")
            return value

        def integer(name: str, default: int, lo: int = 0) -> int:
            raw = get(name, str(default))
            try:
                value = int(raw)
            except ValueError:
                raise ConfigError(f"{name}: {raw!r} is not an integer") from None
            if value < lo:
                raise ConfigError(f"{name}: {value} is below {lo}")
            return value

        def flag(name: str, default: bool) -> bool:
            raw = get(name, "1" if default else "0").lower()
            if raw not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ConfigError(f"{name}: {raw!r} is not a boolean (1/0)")
            return raw in {"1", "true", "yes", "on"}

        def words(name: str) -> frozenset[str]:
            return frozenset(filter(None, (w.strip() for w in get(name, "").split(","))))

        return cls(
            database_url=get("DATABASE_URL", DEFAULT_DATABASE_URL),
            redis_url=get("REDIS_URL", "") or None,
            redis_key_prefix=get("REDIS_KEY_PREFIX", "alwrity:"),
            redis_timeout_s=num("REDIS_TIMEOUT_S", 0.5, lo=0.01),
            db_pool_size=integer("DB_POOL_SIZE", 5, lo=1),
            db_max_overflow=integer("DB_MAX_OVERFLOW", 5),
            db_pool_timeout=num("DB_POOL_TIMEOUT", 2.0, lo=0.01),
            db_slow_query_ms=num("DB_SLOW_QUERY_MS", 0.0),
            rate_limit_enabled=flag("RATE_LIMIT_ENABLED", True),
            rate_limit_generate=Rate.parse(get("RATE_LIMIT_GENERATE", "10/minute"), "RATE_LIMIT_GENERATE"),
            rate_limit_generate_pro=Rate.parse(
                get("RATE_LIMIT_GENERATE_PRO", "60/minute"), "RATE_LIMIT_GENERATE_PRO"
            ),
            rate_limit_default=Rate.parse(get("RATE_LIMIT_DEFAULT", "6000/minute"), "RATE_LIMIT_DEFAULT"),
            rate_limit_exempt=words("RATE_LIMIT_EXEMPT"),
            rate_limit_routes=_parse_route_rates(get("RATE_LIMIT_ROUTES", ""), "RATE_LIMIT_ROUTES"),
            rate_limit_generate_client=_client_cap(get, "RATE_LIMIT_GENERATE_CLIENT"),
            api_tokens=_parse_tokens(get("API_TOKENS", ""), "API_TOKENS"),
            trusted_proxies=_networks(words("TRUSTED_PROXIES"), "TRUSTED_PROXIES"),
            max_body_bytes=integer("MAX_BODY_BYTES", 1_048_576, lo=1),
            job_lease_s=num("JOB_LEASE_S", 30.0, lo=1.0),
            job_drain_s=num("JOB_DRAIN_S", 5.0),
            cache_enabled=flag("CACHE_ENABLED", True),
            cache_ttl_s=num("CACHE_TTL_S", 60.0, lo=0.001),
            cache_ttl_jitter=num("CACHE_TTL_JITTER", 0.1, hi=0.9),
            cache_max_entries=integer("CACHE_MAX_ENTRIES", 100_000, lo=1),
            llm_latency_scale=num("LLM_LATENCY_SCALE", 1.0),
            llm_failure_rate=num("LLM_FAILURE_RATE", 0.0, hi=1.0),
            llm_timeout_s=num("LLM_TIMEOUT_S", 10.0, lo=0.001),
            llm_max_concurrency=integer("LLM_MAX_CONCURRENCY", 16, lo=1),
            llm_seed=integer("LLM_SEED", 0),
            breaker_failure_threshold=integer("BREAKER_FAILURE_THRESHOLD", 5, lo=1),
            breaker_recovery_s=num("BREAKER_RECOVERY_S", 10.0),
            breaker_half_open_probes=integer("BREAKER_HALF_OPEN_PROBES", 1, lo=1),
            seo_cpu_work=num("SEO_CPU_WORK", 1.0),
            seed_content_rows=integer("SEED_CONTENT_ROWS", 20000, lo=1),
            inject_latency_ms=num("INJECT_LATENCY_MS", 0.0),
            inject_latency_routes=_parse_route_ms(get("INJECT_LATENCY_ROUTES", ""), "INJECT_LATENCY_ROUTES"),
            admin_token=get("ADMIN_TOKEN", "") or None,
            event_loop_lag_interval_s=num("EVENT_LOOP_LAG_INTERVAL_S", 0.25, lo=0.01),
        )
