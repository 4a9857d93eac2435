from __future__ import annotations

import pytest

from scalectl.capacity import signals
from scalectl.capacity.evidence import collect
from scalectl.capacity.recommend import recommend
from tests.factories import make_run, telemetry_series


def _run(metrics: dict, rps: float = 20.0, seconds: int = 5):
    return make_run(rps=rps, seconds=seconds, telemetry=[telemetry_series("replica-0", metrics)])


def test_counters_cache_and_upstream() -> None:
    run = _run(
        {
            'cache_hits_total{cache="content"}': [0, 10, 20, 30, 40],
            'cache_misses_total{cache="content"}': [0, 30, 60, 90, 120],
            'upstream_duration_seconds_count{name="llm"}': [0, 5, 10, 15, 20],
            'upstream_duration_seconds_sum{name="llm"}': [0, 2.5, 5, 7.5, 10],
        }
    )
    assert signals.cache_hit_ratio(run) == pytest.approx(0.25)
    rate, mean = signals.upstream_time_s(run)
    assert rate == pytest.approx(4.0) and mean == pytest.approx(0.5)


def test_pool_saturation_and_hold_time() -> None:
    busy = _run({"db_pool_size": [2] * 5, "db_pool_max_overflow": [0] * 5, "db_pool_checked_out": [2] * 5})
    assert signals.pool_saturated(busy)
    assert signals.limit_from_telemetry(busy)[0] == "database"
    assert signals.pool_hold_s(busy) == pytest.approx(2 / busy.total.rps)
    calm = _run({"db_pool_size": [5] * 5, "db_pool_max_overflow": [5] * 5, "db_pool_checked_out": [1] * 5})
    assert not signals.pool_saturated(calm)
    timeouts = _run({"db_pool_timeouts_total": [0, 0, 1, 3, 3]})
    assert signals.pool_saturated(timeouts)
    assert signals.current_pool([calm]) == (5, 5)


def test_low_hit_ratio_and_upstream_earn_advice() -> None:
    run = _run(
        {
            'cache_hits_total{cache="content"}': [0, 1, 2, 3, 4],
            'cache_misses_total{cache="content"}': [0, 9, 18, 27, 36],
            'upstream_duration_seconds_count{name="llm"}': [0, 5, 10, 15, 20],
            'upstream_duration_seconds_sum{name="llm"}': [0, 5, 10, 15, 20],
        }
    )
    rec = recommend(collect([("r", [run], None)], ["p95<300ms"]), 100.0)
    assert any("cache hit ratio" in a for a in rec.advice)
    assert rec.upstream_concurrency is not None and rec.upstream_concurrency >= 1
    assert "LLM_MAX_CONCURRENCY" in rec.settings
    assert float(rec.settings["LLM_TIMEOUT_S"]) < 30


def test_cpu_saturation_outranks_a_busy_pool() -> None:
    from tests.factories import make_run

    metrics = {"db_pool_size": [2] * 5, "db_pool_max_overflow": [0] * 5, "db_pool_checked_out": [2] * 5}
    run = make_run(
        rps=20.0,
        seconds=5,
        telemetry=[
            telemetry_series("replica-0", metrics),
            telemetry_series(
                "replica-0", {"cpu_percent": [97.0] * 5, "rss_bytes": [1e8] * 5}, kind="process"
            ),
        ],
    )
    assert signals.limit_from_telemetry(run)[0] == "application"  # as the analysis files CPU


def test_cpu_per_request_over_the_loaded_seconds_only() -> None:
    from scalectl.capacity.signals import cpu_s_per_request
    from scalectl.models.run import TelemetrySeries
    from tests.factories import make_run

    n = 10
    tele = [
        TelemetrySeries(
            source="replica-0",
            kind="process",
            role="target",
            t=list(range(n)),
            metrics={"cpu_percent": [50.0] * n},
        ),
        TelemetrySeries(
            source="generator",
            kind="process",
            role="generator",
            t=list(range(n)),
            metrics={"cpu_percent": [100.0] + [5.0] * (n - 1)},
        ),  # start-up second at 100%
    ]
    run = make_run(rps=25.0, seconds=n, telemetry=tele)
    assert cpu_s_per_request(run, "target") == pytest.approx(0.5 / 25)
    assert cpu_s_per_request(run, "generator") == pytest.approx(0.05 / 25)
    assert cpu_s_per_request(run, "load_balancer") is None


