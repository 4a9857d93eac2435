"""The gate's capacity check against two baselines: does "CPU per request +x % → capacity per replica
−y %" match the capacity loss that stepping the load up (before/after) measures?

    PYTHONPATH=. .venv/bin/python bench/bench_capacity_gate.py --work 40 --raise 1.25 [--pairs 3]

Two bundled targets run side by side, each one replica pinned to the same core (the first usable
CPU), idle while the other is loaded: *before* with ``SEO_CPU_WORK=W`` and *after* with ``W × raise``
(the scoring is repeated ``max(1, round(4 × work))`` times, so 40 → 50 is exactly +25 % of the
scoring; the request's HTTP and framework work is not scaled, so CPU per request rises by less).

1. **Two baselines**: both targets are stepped in open (arrival-rate) mode until the SLO breaks, their
   steps taken in turn (bench_capacity's ladder: ×factor, a broken step repeated, then bisections);
   measured loss = 1 − knee(after) / knee(before).
2. **The gate**: one run per target at the same rate (60 % of the after-knee, under the knee of
   both), in turn; ``scalectl gate --run AFTER --baseline BEFORE --json`` (the CLI, as CI calls it)
   reports the capacity change from CPU per request (process telemetry of the replica).
Repeated ``--pairs`` times; prints a markdown table; exits 1 when the median difference between the
gate's loss and the measured loss exceeds ``--goal`` (10 points).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_capacity import WORKLOADS, find_knees

from scalectl.capacity.evidence import collect


def _gate(after_dir: Path, before_dir: Path, out: Path) -> dict:
    cmd = [
        str(Path(sys.executable).parent / "scalectl"),
        "gate",
        "--run",
        str(after_dir),
        "--baseline",
        str(before_dir),
        "--json",
        str(out),
        "--hide-passed",
    ]
    subprocess.run(cmd, capture_output=True, text=True, check=False)
    return json.loads(out.read_text())["capacity"]


def _pair(args, root: Path, start: float) -> dict:
    from scalectl.models.run import TargetSpec
    from scalectl.pipeline import start_target

    def running_target(replicas: int, cpus_per_replica: int, env: dict):
        return start_target(
            TargetSpec(kind="bundled", replicas=replicas, cpus_per_replica=cpus_per_replica, env=env)
        )

    base_env = {"SEED_CONTENT_ROWS": "50", "RATE_LIMIT_ENABLED": "0"}
    work_b = f"{float(args.work) * args.raise_:g}"
    with (
        running_target(replicas=1, cpus_per_replica=1, env={**base_env, "SEO_CPU_WORK": args.work}) as a,
        running_target(replicas=1, cpus_per_replica=1, env={**base_env, "SEO_CPU_WORK": work_b}) as b,
    ):
        runs = find_knees({"before": (a, start), "after ": (b, start)}, args, root)
        cap_a = collect([("a", runs["before"], None)], [args.slo]).capacities[0]
        cap_b = collect([("b", runs["after "], None)], [args.slo]).capacities[0]
        rate = 0.6 * cap_b.knee_rps
        gate_runs = {}
        for label, target in (("before", a), ("after ", b)):
            from scalectl.pipeline import RunOptions, run_load

            opts = RunOptions(scenario=WORKLOADS[args.workload], rps=rate, duration=args.gate_s, root=root,
                              slo=(args.slo,), warmup=args.warmup)  # fmt: skip
            _, run_dir = run_load(opts, running=target)
            gate_runs[label] = run_dir
    cap = _gate(gate_runs["after "], gate_runs["before"], root / f"gate-{time.time_ns()}.json")
    measured = 1 - cap_b.knee_rps / cap_a.knee_rps
    row = {
        "knee_before": cap_a.knee_rps,
        "knee_after": cap_b.knee_rps,
        "measured_loss": measured,
        "gate_loss": -cap["capacity_change"],
        "cpu_change": cap["cpu_change"],
        "gate_text": cap["text"],
        "rate": rate,
        "load": os.getloadavg()[0],
    }
    row["diff"] = row["gate_loss"] - measured
    print(
        f"pair: knees {cap_a.knee_rps:.1f} → {cap_b.knee_rps:.1f} req/s (loss {measured:.1%}); gate at "
        f"{rate:.1f} req/s: {cap['text']} (loss {row['gate_loss']:.1%}); "
        f"difference {row['diff'] * 100:+.1f} pts",
        file=sys.stderr,
    )
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", choices=sorted(WORKLOADS), default="cpu")
    ap.add_argument("--work", default="40", help="SEO_CPU_WORK before")
    ap.add_argument("--raise", dest="raise_", type=float, default=1.25, help="SEO_CPU_WORK multiplier after")
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--step", type=float, default=8.0, help="seconds per ladder step")
    ap.add_argument("--gate-s", type=float, default=12.0, help="seconds of each gate run")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--slo", default="p95<300ms")
    ap.add_argument("--start", type=float, default=15.0)
    ap.add_argument("--factor", type=float, default=1.25)
    ap.add_argument("--refine", type=int, default=3)
    ap.add_argument("--goal", type=float, default=0.10, help="largest allowed |gate − measured| (fraction)")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-capacity-gate-"))
    t0 = time.time()
    rows, start = [], args.start
    for _ in range(args.pairs):
        rows.append(_pair(args, root, start))
        start = max(1.0, 0.6 * rows[-1]["knee_after"])
    print(
        f"\nSEO previews, SEO_CPU_WORK {args.work} → {float(args.work) * args.raise_:g}, "
        f"one replica pinned to one core, open model, {args.step:g}-s steps "
        f"(+{args.warmup:g}-s warm-up), SLO {args.slo}; "
        f"{time.time() - t0:.0f} s on {os.cpu_count()} cores\n"
    )
    print(
        "| pair | knee before | knee after | measured loss | gate: CPU per request → capacity "
        "| gate loss | difference |"
    )
    print("| --- | ---: | ---: | ---: | --- | ---: | ---: |")
    for i, r in enumerate(rows, 1):
        print(
            f"| {i} | {r['knee_before']:.1f} req/s | {r['knee_after']:.1f} req/s "
            f"| {r['measured_loss']:.1%} | "
            f"{r['gate_text']} | {r['gate_loss']:.1%} | {r['diff'] * 100:+.1f} pts |"
        )
    med = statistics.median(abs(r["diff"]) for r in rows)
    print(f"\nmedian |difference| {med * 100:.1f} pts (goal ≤ {args.goal * 100:.0f})")
    return 0 if med <= args.goal else 1


if __name__ == "__main__":
    raise SystemExit(main())
