"""The one error hierarchy of scalectl's core.

Core code raises these; only ``scalectl.cli`` turns them into a printed line and an exit code
(0 ok, 1 a gate/threshold/SLO check failed, 2 usage or input error, 3 target or environment error).
"""

from __future__ import annotations


class ScalectlError(Exception):
    """Base class: a failure that the user can understand and act on (no traceback shown)."""

    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class InputError(ScalectlError):
    """Bad usage or input: a scenario, an option, an expression, a file. Exit code 2."""

    exit_code = 2


class ScenarioError(InputError):
    """A scenario file is invalid. Carries the file, the line and the field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = file or "<scenario>"
        if line is not None:
            where = f"{where}:{line}"
        prefix = f"{where}: " + (f"{field}: " if field else "")
        super().__init__(prefix + message, hint=hint)
        self.file = file
        self.line = line
        self.field = field


class TargetError(ScalectlError):
    """The target or the environment is not usable (unreachable, port busy, nginx missing). Exit code 3."""

    exit_code = 3
