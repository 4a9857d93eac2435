"""``scalectl experiment``: start a run's target again with one change and measure it, A B A B.

Each arm starts the target afresh as the run recorded it (arm A) or with the change (arm B), drives the
run's scenario at the run's highest load level for ``duration`` seconds, and stops the target; the
arms alternate so that drift on the machine moves both alike. The runs are judged by
``gate.effect`` (the gate's statistics) and written with ``experiment.json`` into one directory.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from scalectl import storage
from scalectl.errors import InputError
from scalectl.gate import effect
from scalectl.models.analysis import Analysis, Finding, FlowStep
from scalectl.models.experiment import ArmRun, Experiment, ExperimentSettings
from scalectl.models.run import RunResult, TargetSpec
from scalectl.scenario import ClosedLoad, Scenario

_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Shortest arm: a warm-up (a quarter, up to 2 s) and at least 6 measured seconds.
MIN_DURATION = 8.0
#: Keys that are knobs of every target scalectl starts (placeholders of the command).
PLACEHOLDER_KNOBS = ("replicas", "cpus")


@dataclass(frozen=True)
class ExperimentOptions:
    run_dir: Path
    change: dict[str, str]
    duration: float = 20.0
    rounds: int = 2
    out: Path | None = None
    root: Path = storage.DEFAULT_ROOT
    settings: ExperimentSettings = field(default_factory=ExperimentSettings)


@dataclass(frozen=True)
class ArmConfig:
    """What one arm starts: the environment and the placeholders of the target."""

    env: dict[str, str]
    replicas: int
    cpus: float | None


#: (round, arm, message) while an experiment runs.
Progress = Callable[[int, str, str], None]


def parse_changes(items: list[str]) -> dict[str, str]:
    """``["DB_POOL_SIZE=20", "replicas=3"]`` → a mapping; a malformed item is an input error."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value or not _ENV_KEY.match(key):
            raise InputError(f"--try {item!r}: expected KEY=VALUE, e.g. DB_POOL_SIZE=20 or replicas=3")
        out[key] = value
    if not out:
        raise InputError("give the change to try: --try KEY=VALUE (e.g. --try DB_POOL_SIZE=20)")
    return out


def recorded_target(run: RunResult) -> TargetSpec:
    """The run's target spec; runs written before it was recorded count as bundled when their
    environment names replicas and no host was given by the user."""
    if run.target is not None:
        return run.target
    env = run.scenario.get("target_env") if isinstance(run.scenario, dict) else None
    if run.environment.replicas and not run.scenario.get("host"):
        return TargetSpec(kind="bundled", replicas=run.environment.replicas, env=dict(env or {}))
    return TargetSpec(kind="external")


def arm_configs(spec: TargetSpec, change: dict[str, str]) -> tuple[ArmConfig, ArmConfig, dict]:
    """Arm A as recorded, arm B with ``change``; also each changed key's value in A."""
    if spec.kind == "external":
        raise InputError(
            "scalectl did not start this target, so it cannot change it",
            hint="run it with --target-cmd 'CMD' (or the bundled target) so scalectl starts it",
        )
    a = ArmConfig(env=dict(spec.env), replicas=spec.replicas or 1, cpus=spec.cpus_per_replica)
    env, replicas, cpus, before = dict(a.env), a.replicas, a.cpus, {}
    for key, value in change.items():
        knob = spec.knobs.get(key, key)
        if knob.strip("{}") in PLACEHOLDER_KNOBS or key in PLACEHOLDER_KNOBS:
            name = knob.strip("{}") if knob.strip("{}") in PLACEHOLDER_KNOBS else key
            before[key] = str(replicas if name == "replicas" else cpus)
            replicas, cpus = _placeholder(name, value, replicas, cpus)
        elif spec.kind == "command" and key not in spec.knobs and key not in spec.env and not key.isupper():
            known = ", ".join([*PLACEHOLDER_KNOBS, *spec.knobs]) or "replicas"
            raise InputError(f"--try {key}: not a declared knob of this target (known: {known})",
                             hint="declare it under target.knobs in the scenario, or give an environment "
                                  "variable in UPPER_CASE")  # fmt: skip
        else:
            before[key] = env.get(knob)
            env[knob] = value
    return a, ArmConfig(env=env, replicas=replicas, cpus=cpus), before


def _placeholder(name: str, value: str, replicas: int, cpus: float | None) -> tuple[int, float | None]:
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"--try {name}={value}: must be a number") from None
    if name == "replicas":
        if number < 1 or number != int(number):
            raise InputError(f"--try replicas={value}: must be a whole number ≥ 1")
        return int(number), cpus
    if number <= 0:
        raise InputError(f"--try cpus={value}: must be positive")
    return replicas, number


