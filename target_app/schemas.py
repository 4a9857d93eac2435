"""Bounded input types shared by the request models: every string and list has a length bound, text
holds no NUL and no lone surrogate (PostgreSQL and UTF-8 refuse both), and integers that reach the
database fit the smaller of the columns' ranges (INTEGER: 2^31 - 1 on PostgreSQL, 2^63 - 1 on SQLite).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

#: The largest value an INTEGER column holds on every supported database (PostgreSQL's int4).
DB_INT_MAX = 2**31 - 1

#: Models reject unknown fields, NaN and infinities.
STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)


def clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed in text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


def Str(max_length: int, min_length: int = 0, **kw: Any) -> Any:
    """A string of ``min_length..max_length`` characters of valid, NUL-free text."""
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length, **kw),
        AfterValidator(clean_text),
    ]


DbId = Annotated[int, Field(ge=1, le=DB_INT_MAX)]
Keyword = Str(100, 1)
