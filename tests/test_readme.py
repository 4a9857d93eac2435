"""The README runs as written: its shell blocks (and docs/ci.md's), in order, in a fresh checkout.

A block preceded by ``<!-- readme-test: options only (why) -->`` is not run (it installs, or takes many
minutes); each of its ``scalectl`` commands is still parsed, so an option that does not exist fails.
Every other ``bash`` block runs in one shell, in order, in a copy of what a clone holds (scenarios/,
the committed baselines, a git repository), with a fresh reports/ directory. A command must exit 0,
or with a code its own comment names (``# ... exit 2``); ``scalectl gate`` may also exit 1: that is
its verdict on this machine, not a broken command. Exit 3 (target or environment) is never accepted.

The session takes a few minutes, so it is marked slow; ``.ci/run`` runs it as a step of its own.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main

from scalectl.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("README.md", "docs/ci.md")
_FENCE = re.compile(r"^(?P<indent>[ ]*)```(?P<lang>[A-Za-z]*)\s*$")
_SKIP = re.compile(r"<!--\s*readme-test:\s*options only\s*\((?P<why>[^)]*)\)\s*-->")
_EXIT = re.compile(r"\bexit (\d+)\b")


@dataclass
class Block:
    source: str
    line: int
    commands: list[str]
    options_only: str | None


def _commands(lines: list[str]) -> list[str]:
    """Shell commands of a block: continuation lines joined, comment-only lines dropped."""
    out: list[str] = []
    current = ""
    for raw in lines:
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        out.append(current + line)
        current = ""
    if current:
        out.append(current)
    return out


def shell_blocks(path: Path) -> list[Block]:
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m or not m["lang"]:
            i += 1
            continue
        start, indent = i, m["indent"]
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        if m["lang"] not in ("bash", "sh", "shell"):
            continue
        skip = _SKIP.search(lines[start - 1]) if start else None
        blocks.append(
            Block(str(path.relative_to(ROOT)), start + 1, _commands(body), skip["why"] if skip else None)
        )
    return blocks


def all_blocks() -> list[Block]:
    return [b for doc in DOCS for b in shell_blocks(ROOT / doc)]


def scalectl_argvs(command: str) -> list[list[str]]:
    """The argument lists of every ``scalectl`` invocation in a command line (&&, |, >> split off)."""
    try:
        tokens = shlex.split(command, comments=True)
    except ValueError:
        return []
    argvs: list[list[str]] = []
    current: list[str] | None = None
    nested = False  # inside HOST=$(scalectl ...)
    for tok in tokens:
        if tok in ("&&", "||", "|", ";", ">>", ">"):
            current = None
            continue
        name = tok.rsplit("$(", 1)[-1]
        if name == "scalectl" or name.endswith("/scalectl"):
            current, nested = [], "$(" in tok
            argvs.append(current)
        elif current is not None:
            if nested and tok.endswith(")"):
                current.append(tok[:-1])
                current = None
            else:
                current.append(tok)
    return argvs


def _parse_options(argv: list[str]) -> None:
    """Parse ``argv`` against scalectl's commands without running anything (raises on a bad option)."""
    command = typer.main.get_command(app)
    ctx = None
    name = "scalectl"
    while hasattr(command, "commands"):
        assert argv and argv[0] in command.commands, f"{name}: no command {argv[:1]}"
        ctx = command.make_context(name, [argv[0]], parent=ctx)
        name, command, argv = argv[0], command.commands[argv[0]], argv[1:]
    command.make_context(name, list(argv), parent=ctx)


def _placeholders(argv: list[str]) -> list[str]:
    """``<run-id>``-style or ``RUN_DIR``-style words: documentation, not runnable arguments."""
    return [a for a in argv if re.search(r"<[a-z][\w-]*>", a) or re.fullmatch(r"[A-Z][A-Z_]{2,}", a)]


