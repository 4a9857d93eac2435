"""The ``reports/`` layout: every path scalectl writes under, named once.

Plain constants and path helpers with no imports beyond ``pathlib``, so the CLI can use them for
option defaults without loading models, and the pure core can name a run's files in advice.
``scalectl.storage`` does the reading and writing.

    reports/
      runs/<run-id>/          run.json, analysis.json, report.html, series.csv, scenario.yaml
      baselines/<name>.json   a baseline (every step's run and the knee)
      recommendations/<ts>/   recommendation.json and the manifests
      experiments/<run-id>-<time>/  experiment.json and one run directory per arm and round
      target/                 the target kept by ``scalectl target up`` (state.json, logs, nginx)
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_ROOT = Path("reports")
RUNS_DIR = "runs"
BASELINES_DIR = "baselines"
RECOMMENDATIONS_DIR = "recommendations"
EXPERIMENTS_DIR = "experiments"
TARGET_DIR = "target"
RUN_FILE = "run.json"
ANALYSIS_FILE = "analysis.json"
RECOMMENDATION_FILE = "recommendation.json"
EXPERIMENT_FILE = "experiment.json"
SCENARIO_FILE = "scenario.yaml"
#: ``runs/latest``: a link to the newest run directory (written by ``storage.mark_latest``).
LATEST_RUN = "latest"


def runs_dir(root: Path = DEFAULT_ROOT) -> Path:
    return Path(root) / RUNS_DIR


def run_dir(run_id: str, root: Path = DEFAULT_ROOT) -> Path:
    return runs_dir(root) / run_id


def baselines_dir(root: Path = DEFAULT_ROOT) -> Path:
    return Path(root) / BASELINES_DIR


def recommendations_dir(root: Path = DEFAULT_ROOT) -> Path:
    return Path(root) / RECOMMENDATIONS_DIR


def experiments_dir(root: Path = DEFAULT_ROOT) -> Path:
    return Path(root) / EXPERIMENTS_DIR


def target_dir(root: Path = DEFAULT_ROOT) -> Path:
    return Path(root) / TARGET_DIR


def latest_run(root: Path = DEFAULT_ROOT) -> Path:
    """``reports/runs/latest``: the newest run, for commands a user runs next."""
    return runs_dir(root) / LATEST_RUN
