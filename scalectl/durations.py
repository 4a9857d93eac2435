"""Durations written as people write them: ``30s``, ``2m``, ``1h30m``, ``500ms``, or plain seconds."""

from __future__ import annotations

import re

from scalectl.errors import InputError

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str | int | float, *, what: str = "duration") -> float:
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        s = str(text).strip().lower()
        if re.fullmatch(r"\d+(?:\.\d+)?", s):
            value = float(s)
        else:
            pos, value = 0, 0.0
            for m in _PART.finditer(s):
                if m.start() != pos:
                    break
                value += float(m[1]) * _UNITS[m[2]]
                pos = m.end()
            if pos != len(s) or not s:
                raise InputError(
                    f"invalid {what} {text!r}: expected a number of seconds "
                    "or forms like 30s, 2m, 1h30m, 500ms"
                )
    if value < 0:
        raise InputError(f"invalid {what} {text!r}: must not be negative")
    return value


def format_duration(seconds: float) -> str:
    seconds = float(seconds)
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.0f}s" if seconds == int(seconds) else f"{seconds:.1f}s"
    m, s = divmod(int(round(seconds)), 60)
    if m < 60:
        return f"{m}m{s:02d}s" if s else f"{m}m"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"
