"""The reports/ layout, atomic writes, and loading runs and baselines.

Layout (root defaults to ``./reports``)::

    reports/runs/<run-id>/run.json          RunResult
    reports/runs/<run-id>/series.csv        per-second time series
    reports/runs/<run-id>/scenario.yaml     the scenario as run
    reports/runs/<run-id>/analysis.json     Analysis        (scalectl analyze)
    reports/runs/<run-id>/report.html       HTML report     (scalectl report)
    reports/runs/latest                     a link to the newest complete run directory
    reports/baselines/<name>.json           Baseline        (scalectl baseline)
    reports/experiments/<run-id>-<time>/    experiment.json + one run directory per arm and round
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from scalectl import layout
from scalectl.errors import InputError
from scalectl.layout import ANALYSIS_FILE, DEFAULT_ROOT, EXPERIMENT_FILE, RECOMMENDATION_FILE, RUN_FILE
from scalectl.models import Analysis, Baseline, Recommendation, RunResult
from scalectl.models.experiment import Experiment

__all__ = ["ANALYSIS_FILE", "DEFAULT_ROOT", "EXPERIMENT_FILE", "RECOMMENDATION_FILE", "RUN_FILE"]
LATEST = layout.LATEST_RUN

M = TypeVar("M", bound=BaseModel)


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


#: Files above this size are written without indentation: an hour-long run.json shrinks by half and
#: loads about four times faster (docs/benchmarks.md, analysis section).
INDENT_LIMIT_BYTES = 1_000_000


def write_model(path: Path, model: BaseModel) -> Path:
    """Write a model as JSON atomically: indented for people when small, compact when large."""
    data = model.model_dump_json(by_alias=True)
    if len(data) < INDENT_LIMIT_BYTES:
        data = model.model_dump_json(indent=2, by_alias=True)
    return atomic_write_text(path, data + "\n")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:40] or "run"


def new_run_id(scenario_name: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{_slug(scenario_name)}"


def new_run_dir(scenario_name: str, root: Path = DEFAULT_ROOT, out: Path | None = None) -> Path:
    """Create and return a fresh run directory. Runs never overwrite each other.

    With ``out`` the directory is ``out`` itself (it must not hold a run already).
    """
    if out is not None:
        out = Path(out)
        if (out / RUN_FILE).exists():
            raise InputError(f"{out} already holds a run ({RUN_FILE}); choose another --out")
        out.mkdir(parents=True, exist_ok=True)
        return out
    return _fresh_dir(layout.runs_dir(root), new_run_id(scenario_name))


def new_experiment_dir(run_id: str, root: Path = DEFAULT_ROOT) -> Path:
    """A fresh ``reports/experiments/<run id>-<time>/`` directory."""
    return _fresh_dir(layout.experiments_dir(root), f"{run_id}-{datetime.now(UTC):%H%M%S}")


def load_experiment(path: Path) -> Experiment:
    """An ``experiment.json`` (or the directory holding it)."""
    path = Path(path)
    return _load(path / EXPERIMENT_FILE if path.is_dir() else path, Experiment, "experiment")


def _fresh_dir(base: Path, run_id: str) -> Path:
    base.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        candidate = base / (run_id if n == 0 else f"{run_id}-{n}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise InputError(f"could not create a new directory under {base}")


def mark_latest(run_dir: Path) -> None:
    """Point ``runs/latest`` at ``run_dir`` (a relative link, replaced atomically), so that
    ``scalectl report reports/runs/latest`` names the newest run. Only for run directories under a
    ``runs/`` folder; a filesystem without links is left as it is."""
    run_dir = Path(run_dir)
    if run_dir.parent.name != layout.RUNS_DIR or run_dir.name == LATEST:
        return
    link = run_dir.parent / LATEST
    tmp = run_dir.parent / f".{LATEST}.{os.getpid()}"
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(run_dir.name, target_is_directory=True)
        tmp.replace(link)


def _load(path: Path, model: type[M], what: str) -> M:
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what} file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what}: {exc.strerror}") from None
    try:
        # pydantic's JSON parser: one pass, no intermediate dicts (the hot path for large runs)
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            try:
                json.loads(raw)
            except json.JSONDecodeError as jexc:
                raise InputError(f"{path}:{jexc.lineno}: not valid JSON ({jexc.msg})") from None
            raise InputError(f"{path}: not valid JSON ({first['msg']})") from None
        loc = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: not a valid {what}: {loc}: {first['msg']}") from None


def run_file(path: Path) -> Path:
    """Accept a run directory or a run.json path."""
    path = Path(path)
    return path / RUN_FILE if path.is_dir() else path


def load_run(path: Path) -> RunResult:
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such run directory or file")
    return _load(run_file(path), RunResult, "run")


def load_baseline(path: Path) -> Baseline:
    return _load(Path(path), Baseline, "baseline")


def load_analysis(run_dir: Path) -> Analysis | None:
    p = Path(run_dir) / ANALYSIS_FILE
    return _load(p, Analysis, "analysis") if p.exists() else None


def load_recommendation(path: Path) -> Recommendation | None:
    p = Path(path)
    p = p / RECOMMENDATION_FILE if p.is_dir() else p
    return _load(p, Recommendation, "recommendation") if p.exists() else None


def is_baseline_file(path: Path) -> bool:
    """A baseline is a JSON object with ``steps`` (and no ``run_id``); a run is a directory or a
    run.json. Decided by the fields present, not by their order in the file."""
    path = Path(path)
    if path.is_dir():
        return False
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "steps" in data and "run_id" not in data


def load_runs_or_baseline(path: Path) -> tuple[list[RunResult], Baseline | None]:
    """Load a run directory / run.json (one run) or a baseline file (its step runs)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such run directory, run.json or baseline file")
    if is_baseline_file(path):
        baseline = load_baseline(path)
        return [s.run for s in baseline.steps], baseline
    return [load_run(path)], None


def baseline_path(name: str, root: Path = DEFAULT_ROOT, out: Path | None = None) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise InputError(f"baseline name {name!r}: use letters, digits, '.', '_' and '-'")
    return (Path(out) if out else layout.baselines_dir(root)) / f"{name}.json"
