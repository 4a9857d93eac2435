"""End to end: the bundled target put into known states by its knobs, loaded by the load engine,
analysed through the CLI. Each state must give the right top finding; the healthy run none.

Slow (a real load test of about 10 s each, plus target start-up): ``pytest -m slow tests/analysis``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalectl import storage
from scalectl.cli.main import app

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SCENARIOS = Path(__file__).parent / "scenarios"
SMALL = {"SEED_CONTENT_ROWS": "2000"}

CASES = {
    "healthy": ({}, None),
    "db_bound": (
        {"DB_POOL_SIZE": "1", "DB_MAX_OVERFLOW": "0", "DB_SLOW_QUERY_MS": "50", "CACHE_ENABLED": "0"},
        ("database",),
    ),
    # CPU work on the event loop: the replica's CPU, or (on a host whose cores other processes keep
    # busy, where the replica cannot reach its full core) the loop lag it causes
    "cpu_bound": ({"SEO_CPU_WORK": "200"}, ("app_cpu_saturated", "app_event_loop_lag")),
    "rate_limited": ({"RATE_LIMIT_DEFAULT": "30/minute"}, ("app_rate_limited",)),
    "upstream_failing": ({"LLM_FAILURE_RATE": "1", "RATE_LIMIT_ENABLED": "0"}, ("app_breaker_open",)),
    "generator_bound": ({}, ("infra_generator_saturated",)),
}


@pytest.fixture(scope="module")
def run_scenario():
    load = pytest.importorskip("scalectl.load", reason="the load engine is not in this tree yet")
    pytest.importorskip("scalectl.target", reason="the bundled target is not in this tree yet")
    return load.run_scenario


@pytest.mark.parametrize("state", list(CASES))
def test_known_state_gives_the_right_top_finding(state: str, run_scenario, tmp_path: Path) -> None:
    env, expected = CASES[state]
    run, run_dir = run_scenario(SCENARIOS / f"{state}.yaml", root=tmp_path, target_env={**SMALL, **env})
    assert run.total.requests > 0
    result = CliRunner().invoke(app, ["analyze", str(run_dir)])
    assert result.exit_code == 0, result.output
    analysis = storage.load_analysis(run_dir)
    assert analysis is not None
    summary = [(f.rule, f.severity, f.title) for f in analysis.findings]
    if expected is None:
        assert analysis.performance_ok, (analysis.summary, summary)
        assert analysis.findings == []
        assert "continue normal operations" in result.output
        return
    if state == "generator_bound" and not run.generator.saturated:
        # one Locust process could not be pushed past 90% of a core here (other processes share the
        # host's cores); the flowchart's generator-first rule is covered by test_flowchart.py
        pytest.skip(f"the generator did not saturate on this host (max {run.generator.cpu_percent_max:.0f}%)")
    assert not analysis.performance_ok, summary
    assert analysis.telemetry_available
    top = analysis.findings[0]
    assert top.rule in expected or top.category in expected, (state, summary)
    assert top.action and top.verify