def arm_scenario(run: RunResult, duration: float) -> Scenario:
    """The run's scenario at its highest load level, held for ``duration`` seconds (with a warm-up:
    every arm starts a fresh target, so its first seconds are cold)."""
    sc = Scenario.model_validate(run.scenario)
    warmup = min(max(sc.load.warmup, 2.0), duration / 4)
    data = sc.model_dump()
    if isinstance(sc.load, ClosedLoad):
        top = max(s.users for s in sc.load.stages)
        stage = {"users": top, "spawn_rate": max(top, 1), "duration": duration}
    else:
        top = max(s.rps for s in sc.load.stages)
        stage = {"rps": top, "duration": duration}
    data["load"] = {**sc.load.model_dump(), "stages": [stage], "warmup": warmup}
    data.pop("steps", None)
    return Scenario.model_validate(data)


def run_experiment(opts: ExperimentOptions, progress: Progress | None = None) -> tuple[Experiment, Path]:
    """Run the arms in alternation, judge B against A, write ``experiment.json``; return it and its dir."""
    if opts.rounds < 1:
        raise InputError(f"--rounds must be at least 1 (got {opts.rounds})")
    if opts.duration < MIN_DURATION:
        raise InputError(
            f"--duration must be at least {MIN_DURATION:g}s (got {opts.duration:g}s): each arm leaves its "
            "first seconds out as warm-up and needs 6 measured seconds"
        )
    run = storage.load_run(opts.run_dir)
    spec = recorded_target(run)
    arm_a, arm_b, before = arm_configs(spec, opts.change)
    sc = arm_scenario(run, opts.duration)
    out = opts.out or storage.new_experiment_dir(run.run_id, root=opts.root)
    out.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    results: dict[str, list[RunResult]] = {"A": [], "B": []}
    rows: list[ArmRun] = []
    stop_reason = None
    for rnd in range(1, opts.rounds + 1):
        for arm, cfg in (("A", arm_a), ("B", arm_b)):
            if progress:
                progress(rnd, arm, "starting the target")
            result = _run_arm(spec, cfg, sc, out / f"{arm}{rnd}", progress, rnd, arm)
            rows.append(_arm_row(arm, rnd, result, out))
            if not result.complete:
                stop_reason = result.stop_reason or "a run did not complete"
                break
            results[arm].append(result)
        if stop_reason:
            break
    exp = Experiment(
        experiment_id=f"exp-{run.run_id}-{started:%H%M%S}",
        base_run_id=run.run_id,
        base_run_dir=str(opts.run_dir),
        scenario_name=sc.name,
        target_kind=spec.kind,  # type: ignore[arg-type]
        change=dict(opts.change),
        before=before,
        duration_s=opts.duration,
        rounds=opts.rounds,
        started_at=started,
        ended_at=datetime.now(UTC),
        complete=stop_reason is None,
        stop_reason=stop_reason,
        runs=rows,
        settings=opts.settings,
    )
    _judge(exp, results)
    storage.write_model(out / storage.EXPERIMENT_FILE, exp)
    return exp, out


def _judge(exp: Experiment, results: dict[str, list[RunResult]]) -> None:
    """Fill the experiment's effects, arms and verdict from the arms' complete runs."""
    if not results["A"] or not results["B"]:
        exp.reason = "no complete pair of arms to compare"
        return
    found, verdict, why = effect.judge(results["A"], results["B"], exp.settings)
    change = ", ".join(f"{k}={v}" for k, v in exp.change.items())
    exp.effects = found
    exp.throughput_change = next(e for e in found if e.metric == "throughput")
    exp.p95_change = next(e for e in found if e.metric == "p95")
    exp.arms = [
        effect.arm_summary("A", "as recorded", results["A"], found),
        effect.arm_summary("B", change, results["B"], found),
    ]
    exp.verdict, exp.reason = verdict, why
    exp.warnings = [w for r in results["A"] + results["B"] for w in _generator_warning(r)]


def _generator_warning(run: RunResult) -> list[str]:
    if run.generator.saturated:
        return [f"{run.run_id}: the load generator saturated; this arm measured the generator, too"]
    return []


