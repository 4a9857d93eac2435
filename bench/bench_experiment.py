"""Experiments on the bundled target: A/A false alarms, run-to-run noise, and known effects.

    PYTHONPATH=. .venv/bin/python bench/bench_experiment.py aa --n 20 --duration 10s --rounds 2
    PYTHONPATH=. .venv/bin/python bench/bench_experiment.py effects --duration 10s --rounds 2
    PYTHONPATH=. .venv/bin/python bench/bench_experiment.py order --duration 20s --rounds 2

``aa``: one base run of scenarios/content_mix.yaml at 16 users, then N experiments whose arm B sets a
knob to the value it already has (``CACHE_TTL_S=60``, the default): every difference is noise. Prints
the verdicts (goal: improved or worse in at most 1 of 20) and the run-to-run noise of one run's
throughput and p50/p95 inside an interleaved experiment (the sd of each run's log value around its
experiment's mean, pooled over the experiments), which calibrates ``ExperimentSettings.run_noise``.

``effects``: the database-bound configuration of issue 14 (pool 1 + 0, 15 ms per statement, cache
off, uncached reads): the pool raised (expected: improved, ≥ +50 % throughput) and a cache TTL with
the cache off (expected: no effect).

``order``: the README's own ``scalectl baseline`` (scenarios/baseline.yaml on the bundled target),
then ``analyze --experiment`` on the step the baseline shows (its last, past the knee): the findings'
order without an experiment (docs/analysis.md, "How the order is decided") against the order the
measured effects give (issue 14, item 5: pool vs CPU).

The figures go to docs/benchmarks.md ("Experiments") with the command that made them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from scalectl.durations import parse_duration
from scalectl.models.experiment import Experiment
from scalectl.pipeline import RunOptions, TargetOptions, run_load
from scalectl.pipeline.experiment import ExperimentOptions, run_experiment
from scalectl.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DB_BOUND = {"DB_POOL_SIZE": "1", "DB_MAX_OVERFLOW": "0", "DB_SLOW_QUERY_MS": "15", "CACHE_ENABLED": "0"}
READS = """version: 1
name: bench_db_bound_reads
slo: ["p95<200ms", "error_rate<1%"]
think_time: 0ms
requests:
  - path: /api/content?author_id={author}&limit=20
    params: {author: {range: [1, 200]}}
    expect: [200]
load:
  model: closed
  stages:
    - {users: 10, spawn_rate: 20, duration: 10s}
