"""JUnit XML of a GateVerdict: one test suite, one test case per check (CI test-report viewers).

``fail`` → ``<failure>``; ``insufficient`` → ``<skipped>`` (nothing judged, said as such); ``warn`` →
a passing case whose ``<system-out>`` carries the warning. Built with ``xml.etree`` so the output is
always well-formed and escaped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from scalectl.gate.judge import failure_line
from scalectl.models.gate import GateVerdict


def render(verdict: GateVerdict, suite: str = "scalectl.gate") -> str:
    checks = verdict.checks
    root = ET.Element(
        "testsuites",
        name=suite,
        tests=str(len(checks)),
        failures=str(sum(c.status == "fail" for c in checks)),
        errors="0",
        skipped=str(sum(c.status == "insufficient" for c in checks)),
    )
    ts = ET.SubElement(
        root,
        "testsuite",
        name=f"{suite} {verdict.run_id}",
        tests=root.get("tests", "0"),
        failures=root.get("failures", "0"),
        errors="0",
        skipped=root.get("skipped", "0"),
    )
    props = ET.SubElement(ts, "properties")
    ET.SubElement(props, "property", name="run_id", value=verdict.run_id)
    ET.SubElement(props, "property", name="baseline", value=verdict.baseline or "")
    ET.SubElement(props, "property", name="passed", value=str(verdict.passed).lower())
    for c in checks:
        case = ET.SubElement(ts, "testcase", classname=f"{suite}.{c.kind}.{c.scope}", name=c.name, time="0")
        if c.status == "fail":
            failure = ET.SubElement(case, "failure", message=failure_line(c), type=f"{c.kind}_failed")
            failure.text = c.message
        elif c.status == "insufficient":
            ET.SubElement(case, "skipped", message=c.message)
        elif c.status == "warn":
            ET.SubElement(case, "system-out").text = f"warning: {c.message}"
        else:
            ET.SubElement(case, "system-out").text = c.message
    if verdict.warnings:
        ET.SubElement(ts, "system-err").text = "\n".join(f"warning: {w}" for w in verdict.warnings)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
