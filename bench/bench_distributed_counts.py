"""Does distributed mode lose requests? scalectl's count vs nginx's access log, saturated generator.

Each run: nginx answering ``return 200`` with an access log (tests/load/counting_nginx.py), then

    scalectl loadtest bench/distributed_counts.yaml --host URL --workers 2 --users 2000 --duration 20s

as a subprocess (the user's path, CLI included). The access log is the truth; the preflight request
accounts for exactly 1, so a run that loses nothing has ``nginx - run.json == 1``.

    PYTHONPATH=. python bench/bench_distributed_counts.py [--runs 5] [--users 2000] [--workers 2]
        [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.load.counting_nginx import counting_nginx  # noqa: E402

SCENARIO = ROOT / "bench" / "distributed_counts.yaml"


def one_run(users: int, workers: str, seconds: int, out: Path) -> dict:
    with counting_nginx() as ngx:
        cmd = [
            "scalectl", "loadtest", str(SCENARIO.relative_to(ROOT)), "--host", ngx.url,
            "--workers", workers, "--users", str(users), "--duration", f"{seconds}s",
            "--out", str(out), "--no-report",
        ]  # fmt: skip
        t0 = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "scalectl", *cmd[1:]],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.monotonic() - t0
        time.sleep(0.5)
        served = ngx.served()
    run = json.loads((out / "run.json").read_text()) if (out / "run.json").exists() else {}
    gen = run.get("generator") or {}
    return {
        "command": " ".join(cmd[:4] + ["URL"] + cmd[5:]),
        "exit": proc.returncode,
        "wall_s": round(wall, 1),
        "run_requests": (run.get("total") or {}).get("requests"),
        "nginx_served": served,
        "missing": served - 1 - int((run.get("total") or {}).get("requests") or 0),
        "complete": run.get("complete"),
        "saturated": gen.get("saturated"),
        "workers": gen.get("workers"),
        "unaccounted": gen.get("unaccounted_requests"),
        "warnings": run.get("warnings"),
        "stderr_tail": proc.stderr[-600:] if proc.returncode not in (0, 1) else "",
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--workers", default="2")
    ap.add_argument("--seconds", type=int, default=20)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="scalectl-counts-"))
    rows = []
    for i in range(args.runs):
        row = one_run(args.users, args.workers, args.seconds, work / f"run-{i}")
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"\n{'run':>3} {'run.json':>10} {'nginx':>10} {'missing':>8} {'missing %':>9} sat complete")
    worst = 0.0
    for i, r in enumerate(rows):
        pct = r["missing"] / max(1, r["nginx_served"] - 1)
        worst = max(worst, abs(pct))
        print(
            f"{i + 1:>3} {r['run_requests'] or 0:>10,} {r['nginx_served']:>10,} {r['missing']:>8,} "
            f"{pct:>9.3%} {str(r['saturated']):>5} {r['complete']}"
        )
    print(f"\nworst |missing| {worst:.3%} (limit 1%, goal 0) -> {'PASS' if worst <= 0.01 else 'FAIL'}")
    print(f"command: {rows[0]['command']}  (load average at end: {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
