from __future__ import annotations

import pytest

from scalectl.analysis import AnalysisParams, analyze_run
from scalectl.analysis.flowchart import sort_findings
from scalectl.errors import InputError
from scalectl.models import Analysis, Finding, GeneratorInfo
from tests.analysis.helpers import base_run, counter, pool, process, prom, set_errors


def _steps(a: Analysis) -> list[str]:
    return [s.step for s in a.path]


def test_healthy_run_continues_normal_operations_without_findings() -> None:
    a = analyze_run(base_run())
    assert a.performance_ok
    assert a.findings == []
    assert _steps(a) == ["monitor", "performance_ok"]
    assert "continue normal operations" in a.path[-1].verdict
    assert "continue normal operations" in a.summary
    assert a.headroom is None and not a.telemetry_available
    assert any("client-side" in n for n in a.notes)


def test_healthy_run_reports_measured_headroom_and_invents_nothing() -> None:
    run = base_run()
    # a latent condition that would be a finding on a failing run: low cache hit ratio
    run.telemetry = [
        process("pid", 30.0),
        prom(
            "r0",
            {
                **pool(checked_out=2),
                'cache_hits_total{cache="c"}': counter(10.0),
                'cache_misses_total{cache="c"}': counter(90.0),
            },
        ),
    ]
    a = analyze_run(run)
    assert a.performance_ok and a.findings == []
    assert a.headroom == pytest.approx(0.7)  # busiest resource: CPU at 30% of one core
    assert "headroom 70%" in a.summary


def test_generator_saturated_is_said_first() -> None:
    run = set_errors(base_run(), "http_503", 5)
    run.telemetry = [prom("r0", {**pool(checked_out=10), "db_pool_timeouts_total": counter(5.0)})]
    run.generator = GeneratorInfo(cpu_percent_max=100.0, saturated=True)
    a = analyze_run(run)
    assert not a.performance_ok
    assert a.findings[0].rule == "infra_generator_saturated"
    assert "cannot size anything" in a.findings[0].title
    assert _steps(a)[:3] == ["monitor", "generator", "performance_ok"]
    assert any(f.rule == "db_pool_exhausted" for f in a.findings[1:])


def test_generator_saturated_makes_even_a_passing_run_not_ok() -> None:
    run = base_run()
    run.generator = GeneratorInfo(saturated=True)
    a = analyze_run(run)
    assert not a.performance_ok
    assert [f.rule for f in a.findings][0] == "infra_generator_saturated"


def test_database_bound_top_finding_and_scale_step() -> None:
    run = set_errors(base_run(latency_ms=1500.0), "http_503", 3)
    run.telemetry = [
        process("pid", 30.0),
        prom("r0", {**pool(checked_out=10, wait_ms=200.0), "db_pool_timeouts_total": counter(3.0)}),
    ]
    a = analyze_run(run)
    assert not a.performance_ok
    assert a.findings[0].category == "database"
    db = next(s for s in a.path if s.step == "database")
    assert db.outcome is True and db.verdict.startswith("yes")
    scale = a.path[-1]
    assert scale.step == "scale" and "DB_POOL_SIZE" in scale.verdict
    assert scale.details and scale.details[0].startswith("verify: DB_POOL_SIZE=")
    assert [SEV[f.severity] for f in a.findings] == sorted(SEV[f.severity] for f in a.findings)


SEV = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def test_cpu_bound_top_finding_is_application() -> None:
    run = base_run(latency_ms=1500.0)
    run.telemetry = [process("pid", 99.0), prom("r0", pool(checked_out=1))]
    a = analyze_run(run)
    assert a.findings[0].rule == "app_cpu_saturated"
    assert a.findings[0].category == "application"


def test_client_side_only_analysis_has_lower_confidence_and_says_so() -> None:
    run = set_errors(base_run(), "http_503", 3)
    a = analyze_run(run)
    assert not a.telemetry_available
    assert a.findings and all(f.confidence <= 0.5 for f in a.findings)
    assert any("client-side" in n for n in a.notes)
    server = set_errors(base_run(), "http_503", 3)
    server.telemetry = [prom("r0", {**pool(checked_out=10), "db_pool_timeouts_total": counter(3.0)})]
    assert analyze_run(server).findings[0].confidence > a.findings[0].confidence


