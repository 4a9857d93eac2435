"""``scalectl gate`` through the CLI on synthetic run directories and baselines (CliRunner)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalectl import storage
from scalectl.cli.main import app
from scalectl.errors import TargetError
from scalectl.models import Baseline, BaselineStep, RunResult
from tests.factories import lognormal_latency, make_run

runner = CliRunner()
#: A valid scenario named like the baseline (the gate loads it before any load runs).
SMOKE_YAML = "name: smoke\nrequests:\n  - path: /\nload:\n  stages:\n    - {users: 1, duration: 1s}\n"
EPS = {"GET /api/content/{id}": lognormal_latency(8.0), "GET /api/content": lognormal_latency(20.0)}


def _run(seed: int, slow: float = 1.0, **kw) -> RunResult:
    eps = {**EPS, "GET /api/content/{id}": lognormal_latency(8.0 * slow)}
    return make_run(
        endpoints=eps, rps=60, seconds=10, seed=seed, scenario_name="smoke", run_id=f"r{seed}", **kw
    )


def _write_run(tmp: Path, run: RunResult) -> Path:
    d = tmp / "runs" / run.run_id
    storage.write_model(d / "run.json", run)
    return d


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gate")
    base = _run(1)
    baseline = Baseline(
        name="smoke",
        scenario_name="smoke",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        steps=[BaselineStep(index=0, users=10, rps=base.total.rps, p50_ms=1, p95_ms=1, p99_ms=1, error_rate=0,
                            slo_ok=True, run=base)],
    )  # fmt: skip
    storage.write_model(tmp / "smoke.json", baseline)
    return {
        "tmp": tmp,
        "base_dir": _write_run(tmp, base),
        "baseline": tmp / "smoke.json",
        "same": _write_run(tmp, _run(2)),
        "slow": _write_run(tmp, _run(3, slow=2.0)),
        "other": _write_run(tmp, make_run(seed=4, run_id="other", scenario_name="other")),
    }


def invoke(*args: str):
    """The synthetic runs have no run-to-run machine noise: judge them as from a quiet machine."""
    given = {"--run-noise", "--relative-noise"} & set(args)
    extra = [] if given else ["--run-noise", "0.02", "--relative-noise", "0.02"]
    return runner.invoke(app, ["gate", *map(str, args), *extra])


def test_same_configuration_passes_and_writes_every_report(dirs, tmp_path) -> None:
    junit, md, js = tmp_path / "g.xml", tmp_path / "g.md", tmp_path / "g.json"
    r = invoke("--run", dirs["same"], "--baseline", dirs["baseline"], "--junit", junit, "--markdown", md,
               "--json", js, "-t", "p95<10s")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "PASS:" in r.output
    root = ET.fromstring(junit.read_text())
    assert int(root.get("tests")) > 10 and root.get("failures") == "0"
    warned = sum(c["status"] == "warn" for c in json.loads(js.read_text())["checks"])
    title = (
        f"## ⚠️ Performance gate passed with {warned} warning" if warned else "## ✅ Performance gate passed"
    )
    assert md.read_text().startswith(title)  # a warning is never hidden under "passed"
    verdict = json.loads(js.read_text())
    assert verdict["passed"] is True and verdict["baseline"] == str(dirs["baseline"])


def test_baseline_may_be_a_run_directory(dirs) -> None:
    assert invoke("--run", dirs["same"], "--baseline", dirs["base_dir"]).exit_code == 0


def test_run_noise_is_a_setting(dirs, tmp_path) -> None:
    js = tmp_path / "v.json"
    assert (
        invoke(
            "--run", dirs["slow"], "--baseline", dirs["baseline"], "--run-noise", "0", "--json", js
        ).exit_code
        == 1
    )
    # a huge run-to-run noise silences the absolute checks, not the endpoint-vs-rest ones ...
    noisy = invoke("--run", dirs["slow"], "--baseline", dirs["baseline"], "--run-noise", "3", "--json", js)
    assert noisy.exit_code == 1, noisy.output
    failed = [c for c in json.loads(js.read_text())["checks"] if c["status"] == "fail"]
    assert failed and all(c["metric"].endswith(" vs rest") for c in failed)
    assert {c["scope"] for c in failed} == {"GET /api/content/{id}"}
    # ... which have their own noise setting
    args = ("--run", dirs["slow"], "--baseline", dirs["baseline"], "--json", js)
    both = invoke(*args, "--run-noise", "3", "--relative-noise", "3")
    assert both.exit_code == 0, both.output
    assert any(c["status"] == "warn" for c in json.loads(js.read_text())["checks"])


def test_a_slower_endpoint_fails_with_one_line_per_failed_check(dirs, tmp_path) -> None:
    junit = tmp_path / "g.xml"
    r = invoke("--run", dirs["slow"], "--baseline", dirs["baseline"], "--junit", junit)
    assert r.exit_code == 1, r.output
    lines = [ln for ln in r.output.splitlines() if ln.startswith("FAIL ")]
    assert any(ln.startswith("FAIL p50 regression [GET /api/content/{id}]: observed ") for ln in lines)
    assert all("observed" in ln and "limit" in ln and "baseline" in ln for ln in lines)
    assert not any("[GET /api/content]" in ln for ln in lines)
    assert int(ET.fromstring(junit.read_text()).get("failures")) == len(lines)


def test_generous_tolerance_passes_the_slower_run(dirs) -> None:
    r = invoke("--run", dirs["slow"], "--baseline", dirs["baseline"], "--tolerance", "p50=200%",
               "--tolerance", "p95=200%", "--tolerance", "p99=200%")  # fmt: skip
    assert r.exit_code == 0, r.output


def test_threshold_failure_exits_1(dirs) -> None:
    r = invoke("--run", dirs["same"], "-t", "/api/content: p50<1ms")
    assert r.exit_code == 1
    assert "FAIL threshold /api/content: p50<1ms [/api/content]: observed" in r.output


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--run", "{same}", "-t", "p95<"], "invalid threshold 'p95<'"),
        (["--run", "{same}", "--baseline", "{baseline}", "--tolerance", "p90=5%"], "unknown metric 'p90'"),
        (["--run", "{same}"], "nothing to judge"),
        ([], "give either a SCENARIO to run or --run RUN_DIR"),
        (["scenarios/smoke.yaml", "--run", "{same}", "-t", "p95<1s"], "exactly one"),
        (["--run", "{tmp}/nope", "-t", "p95<1s"], "no such run"),
        (["--run", "{same}", "--baseline", "{tmp}/nope.json"], "no such run directory, run.json or baseline"),
        (["--run", "{other}", "--baseline", "{baseline}"], "refusing to compare runs of different scenarios"),
        (["--run", "{same}", "-t", "p95<1s", "--alpha", "2"], "--alpha 2.0: must be between 0 and 1"),
        (["{tmp}/missing.yaml", "-t", "p95<1s"], "no such scenario file"),
        (["--run", "{same}", "-t", "p95<1s", "--run-noise", "-1"], "--run-noise -1.0: must be"),
        (["--run", "{same}", "-t", "p95<1s", "--relative-noise", "9"], "--relative-noise 9.0: must be"),
    ],
)
def test_bad_input_exits_2(dirs, args, fragment) -> None:
    r = invoke(*[a.format(**dirs) for a in args])
    assert r.exit_code == 2, r.output
    assert fragment in r.output


def _fake_load(monkeypatch, result=None, exc=None) -> list[dict]:
    calls: list[dict] = []

    import scalectl.pipeline

    def run_load(opts, **kw):
        calls.append(opts)
        if exc:
            raise exc
        return result, Path("reports/runs/fake")

    monkeypatch.setattr(scalectl.pipeline, "run_load", run_load)
    return calls


def test_scenario_is_run_then_judged(dirs, monkeypatch, tmp_path) -> None:
    scenario = tmp_path / "smoke.yaml"
    scenario.write_text(SMOKE_YAML)
    calls = _fake_load(monkeypatch, result=_run(5, slow=2.0))
    r = invoke(scenario, "--baseline", dirs["baseline"], "--duration", "20s", "--users", "7",
               "--target-env", "INJECT_LATENCY_ROUTES=/api/content/{id}=5", "--root", tmp_path)  # fmt: skip
    assert r.exit_code == 1, r.output
    assert "[GET /api/content/{id}]" in r.output
    (call,) = calls
    assert call.scenario == scenario and call.duration == 20.0 and call.users == 7
    assert dict(call.target.env) == {"INJECT_LATENCY_ROUTES": "/api/content/{id}=5"}
    assert call.target.host is None and call.target.allow_remote is False and call.root == tmp_path


def test_a_baseline_of_another_scenario_is_refused_before_any_load(dirs, monkeypatch, tmp_path) -> None:
    scenario = tmp_path / "other.yaml"
    scenario.write_text(SMOKE_YAML.replace("name: smoke", "name: other"))
    calls = _fake_load(monkeypatch, exc=AssertionError("run_load must not be called"))
    for baseline in (dirs["baseline"], dirs["base_dir"]):  # a baseline file, a run directory
        r = invoke(scenario, "--baseline", baseline, "--root", tmp_path)
        assert r.exit_code == 2, r.output
        assert "refusing to compare runs of different scenarios" in r.output and "'other'" in r.output
    assert calls == []


def test_target_error_exits_3(dirs, monkeypatch, tmp_path) -> None:
    scenario = tmp_path / "smoke.yaml"
    scenario.write_text(SMOKE_YAML)
    _fake_load(monkeypatch, exc=TargetError("target did not become ready"))
    r = invoke(scenario, "--baseline", dirs["baseline"])
    assert r.exit_code == 3 and "target did not become ready" in r.output


def test_bad_target_env_exits_2(dirs, tmp_path) -> None:
    scenario = tmp_path / "smoke.yaml"
    scenario.write_text(SMOKE_YAML)
    r = invoke(scenario, "--baseline", dirs["baseline"], "--target-env", "NOVALUE")
    assert r.exit_code == 2 and "expected KEY=VALUE" in r.output


def test_run_noise_alone_sets_every_absolute_floor(dirs, tmp_path) -> None:
    js = tmp_path / "v.json"
    args = ("--run", dirs["slow"], "--baseline", dirs["baseline"], "--relative-noise", "3", "--json", js)
    assert invoke(*args, "--run-noise", "0").exit_code == 1  # p50 and p95 of the slow endpoint fail
    tail_only = invoke(*args, "--run-noise", "0", "--run-noise-tail", "3")
    assert tail_only.exit_code == 1
    failed = {c["metric"] for c in json.loads(js.read_text())["checks"] if c["status"] == "fail"}
    assert "p50" in failed and not failed & {"p95", "p99"}


def test_without_a_terminal_the_log_gets_lines_and_the_table_on_request(dirs) -> None:
    r = invoke("--run", dirs["same"], "--baseline", dirs["baseline"], "-t", "p95<1ms")
    assert r.exit_code == 1, r.output
    lines = r.output.strip().splitlines()
    assert lines[-1].startswith("FAIL: ") and "1 threshold" in lines[-1]
    assert any(ln.startswith("FAIL threshold p95<1ms [overall]") for ln in lines)
    assert "PASS " not in r.output and "┃" not in r.output  # no table, no passing checks
    full = invoke("--run", dirs["same"], "--baseline", dirs["baseline"], "-t", "p95<1ms", "--table")
    assert "┃" in full.output or "│" in full.output
