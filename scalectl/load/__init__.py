"""The load engine: scenarios run on Locust in a child process, measured by scalectl.

Public API: ``run_scenario`` (one run → ``run.json``), ``run_baseline`` (stepped load → Baseline),
``ProgressUpdate``. Importing this package does not import Locust.
"""

from scalectl.load.engine import ProgressUpdate
from scalectl.load.run import run_scenario

__all__ = ["ProgressUpdate", "run_scenario"]
