"""The threshold grammar: every accepted form, every error, and evaluation against a run."""

from __future__ import annotations

import pytest

from scalectl.errors import InputError
from scalectl.slo import Threshold, evaluate, format_value, observe, parse_all, parse_threshold
from tests.factories import lognormal_latency, make_run


def evaluate_one(th, run):
    """(observed, ok) of one expression through the one evaluator."""
    (r,) = evaluate(run, [th])
    return r.observed, r.ok


# text, metric, stat, op, value (canonical units), scope, percentile
FORMS = [
    ("p(95)<300", "latency", "p95", "<", 300.0, None, 95.0),
    ("p(99.9)<=1500", "latency", "p99.9", "<=", 1500.0, None, 99.9),
    ("rate<0.01", "error_rate", "error_rate", "<", 0.01, None, None),
    ("http_reqs>100", "requests", "requests", ">", 100.0, None, None),
    ("count>=10", "requests", "requests", ">=", 10.0, None, None),
    ("http_req_duration: p(99)<800", "latency", "p99", "<", 800.0, None, 99.0),
    ("http_req_duration: avg<200", "latency", "mean", "<", 200.0, None, None),
    ("http_req_failed: rate<0.01", "error_rate", "error_rate", "<", 0.01, None, None),
    ("http_reqs: count>100", "requests", "requests", ">", 100.0, None, None),
    ("http_reqs: rate>10", "rps", "rps", ">", 10.0, None, None),
    ("p95<300ms", "latency", "p95", "<", 300.0, None, 95.0),
    ("p99<0.5s", "latency", "p99", "<", 500.0, None, 99.0),
    ("p50<1500us", "latency", "p50", "<", 1.5, None, 50.0),
    ("p50<1500µs", "latency", "p50", "<", 1.5, None, 50.0),
    ("med<20", "latency", "p50", "<", 20.0, None, 50.0),
    ("max<2s", "latency", "max", "<", 2000.0, None, None),
    ("min>0", "latency", "min", ">", 0.0, None, None),
    ("mean<=.5s", "latency", "mean", "<=", 500.0, None, None),
    ("error_rate<1%", "error_rate", "error_rate", "<", 0.01, None, None),
    ("failure_rate<=0.5%", "error_rate", "error_rate", "<=", 0.005, None, None),
    ("rps>=100", "rps", "rps", ">=", 100.0, None, None),
    ("throughput>50/s", "rps", "rps", ">", 50.0, None, None),
    ("rps>50req/s", "rps", "rps", ">", 50.0, None, None),
    ("p95 < 300 ms", "latency", "p95", "<", 300.0, None, 95.0),
    ("P95<300MS", "latency", "p95", "<", 300.0, None, 95.0),
    ("p100==5", "latency", "p100", "==", 5.0, None, 100.0),
    ("/api/content/{id}: p95<300ms", "latency", "p95", "<", 300.0, "/api/content/{id}", 95.0),
    ("GET /api/x: p99<1s", "latency", "p99", "<", 1000.0, "GET /api/x", 99.0),
    ("GET /api/x:error_rate<2%", "error_rate", "error_rate", "<", 0.02, "GET /api/x", None),
    ("GET /api/x: http_req_duration: p(95)<300", "latency", "p95", "<", 300.0, "GET /api/x", 95.0),
    ("  overall: rps>1  ", "rps", "rps", ">", 1.0, "overall", None),
]


@pytest.mark.parametrize(("text", "metric", "stat", "op", "value", "scope", "pct"), FORMS)
def test_every_form_parses(text, metric, stat, op, value, scope, pct) -> None:
    th = parse_threshold(text)
    assert (th.metric, th.stat, th.op, th.scope, th.percentile) == (metric, stat, op, scope, pct)
    assert th.value == pytest.approx(value)
    assert th.text == text.strip()