def test_blocks_are_found_and_every_scalectl_command_parses() -> None:
    blocks = all_blocks()
    assert len(blocks) >= 6, blocks
    seen = 0
    for block in blocks:
        for command in block.commands:
            for argv in scalectl_argvs(command):
                assert not _placeholders(argv), (
                    f"{block.source}:{block.line}: a placeholder is not runnable: {command}"
                )
                seen += 1
                try:
                    _parse_options(argv)
                except Exception as exc:  # click's UsageError and friends
                    pytest.fail(f"{block.source}:{block.line}: {command}\n  {type(exc).__name__}: {exc}")
    assert seen >= 15


def test_ci_runs_the_readme_session() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "-m slow" in ci and "tests/test_readme.py" in ci


def allowed_codes(command: str) -> set[int]:
    codes = {0}
    if "#" in command:
        codes |= {int(c) for c in _EXIT.findall(command.split("#", 1)[1])}
    if any(argv[:1] == ["gate"] for argv in scalectl_argvs(command)):
        codes.add(1)  # the gate's verdict on this machine
    codes.discard(3)
    return codes


def _fresh_checkout(tmp: Path) -> Path:
    """What a clone with an installed .venv holds: scenarios, committed baselines, docs; no runs."""
    work = tmp / "checkout"
    shutil.copytree(ROOT / "scenarios", work / "scenarios")
    shutil.copytree(ROOT / "docs" / "examples", work / "docs" / "examples")  # prices, history
    (work / "reports" / "baselines").mkdir(parents=True)
    shutil.copy(ROOT / "reports" / "baselines" / "smoke.json", work / "reports" / "baselines")
    (work / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    (work / ".gitignore").write_text(".venv\n")
    env = _env(work)
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "clone"]):
        subprocess.run(cmd, cwd=work, env=env, check=True)
    return work


def _env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("GITHUB_STEP_SUMMARY", None)
    env.update(
        GIT_AUTHOR_NAME="readme",
        GIT_AUTHOR_EMAIL="readme@example.invalid",
        GIT_COMMITTER_NAME="readme",
        GIT_COMMITTER_EMAIL="readme@example.invalid",
        COLUMNS="100",
    )
    return env


def session_script(blocks: list[Block], logdir: Path) -> str:
    """One bash script: each command, its exit code checked against what it may return."""
    lines = ["set -u"]
    for block in blocks:
        if block.options_only is not None:
            continue
        for n, command in enumerate(block.commands):
            where = f"{block.source}:{block.line}#{n + 1}"
            log = logdir / f"{len(lines):03d}.log"
            ok = " || ".join(f"[ $rc -eq {c} ]" for c in sorted(allowed_codes(command)))
            lines += [
                f"echo {shlex.quote('$ ' + command)} > {log}",
                "{",
                command,
                f"}} >> {log} 2>&1 < /dev/null",
                "rc=$?",
                f'echo "{where} rc=$rc s=$SECONDS" >> {logdir}/codes',
                f"if ! {{ {ok}; }}; then echo {shlex.quote(where)} exit $rc; tail -n 40 {log}; exit 99; fi",
            ]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_the_readme_session_runs_as_written(tmp_path: Path) -> None:
    work = _fresh_checkout(tmp_path)
    logdir = tmp_path / "logs"
    logdir.mkdir()
    script = session_script(all_blocks(), logdir)
    env = _env(work)
    try:
        proc = subprocess.run(
            ["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=900
        )
    finally:
        subprocess.run(["scalectl", "target", "down"], cwd=work, env=env, capture_output=True, timeout=60)
    codes = (logdir / "codes").read_text() if (logdir / "codes").exists() else ""
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\nexit codes so far:\n{codes}"
    assert " rc=3 " not in codes
    # loadtest --host on a 'target up' target found its replicas' telemetry by itself
    from scalectl import storage

    run = storage.load_run(work / "reports" / "runs" / "first")
    sources = {t.source for t in run.telemetry}
    assert {"replica-0", "replica-1"} <= sources, sources
    assert run.environment.replicas == 2
    assert storage.load_baseline(work / "reports" / "baselines" / "main.json").replicas == 2
