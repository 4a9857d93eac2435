"""The load engine: Locust in a child process, measured by scalectl (recorder, plugin, results).

Orchestration (targets, runs, baselines) is ``scalectl.pipeline``'s. Importing this package does not
import Locust.
"""

from scalectl.load.engine import ProgressUpdate

__all__ = ["ProgressUpdate"]
