"""A real run (load engine against the bundled target) through every reporter: the reporters read
what the engine and the telemetry sampler really write, not only what the factories make."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scalectl.report import FORMATS, render
from scalectl.report.files import load_input, write_default_report

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration
pytest.importorskip("scalectl.target", reason="the bundled target is not merged in yet")


def test_real_run_renders_in_every_format(tmp_path: Path) -> None:
    from scalectl.pipeline import RunOptions, TargetOptions, run_load

    opts = RunOptions(
        scenario=ROOT / "scenarios" / "smoke.yaml",
        duration=4.0,
        out=tmp_path / "run",
        target=TargetOptions(replicas=1, env={"SEED_CONTENT_ROWS": "2000"}),
    )
    _, run_dir = run_load(opts)
    path = write_default_report(run_dir)
    text = path.read_text(encoding="utf-8")
    m = re.search(r'<script id="figures" type="application/json">(.*?)</script>', text, re.S)
    assert m
    titles = {f["layout"]["title"]["text"] for f in json.loads(m.group(1))}
    # the bundled target exports the contract metrics and its process is sampled
    for title in ("Users and throughput", "Target CPU per replica", "DB pool: connections checked out"):
        assert title in titles, titles
    item = load_input(run_dir)
    for fmt in FORMATS:
        out = render(fmt, [item])
        assert item.run.run_id in out or item.name in out, fmt
