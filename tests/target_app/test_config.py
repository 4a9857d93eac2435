from __future__ import annotations

import pytest

from target_app.config import ConfigError, Rate, Settings


@pytest.mark.parametrize(
    ("text", "limit", "window"),
    [
        ("10/minute", 10, 60),
        ("5/30s", 5, 30),
        ("6000 / min", 6000, 60),
        ("1/hour", 1, 3600),
        ("2/day", 2, 86400),
    ],
)
def test_rate_parse(text: str, limit: int, window: int) -> None:
    assert Rate.parse(text) == Rate(limit, window)


def test_defaults_match_the_documented_knobs() -> None:
    s = Settings.from_env({})
    assert (s.db_pool_size, s.db_max_overflow, s.db_pool_timeout, s.db_slow_query_ms) == (5, 5, 2.0, 0.0)
    assert s.rate_limit_generate == Rate(10, 60) and s.rate_limit_default == Rate(6000, 60)
    assert (s.cache_ttl_s, s.cache_enabled, s.rate_limit_enabled, s.redis_url) == (60.0, True, True, None)
    assert (s.llm_latency_scale, s.llm_failure_rate, s.llm_timeout_s, s.llm_max_concurrency) == (
        1.0,
        0.0,
        10.0,
        16,
    )
    assert (s.breaker_failure_threshold, s.breaker_recovery_s, s.breaker_half_open_probes) == (5, 10.0, 1)
    assert (s.seo_cpu_work, s.seed_content_rows, s.inject_latency_ms) == (1.0, 20000, 0.0)
    assert s.database_url.startswith("sqlite+aiosqlite:///")


def test_parses_lists_and_routes() -> None:
    s = Settings.from_env(
        {
            "INJECT_LATENCY_ROUTES": "/api/content/{id}=50, /health=5",
            "TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8",
        }
    )
    assert s.inject_latency_routes == {"/api/content/{id}": 50.0, "/health": 5.0}
    assert s.trusted_proxies == {"127.0.0.1", "10.0.0.0/8"}


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"DB_POOL_SIZE": "zero"}, "DB_POOL_SIZE"),
        ({"DB_POOL_SIZE": "0"}, "DB_POOL_SIZE"),
        ({"LLM_FAILURE_RATE": "1.5"}, "LLM_FAILURE_RATE"),
        ({"RATE_LIMIT_GENERATE": "ten"}, "RATE_LIMIT_GENERATE"),
        ({"INJECT_LATENCY_ROUTES": "health=5"}, "INJECT_LATENCY_ROUTES"),
        ({"CACHE_ENABLED": "maybe"}, "CACHE_ENABLED"),
        ({"RATE_LIMIT_ROUTES": "/x=lots"}, "RATE_LIMIT_ROUTES"),
        ({"API_TOKENS": "tok"}, "API_TOKENS"),
        ({"API_TOKENS": "tok=alice:gold"}, "API_TOKENS"),
        ({"API_TOKENS": "tok=" + "a" * 300}, "API_TOKENS"),
        ({"TRUSTED_PROXIES": "nginx.local"}, "TRUSTED_PROXIES"),
        ({"MAX_BODY_BYTES": "0"}, "MAX_BODY_BYTES"),
        ({"RATE_LIMIT_GENERATE_CLIENT": "many"}, "RATE_LIMIT_GENERATE_CLIENT"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env)


def test_token_map_and_limits() -> None:
    s = Settings.from_env({"API_TOKENS": "t1=alice:pro, t2=bob", "MAX_BODY_BYTES": "2048"})
    assert s.api_tokens == {"t1": ("alice", "pro"), "t2": ("bob", "free")}
    assert s.max_body_bytes == 2048
    d = Settings.from_env({})
    assert (d.max_body_bytes, d.job_lease_s, d.job_drain_s, d.api_tokens) == (1_048_576, 30.0, 5.0, {})
