"""How long `scalectl --help` takes (issue 12: under 0.3 s), side by side with the interpreter alone and
with `import typer` (the floor any Typer CLI pays), in one run.

    PYTHONPATH=. .venv/bin/python bench/bench_cli_startup.py [--n 20]

Each command runs ``--n`` times in turn (A B C A B C ...); the median and the spread of wall-clock
seconds are printed as a markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import typer'": [sys.executable, "-c", "import typer"],
    "scalectl --help": [str(BIN / "scalectl"), "--help"],
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--goal", type=float, default=0.3, help="exit 1 when scalectl --help's median exceeds it")
    args = ap.parse_args()
    times: dict[str, list[float]] = {k: [] for k in COMMANDS}
    for _ in range(args.n):
        for name, cmd in COMMANDS.items():
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - t0)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, n={args.n}\n")
    print("| command | median s | min s | max s |\n|---|---:|---:|---:|")
    for name, ts in times.items():
        print(f"| `{name}` | {statistics.median(ts):.3f} | {min(ts):.3f} | {max(ts):.3f} |")
    return 0 if statistics.median(times["scalectl --help"]) <= args.goal else 1


if __name__ == "__main__":
    sys.exit(main())
