"""A longer property-based fuzz run of the reference backend (schemathesis), SQLite and PostgreSQL.

    .venv/bin/python bench/fuzz_target.py [--max-examples 200] [--random] [-- extra pytest args]

Runs tests/target_app/test_fuzz.py (a real replica per database, the app's own OpenAPI document,
positive and negative data, examples + coverage/boundary + fuzzing phases) with more examples per
operation than the default suite's 4. Exit status is pytest's: 0 means no 500 on any route.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--max-examples", type=int, default=200, help="examples per operation and mode")
    p.add_argument("--random", action="store_true", help="random seeds (default: deterministic)")
    p.add_argument("pytest_args", nargs="*", help="passed to pytest (e.g. -k sqlite)")
    args = p.parse_args()
    env = {
        **os.environ,
        "FUZZ_MAX_EXAMPLES": str(args.max_examples),
        "FUZZ_RANDOM": "1" if args.random else "",
    }
    cmd = [sys.executable, "-m", "pytest", "tests/target_app/test_fuzz.py", "-q", "-p", "no:cacheprovider",
           "--hypothesis-show-statistics", *args.pytest_args]  # fmt: skip
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    raise SystemExit(main())
