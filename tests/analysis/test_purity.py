"""The analysis is pure (docs/architecture.md, the pure core): no files, network, clock or randomness."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import scalectl.analysis

ROOT = Path(scalectl.analysis.__file__).parent
FORBIDDEN_MODULES = {
    "os",
    "pathlib",
    "io",
    "shutil",
    "tempfile",
    "socket",
    "subprocess",
    "time",
    "random",
    "datetime",
    "httpx",
    "requests",
    "urllib",
    "typer",
    "rich",
    "locust",
    "psutil",
    "scalectl.storage",
    "scalectl.cli",
}
FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval"}
MODULES = sorted(ROOT.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT)) for p in MODULES])
def test_module_is_pure(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert not any(name == m or name.startswith(m + ".") for m in FORBIDDEN_MODULES), (path, name)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in FORBIDDEN_CALLS, (path, node.func.id, node.lineno)


def test_modules_stay_small() -> None:
    for path in MODULES:
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 400, path