# text, a fragment the message must contain
ERRORS = [
    ("", "empty expression"),
    ("   ", "empty expression"),
    ("p95", "no comparison operator"),
    ("p95 300ms", "no comparison operator"),
    ("<300", "no statistic before '<'"),
    ("p95<", "no number after '<'"),
    ("p95<abc", "expected a non-negative number after '<'"),
    ("p95<-3", "expected a non-negative number"),
    ("p95<<3", "more than one comparison operator"),
    ("p95<3<4", "more than one comparison operator"),
    ("latency<3", "unknown statistic 'latency'"),
    ("p(95<3", "cannot read the statistic"),
    ("p(0)<3", "percentile 0 is outside (0, 100]"),
    ("p101<3", "percentile 101 is outside (0, 100]"),
    ("p95<3kg", "unit 'kg' is not a time unit"),
    ("p95<3%", "unit '%' is not a time unit"),
    ("rate<2", "a rate is a fraction from 0 to 1"),
    ("error_rate<150%", "a rate is a fraction from 0 to 1"),
    ("error_rate<1ms", "unit 'ms' does not fit a rate"),
    ("rps>10ms", "unit 'ms' does not fit rps"),
    ("http_reqs>10/s", "unit '/s' does not fit requests"),
    ("http_req_duration: rate<0.1", "http_req_duration takes a latency statistic"),
    ("http_req_failed: p95<3", "http_req_failed takes 'rate'"),
    ("http_reqs: p95<3", "http_reqs takes 'count' or 'rate'"),
    (": p95<3", "empty scope before the colon"),
    ("/api/x:", "nothing after the colon"),
    ("/api/x: ", "nothing after the colon"),
]


@pytest.mark.parametrize(("text", "fragment"), ERRORS)
def test_every_error_names_the_expression_and_what_was_expected(text, fragment) -> None:
    with pytest.raises(InputError) as info:
        parse_threshold(text)
    exc = info.value
    assert exc.exit_code == 2
    assert fragment in exc.message
    assert repr(text) in exc.message
    assert exc.hint and "expected" in exc.hint and "p95<300ms" in exc.hint


def test_parse_all_parses_each_and_stops_at_the_first_bad_one() -> None:
    assert [t.stat for t in parse_all(["p95<3", "rps>1"])] == ["p95", "rps"]
    with pytest.raises(InputError, match="'nope<3'"):
        parse_all(["p95<3", "nope<3"])


@pytest.mark.parametrize(
    ("op", "value", "observed", "holds"),
    [("<", 10, 9.99, True), ("<", 10, 10, False), ("<=", 10, 10, True), (">", 10, 10, False),
     (">=", 10, 10, True), ("==", 10, 10, True), ("==", 10, 10.5, False)],
)  # fmt: skip
def test_operators(op, value, observed, holds) -> None:
    assert parse_threshold(f"p95{op}{value}").holds(observed) is holds


@pytest.mark.parametrize(
    ("metric", "value", "text"),
    [("latency", 312.44, "312.4 ms"), ("error_rate", 0.0125, "1.25%"), ("rps", 98.2, "98.2 req/s"),
     ("requests", 1200, "1200")],
)  # fmt: skip
def test_format_value(metric, value, text) -> None:
    assert format_value(metric, value) == text


def test_describe_says_scope() -> None:
    assert parse_threshold("p95<300").describe() == "p95 < 300 ms (overall)"
    assert parse_threshold("/x: rate<1%").describe() == "error_rate < 1% (/x)"
    assert isinstance(parse_threshold("p95<1"), Threshold)


@pytest.fixture(scope="module")
def run():
    return make_run(
        endpoints={"GET /a": lognormal_latency(10.0), "POST /b": lognormal_latency(100.0)},
        rps=100,
        seconds=10,
        failure_rate={"POST /b": 0.1},
        seed=3,
    )


def test_evaluate_overall_and_scoped(run) -> None:
    a, b = run.endpoint("GET /a"), run.endpoint("POST /b")
    obs, ok = evaluate_one(parse_threshold("p95<10s"), run)
    assert obs == pytest.approx(run.total.latency_ms.p95) and ok is True
    obs, ok = evaluate_one(parse_threshold("/a: p50<50"), run)
    assert obs == pytest.approx(a.latency_ms.p50) and ok is True
    obs, ok = evaluate_one(parse_threshold("POST /b: p50<50"), run)
    assert obs == pytest.approx(b.latency_ms.p50) and ok is False
    obs, ok = evaluate_one(parse_threshold("POST /b: error_rate<1%"), run)
    assert obs == pytest.approx(b.failures / b.requests) and ok is False
    obs, ok = evaluate_one(parse_threshold("http_reqs>100"), run)
    assert obs == run.total.requests and ok is True
    obs, ok = evaluate_one(parse_threshold("rps>=100"), run)
    assert obs == pytest.approx(run.total.rps) and ok is True
    obs, ok = evaluate_one(parse_threshold("total: max<1"), run)
    assert obs == pytest.approx(run.total.latency_ms.max) and ok is False


