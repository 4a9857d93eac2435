"""Reporters of a GateVerdict: golden files (Markdown, JUnit) from fixed synthetic verdicts, JUnit
structure checked with xml.etree, terminal output checked for content.

Regenerate the golden files after a deliberate change:
``UPDATE_GOLDEN=1 pytest tests/gate/test_gate_reporters.py``.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scalectl.models import CheckResult, GateVerdict
from scalectl.report import gate_junit, gate_markdown, gate_terminal

GOLDEN = Path(__file__).parent / "golden"

FAILED = GateVerdict(
    run_id="20260101T120000Z-smoke",
    baseline="reports/baselines/smoke.json",
    passed=False,
    checks=[
        CheckResult(
            name="threshold p99<1000ms",
            kind="threshold",
            metric="p99",
            observed=412.5,
            limit=1000.0,
            unit="ms",
            status="pass",
            message="p99 412.5 ms < 1000 ms: holds",
        ),
        CheckResult(
            name="threshold /api/x: error_rate<1%",
            kind="threshold",
            scope="/api/x",
            metric="error_rate",
            observed=0.025,
            limit=0.01,
            status="fail",
            message="error_rate 2.5% < 1%: violated",
        ),
        CheckResult(
            name="regression p95 (GET /api/content/{id})",
            kind="regression",
            scope="GET /api/content/{id}",
            metric="p95",
            observed=15.4,
            limit=13.31,
            baseline=12.1,
            unit="ms",
            status="fail",
            message="p95 12.1 ms → 15.4 ms (+27.3%; 95% CI +18.0%..+37.3%): "
            "beyond the +10% tolerance and beyond the runs' noise (p<0.001)",
            ci_low=0.18,
            ci_high=0.373,
        ),
        CheckResult(
            name="regression p50 (overall)",
            kind="regression",
            metric="p50",
            observed=5.2,
            limit=5.5,
            baseline=5.0,
            unit="ms",
            status="pass",
            message="p50 5 ms → 5.2 ms (+4.0%; 95% CI -2.0%..+10.0%): within the +10% tolerance",
            ci_low=-0.02,
            ci_high=0.1,
        ),
        CheckResult(
            name="regression throughput (overall)",
            kind="regression",
            metric="throughput",
            observed=40.0,
            limit=42.3,
            baseline=47.0,
            unit="req/s",
            status="warn",
            message="throughput 47 req/s → 40 req/s "
            "(-14.9%; 95% CI -30.0%..+2.0%): beyond the -10% tolerance "
            "but within the runs' noise (p=0.2)",
            ci_low=-0.3,
            ci_high=0.02,
        ),
        CheckResult(
            name="regression error_rate (GET /api/x)",
            kind="regression",
            scope="GET /api/x",
            metric="error_rate",
            observed=0.02,
            limit=0.015,
            baseline=0.005,
            status="fail",
            message="error_rate 0.5% → 2% (+1.50 pp; 95% CI +0.80..+2.20 pp): "
            "beyond the +1 pp tolerance and beyond the runs' noise (p=0.003)",
            ci_low=0.008,
            ci_high=0.022,
        ),
        CheckResult(
            name="regression p99 (GET /api/x)",
            kind="regression",
            scope="GET /api/x",
            metric="p99",
            observed=30.0,
            limit=24.0,
            baseline=20.0,
            unit="ms",
            status="insufficient",
            message="insufficient data to judge p99: candidate has 300 requests (need ≥ 1000)",
        ),
    ],
    warnings=["environment differs from the baseline: cpu_count 2 (baseline) vs 4 (run)"],
)

PASSED = GateVerdict(
    run_id="20260101T120000Z-smoke",
    baseline=None,
    passed=True,
    checks=[
        CheckResult(
            name="threshold p95<300ms",
            kind="threshold",
            metric="p95",
            observed=120.0,
            limit=300.0,
            unit="ms",
            status="pass",
            message="p95 120 ms < 300 ms: holds",
        ),
        CheckResult(
            name="threshold rps>=10",
            kind="threshold",
            metric="rps",
            observed=45.5,
            limit=10.0,
            unit="req/s",
            status="pass",
            message="rps 45.5 req/s >= 10 req/s: holds",
        ),
    ],
)

CASES = {"failed": FAILED, "passed": PASSED}


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_markdown_golden(case: str) -> None:
    _golden(f"{case}.md", gate_markdown.render(CASES[case]))


@pytest.mark.parametrize("case", CASES)
def test_junit_golden(case: str) -> None:
    _golden(f"{case}.xml", gate_junit.render(CASES[case]))


def test_markdown_content() -> None:
    md = gate_markdown.render(FAILED)
    assert md.startswith("## ❌ Performance gate failed")
    assert (
        "FAIL p95 regression [GET /api/content/{id}]: observed 15.4 ms, limit 13.31 ms, baseline 12.1 ms"
        in md
    )
    assert "\\|" not in md.split("### Thresholds")[0]
    assert (
        "| ❌ fail | `GET /api/content/{id}` | p95 | 12.1 ms | 15.4 ms | 13.31 ms | +27.3% [+18.0%, +37.3%] |"
        in md
    )
    assert "cpu_count 2 (baseline) vs 4 (run)" in md
    assert gate_markdown.render(PASSED).startswith("## ✅ Performance gate passed")


def test_junit_is_well_formed_with_one_case_per_check() -> None:
    root = ET.fromstring(gate_junit.render(FAILED))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == len(FAILED.checks) == int(suite.get("tests"))
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == 3 == int(suite.get("failures")) == int(root.get("failures"))
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert len(skipped) == 1 == int(suite.get("skipped"))
    f = next(c for c in failures if c.get("name") == "regression p95 (GET /api/content/{id})")
    assert (
        f.find("failure")
        .get("message")
        .startswith("FAIL p95 regression [GET /api/content/{id}]: observed 15.4 ms")
    )
    assert "+27.3%" in f.find("failure").text
    assert suite.find("system-err").text.startswith("warning: environment differs")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props == {"run_id": FAILED.run_id, "baseline": FAILED.baseline, "passed": "false"}
    passed = ET.fromstring(gate_junit.render(PASSED))
    assert passed.get("failures") == "0" and len(passed.findall(".//testcase")) == 2


def test_junit_escapes_markup_in_names() -> None:
    v = PASSED.model_copy(
        update={"checks": [PASSED.checks[0].model_copy(update={"name": 'threshold a<b & "c"'})]}
    )
    root = ET.fromstring(gate_junit.render(v))
    assert root.find(".//testcase").get("name") == 'threshold a<b & "c"'


def test_terminal() -> None:
    text = gate_terminal.render(FAILED, width=200)
    assert (
        "FAIL: 2 regressions, 1 threshold, 1 warning, 2 passed, 1 not judged (too few data), 1 note" in text
    )
    assert "GET /api/content/{id}" in text and "15.4 ms" in text
    assert "warning: environment differs" in text
    assert "PASS: 2 passed" in gate_terminal.render(PASSED)
    hidden = gate_terminal.render(FAILED, width=200, show_passed=False)
    assert "p99<1000ms" not in hidden and "p99<1000ms" in text
    assert "+27% [+18%, +37%]" in text and "(need ≥ 1000)" in text
    assert "\x1b[" in gate_terminal.render(FAILED, color=True) and "\x1b[" not in text


def test_lines_for_a_ci_log_name_each_failing_and_warning_check_and_sum_up() -> None:
    text = gate_terminal.render_lines(FAILED)
    lines = text.splitlines()
    n_shown = sum(c.status in ("fail", "warn") for c in FAILED.checks)
    assert [ln.split(" ", 1)[0] for ln in lines[1 : 1 + n_shown]] == ["FAIL"] * 3 + ["WARN"]
    assert "p99<1000ms" not in text  # a passing check is in the files, not the log
    assert (
        lines[-1]
        == "FAIL: 2 regressions, 1 threshold, 1 warning, 2 passed, 1 not judged (too few data), 1 note"
    )
    assert len(lines) <= n_shown + 1 + len(FAILED.warnings) + 1
    assert all(len(ln) < 200 for ln in lines)


def test_a_warning_is_never_hidden_under_pass() -> None:
    warn = FAILED.checks[0].model_copy(update={"status": "warn", "kind": "regression"})
    v = PASSED.model_copy(update={"checks": [*PASSED.checks, warn]})
    assert v.passed
    assert gate_terminal.render_lines(v).splitlines()[-1] == "PASS: 1 warning, 2 passed"
    assert "WARN" in gate_terminal.render_lines(v)
    assert gate_markdown.render(v).startswith("## ⚠️ Performance gate passed with 1 warning")
