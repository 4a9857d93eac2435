"""Each bundled scenario keeps the promise it makes against the bundled backend on this machine.

Every scenario in scenarios/ is run (shortened where it is long: soak, spike, the content mix) against
one bundled target, and its SLO verdict, as ``scalectl analyze`` reports it, must be what the scenario
promises: met. Where routes differ by design (the simulated LLM behind the generation routes), the
scenario's SLOs are per route. Marked slow (about two minutes); ``.ci/run`` runs it with the README
session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

#: scenario → (duration override in seconds or None for as written, what it promises)
PROMISES: dict[str, tuple[float | None, str]] = {
    "smoke": (None, "met"),
    "baseline": (None, "met"),  # `loadtest` of it: the load block, below the knee; its steps break the SLO
    "content_mix": (10.0, "met"),
    "arrival_rate": (12.0, "met"),
    "ratelimit": (None, "met"),
    "soak": (6.0, "met"),
    "spike": (23.0, "met"),  # 10 s steady, the 10-s spike, 3 s of recovery
}


def test_every_bundled_scenario_has_a_promise() -> None:
    assert {p.stem for p in SCENARIOS.glob("*.yaml")} == set(PROMISES)


@pytest.fixture(scope="module")
def target():
    from scalectl.target import running_target

    with running_target(replicas=1) as info:
        yield info


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PROMISES))
def test_the_scenario_keeps_its_slo_promise(name: str, target, tmp_path: Path) -> None:
    from scalectl.analysis import analyze_run
    from scalectl.pipeline import RunOptions, TargetOptions, run_load

    duration, promise = PROMISES[name]
    opts = RunOptions(
        scenario=SCENARIOS / f"{name}.yaml",
        target=TargetOptions(host=target.url),
        duration=duration,
        root=tmp_path,
    )
    run, _ = run_load(opts)
    analysis = analyze_run(run)
    assert analysis.slo, f"{name} declares no SLO"
    # the verdict as every view reads it: a per-endpoint view of an overall SLO is shown, not judged
    broken = [
        f"{r.expression} [{r.scope}] observed {r.observed}"
        for r in analysis.slo
        if r.ok is False and r.counts
    ]
    verdict = "missed" if broken else "met"
    assert verdict == promise, f"{name}: SLO {verdict}: {broken}"
    if name == "ratelimit":  # it promises 429s past the per-user limit, counted as failures
        assert run.total.errors.get("http_429", 0) > 0, run.total.errors
