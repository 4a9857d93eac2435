"""Accuracy of the capacity model here: fit on one replica's stepped runs, predict two replicas on
separate cores, measure two replicas, report the error (goal: within 15%).

    PYTHONPATH=. python bench/bench_capacity.py [--work 4] [--step 5] [--slo 'p95<300ms']

One replica is pinned to core 0 and stepped in open (arrival-rate) mode until the SLO breaks; its
knee (highest throughput meeting the SLO) gives the USL λ. With one replica count the model is linear
(σ=κ=0), so it predicts X(2) = 2λ. On a 2-core machine the load generator shares the cores with the
replicas, so a second prediction also charges the generator's measured CPU per request:
X(2) = cores / (target CPU s/req + generator CPU s/req). Both are compared with the measured knee of
two replicas pinned to cores 0 and 1. Prints a markdown table (paste into docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

from scalectl.capacity.evidence import active_rps, collect
from scalectl.capacity.usl import fit_usl, model_throughput
from scalectl.models import RunResult

SCENARIOS = Path(__file__).resolve().parents[1] / "tests" / "capacity" / "scenarios"
#: seo: CPU-heavy SEO analyses that upsert into the database; read: cached content reads (no DB).
WORKLOADS = {"seo": SCENARIOS / "seo_cpu.yaml", "read": SCENARIOS / "content_read.yaml"}


def cpu_per_request(run: RunResult, role: str) -> float:
    """CPU seconds per request of the processes with ``role``, over the loaded seconds only (the
    generator's start-up, importing Locust, would otherwise be charged to a few hundred requests)."""
    busy = [iv.t for iv in run.series if iv.requests > 0]
    if len(busy) >= 4:
        busy = busy[1:-1]
    if not busy:
        return 0.0
    lo, hi = busy[0], busy[-1] + 1.0
    total = 0.0
    for s in run.telemetry:
        if s.kind == "process" and s.role == role:
            vals = [v for t, v in zip(s.t, s.metrics.get("cpu_percent", []), strict=False) if lo <= t < hi]
            vals = [v for v in vals if v is not None]
            if vals:
                total += sum(vals) / len(vals) / 100.0
    rps = active_rps(run)
    return total / rps if rps > 0 else 0.0


def measure(info, rate, args, root, label) -> tuple[RunResult, bool]:
    from scalectl.load import run_scenario

    run, _ = run_scenario(
        WORKLOADS[args.workload], rps=rate, duration=args.step, target=info, root=root, slo=[args.slo]
    )
    ok = collect([(label, [run], None)], [args.slo]).points[0].slo_ok
    print(
        f"  {label} offered {rate:7.1f}  got {active_rps(run):7.1f} req/s"
        f"  p95 {run.total.latency_ms.p95:7.1f} ms"
        f"  gen cpu max {run.generator.cpu_percent_max:5.1f}%  {'ok' if ok else 'SLO missed'}",
        file=sys.stderr,
    )
    return run, ok


def find_knee(info, start, args, root, label) -> list[RunResult]:
    """Ladder ×factor until the SLO breaks (confirmed by a repeat), then bisect ``--refine`` times."""
    runs: list[RunResult] = []
    lo, hi, rate = None, None, start
    for _ in range(40):
        run, ok = measure(info, rate, args, root, label)
        runs.append(run)
        if not ok:
            run, ok = measure(info, rate, args, root, label + " (repeat)")
            runs.append(run)
        if ok:
            lo, rate = rate, rate * args.factor
        else:
            hi = rate
            break
    while lo is None and hi is not None and hi > 1.0:  # broke at the first step: walk down
        rate = hi / args.factor
        run, ok = measure(info, rate, args, root, label + " (down)")
        runs.append(run)
        lo, hi = (rate, hi) if ok else (None, rate)
    if lo is None or hi is None:
        return runs
    for _ in range(args.refine):
        mid = (lo + hi) / 2
        run, ok = measure(info, mid, args, root, label + " (refine)")
        runs.append(run)
        lo, hi = (mid, hi) if ok else (lo, mid)
    return runs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", choices=sorted(WORKLOADS), default="seo")
    ap.add_argument("--work", default="1", help="SEO_CPU_WORK for the target (CPU per request)")
    ap.add_argument("--step", type=float, default=5.0, help="seconds per load step")
    ap.add_argument("--slo", default="p95<300ms")
    ap.add_argument("--start", type=float, default=20.0, help="first arrival rate")
    ap.add_argument("--factor", type=float, default=1.25, help="ratio between ladder steps")
    ap.add_argument("--refine", type=int, default=3, help="bisections between last ok and first broken")
    ap.add_argument(
        "--lb",
        default="auto",
        choices=["auto", "reuseport", "nginx"],
        help="how the two replicas share the load (nginx: least_conn, balances by load, not by hash)",
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


def _bench(args, env, cores) -> int:
    from scalectl.target import running_target

    root = Path(tempfile.mkdtemp(prefix="bench-capacity-"))
    t0 = time.time()
    with running_target(replicas=1, cpus_per_replica=1, env=env) as one:
        runs1 = find_knee(one, args.start, args, root, "1 replica ")
    ev1 = collect([("r1", runs1, None)], [args.slo])
    cap1 = ev1.capacities[0]
    model = fit_usl([(1, cap1.knee_rps)])
    pred_linear = model_throughput(model, 2)
    knee_run = cap1.knee.run if cap1.knee else runs1[0]
    t_cpu, g_cpu = cpu_per_request(knee_run, "target"), cpu_per_request(knee_run, "generator")
    pred_cpu = min(pred_linear, min(cores, 2) / (t_cpu + g_cpu)) if t_cpu + g_cpu > 0 else pred_linear
    lo = 0.5 * min(pred_linear, pred_cpu)
    with running_target(replicas=2, cpus_per_replica=1, env=env, lb=args.lb) as two:
        runs2 = find_knee(two, lo, args, root, "2 replicas")
    cap2 = collect([("r2", runs2, None)], [args.slo]).capacities[0]
    meas = cap2.knee_rps
    err_lin = (pred_linear - meas) / meas if meas else float("nan")
    err_cpu = (pred_cpu - meas) / meas if meas else float("nan")
    step_res = (args.factor - 1) / 2**args.refine * 100
    what = f"SEO analyses, SEO_CPU_WORK={args.work}, PostgreSQL" if args.workload == "seo" else "cached reads"
    what += f", lb {args.lb}"
    print(f"\n### capacity: predict 2 replicas from 1 ({what}, {args.slo})\n")
    print(
        f"Machine: {cores} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; "
        f"open model, {args.step:g} s steps, ladder ×{args.factor:g} then {args.refine} bisections "
        f"(knee resolution ≈{step_res:.0f}%); "
        f"{time.time() - t0:.0f} s in all.\n"
    )
    print("| quantity | req/s |")
    print("|---|---|")
    print(
        f"| 1 replica knee (measured{', SLO never broke' if cap1.beyond_last_step else ''}) "
        f"| {cap1.knee_rps:.0f} |"
    )
    print(f"| 2 replicas predicted, USL linear (2λ) | {pred_linear:.0f} (error {err_lin:+.0%}) |")
    print(
        f"| 2 replicas predicted, charging generator CPU "
        f"({t_cpu * 1000:.2f} + {g_cpu * 1000:.2f} ms CPU/req) "
        f"| {pred_cpu:.0f} (error {err_cpu:+.0%}) |"
    )
    print(
        f"| 2 replicas knee (measured{', SLO never broke' if cap2.beyond_last_step else ''}) | {meas:.0f} |"
    )
    print(f"\nruns under {root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