def _arm_row(arm: str, rnd: int, run: RunResult, out: Path) -> ArmRun:
    t = run.total
    return ArmRun(
        arm=arm,  # type: ignore[arg-type]
        round=rnd,
        run_id=run.run_id,
        run_dir=f"{arm}{rnd}",
        complete=run.complete,
        requests=t.requests,
        throughput_rps=t.rps,
        p50_ms=t.latency_ms.p50,
        p95_ms=t.latency_ms.p95,
        p99_ms=t.latency_ms.p99,
        error_rate=t.failure_rate,
    )


def _run_arm(
    spec: TargetSpec,
    cfg: ArmConfig,
    sc: Scenario,
    run_dir: Path,
    progress: Progress | None,
    rnd: int,
    arm: str,
) -> RunResult:
    from scalectl.pipeline.options import RunOptions
    from scalectl.pipeline.run import run_load
    from scalectl.pipeline.targets import start_from_spec

    arm_spec = spec.model_copy(update={"env": cfg.env, "cpus_per_replica": cfg.cpus})
    with start_from_spec(arm_spec, replicas=cfg.replicas) as running:
        if progress:
            progress(rnd, arm, f"running {sc.total_duration:g}s at {running.url}")
        result, _ = run_load(RunOptions(scenario=sc, out=run_dir, report=False), running=running)
    return result


#: How many of the top findings ``analyze --experiment`` tries.
MAX_TRIED = 3


def testable(finding: Finding) -> bool:
    """A finding whose action is a concrete change of knobs."""
    return bool(finding.change) and not any("<" in v for v in finding.change.values())


def experiment_findings(
    run_dir: Path,
    analysis: Analysis,
    *,
    duration: float = 20.0,
    rounds: int = 2,
    settings: ExperimentSettings | None = None,
    progress: Callable[[str], None] | None = None,
) -> Analysis:
    """Try the change of each of the top findings that map to a knob; attach each experiment to its
    finding, mark it confirmed or rejected, re-rank by measured effect, add "Monitor Results"."""
    run = storage.load_run(run_dir)
    arm_configs(recorded_target(run), {})  # an external target fails here, before any work
    root = storage.new_experiment_dir(run.run_id, root=Path(run_dir).resolve().parent.parent)
    details: list[str] = []
    tried: dict[frozenset, Experiment] = {}
    for i, f in enumerate([f for f in analysis.findings if testable(f)][:MAX_TRIED], start=1):
        same = tried.get(frozenset(f.change.items()))
        if same is not None:  # another finding proposed the same change: one experiment answers both
            _attach(f, same, details)
            continue
        if progress:
            progress(
                f"experiment {i}: {f.rule}: trying " + ", ".join(f"{k}={v}" for k, v in f.change.items())
            )
        opts = ExperimentOptions(run_dir=Path(run_dir), change=dict(f.change), duration=duration,
                                 rounds=rounds, out=root / f"{i}-{f.rule}",
                                 settings=settings or ExperimentSettings())  # fmt: skip
        try:
            exp, _ = run_experiment(opts, _bridge(progress, i))
        except InputError as exc:
            details.append(f"{f.rule}: not tried: {exc.message}")
            continue
        tried[frozenset(f.change.items())] = exp
        _attach(f, exp, details)
        if not exp.complete:
            break
    if details:
        analysis.findings = rerank(analysis.findings)
        confirmed = [f for f in analysis.findings if f.tested == "confirmed"]
        verdict = f"measured: {len(confirmed)} confirmed of {len(details)} tried"
        analysis.path.append(FlowStep(step="monitor_results", verdict=verdict, outcome=None, details=details))
    return analysis


def _attach(f: Finding, exp: Experiment, details: list[str]) -> None:
    f.experiment = exp
    f.tested = {"improved": "confirmed", "worse": "rejected", "no effect": "rejected"}.get(exp.verdict)
    details.append(f"{f.rule}: {exp.verdict}: {exp.reason}")


def _bridge(progress: Callable[[str], None] | None, i: int) -> Progress | None:
    if progress is None:
        return None
    return lambda rnd, arm, msg: progress(f"experiment {i}: round {rnd} arm {arm}: {msg}")


def _gain(f: Finding) -> float:
    e = f.experiment.throughput_change if f.experiment else None
    return e.change if e is not None and e.change is not None else 0.0


def rerank(findings: list[Finding]) -> list[Finding]:
    """Confirmed first (largest measured throughput gain first), then the untested in their order,
    then the rejected."""
    group = {"confirmed": 0, None: 1, "rejected": 2}
    order = {id(f): i for i, f in enumerate(findings)}
    return sorted(findings, key=lambda f: (group[f.tested], -_gain(f) if f.tested else 0.0, order[id(f)]))
