"""Docs are tested: every command has help and appears in README.md (docs/architecture.md, house rules)."""

from __future__ import annotations

from pathlib import Path

import typer.main
from typer.testing import CliRunner

from scalectl.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> dict:
    group = typer.main.get_command(app)
    # typer ships its own copy of click, so test for the group's shape rather than click.Group
    commands = dict(getattr(group, "commands", {}))
    assert commands, "scalectl registers no commands"
    return commands


def test_every_command_has_help_and_is_in_the_readme() -> None:
    runner = CliRunner()
    for name, command in _commands().items():
        assert (command.help or "").strip(), f"scalectl {name} has no help text"
        assert f"scalectl {name}" in README, f"README.md does not mention 'scalectl {name}'"
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, result.output
        for sub in getattr(command, "commands", {}):
            r = runner.invoke(app, [name, sub, "--help"])
            assert r.exit_code == 0, r.output


def test_readme_opens_with_the_two_commands() -> None:
    blocks = README.split("```bash")[1:3]
    assert len(blocks) == 2
    run_cmd, test_cmd = (b.split("```")[0].strip() for b in blocks)
    assert run_cmd.endswith("scalectl baseline")
    assert "pytest" in test_cmd
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_cmd in ci, ".ci/run must run the README's test command exactly"


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("scalectl ")


def test_readme_links_stay_inside_the_repository() -> None:
    import re

    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    local = [link for link in links if not link.startswith(("http://", "https://"))]
    assert "docs/architecture.md" in local
    missing = [link for link in local if not (ROOT / link).exists()]
    assert missing == [], f"README links to files not in the repository: {missing}"
    assert "DESIGN.md" not in README
