"""Accuracy of the capacity model here: fit on one replica's stepped runs, predict two replicas on
separate cores, measure two replicas, report the error (goal: within 15%).

    PYTHONPATH=. .venv/bin/python bench/bench_capacity.py --work 60 --start 12 [--pairs 3] [--lb nginx]

Each pair: one replica pinned to core 0 is stepped in open (arrival-rate) mode until the SLO breaks
(a broken step is repeated before it counts, then the gap is bisected); its knee (highest throughput
meeting the SLO) is the USL λ. From one replica count the model is linear (σ=κ=0): X(2) = 2λ. Two
replicas pinned to cores 0 and 1 (a second target, started alongside and idle while the other is
loaded) are stepped the same way and their knee is measured. The two ladders take their steps in
turn, so that the slow drifts of this shared machine's CPU speed (±15% over minutes) reach both
alike; the median error over the pairs counts.

Two predictions are compared with the measurement:
- the model's: 2λ, for replicas with their cores to themselves (what production sizing uses);
- on this host: the Locust generator has to run on the replicas' cores once two replicas take both
  cores, so the host delivers 2λ·t/(t+g), t and g the target's and the generator's CPU seconds per
  request measured at the one-replica knee (scalectl.capacity.colocation; `recommend --verify`
  reports the same figure). Nothing from the two-replica runs enters either prediction.

Each step leaves out its first ``--warmup`` seconds (load.warmup): Locust's own start-up takes a core
for about a second, which with two replicas lands on a replica's core and queues requests that the
steady state never would. The default workload, ``cpu``, is SEO previews (scored, not stored): no
database, cache or rate-limit store shared between replicas. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Generator
from pathlib import Path
from typing import Any

from scalectl.capacity.colocation import host_capacity
from scalectl.capacity.evidence import active_rps, collect
from scalectl.capacity.signals import cpu_s_per_request
from scalectl.capacity.usl import fit_usl, model_throughput
from scalectl.models import RunResult

SCENARIOS = Path(__file__).resolve().parents[1] / "tests" / "capacity" / "scenarios"
#: cpu: SEO previews, CPU only, nothing shared between replicas; seo: SEO analyses that upsert into the
#: database; read: cached content reads (no DB).
WORKLOADS = {
    "cpu": SCENARIOS / "seo_preview.yaml",
    "seo": SCENARIOS / "seo_cpu.yaml",
    "read": SCENARIOS / "content_read.yaml",
}


def measure(info, rate, args, root, label) -> tuple[RunResult, bool]:
    from scalectl.pipeline import RunOptions, run_load

    opts = RunOptions(
        scenario=WORKLOADS[args.workload],
        rps=rate,
        duration=args.step,
        root=root,
        slo=(args.slo,),
        warmup=args.warmup,
    )
    run, _ = run_load(opts, running=info)
    ok = collect([(label, [run], None)], [args.slo]).points[0].slo_ok
    print(
        f"  {label} offered {rate:7.1f}  got {active_rps(run):7.1f} req/s"
        f"  p95 {run.total.latency_ms.p95:7.1f} ms"
        f"  gen cpu max {run.generator.cpu_percent_max:5.1f}%  {'ok' if ok else 'SLO missed'}",
        file=sys.stderr,
    )
    return run, ok


def ladder(start: float, factor: float, refine: int) -> Generator[tuple[float, str], bool, None]:
    """Rates to try, as a generator that is sent whether each met the SLO: ×factor until the SLO breaks
    (confirmed by a repeat), then ``refine`` bisections between the last ok and the first broken."""
    lo, hi, rate = None, None, start
    for _ in range(40):
        ok = yield rate, ""
        if not ok:
            ok = yield rate, " (repeat)"
        if ok:
            lo, rate = rate, rate * factor
        else:
            hi = rate
            break
    while lo is None and hi is not None and hi > 1.0:  # broke at the first step: walk down
        rate = hi / factor
        ok = yield rate, " (down)"
        lo, hi = (rate, hi) if ok else (None, rate)
    if lo is None or hi is None:
        return
    for _ in range(refine):
        mid = (lo + hi) / 2
        ok = yield mid, " (refine)"
        lo, hi = (mid, hi) if ok else (lo, mid)


def find_knees(ladders: dict[str, tuple[Any, float]], args, root) -> dict[str, list[RunResult]]:
    """Walk the ladders of several targets ({label: (target, start rate)}) step by step in turn, so
    that the machine's slow drifts reach every ladder alike; returns each label's runs."""
    runs: dict[str, list[RunResult]] = {label: [] for label in ladders}
    gens = {label: ladder(start, args.factor, args.refine) for label, (_, start) in ladders.items()}
    pending = {label: next(gen) for label, gen in gens.items()}
    while pending:
        for label in list(pending):
            rate, suffix = pending[label]
            run, ok = measure(ladders[label][0], rate, args, root, label + suffix)
            runs[label].append(run)
            try:
                pending[label] = gens[label].send(ok)
            except StopIteration:
                del pending[label]
    return runs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", choices=sorted(WORKLOADS), default="cpu")
    ap.add_argument("--work", default="60", help="SEO_CPU_WORK for the target (CPU per request)")
    ap.add_argument("--step", type=float, default=12.0, help="seconds per load step")
    ap.add_argument(
        "--warmup",
        type=float,
        default=3.0,
        help="seconds at the start of each step not counted (load.warmup)",
    )
    ap.add_argument("--pairs", type=int, default=3, help="(1 replica, 2 replicas) measurements, in turn")
    ap.add_argument("--goal", type=float, default=0.15, help="exit 1 when an error exceeds this")
    ap.add_argument("--slo", default="p95<300ms")
    ap.add_argument("--start", type=float, default=20.0, help="first arrival rate")
    ap.add_argument("--factor", type=float, default=1.25, help="ratio between ladder steps")
    ap.add_argument("--refine", type=int, default=3, help="bisections between last ok and first broken")
    ap.add_argument(
        "--lb",
        default="nginx",
        choices=["auto", "reuseport", "nginx"],
        help="how the two replicas share the load. nginx (default): least_conn, balances by load; "
        "reuseport: the kernel hashes connections, and the busier replica got 53%% of the requests "
        "(median), which alone costs the two replicas ~6%% of their capacity",
    )
    ap.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="PostgreSQL to create a scratch database in ('' for the target's SQLite)",
    )
    args = ap.parse_args()

    env = {"SEO_CPU_WORK": args.work, "SEED_CONTENT_ROWS": "400", "RATE_LIMIT_ENABLED": "0"}
    cores = os.cpu_count() or 1
    dbname = None
    if args.workload == "read":
        env["CACHE_ENABLED"] = "1"
    if args.pg and args.workload == "seo":
        # SQLite serialises the analyses' upserts across processes (a shared bottleneck); PostgreSQL
        # keeps the replicas independent, so the bench measures per-replica (CPU) capacity.
        dbname = f"bench_capacity_{uuid.uuid4().hex[:8]}"
        _pg(args.pg, f"CREATE DATABASE {dbname}")
        env["DATABASE_URL"] = (
            args.pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + dbname
        )
    try:
        return _bench(args, env, cores)
    finally:
        if dbname:
            _pg(args.pg, f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")


def _pg(dsn: str, sql: str) -> None:
    import asyncio

    import asyncpg

    async def go() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(go())


def _one_pair(args, env, cores, root, start1: float):
    """Knee of one replica (core 0) and of two (cores 0 and 1), their steps taken in turn; the
    model's prediction for two comes from the one-replica runs only."""
    from scalectl.models.run import TargetSpec
    from scalectl.pipeline import start_target

    def running_target(replicas: int, cpus_per_replica: int, env: dict, lb: str = "auto"):
        spec = TargetSpec(
            kind="bundled", replicas=replicas, cpus_per_replica=cpus_per_replica, env=env, lb=lb
        )
        return start_target(spec)

    with (
        running_target(replicas=1, cpus_per_replica=1, env=env) as one,
        running_target(replicas=2, cpus_per_replica=1, env=env, lb=args.lb) as two,
    ):
        runs = find_knees({"1 replica ": (one, start1), "2 replicas": (two, 1.5 * start1)}, args, root)
    runs1, runs2 = runs["1 replica "], runs["2 replicas"]
    cap1 = collect([("r1", runs1, None)], [args.slo]).capacities[0]
    pred = model_throughput(fit_usl([(1, cap1.knee_rps)]), 2)
    knee_run = cap1.knee.run if cap1.knee else runs1[0]
    t_cpu, g_cpu = (
        cpu_s_per_request(knee_run, "target") or 0.0,
        cpu_s_per_request(knee_run, "generator") or 0.0,
    )
    pred_host = host_capacity(pred, 2, cores, t_cpu, g_cpu)
    cap2 = collect([("r2", runs2, None)], [args.slo]).capacities[0]
    row = {
        "knee1": cap1.knee_rps,
        "pred": pred,
        "knee2": cap2.knee_rps,
        "err": (pred - cap2.knee_rps) / cap2.knee_rps if cap2.knee_rps else float("nan"),
        "pred_host": pred_host,
        "err_host": (pred_host - cap2.knee_rps) / cap2.knee_rps if cap2.knee_rps else float("nan"),
        "t_cpu": t_cpu,
        "g_cpu": g_cpu,
        "flags": ("1: SLO never broke " if cap1.beyond_last_step else "")
        + ("2: SLO never broke" if cap2.beyond_last_step else ""),
        "load": os.getloadavg()[0],
    }
    print(
        f"pair: 1 replica {row['knee1']:.1f}, predicted {pred:.1f}, measured {row['knee2']:.1f} req/s,"
        f" error {row['err']:+.1%}; on this host {pred_host:.1f}, error {row['err_host']:+.1%}",
        file=sys.stderr,
    )
    return row