"""


def _base_run(work: Path, scenario: Path, users: int, env: dict[str, str] | None) -> Path:
    opts = RunOptions(scenario=load_scenario(scenario), users=users, duration=10.0, root=work,
                      target=TargetOptions(env=env or {}))  # fmt: skip
    _, run_dir = run_load(opts)
    return run_dir


def _noise(exps: list[Experiment]) -> dict[str, float]:
    """Pooled sd of each run's log metric around its experiment's mean (all runs are one config)."""
    out = {}
    for metric in ("throughput_rps", "p50_ms", "p95_ms"):
        dev, dof = 0.0, 0
        for e in exps:
            x = np.log([getattr(r, metric) for r in e.runs if getattr(r, metric) > 0])
            if len(x) > 1:
                dev += float(((x - x.mean()) ** 2).sum())
                dof += len(x) - 1
        out[metric] = math.sqrt(dev / dof) if dof else float("nan")
    return out


def aa(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-exp-"))
    base = _base_run(work, ROOT / "scenarios" / "content_mix.yaml", 16, None)
    exps = []
    for i in range(args.n):
        opts = ExperimentOptions(run_dir=base, change={"CACHE_TTL_S": "60"}, duration=args.duration,
                                 rounds=args.rounds, out=work / f"aa-{i}")  # fmt: skip
        exp, _ = run_experiment(opts)
        exps.append(exp)
        tp = exp.throughput_change
        line = f"A/A {i + 1:2d}: {exp.verdict:12s}"
        if tp and tp.change is not None:
            line += f" throughput {tp.change:+.1%} [{tp.ci_low:+.1%}, {tp.ci_high:+.1%}]"
        print(line, flush=True)
    verdicts = [e.verdict for e in exps]
    summary = {
        "n": len(exps),
        "verdicts": {v: verdicts.count(v) for v in sorted(set(verdicts))},
        "false_alarms": sum(v in ("improved", "worse") for v in verdicts),
        "run_noise_sd": _noise(exps),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(summary, indent=2))


def effects(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-exp-"))
    reads = work / "reads.yaml"
    reads.write_text(READS, encoding="utf-8")
    base = _base_run(work, reads, 10, DB_BOUND)
    for name, change in (("pool", {"DB_POOL_SIZE": "16"}), ("ttl", {"CACHE_TTL_S": "5"})):
        opts = ExperimentOptions(run_dir=base, change=change, duration=args.duration, rounds=args.rounds,
                                 out=work / name)  # fmt: skip
        exp, _ = run_experiment(opts)
        tp = exp.throughput_change
        ci = f"{tp.confidence:.1%} CI {tp.ci_low:+.1%} … {tp.ci_high:+.1%}"
        print(f"{name}: {exp.verdict}: throughput {tp.a:.1f} → {tp.b:.1f} req/s ({tp.change:+.1%}, {ci}); "
              f"{exp.reason}", flush=True)  # fmt: skip


def _row(f) -> str:  # type: ignore[no-untyped-def]
    change = ", ".join(f"{k}={v}" for k, v in f.change.items()) or "-"
    line = f"  {f.rule:28s} {f.category:14s} {f.severity:6s} conf {f.confidence:.2f}  change {change}"
    e = f.experiment
    if e is not None and e.throughput_change is not None and e.throughput_change.change is not None:
        tp, p95 = e.throughput_change, e.p95_change
        ci = f"[{tp.ci_low:+.1%}, {tp.ci_high:+.1%}]"
        line += f"  -> {f.tested}: {e.verdict}, throughput {tp.change:+.1%} {ci}"
        if p95 is not None and p95.change is not None:
            line += f", p95 {p95.change:+.1%}"
    return line


def order(args: argparse.Namespace) -> None:
    from scalectl import storage
    from scalectl.pipeline import BaselineOptions, sweep
    from scalectl.pipeline.experiment import experiment_findings

    work = Path(tempfile.mkdtemp(prefix="bench-exp-order-"))
    [done] = sweep(BaselineOptions(name="readme", root=work, out=work, report=False))
    b = done.baseline
    for s in b.steps:
        broke = "" if s.slo_ok else " (SLO broken)"
        print(f"step {s.users} users: {s.rps:.0f} req/s, p95 {s.p95_ms:.0f} ms{broke}")
    run_dir = Path(b.steps[-1].run_dir or "")
    before = storage.load_analysis(run_dir)
    assert before is not None
    print(f"findings of the step shown ({b.steps[-1].users} users), in the order given without experiments:")
    for f in before.findings:
        print(_row(f))
    after = experiment_findings(
        run_dir,
        before.model_copy(deep=True),
        duration=args.duration,
        rounds=args.rounds,
        progress=lambda m: print("  ..", m, flush=True),
    )
    print("after analyze --experiment (re-ranked by measured effect):")
    for f in after.findings:
        print(_row(f))
    tried = [f.change for f in after.findings if f.experiment is not None]
    if not any("DB_POOL_SIZE" in c for c in tried):  # the pool-vs-CPU question, asked directly
        opts = ExperimentOptions(run_dir=run_dir, change={"DB_POOL_SIZE": "20", "DB_MAX_OVERFLOW": "10"},
                                 duration=args.duration, rounds=args.rounds, out=work / "pool")  # fmt: skip
        exp, _ = run_experiment(opts)
        tp, p95 = exp.throughput_change, exp.p95_change
        print(f"pool 5+5 → 20+10 (no finding proposed it): {exp.verdict}: throughput {tp.change:+.1%} "
              f"[{tp.ci_low:+.1%}, {tp.ci_high:+.1%}], p95 {p95.change:+.1%}; {exp.reason}")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("aa", "effects", "order"):
        p = sub.add_parser(name)
        p.add_argument("--duration", type=parse_duration, default=10.0)
        p.add_argument("--rounds", type=int, default=2)
        if name == "aa":
            p.add_argument("--n", type=int, default=20)
    args = ap.parse_args()
    {"aa": aa, "effects": effects, "order": order}[args.cmd](args)


if __name__ == "__main__":
    main()
