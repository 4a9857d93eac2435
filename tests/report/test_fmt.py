"""Number formatting shared by the text reporters (``report/fmt.py``)."""

from __future__ import annotations

import pytest

from scalectl.analysis.throughput import active_rps
from scalectl.capacity.usl import fit_usl, usl_throughput
from scalectl.models import Environment, Recommendation, Resources, SloResult
from scalectl.report import fmt
from tests.factories import lognormal_latency, make_run


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "–"),
        (0.123, "0.12 ms"),
        (9.999, "10.00 ms"),
        (12.34, "12.3 ms"),
        (123.4, "123 ms"),
        (1234, "1.23 s"),
    ],
)
def test_ms_picks_precision_by_magnitude(value, text) -> None:
    assert fmt.ms(value) == text


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: fmt.num(1234.567), "1,234.6"),
        (lambda: fmt.num(None), "–"),
        (lambda: fmt.num(2.5, 0), "2"),
        (lambda: fmt.pct(0.01234), "1.23%"),
        (lambda: fmt.pct(0.5, 0), "50%"),
        (lambda: fmt.pct(None), "–"),
        (lambda: fmt.delta(0.054), "+5.4%"),
        (lambda: fmt.delta(-0.1), "-10.0%"),
        (lambda: fmt.delta(None), "–"),
        (lambda: fmt.mib(512 * 2**20), "512 MiB"),
        (lambda: fmt.mib(3 * 2**30), "3.0 GiB"),
        (lambda: fmt.duration(90), "1m30s"),
    ],
)
def test_plain_numbers(call, text) -> None:
    assert call() == text


def test_environment_line_says_where_it_was_measured() -> None:
    env = Environment(
        cpu_count=2,
        cpu_model="EPYC",
        memory_bytes=8 * 2**30,
        replicas=2,
        cpus_per_replica=1.0,
        workers=3,
        python="3.12.1",
        locust_version="2.40",
        hostname="ci-1",
    )
    assert fmt.environment(env) == (
        "2 cores (EPYC), 8.0 GiB, 2 replicas × 1 CPU, 3 workers, python 3.12.1, locust 2.40, host ci-1"
    )
    assert fmt.environment(Environment(replicas=1)) == "1 replica"
    assert fmt.environment(Environment()) == "unknown"


def test_completeness_and_warmup() -> None:
    run = make_run(seconds=6)
    assert fmt.completeness(run) == "complete"
    cut = run.model_copy(update={"complete": False, "stop_reason": "interrupted (Ctrl-C)"})
    assert fmt.completeness(cut) == "INCOMPLETE (interrupted (Ctrl-C))"
    warm = run.model_copy(update={"warmup_s": 2.0, "scenario": {"load": {"warmup": 1.5}}})
    assert fmt.warmup(warm) == (
        "the first 2.0 s not counted (warm-up 1.5 s asked, counted from the next whole second)"
    )
    assert fmt.completeness(warm).startswith("complete; the first 2.0 s")
    same = warm.model_copy(update={"scenario": {"load": {"warmup": 2}}})
    assert fmt.warmup(same) == "the first 2.0 s not counted (warm-up)"


def test_samples_line() -> None:
    run = make_run(rps=100, seconds=5, failure_rate=0.1, seed=2)
    t = run.total
    assert fmt.samples(run) == f"{t.requests:,} requests, {t.failures:,} failed ({t.failure_rate * 100:.2f}%)"
    assert t.failures > 0


@pytest.mark.parametrize(
    ("expression", "value", "text"),
    [
        ("p95<300ms", 251.0, "251 ms"),
        ("error_rate<1%", 0.004, "0.40%"),
        ("rps>100", 120.5, "120.5 req/s"),
        ("requests>1000", 1234.0, "1,234"),
        ("p95<300ms", None, "–"),
    ],
)
def test_slo_values_in_their_unit(expression, value, text) -> None:
    r = SloResult(expression=expression, observed=value, limit=value)
    assert fmt.slo_observed(r) == text
    assert fmt.slo_limit(r) == text


def test_verdict_words() -> None:
    assert [fmt.slo_status(v) for v in (True, False, None)] == ["pass", "FAIL", "n/a"]
    assert fmt.verdict_text(True, 0) == "no SLO given"
    assert [fmt.verdict_text(v, 2) for v in (True, False, None)] == [
        "SLOs met",
        "SLO violated",
        "SLOs not judged",
    ]
    assert fmt.compare_value(12.345, "ms") == "12.3 ms"
    assert fmt.compare_value(1.5, "%") == "1.50%"
    assert fmt.compare_value(1500.0, "req/s") == "1,500.0"
    assert fmt.compare_value(None, "ms") == "–"


def test_latency_of_an_endpoint_without_requests_is_a_dash() -> None:
    run = make_run(endpoints={"GET /a": lognormal_latency(20.0)}, seconds=4)
    ep = run.endpoints[0]
    assert fmt.lat_ms(ep, "p95") == fmt.ms(ep.latency_ms.p95)
    idle = ep.model_copy(update={"requests": 0})
    assert fmt.latency_line(idle, sep="|") == "p50 –|p95 –|p99 –|max –"


def test_endpoint_rps_shares_the_one_throughput() -> None:
    run = make_run(
        endpoints={"GET /a": lognormal_latency(10.0), "GET /b": lognormal_latency(10.0)}, rps=80, seconds=10
    )
    total = active_rps(run)
    assert sum(fmt.endpoint_rps(run, ep) for ep in run.endpoints) == pytest.approx(total)
    assert fmt.endpoint_rps(run, run.total) == pytest.approx(total)
    assert fmt.throughput(run) == f"{fmt.num(total)} req/s"


def _rec(**kw) -> Recommendation:
    model = fit_usl([(n, float(usl_throughput(n, 100.0, 0.05, 0.0))) for n in (1, 2, 3)])
    base = dict(
        target_rps=250.0,
        slo=["p95<300ms"],
        replicas=5,
        needed_replicas=4,
        reachable=True,
        resources=Resources(
            cpu_request="250m", cpu_limit="500m", memory_request="128Mi", memory_limit="160Mi"
        ),
        model=model,
    )
    return Recommendation(**{**base, **kw})


def test_usl_fit_in_one_line() -> None:
    m = _rec().model
    text = fmt.usl_fit(m, sep=", ")
    assert text.startswith(f"λ={m.lam:.4g}, σ={m.sigma:.4g}, κ=")
    assert text.endswith(f"on {m.n_points} points (replicas)")


def test_capacity_rows_never_show_the_target_applied_figure_first() -> None:
    rows = fmt.capacity_rows(_rec(per_replica_capacity_rps=100.0, predicted_capacity_rps=350.0))
    assert rows == [
        ("Per-replica capacity", "100.0 req/s at the SLO"),
        ("Predicted capacity", "350.0 req/s on 4 replicas; 245.0 usable at the 70% utilization target"),
    ]
    assert fmt.capacity_rows(_rec()) == [("Utilization target", "70%")]