def test_evaluate_reads_any_percentile_from_the_histogram(run) -> None:
    obs75, _ = evaluate_one(parse_threshold("/a: p75<1000"), run)
    a = run.endpoint("/a").latency_ms
    assert a.p50 < obs75 < a.p95


def test_evaluate_missing_scope_or_no_requests_is_undecided(run) -> None:
    assert evaluate_one(parse_threshold("/nope: p95<1"), run) == (None, None)
    empty = run.endpoint("/a").model_copy(update={"requests": 0})
    assert observe(parse_threshold("p95<1"), empty, 10.0) is None
    assert observe(parse_threshold("rate<0.1"), empty, 10.0) is None
    assert observe(parse_threshold("http_reqs>1"), empty, 10.0) == 0.0


def test_evaluate_gives_one_result_per_expression_with_a_reason_when_undecided(run) -> None:
    from scalectl.slo import NO_ENDPOINT, NOTHING_MEASURED

    res = evaluate(run, ["p95<10s", "/nope: p95<1", " error_rate<50% "])
    assert [r.scope for r in res] == ["overall", "/nope", "overall"]
    assert res[0].ok is True and res[0].note is None and res[0].limit == 10_000.0
    assert res[1].ok is None and res[1].note == NO_ENDPOINT
    assert res[2].expression == " error_rate<50% "  # as the user wrote it
    assert res[2].observed == pytest.approx(run.total.failure_rate)
    empty = run.model_copy(update={"total": run.total.model_copy(update={"requests": 0, "failures": 0})})
    (r,) = evaluate(empty, ["p95<1s"])
    assert r.ok is None and r.note == NOTHING_MEASURED


def test_evaluate_per_endpoint_adds_informational_rows_for_overall_latency_and_errors(run) -> None:
    from scalectl.slo import PER_ENDPOINT

    res = evaluate(run, ["p95<50ms", "rps>1", "POST /b: p95<1s"], per_endpoint=True)
    per = [r for r in res if r.note == PER_ENDPOINT]
    assert [(r.expression, r.scope) for r in per] == [("p95<50ms", "GET /a"), ("p95<50ms", "POST /b")]
    assert per[0].ok is True and per[1].ok is False
    assert len(res) == 5


def test_meets_adds_the_knee_guards(run) -> None:
    from scalectl.slo import Measured, meets

    slo = parse_all(["p95<10s"])
    assert meets(run, slo, max_error_rate=0.5)
    assert not meets(run, slo, max_error_rate=0.01)  # POST /b fails 10%
    assert not meets(run, parse_all(["p95<1ms"]), max_error_rate=0.5)
    assert meets(run, parse_all(["/nope: p95<1ms"]), max_error_rate=0.5)  # undecided does not fail
    a = run.endpoint("GET /a")
    assert a is not None and meets(a, parse_all(["p95<1s"]), 0.0)
    level = Measured(total=run.total, endpoints=[a], duration_s=2.0)
    assert evaluate(level, ["/a: p95<1s", "POST /b: p95<1s"])[1].ok is None
    assert evaluate(level, ["rps>0"])[0].observed == run.total.rps


def test_failure_rate_is_filled_in_by_the_model() -> None:
    from scalectl.models import EndpointStats

    assert EndpointStats(name="Total", requests=200, failures=3).failure_rate == 0.015
    assert EndpointStats(name="Total", requests=0, failures=0).failure_rate == 0.0


def test_an_rps_slo_is_judged_on_the_one_throughput_figure() -> None:
    """Issue 13: an `rps>N` row showed requests over the wall time (start-up and drain seconds in),
    while every view showed the active rate; both are now the active rate (and an endpoint its share)."""
    from scalectl.analysis.throughput import active_rps
    from scalectl.report.fmt import endpoint_rps

    run = make_run(
        endpoints={"GET /a": lognormal_latency(20.0), "GET /b": lognormal_latency(30.0)},
        rps=[5.0, 100.0, 100.0, 100.0, 100.0, 100.0, 40.0],
        seconds=7,
    )
    assert run.total.rps < active_rps(run)  # the partial edge seconds pull the wall-clock rate down
    [overall, scoped] = evaluate(run, ["rps>=1", "GET /a: rps>=1"])
    assert overall.observed == pytest.approx(active_rps(run))
    assert scoped.observed == pytest.approx(endpoint_rps(run, run.endpoint("GET /a")))
