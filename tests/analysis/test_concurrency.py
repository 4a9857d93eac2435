"""The Little's-law rules on synthetic services: what limits a service that stops gaining throughput
(workers, CPU), and "slow at low load" judged only at low load, never on a saturated step."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from scalectl.analysis import analyze_run
from scalectl.analysis.params import AnalysisParams
from scalectl.analysis.rules import application, code
from scalectl.analysis.rules.concurrency import concurrency_limit
from scalectl.models import Analysis, TargetSpec
from tests.analysis.helpers import context, service_run, service_sweep

P = AnalysisParams()
GUNICORN = TargetSpec(
    kind="command",
    command="gunicorn -w {replicas} -b 127.0.0.1:{port} app:app",
    replicas=2,
    knobs={"workers": "{replicas}"},
)
EXTERNAL = TargetSpec(kind="external")
STAIRS = [1] * 5 + [2] * 5 + [4] * 5 + [8] * 5


@dataclass
class Service:
    id: str
    #: "sweep": analyse the top step with its sweep; "alone": the top step without it; "ramp": one run.
    shape: str
    kw: dict = field(default_factory=dict)
    top_rule: str | None = None
    #: Rules that must not be among the findings.
    absent: tuple[str, ...] = ()
    category: str | None = None


CASES = [
    Service(
        "workers-saturated-sweep",  # 2 workers × 100 ms, 5 ms CPU per request: low CPU, flat X, R ∝ users
        "sweep",
        {"target": GUNICORN},
        top_rule="app_concurrency_limit",
        absent=("code_slow_at_low_load", "app_cpu_saturated", "db_latency_rising_cpu_room"),
        category="application",
    ),
    Service(
        "workers-saturated-ramp",
        "ramp",
        {"target": GUNICORN},
        top_rule="app_concurrency_limit",
        absent=("code_slow_at_low_load", "app_cpu_saturated", "db_latency_rising_cpu_room"),
        category="application",
    ),
    Service(
        "workers-saturated-no-telemetry",  # --host, no /metrics, no process telemetry: client side only
        "sweep",
        {"target": EXTERNAL, "cpu_ms_per_request": None},
        top_rule="app_concurrency_limit",
        absent=("code_slow_at_low_load",),
        category="application",
    ),
    Service(
        "cpu-bound",  # each request is 100 ms of CPU: both cores busy at the plateau
        "sweep",
        {"target": GUNICORN, "cpu_ms_per_request": 100.0},
        top_rule="app_cpu_saturated",
        absent=("app_concurrency_limit", "code_slow_at_low_load"),
        category="application",
    ),
    Service(
        "saturated-step-alone",  # the case: a saturated step alone says nothing about code
        "alone",
        {"target": EXTERNAL, "cpu_ms_per_request": None},
        absent=("code_slow_at_low_load", "app_concurrency_limit"),
    ),
    Service(
        "slow-handler",  # 600 ms per request: slow already at one user, and the workers saturate too
        "sweep",
        {"target": GUNICORN, "service_ms": 600.0, "slo": ("p95<300ms",)},
        top_rule="app_concurrency_limit",
        category="application",
    ),
]


def _analyse(case: Service) -> Analysis:
    if case.shape == "ramp":
        return analyze_run(service_run(STAIRS, **case.kw))
    sweep = service_sweep([1, 2, 4, 8], **case.kw)
    return analyze_run(sweep[-1], sweep=sweep if case.shape == "sweep" else ())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_what_limits_a_service(case: Service) -> None:
    analysis = _analyse(case)
    assert not analysis.performance_ok
    rules = [f.rule for f in analysis.findings]
    if case.top_rule:
        assert rules and rules[0] == case.top_rule, rules
        assert analysis.findings[0].category == case.category
    for rule in case.absent:
        assert rule not in rules, (rule, analysis.summary)


def test_the_slow_handler_is_named_from_the_lowest_step_of_the_sweep() -> None:
    # 20 s steps: at 1.7 req/s the 1-user step holds the ``slow_min_requests`` a p95 needs
    sweep = service_sweep([1, 2, 4, 8], 20, target=GUNICORN, service_ms=600.0, slo=("p95<300ms",))
    f = code.slow_at_low_load(context(sweep[-1], sweep=sweep))
    assert f is not None
    assert "the sweep's lowest step (1 user, run step-1)" in f.title
    assert 550 < f.evidence[0].observed < 700  # the 1-user step's p95, not the 8-user step's ~2.4 s


def test_concurrency_names_littles_law_and_the_worker_limit() -> None:
    sweep = service_sweep([1, 2, 4, 8], target=GUNICORN)
    f = concurrency_limit(context(sweep[-1], sweep=sweep))
    assert f is not None and f.severity == "high"
    little = next(e for e in f.evidence if e.metric.startswith("Little's law"))
    assert little.observed == pytest.approx(2.0, rel=0.1)  # 20 req/s × 100 ms: the 2 workers
    assert "worker/connection limit" in f.title and "add workers or replicas" in f.action
    assert "declared knob 'workers'" in f.action
    assert "--target-cmd" in f.verify and "--replicas" in f.verify


def test_without_process_cpu_it_says_what_it_cannot_tell() -> None:
    sweep = service_sweep([1, 2, 4, 8], target=EXTERNAL, cpu_ms_per_request=None)
    f = concurrency_limit(context(sweep[-1], sweep=sweep))
    assert f is not None
    assert "CPU not measured" in f.title and "cannot tell a worker limit from CPU" in f.action
    assert f.confidence == pytest.approx(0.8 * P.client_only_confidence)
    assert "--host http://" in f.verify and "after changing your service" in f.verify


def test_the_plateau_from_the_lowest_step_is_an_upper_bound() -> None:
    # steps 2, 4, 8 on 2 workers: saturated from the first step
    sweep = service_sweep([2, 4, 8], target=GUNICORN)
    f = concurrency_limit(context(sweep[-1], sweep=sweep))
    assert f is not None and "at most 2.0 request(s)" in f.title


def test_a_step_below_the_knee_has_no_plateau() -> None:
    sweep = service_sweep([1, 2, 4, 8], target=GUNICORN)
    ctx = context(sweep[1], sweep=sweep)  # the 2-user step: levels 1 and 2 only
    assert [lv.load for lv in ctx.levels] == [1.0, 2.0]
    assert concurrency_limit(ctx) is None


def test_throughput_that_keeps_growing_is_no_concurrency_limit() -> None:
    sweep = service_sweep([1, 2, 4, 8], target=GUNICORN, workers=16)
    assert concurrency_limit(context(sweep[-1], sweep=sweep)) is None


@pytest.mark.parametrize(
    ("users", "service_ms", "fires"),
    [
        ([1] * 20, 600.0, True),  # one user at a time: its latency is the code's
        ([8] * 10, 600.0, False),  # one saturated level, nothing says it is low load
        ([8] * 10, 100.0, False),  # queueing to 400 ms at 8 users: not the code
    ],
    ids=["one-user", "saturated-level", "queueing-level"],
)
def test_slow_at_low_load_only_at_low_load(users: list[int], service_ms: float, fires: bool) -> None:
    run = service_run(users, service_ms=service_ms, target=EXTERNAL, slo=("p95<300ms",))
    assert (code.slow_at_low_load(context(run)) is not None) is fires


def test_a_ramp_judges_slowness_on_its_lowest_level() -> None:
    stairs = [1] * 20 + STAIRS[5:]  # 20 s at 1 user: enough requests of a 600 ms route for a p95
    run = service_run(stairs, service_ms=600.0, target=GUNICORN, slo=("p95<300ms",))
    f = code.slow_at_low_load(context(run))
    assert f is not None and "this run's low load (1 user, t=1-20s)" in f.title
    fast = service_run(STAIRS, service_ms=100.0, target=GUNICORN, slo=("p95<300ms",))
    assert code.slow_at_low_load(context(fast)) is None  # the 8-user stair is ~400 ms: queueing


def test_cpu_bound_is_left_to_the_cpu_rule() -> None:
    sweep = service_sweep([1, 2, 4, 8], target=GUNICORN, cpu_ms_per_request=100.0)
    ctx = context(sweep[-1], sweep=sweep)
    assert ctx.plateau is not None
    assert concurrency_limit(ctx) is None
    f = application.cpu_saturated(ctx)
    assert f is not None and "2 core(s)" in f.title  # a command's process tree may use every core


def test_cpu_bound_workers_with_free_cores_are_a_worker_limit() -> None:
    # 2 sync workers, each computing 100 ms per request, on a 4-core host: the tree uses 2 of 4 cores
    # (under its allotment), each worker a whole core: more workers would use the free cores
    from scalectl.models import Environment

    sweep = service_sweep(
        [1, 2, 4, 8],
        target=GUNICORN,
        cpu_ms_per_request=100.0,
        environment=Environment(cpu_count=4, hostname="test"),
    )
    for run in sweep:
        tree = run.telemetry[0].metrics["cpu_percent"]
        run.telemetry[0].metrics['cpu_percent{pid="11"}'] = [min(c, 100.0) for c in tree]
        run.telemetry[0].metrics['cpu_percent{pid="12"}'] = [max(c - 100.0, 0.0) for c in tree]
    ctx = context(sweep[-1], sweep=sweep)
    assert application.cpu_saturated(ctx) is None  # 50% of the host's 4 cores
    f = concurrency_limit(ctx)
    assert f is not None and "busiest process at 100% of a core" in f.title
    assert "add workers or replicas" in f.action
