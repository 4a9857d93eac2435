"""Shared pieces of the CLI: the one error boundary, consoles, and option parsing helpers."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from scalectl.errors import ScalectlError

P = ParamSpec("P")
R = TypeVar("R")

#: Results go to stdout; progress, warnings and errors to stderr.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

#: Exit codes: 2 (input) and 3 (target) come from the ``ScalectlError`` subclasses' ``exit_code``
#: through :func:`error_boundary`; a failed gate or verification is a result, not an error, so its
#: command prints the verdict and exits with this code.
EXIT_CHECK_FAILED = 1
EXIT_INTERRUPTED = 130


def error_boundary(fn: Callable[P, R]) -> Callable[P, R]:
    """Map ScalectlError to one readable line and its exit code; never show a traceback for them."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ScalectlError as exc:
            err.print("[bold red]error:[/] ", end="", markup=True)
            err.print(str(exc), markup=False, highlight=False)
            raise typer.Exit(code=exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("interrupted", markup=False)
            raise typer.Exit(code=EXIT_INTERRUPTED) from None

    return wrapper


def parse_duration(text: str) -> float:
    """'30s', '2m', '1h30m', '500ms', or plain seconds → seconds. Raises InputError."""
    from scalectl.durations import parse_duration as _parse

    return _parse(text)


def is_tty() -> bool:
    return sys.stderr.isatty()


def parse_env_pairs(items: list[str], option: str = "--target-env") -> dict[str, str]:
    """``["KEY=VALUE", ...]`` → a mapping; a malformed item is an input error naming the option."""
    from scalectl.errors import InputError

    env = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"invalid {option} {item!r}: expected KEY=VALUE")
        env[key.strip()] = value
    return env
