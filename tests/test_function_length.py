"""Functions small enough to hold in one's head (issue 12, docs/architecture.md "House rules").

- No function in ``scalectl/`` runs over :data:`MAX_LINES` lines (``def`` to its last line, the
  signature included) unless a ``# long: <reason>`` comment sits just above it (above its decorators).
- A CLI command (a function decorated with ``<typer app>.command(...)``) may have a long signature
  (a flat table of options), but its body after the docstring stays within :data:`MAX_COMMAND_BODY`
  lines: parse the options, call one library or pipeline function, render.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 60
MAX_COMMAND_BODY = 30

#: Functions left long for a while (none now): a stale entry (the function is short now, or has its
#: reason) fails.
PENDING: set[str] = set()


@dataclass(frozen=True)
class Offender:
    where: str  # path:name
    lines: int
    rule: str

    def __str__(self) -> str:
        return f"{self.where}: {self.lines} lines ({self.rule})"


def _is_command(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for deco in node.decorator_list:
        call = deco.func if isinstance(deco, ast.Call) else deco
        if isinstance(call, ast.Attribute) and call.attr == "command":
            return True
    return False


def _has_reason(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> bool:
    """A ``# long: <reason>`` comment in the comment block right above the def (or its decorators)."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    i = first - 2  # 0-based index of the line above
    while i >= 0 and lines[i].strip().startswith("#"):
        text = lines[i].strip().removeprefix("#").strip()
        if text.lower().startswith("long:") and text[5:].strip():
            return True
        i -= 1
    return False


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if not body:
        return 0
    return (body[-1].end_lineno or body[-1].lineno) - body[0].lineno + 1


def offenders_in(source: str, name: str) -> list[Offender]:
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        where = f"{name}:{node.name}"
        if _is_command(node):
            n = _body_lines(node)
            if n > MAX_COMMAND_BODY:
                found.append(Offender(where, n, f"command body over {MAX_COMMAND_BODY}"))
            continue
        n = (node.end_lineno or node.lineno) - node.lineno + 1
        if n > MAX_LINES and not _has_reason(node, lines):
            found.append(Offender(where, n, f"over {MAX_LINES} without '# long: <reason>'"))
    return found


def offenders(package: Path) -> list[Offender]:
    found = []
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(package.parent).as_posix()
        found += offenders_in(path.read_text(encoding="utf-8"), name)
    return found


def test_no_function_too_long_in_scalectl() -> None:
    found = offenders(ROOT / "scalectl")
    unexpected = [str(o) for o in found if o.where not in PENDING]
    assert not unexpected, "split these into helpers with one job each:\n" + "\n".join(unexpected)
    stale = PENDING - {o.where for o in found}
    assert not stale, f"no longer too long, remove from PENDING: {sorted(stale)}"


def _function(name: str, body_lines: int, decorators: str = "", above: str = "") -> str:
    body = "\n".join(f"    x{i} = {i}" for i in range(body_lines))
    return f"{above}{decorators}def {name}() -> None:\n    '''Doc.'''\n{body}\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (_function("short", 58), []),  # 60 lines with def and docstring
        (_function("long", 59), ["m.py:long"]),
        (_function("long", 59, above="# long: a flat list of fields\n"), []),
        (_function("long", 59, above="# long:\n"), ["m.py:long"]),  # a reason must be given
        (_function("long", 59, decorators="@cache\n", above="# long: a flat table\n"), []),
        (_function("cmd", 30, decorators="@app.command('cmd')\n"), []),
        (_function("cmd", 31, decorators="@app.command('cmd')\n"), ["m.py:cmd"]),
        (_function("cmd", 31, decorators="@sub.command()\n@error_boundary\n"), ["m.py:cmd"]),
        (
            "class A:\n" + textwrap.indent(_function("method", 61), "    "),
            ["m.py:method"],
        ),
    ],
)
def test_the_rule_catches_what_it_should(source: str, expected: list[str]) -> None:
    assert [o.where for o in offenders_in(source, "m.py")] == expected
