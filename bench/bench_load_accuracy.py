"""Accuracy of scalectl's percentiles: a run with every raw latency exported, compared with the exact
nearest-rank percentiles of those raw samples, per endpoint and overall.

The plugin writes each recorded latency (``SCALECTL_RAW_LATENCIES``); the run's reported p50, p90,
p95, p99, p99.9 and max (read from the merged per-second HDR histograms in run.json) must each be
within 1% of the exact value.

    PYTHONPATH=. python bench/bench_load_accuracy.py [--scenario scenarios/smoke.yaml] [--seconds 15]
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from collections import defaultdict
from pathlib import Path

from scalectl.pipeline import RunOptions, run_load
from scalectl.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
QS = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p999": 99.9, "max": 100.0}


def exact(sorted_us: list[int], q: float) -> float:
    rank = max(1, math.ceil(q / 100.0 * len(sorted_us) - 1e-9))  # nearest rank
    return sorted_us[rank - 1] / 1000.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "smoke.yaml"))
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--users", type=int, default=10)
    ap.add_argument("--workers", type=int, default=0)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="scalectl-acc-"))
    raw_path = work / "raw.tsv"
    os.environ["SCALECTL_RAW_LATENCIES"] = str(raw_path)
    opts = RunOptions(
        scenario=load_scenario(args.scenario),
        users=args.users,
        duration=args.seconds,
        out=work / "run",
        workers=args.workers,
    )
    run, run_dir = run_load(opts)
    raw: dict[str, list[int]] = defaultdict(list)
    for line in raw_path.read_text().splitlines():
        key, ms = line.split("\t")
        raw[key].append(int(float(ms) * 1000.0 + 0.5))  # the integer µs the recorder stores
    raw["Total"] = [v for k, vs in list(raw.items()) for v in vs]
    worst = 0.0
    print(f"run {run_dir}: {run.total.requests} requests, raw samples {len(raw['Total'])}")
    print(f"{'endpoint':32} {'stat':5} {'reported':>10} {'exact':>10} {'error':>8}")
    for ep in [*run.endpoints, run.total]:
        key = "Total" if ep.name == "Total" else ep.key
        values = sorted(raw[key])
        assert len(values) == ep.requests, (key, len(values), ep.requests)
        for stat, q in QS.items():
            rep = getattr(ep.latency_ms, stat)
            ex = exact(values, q)
            err = abs(rep - ex) / ex if ex else 0.0
            worst = max(worst, err)
            print(f"{key[:32]:32} {stat:5} {rep:10.3f} {ex:10.3f} {err:8.4%}")
    print(f"\nworst relative error: {worst:.4%} (limit 1%) -> {'PASS' if worst <= 0.01 else 'FAIL'}")


if __name__ == "__main__":
    main()