def test_cpu_per_request_leaves_the_warmup_out() -> None:
    from scalectl.capacity.signals import cpu_s_per_request
    from scalectl.models.run import TelemetrySeries
    from tests.factories import make_run

    n = 10
    gen = [100.0, 100.0, 100.0] + [5.0] * (n - 3)  # three start-up seconds at 100%
    tele = [
        TelemetrySeries(
            source="g", kind="process", role="generator", t=list(range(n)), metrics={"cpu_percent": gen}
        )
    ]
    run = make_run(rps=25.0, seconds=n, telemetry=tele)
    assert cpu_s_per_request(run, "generator") > 0.05 / 25  # seconds 1 and 2 are counted
    series = [iv.model_copy(update={"warmup": iv.t < 3}) for iv in run.series]
    warm = run.model_copy(update={"series": series, "warmup_s": 3.0})
    assert cpu_s_per_request(warm, "generator") == pytest.approx(0.05 / 25)


def test_renamed_metrics_are_read_through_the_scenario_mapping() -> None:
    """``telemetry.metric_names`` renames reach the capacity readings as they reach the analysis."""
    contract = _run(
        {
            "db_pool_size": [2] * 5,
            "db_pool_max_overflow": [0] * 5,
            "db_pool_checked_out": [2] * 5,
            'upstream_duration_seconds_count{name="llm"}': [0, 5, 10, 15, 20],
            'upstream_duration_seconds_sum{name="llm"}': [0, 2.5, 5, 7.5, 10],
            "event_loop_lag_seconds": [0.2] * 5,
        }
    )
    renamed = _run(
        {
            "app_pool_size": [2] * 5,
            "app_pool_overflow_max": [0] * 5,
            "app_pool_in_use": [2] * 5,
            'llm_seconds_count{name="llm"}': [0, 5, 10, 15, 20],
            'llm_seconds_sum{name="llm"}': [0, 2.5, 5, 7.5, 10],
            "loop_lag": [0.2] * 5,
        }
    )
    mapping = {
        "db_pool_size": "app_pool_size",
        "db_pool_max_overflow": "app_pool_overflow_max",
        "db_pool_checked_out": "app_pool_in_use",
        "upstream_duration_seconds": "llm_seconds",
        "event_loop_lag_seconds": "loop_lag",
    }
    renamed.scenario = {**renamed.scenario, "telemetry": {"metric_names": mapping}}
    unmapped = renamed.model_copy(update={"scenario": {}})
    for fn in (signals.pool_utilization, signals.pool_hold_s, signals.upstream_time_s, signals.loop_lag_s):
        assert fn(renamed) == fn(contract) is not None, fn.__name__
        assert fn(unmapped) is None, fn.__name__
    assert signals.pool_saturated(renamed) and not signals.pool_saturated(unmapped)


def test_loop_lag_threshold_is_the_analysis_threshold() -> None:
    from scalectl.analysis.params import AnalysisParams

    assert AnalysisParams().loop_lag_ms / 1000.0 == signals.LOOP_LAG_S


def test_the_limit_is_the_analysis_top_finding_in_its_own_order() -> None:
    """Issue 13: recommend's `limited_by` named another finding than the limit line of the baseline
    (it re-ranked by severity); it now takes the analysis's first finding, skipping the generator's."""
    from scalectl.models import Analysis, Finding

    def f(rule: str, category: str, severity: str, conf: float) -> Finding:
        return Finding(
            rule=rule, category=category, severity=severity, confidence=conf, title=rule, action="-"
        )

    analysis = Analysis(
        run_id="r",
        performance_ok=False,
        findings=[
            f("infra_generator_saturated", "infrastructure", "critical", 0.95),
            f("app_cpu_saturated", "application", "high", 0.9),
            f("db_pool_exhausted", "database", "critical", 0.95),
        ],
    )
    assert signals.limit_from_analysis(analysis) == ("application", "app_cpu_saturated")
