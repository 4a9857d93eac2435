"""Quality of the gate: false-alarm rate over A/A repetitions, detection rate of an injected latency
regression on one endpoint, and the gate's wall time.

Two protocols, reported separately (docs/benchmarks.md):

* ``real``: the smoke scenario against the bundled target on this machine. Repetition i takes a fresh
  baseline run and a fresh candidate run (A/A: same build and settings; A/B: the candidate's target has
  ``INJECT_LATENCY_ROUTES`` adding 25% of the baseline's p95 of one endpoint to that endpoint), then
  judges the candidate with ``scalectl.gate.judge`` at default settings.
* ``synthetic``: the same protocol on synthetic runs built to be statistically realistic for that
  scenario (closed model, weighted endpoint mix, lognormal latencies, machine-wide per-second
  slowdowns that persist (AR(1)), occasional stall seconds, and a per-run machine factor).

    PYTHONPATH=. python bench/bench_gate.py synthetic --reps 200
    PYTHONPATH=. python bench/bench_gate.py real --reps 20 --duration 20 --root /tmp/gate-bench
    PYTHONPATH=. python bench/bench_gate.py replay --root /tmp/gate-bench
    PYTHONPATH=. python bench/bench_gate.py calibrate --root /tmp/gate-bench   # run_noise from A/A
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from scalectl import histograms
from scalectl.gate.compare import StatSettings
from scalectl.gate.judge import judge
from scalectl.models import (
    EndpointStats,
    Environment,
    IntervalEndpoint,
    IntervalStats,
    LatencySummary,
    RunResult,
)

TARGET = "GET /api/content/{id}"


@dataclass(frozen=True)
class Mix:
    key: str
    weight: float
    median_ms: float
    sigma: float


SMOKE_MIX = (
    Mix("GET /api/content/{id}", 6, 6.0, 0.5),
    Mix("GET /api/content", 2, 12.0, 0.5),
    Mix("GET /api/analytics/content", 1, 25.0, 0.45),
)


def _summary_ms(h) -> LatencySummary:
    """p50 and p95 only (hdrh's full summary is slow in pure Python; the gate reads histograms)."""
    return LatencySummary(p50=histograms.percentile_ms(h, 50), p95=histograms.percentile_ms(h, 95))


def synthetic_run(
    seed: int,
    *,
    seconds: int = 20,
    users: int = 5,
    think_ms: float = 100.0,
    add_ms: dict[str, float] | None = None,
    run_sd: float = 0.30,
    second_sd: float = 0.25,
    phi: float = 0.6,
    stall_p: float = 0.04,
    name: str = "smoke",
) -> RunResult:
    """A closed-model run: ``users`` loop request → think; a second's rate follows its latency."""
    rng = np.random.default_rng(seed)
    add_ms = add_ms or {}
    weights = np.array([m.weight for m in SMOKE_MIX], dtype=float)
    weights /= weights.sum()
    run_factor = float(np.exp(rng.normal(0, run_sd)))
    level = 0.0
    series, ep_h, ep_req = (
        [],
        {m.key: histograms.new_histogram() for m in SMOKE_MIX},
        dict.fromkeys((m.key for m in SMOKE_MIX), 0),
    )
    for t in range(seconds):
        level = phi * level + rng.normal(0, second_sd)
        factor = run_factor * float(np.exp(level)) * (2.5 if rng.random() < stall_p else 1.0)
        mean_lat = sum(
            w * m.median_ms * np.exp(m.sigma**2 / 2) for w, m in zip(weights, SMOKE_MIX, strict=True)
        )
        rate = users * 1000.0 / (think_ms + mean_lat * factor + sum(add_ms.values()) * weights[0])
        n = int(rng.poisson(rate))
        counts = rng.multinomial(n, weights)
        eps = {}
        for m, k in zip(SMOKE_MIX, counts, strict=True):
            h = histograms.new_histogram()
            for x in rng.lognormal(np.log(m.median_ms * factor), m.sigma, size=int(k)) + add_ms.get(
                m.key, 0.0
            ):
                histograms.record_ms(h, float(x))
            eps[m.key] = IntervalEndpoint(requests=int(k), histogram=histograms.encode(h))
            ep_h[m.key].add(h)
            ep_req[m.key] += int(k)
        series.append(IntervalStats(t=float(t), users=users, requests=n, rps=float(n), endpoints=eps))
    endpoints = []
    for m in SMOKE_MIX:
        method, _, path = m.key.partition(" ")
        endpoints.append(
            EndpointStats(
                name=path,
                method=method,
                requests=ep_req[m.key],
                rps=ep_req[m.key] / seconds,
                latency_ms=_summary_ms(ep_h[m.key]),
                histogram=histograms.encode(ep_h[m.key]),
            )
        )
    total_h = histograms.merge(ep_h.values())
    total = EndpointStats(
        name="Total", requests=sum(ep_req.values()), rps=sum(ep_req.values()) / seconds,
        latency_ms=_summary_ms(total_h), histogram=histograms.encode(total_h),
    )  # fmt: skip
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return RunResult(
        run_id=f"syn-{seed}", scenario_name=name, host="http://127.0.0.1:1", started_at=start,
        ended_at=start + timedelta(seconds=seconds), duration_s=float(seconds),
        environment=Environment(cpu_count=2, replicas=1), total=total, endpoints=endpoints, series=series,
    )  # fmt: skip


SETTINGS = {"value": StatSettings()}


def _judge(cand: RunResult, base: RunResult) -> tuple[bool, set[str], float]:
    t0 = time.perf_counter()
    verdict = judge(cand, base, include_run_thresholds=False, settings=SETTINGS["value"])
    dt = time.perf_counter() - t0
    return verdict.passed, {c.scope for c in verdict.failed}, dt


def _summary(label: str, aa: list[tuple], ab: list[tuple], gate_wall: list[float], extra: dict) -> dict:
    fa = sum(not ok for ok, _, _ in aa)
    det = sum(not ok for ok, _, _ in ab)
    named = sum(TARGET in scopes for ok, scopes, _ in ab if not ok)
    wrong = sum(bool(scopes - {TARGET, "overall"}) for ok, scopes, _ in ab + aa if not ok)
    judge_s = [dt for _, _, dt in aa + ab]
    return {
        "protocol": label,
        "aa_reps": len(aa),
        "false_alarms": fa,
        "false_alarm_rate": fa / max(len(aa), 1),
        "ab_reps": len(ab),
        "detected": det,
        "detection_rate": det / max(len(ab), 1),
        "detected_naming_target": named,
        "failures_naming_another_endpoint": wrong,
        "judge_s_median": float(np.median(judge_s)) if judge_s else None,
        "judge_s_max": float(np.max(judge_s)) if judge_s else None,
        "gate_wall_s_max": float(np.max(gate_wall)) if gate_wall else None,
        **extra,
    }


def bench_synthetic(reps: int, seed: int, frac: float, quiet: bool) -> dict:
    """``quiet``: a quiet machine (run-to-run sd 3%, per-second sd 5%); else as noisy as measured here."""
    noise = {"run_sd": 0.03, "second_sd": 0.05, "stall_p": 0.0} if quiet else {}
    aa, ab = [], []
    for i in range(reps):
        base = synthetic_run(seed + 4 * i, **noise)
        cand = synthetic_run(seed + 4 * i + 1, **noise)
        aa.append(_judge(cand, base))
        inject = frac * base.endpoint(TARGET).latency_ms.p50
        slow = synthetic_run(seed + 4 * i + 2, add_ms={TARGET: inject}, **noise)
        ab.append(_judge(slow, base))
    label = f"synthetic smoke-like runs (20 s, 5 users, {'quiet' if quiet else 'noisy'} machine)"
    extra = {
        "seed": seed,
        "inject": f"+{frac:.0%} of p50 on {TARGET}",
        "run_noise": SETTINGS["value"].run_noise,
    }
    return _summary(label, aa, ab, [], extra)


def bench_real(reps: int, baselines: int, duration: float | None, root: Path, frac: float) -> dict:
    """Take ``baselines`` baseline runs, then ``reps`` A/A candidates and ``reps`` A/B candidates,
    interleaved (so that the machine's drift hits both alike); candidate i is judged against baseline
    i mod ``baselines``. The injected latency is ``frac`` × the baselines' mean p50 of TARGET."""
    from scalectl.pipeline import RunOptions, TargetOptions, run_load

    def run_scenario(scenario, *, duration, root, target_env=None):
        return run_load(
            RunOptions(
                scenario=scenario, duration=duration, root=root, target=TargetOptions(env=target_env or {})
            )
        )

    scenario = Path("scenarios/smoke.yaml")
    manifest: dict = {"baselines": [], "aa": [], "ab": [], "duration": duration}
    bases = []
    for _ in range(baselines):
        run, d = run_scenario(scenario, duration=duration, root=root)
        bases.append(run)
        manifest["baselines"].append(str(d))
    inject = frac * float(np.mean([b.endpoint(TARGET).latency_ms.p50 for b in bases]))
    manifest["inject_ms"] = inject
    env = {"INJECT_LATENCY_ROUTES": f"/api/content/{{id}}={inject:.2f}"}
    aa, ab, walls = [], [], []
    for i in range(reps):
        base = bases[i % baselines]
        t0 = time.perf_counter()
        cand, d = run_scenario(scenario, duration=duration, root=root)
        aa.append(_judge(cand, base))
        walls.append(time.perf_counter() - t0)
        manifest["aa"].append(str(d))
        slow, d = run_scenario(scenario, duration=duration, root=root, target_env=env)
        ab.append(_judge(slow, base))
        manifest["ab"].append(str(d))
        (root / "manifest.json").write_text(json.dumps(manifest, indent=2))
        print(f"rep {i + 1}/{reps}: A/A {'pass' if aa[-1][0] else 'FAIL ' + ','.join(sorted(aa[-1][1]))}, "
              f"A/B (+{inject:.2f} ms) {'pass' if ab[-1][0] else 'FAIL ' + ','.join(sorted(ab[-1][1]))}",
              file=sys.stderr, flush=True)  # fmt: skip
    label = f"real: scenarios/smoke.yaml on the bundled target, +{frac:.0%} of p50 on {TARGET}"
    st = SETTINGS["value"]
    extra = {"duration": duration, "inject_ms": inject, "manifest": str(root), "run_noise": st.run_noise,
             "relative": st.relative, "relative_noise": st.relative_noise,
             "loadavg_1_5_15_at_end": os.getloadavg(), "cpus": os.cpu_count()}  # fmt: skip
    return _summary(label, aa, ab, walls, extra)


def replay(root: Path, settings: StatSettings | None = None) -> dict:
    """Judge the runs a ``real`` bench saved (``ROOT/manifest.json``) again, e.g. with other settings."""
    from scalectl.storage import load_run

    manifest = json.loads((root / "manifest.json").read_text())
    bases = [load_run(Path(d)) for d in manifest["baselines"]]
    aa, ab = [], []
    for kind, out in (("aa", aa), ("ab", ab)):
        for i, d in enumerate(manifest[kind]):
            cand = load_run(Path(d))
            t0 = time.perf_counter()
            st = settings or SETTINGS["value"]
            verdict = judge(cand, bases[i % len(bases)], include_run_thresholds=False, settings=st)
            out.append((verdict.passed, {c.scope for c in verdict.failed}, time.perf_counter() - t0))
    st = settings or SETTINGS["value"]
    extra = {
        "inject_ms": manifest.get("inject_ms"),
        "run_noise": st.run_noise,
        "relative": st.relative,
        "relative_noise": st.relative_noise,
    }
    return _summary(f"replay of {root}", aa, ab, [], extra)


def calibrate(root: Path) -> dict:
    """Estimate ``StatSettings.run_noise`` (metrics p50, p95, p99) and ``relative_noise`` (metrics
    "p50 vs rest", ...) from the A/A runs a ``real`` bench saved.

    For every A/A pair (candidate vs its baseline) and latency check with enough data, the log ratio
    and its bootstrap error (floor off) are collected; the run-to-run variance the bootstrap does not
    see is ``(var(log ratio) − mean(bootstrap error²)) / 2`` per run (two runs per pair).
    """
    from scalectl.storage import load_run

    manifest = json.loads((root / "manifest.json").read_text())
    runs = [load_run(Path(d)) for d in manifest["baselines"] + manifest["aa"]]
    nb = len(manifest["baselines"])
    per_metric: dict[str, tuple[list[float], list[float]]] = {}
    from scalectl.gate.compare import compare

    z = 1.96
    for i, cand in enumerate(runs[nb:]):
        base = runs[i % nb]
        for c in compare(
            cand, base, settings=StatSettings(run_noise=0.0, run_noise_tail=None, relative_noise=0.0)
        ):
            if c.status == "insufficient" or c.ci_low is None or c.metric == "error_rate":
                continue
            ratio = np.log(c.observed / c.baseline)
            se = (np.log1p(c.ci_high) - np.log1p(c.ci_low)) / (2 * z)
            lr, ses = per_metric.setdefault(c.metric, ([], []))
            lr.append(float(ratio))
            ses.append(float(se))
    out = {}
    for metric, (lr, ses) in sorted(per_metric.items()):
        excess = (np.var(lr, ddof=1) - np.mean(np.square(ses))) / 2 if len(lr) > 2 else float("nan")
        out[metric] = {
            "checks": len(lr),
            "sd_log_ratio": float(np.std(lr, ddof=1)),
            "mean_bootstrap_se": float(np.mean(ses)),
            "run_noise_estimate": float(np.sqrt(max(excess, 0.0))),
        }
    return {"calibration": str(root), "per_metric": out}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("protocol", choices=["synthetic", "real", "replay", "calibrate"])
    ap.add_argument("--baselines", type=int, default=4, help="real: number of baseline runs")
    ap.add_argument("--frac", type=float, default=0.25, help="real: injected latency, fraction of p50")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--duration", type=float, default=None, help="real: override the scenario duration (s)")
    ap.add_argument("--root", type=Path, default=Path("/tmp/scalectl-bench-gate"))
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--quiet", action="store_true", help="synthetic: a quiet machine instead of this one")
    ap.add_argument("--run-noise", type=float, default=None, help="judge with this run_noise")
    ap.add_argument("--relative-noise", type=float, default=None, help="judge with this relative_noise")
    ap.add_argument("--no-relative", action="store_true", help="judge without the endpoint-vs-rest checks")
    args = ap.parse_args(argv)
    overrides: dict = {"relative": not args.no_relative}
    if args.run_noise is not None:
        overrides.update(run_noise=args.run_noise, run_noise_tail=None)
    if args.relative_noise is not None:
        overrides["relative_noise"] = args.relative_noise
    SETTINGS["value"] = StatSettings(**overrides)
    if args.protocol == "synthetic":
        result = bench_synthetic(args.reps, args.seed, args.frac, args.quiet)
    elif args.protocol == "real":
        result = bench_real(args.reps, args.baselines, args.duration, args.root, args.frac)
    elif args.protocol == "replay":
        result = replay(args.root)
    else:
        result = calibrate(args.root)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
