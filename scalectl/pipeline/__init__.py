"""The pipeline: start the target → run → collect → analyse → write → report; baseline sweeps.

Commands build a frozen options object and call one function here. ``load/`` is the Locust engine
underneath; the target (bundled, the user's command, or an external host) is started and recorded
here (``TargetSpec`` in run.json), so later stages can start it again (:func:`start_from_spec`).
"""

from scalectl.pipeline.baseline import BaselineOutcome, run_baseline, sweep
from scalectl.pipeline.options import BaselineOptions, RunOptions, TargetOptions
from scalectl.pipeline.run import LoadtestResult, loadtest, run_load
from scalectl.pipeline.targets import RunningTarget, resolve_spec, start_from_spec, start_target

__all__ = [
    "BaselineOptions",
    "BaselineOutcome",
    "LoadtestResult",
    "RunOptions",
    "RunningTarget",
    "TargetOptions",
    "loadtest",
    "resolve_spec",
    "run_baseline",
    "run_load",
    "start_from_spec",
    "start_target",
    "sweep",
]