def _bench(args, env, cores) -> int:
    root = Path(tempfile.mkdtemp(prefix="bench-capacity-"))
    t0 = time.time()
    rows = []
    start1 = args.start
    for _ in range(args.pairs):
        rows.append(_one_pair(args, env, cores, root, start1))
        start1 = max(1.0, 0.6 * rows[-1]["knee1"])  # later pairs start near the knee: fewer steps
    step_res = (args.factor - 1) / 2**args.refine * 100
    what = {
        "cpu": f"SEO previews (CPU only, no database), SEO_CPU_WORK={args.work}",
        "seo": f"SEO analyses, SEO_CPU_WORK={args.work}, {'PostgreSQL' if args.pg else 'SQLite'}",
        "read": "cached reads",
    }[args.workload]
    what += f", lb {args.lb}"
    print(f"\n### capacity: predict 2 replicas from 1 ({what}, {args.slo})\n")
    print(
        f"Machine: {cores} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; "
        f"open model, {args.step:g} s steps ({args.warmup:g} s warm-up not counted), "
        f"ladder ×{args.factor:g} then {args.refine} bisections "
        f"(knee resolution ≈{step_res:.0f}%); {args.pairs} pairs (1 replica, then 2) in "
        f"{time.time() - t0:.0f} s.\n"
    )
    print(
        "| pair | 1 replica knee | CPU ms/req target + generator (at that knee) "
        "| 2 predicted: model (USL from one N: 2λ) | 2 predicted: on this host (generator on the cores) "
        "| 2 replicas knee (measured) | error: model | error: on this host | load avg |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for i, r in enumerate(rows, 1):
        flag = f" ({r['flags'].strip()})" if r["flags"] else ""
        print(
            f"| {i} | {r['knee1']:.1f} | {r['t_cpu'] * 1000:.1f} + {r['g_cpu'] * 1000:.1f} | {r['pred']:.1f} "
            f"| {r['pred_host']:.1f} | {r['knee2']:.1f}{flag} | {r['err']:+.1%} | {r['err_host']:+.1%} "
            f"| {r['load']:.1f} |"
        )
    for label, key in (("model", "err"), ("on this host", "err_host")):
        errs = [r[key] for r in rows]
        print(
            f"\nerror, {label}: median {statistics.median(errs):+.1%}, worst {max(errs, key=abs):+.1%} "
            f"(goal: within ±{args.goal:.0%})"
        )
    print(f"\nruns under {root}")
    errs = [r["err"] for r in rows]
    if any(e != e for e in errs):  # NaN: a ladder found no knee
        print("a knee was not found (no step met the SLO): see the steps above", file=sys.stderr)
        return 1
    # the goal is the model's own prediction (2λ); the on-this-host figure explains the rest
    return 0 if abs(statistics.median(errs)) <= args.goal else 1


if __name__ == "__main__":
    raise SystemExit(main())