def test_not_ok_without_evidence_says_what_to_do() -> None:
    a = analyze_run(base_run(latency_ms=50.0), slo=["p95<10ms"])
    assert not a.performance_ok
    # at constant load without telemetry, "slow at low load" is the only (client-side) reading
    assert all(f.category == "code" for f in a.findings)
    assert a.path[-1].step == "scale"


def test_open_model_shortfall_is_not_ok() -> None:
    run = base_run()
    run.load_model = "open"
    for s in run.series:
        s.offered_rps = 60.0  # 40 achieved
    a = analyze_run(run)
    assert not a.performance_ok
    assert a.offered_rps == pytest.approx(60.0)
    assert "of 60 offered" in a.path[0].verdict
    assert "short" in a.path[1].verdict


def test_slo_results_overall_and_per_endpoint() -> None:
    run = base_run("two_routes", slow_ms=300.0)
    a = analyze_run(run, slo=["p95<200ms", "/fast: p95<50ms"])
    by = {(r.expression, r.scope): r for r in a.slo}
    assert by[("p95<200ms", "GET /slow")].ok is False
    assert by[("p95<200ms", "GET /fast")].ok is True
    assert by[("/fast: p95<50ms", "/fast")].ok is True
    assert by[("p95<200ms", "overall")].ok is False
    details = a.path[0].details
    assert any(d.startswith("p95<200ms [GET /slow]:") and d.endswith("MISSED") for d in details)
    assert not any("[GET /fast]" in d for d in details)  # per-endpoint views that hold are counted
    assert "1 per-endpoint view(s) of the overall SLOs hold" in details


def test_run_slo_used_when_none_given_and_bad_slo_raises() -> None:
    run = base_run()
    run.slo = ["p95<1ms"]
    assert not analyze_run(run).performance_ok
    assert analyze_run(run, slo=["p95<10s"]).performance_ok
    with pytest.raises(InputError):
        analyze_run(run, slo=["p95<<1"])


def test_params_change_the_verdict() -> None:
    run = set_errors(base_run(), "http_503", 1)  # 2.5% errors
    assert not analyze_run(run, slo=["p95<1s"]).performance_ok
    assert analyze_run(run, slo=["p95<1s"], params=AnalysisParams(max_error_rate=0.05)).performance_ok


def test_analysis_round_trips_through_json() -> None:
    run = set_errors(base_run(), "http_429", 4)
    a = analyze_run(run)
    assert Analysis.model_validate_json(a.model_dump_json()) == a


def test_sort_findings_generator_first_then_severity() -> None:
    def f(rule: str, cat: str, sev: str, conf: float = 0.5) -> Finding:
        return Finding(rule=rule, category=cat, severity=sev, confidence=conf, title=rule, action="x")

    got = sort_findings(
        [
            f("c", "code", "critical"),
            f("a", "application", "high"),
            f("d", "database", "high"),
            f("infra_generator_saturated", "infrastructure", "critical", 0.1),
            f("d2", "database", "critical", 0.9),
        ]
    )
    assert [x.rule for x in got] == ["infra_generator_saturated", "d2", "c", "d", "a"]


def test_empty_run_is_not_ok() -> None:
    run = base_run()
    run.series = []
    run.total.requests = 0
    run.endpoints = []
    a = analyze_run(run)
    assert not a.performance_ok
    assert any("no requests" in s.verdict for s in a.path)


@pytest.mark.parametrize(
    ("cpu", "top_rule", "pool_severity"),
    [(99.0, "app_cpu_saturated", "medium"), (40.0, "db_pool_saturated", "high")],
)
def test_a_full_pool_on_a_saturated_cpu_is_a_symptom(cpu: float, top_rule: str, pool_severity: str) -> None:
    # a slow run: the SLO is missed, the pool is at its maximum all the time
    run = base_run(latency_ms=2000.0)
    run.telemetry = [process("replica-0", cpu), prom("replica-0", pool(checked_out=10))]
    a = analyze_run(run, slo=["p95<300ms"])
    assert not a.performance_ok
    assert a.findings[0].rule == top_rule
    saturated = next(f for f in a.findings if f.rule == "db_pool_saturated")
    assert saturated.severity == pool_severity
    says_symptom = any("CPU saturated" in (e.note or "") for e in saturated.evidence)
    assert says_symptom == (cpu >= 85.0)
