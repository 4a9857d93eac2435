"""The one error boundary: ScalectlError → one line on stderr and its exit code, never a traceback."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from scalectl.cli._common import EXIT_INTERRUPTED, error_boundary
from scalectl.errors import InputError, ScalectlError, ScenarioError, TargetError


def _app(exc: BaseException) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @error_boundary
    def cmd() -> None:
        raise exc

    return app


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (InputError("bad option", hint="try --help"), 2, "error: bad option"),
        (
            ScenarioError("unknown field", file="s.yaml", line=3, field="load"),
            2,
            "error: s.yaml:3: load: unknown field",
        ),
        (TargetError("port 8000 is busy"), 3, "error: port 8000 is busy"),
        (ScalectlError("something"), 2, "error: something"),
        (KeyboardInterrupt(), EXIT_INTERRUPTED, "interrupted"),
    ],
)
def test_errors_map_to_one_line_and_an_exit_code(exc: BaseException, code: int, line: str) -> None:
    res = CliRunner().invoke(_app(exc), [])
    assert res.exit_code == code
    assert line in res.output
    assert "Traceback" not in res.output


def test_hint_is_shown_under_the_message() -> None:
    assert str(InputError("bad", hint="do this")) == "bad\n  hint: do this"


def test_other_exceptions_are_not_swallowed() -> None:
    res = CliRunner().invoke(_app(RuntimeError("bug")), [])
    assert res.exit_code == 1 and isinstance(res.exception, RuntimeError)
