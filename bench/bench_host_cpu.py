"""Are this machine's cores independent? The SEO scoring function in one process pinned to a core, then
in two processes pinned to CPUs 0 and 1 at once; per-core calls/s of each, and their ratio.

    PYTHONPATH=. .venv/bin/python bench/bench_host_cpu.py [ROUNDS]

A ratio near 1 means two busy cores each run as fast as one alone (no shared physical core, no host
throttling): a gap between one and two replicas is then not the hardware. The spread of the samples
is this machine's CPU speed noise.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

CHILD = r"""
import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[1])})
from target_app.seo_score import analyze_text
text = ("# Scaling seo\nContent marketing with seo in mind. Writing clear headings helps readers and "
        "search engines. Short sentences read well. Long ones, with many clauses and qualifications, "
        "tire the reader before the point arrives.")
t_start, t_end = float(sys.argv[2]), float(sys.argv[3])
time.sleep(max(0.0, t_start - time.time()))
n = 0
while time.time() < t_end:
    analyze_text(text, ["seo"], 1)
    n += 1
print(n)
"""


def run(cores: list[int], secs: float = 3.0) -> list[float]:
    t_start = time.time() + 1.0  # after every process has imported
    argv = [str(t_start), str(t_start + secs)]
    ps = [
        subprocess.Popen([sys.executable, "-c", CHILD, str(c), *argv], stdout=subprocess.PIPE, text=True)
        for c in cores
    ]
    return [int(p.communicate()[0]) / secs for p in ps]


def main() -> None:
    solo: list[float] = []
    pair: list[float] = []
    for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        solo += run([0])
        solo += run([1])
        pair += run([0, 1])
    print(
        f"one core alone: median {statistics.median(solo):.0f} calls/s (samples {[round(x) for x in solo]}); "
        f"two at once, per core: median {statistics.median(pair):.0f} (samples {[round(x) for x in pair]}); "
        f"ratio {statistics.median(pair) / statistics.median(solo):.2f}"
    )


if __name__ == "__main__":
    main()
