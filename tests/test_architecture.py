"""House rules that code review alone would let slip (docs/architecture.md): dependencies point down, only the
CLI prints or imports typer, pure packages do no I/O, and --help stays light."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "scalectl"

PURE = ("analysis", "capacity", "gate", "slo.py", "models")
IO_MODULES = {
    "httpx",
    "requests",
    "subprocess",
    "socket",
    "psutil",
    "scalectl.storage",
    "urllib.request",
    "asyncpg",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _py_files(sub: str = "") -> list[Path]:
    if sub.endswith(".py"):
        return [PKG / sub]
    return sorted((PKG / sub).rglob("*.py"))


def test_only_the_cli_imports_typer() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in _py_files()
        if "cli" not in p.relative_to(PKG).parts and any(n.split(".")[0] == "typer" for n in _imports(p))
    ]
    assert offenders == []


def test_models_depend_on_nothing_above_them() -> None:
    for p in _py_files("models"):
        bad = {n for n in _imports(p) if n.startswith("scalectl.") and not n.startswith("scalectl.models")}
        assert not bad, (p, bad)


@pytest.mark.parametrize("package", PURE)
def test_pure_packages_do_no_io(package: str) -> None:
    # capacity may keep one I/O adapter module for reading PostgreSQL settings; it is named *_io.py or pg.py
    for p in _py_files(package):
        if p.name in ("pg.py",) or p.name.endswith("_io.py"):
            continue
        bad = {n for n in _imports(p) if n in IO_MODULES or n.startswith("scalectl.cli")}
        assert not bad, (str(p.relative_to(ROOT)), bad)


def test_core_never_imports_the_target_app() -> None:
    for p in _py_files():
        assert not any(n.split(".")[0] == "target_app" for n in _imports(p)), p


def test_target_app_never_imports_scalectl() -> None:
    for p in sorted((ROOT / "target_app").rglob("*.py")):
        assert not any(n.split(".")[0] == "scalectl" for n in _imports(p)), p


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from scalectl.cli.main import app\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "heavy = [m for m in ('locust', 'gevent', 'pandas', 'scipy', 'plotly', 'fastapi', 'sqlalchemy') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "", f"--help imported heavy libraries: {res.stdout.strip()}"


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` (import-linter) on the package under ``root``, with this repo's contract."""
    exe = Path(sys.executable).with_name("lint-imports")
    cmd = [str(exe)] if exe.exists() else [shutil.which("lint-imports") or "lint-imports"]
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [*cmd, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
        check=False,
    )


def test_import_contract_holds() -> None:
    res = _lint_imports(ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 broken" in res.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("analysis/knee.py", "import scalectl.storage", "The pure core does no I/O"),
        ("slo.py", "import subprocess", "The pure core does no I/O"),
        ("models/run.py", "import scalectl.cli.main", "Layers"),
        ("storage.py", "import typer", "Only the CLI imports typer"),
    ],
)
def test_import_contract_fails_on_a_wrong_import(tmp_path: Path, module: str, bad_import: str, contract: str):
    copy = tmp_path / "scalectl"
    shutil.copytree(PKG, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{bad_import}  # deliberately wrong\n")
    res = _lint_imports(tmp_path)
    assert res.returncode != 0, res.stdout
    broken = [line for line in res.stdout.splitlines() if " BROKEN" in line]
    assert any(line.startswith(contract) for line in broken), res.stdout


def test_the_reports_layout_is_named_only_in_layout_py() -> None:
    """``reports/`` paths are built from scalectl/layout.py, not spelled out in code (help texts may
    show them)."""
    offenders = []
    for p in _py_files():
        if p.name == "layout.py":
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Path" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and str(arg.value).startswith("reports"):
                    offenders.append(f"{p.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
