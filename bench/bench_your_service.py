"""Issue 11 acceptance: scalectl on services it did not write, run as a new user would.

For each service (tests/services: a gunicorn sync-worker WSGI app, a Starlette app without /metrics
behind a per-worker pool) it runs ``scalectl baseline --replicas 1,2,4`` with the service's own
command (the scenario's ``target:`` block), fits the capacity model on the 1- and 2-replica knees
only, and compares its prediction for 4 replicas with the 4-replica knee measured in the same sweep.
Then ``scalectl recommend`` over the 1- and 2-replica baselines: CPU and memory come from the measured
process tree. Exit 1 when a prediction is off by more than 15 %.

    flock /tmp/scalectl-bench.lock .venv/bin/python bench/bench_your_service.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {
    "wsgi": ROOT / "tests/services/wsgi_sleep.yaml",
    "asgi": ROOT / "tests/services/asgi_plain.yaml",
    "asgi-open": ROOT / "tests/services/asgi_plain_open.yaml",
}
TOLERANCE = 0.15


def scalectl(*args: str) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    cmd = [sys.executable, "-m", "scalectl", *args]
    print("$ scalectl " + " ".join(args), file=sys.stderr, flush=True)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def one(service: str, root: Path, refine: int) -> dict:
    from scalectl.capacity.evidence import collect
    from scalectl.capacity.usl import fit_usl, model_throughput
    from scalectl.storage import load_baseline

    out = root / "baselines"
    scalectl("baseline", "-s", str(SERVICES[service]), "--replicas", "1,2,4", "--name", service,
             "--root", str(root), "--out", str(out), "--no-report", "--refine", str(refine))  # fmt: skip
    b = {n: load_baseline(out / f"{service}-r{n}.json") for n in (1, 2, 4)}
    caps = {n: collect([(f"r{n}", [], b[n])]).capacities[0] for n in b}
    model = fit_usl([(1, caps[1].knee_rps), (2, caps[2].knee_rps)])
    predicted = model_throughput(model, 4)
    measured = caps[4].knee_rps
    rec_dir = root / f"rec-{service}"
    target = round(caps[2].knee_rps * 1.5)
    r1, r2 = (str(out / f"{service}-r{n}.json") for n in (1, 2))
    scalectl("recommend", "--from", r1, "--from", r2, "--target-rps", str(target), "--out", str(rec_dir))
    rec = json.loads((rec_dir / "recommendation.json").read_text())
    return {
        "service": service,
        "knee_rps": {n: round(c.knee_rps, 1) for n, c in caps.items()},
        "beyond_last_step": {n: c.beyond_last_step for n, c in caps.items()},
        "predicted_4": round(predicted, 1),
        "measured_4": round(measured, 1),
        "error": round(predicted / measured - 1, 3) if measured else None,
        "recommend_target_rps": target,
        "replicas": rec.get("replicas"),
        "resources": rec.get("resources"),
        "resource_reasoning": [r for r in rec.get("reasoning", []) if "CPU" in r or "memory" in r],
        "warnings": [w for w in rec.get("warnings", []) if "placeholder" in w],
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--service", choices=[*SERVICES, "all"], default="all")
    ap.add_argument("--root", type=Path, default=None)
    ap.add_argument("--refine", type=int, default=3, help="baseline --refine: bisections past the knee")
    args = ap.parse_args()
    root = args.root or Path(tempfile.mkdtemp(prefix="scalectl-yours-"))
    rows = [one(s, root, args.refine) for s in (SERVICES if args.service == "all" else [args.service])]
    print(json.dumps(rows, indent=2))
    ok = all(r["error"] is not None and abs(r["error"]) <= TOLERANCE for r in rows)
    print(f"4-replica knee predicted from 1 and 2 within {TOLERANCE:.0%}: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
