"""How long the reporters take, and how big the HTML gets, for a long synthetic run.

    PYTHONPATH=. python bench/bench_report.py [--seconds 600] [--endpoints 6]

Builds a seeded run (tests.factories.make_run) with per-replica telemetry, then times each format.
Record the printed numbers in docs/benchmarks.md with the command that made them.
"""

from __future__ import annotations

import argparse
import math
import time

from scalectl import histograms
from scalectl.report import FORMATS, data, render
from scalectl.report.model import ReportInput
from tests.factories import lognormal_latency, make_run, telemetry_series


def build(seconds: int, endpoints: int) -> ReportInput:
    eps = {f"GET /api/e{i}": lognormal_latency(10.0 + 15 * i, 0.4) for i in range(endpoints)}
    tel = []
    for r in range(3):
        tel.append(
            telemetry_series(
                f"replica-{r}",
                {
                    "cpu_percent": [50 + 30 * math.sin(t / 30 + r) for t in range(seconds)],
                    "rss_bytes": [1e8 + t * 1e4 for t in range(seconds)],
                },
                kind="process",
            )
        )
        tel.append(
            telemetry_series(
                f"replica-{r}",
                {
                    "db_pool_checked_out": [t % 10 for t in range(seconds)],
                    'cache_hits_total{cache="content"}': [float(40 * t) for t in range(seconds)],
                    'cache_misses_total{cache="content"}': [float(10 * t) for t in range(seconds)],
                },
            )
        )
    run = make_run(endpoints=eps, rps=100.0, seconds=seconds, seed=11, telemetry=tel)
    return ReportInput(run=run)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--endpoints", type=int, default=6)
    args = ap.parse_args()
    t0 = time.perf_counter()
    item = build(args.seconds, args.endpoints)
    print(
        f"built run: {args.seconds} s x {args.endpoints} endpoints, {item.run.total.requests} requests "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    for fmt in FORMATS:
        render(fmt, [item])  # warm imports and plotly.js cache
        t = time.perf_counter()
        out = render(fmt, [item])
        print(f"{fmt:5s} {time.perf_counter() - t:6.3f} s  {len(out.encode()) / 1e3:8.1f} kB")
    # one-pass percentiles (data.quantiles_ms) against one histograms.percentile_ms call per percentile
    hist = histograms.decode(item.run.total.histogram or "")
    qs = [q for q, _ in data.hdr_distribution(item.run.total)]
    t = time.perf_counter()
    fast = data.quantiles_ms(hist, qs)
    t_fast = time.perf_counter() - t
    t = time.perf_counter()
    slow = [histograms.percentile_ms(hist, q) for q in qs]
    t_slow = time.perf_counter() - t
    assert fast == slow
    print(f"{len(qs)} percentiles: one pass {t_fast * 1000:.1f} ms, per-call walk {t_slow * 1000:.1f} ms")
    t = time.perf_counter()
    out = render("html", [item, item])
    print(f"html compare of 2 runs {time.perf_counter() - t:6.3f} s  {len(out.encode()) / 1e3:8.1f} kB")


if __name__ == "__main__":
    main()
