from __future__ import annotations

import json

import jsonschema
import pytest

from scalectl.load.schema import SCHEMA_PATH, run_schema_text
from tests.factories import make_run


def test_committed_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == run_schema_text(), (
        "docs/run.schema.json is stale: run python -m scalectl.load.schema"
    )


def test_a_synthetic_run_validates_and_a_broken_one_does_not() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    data = json.loads(make_run(seconds=3).model_dump_json())
    jsonschema.validate(data, schema)
    data["total"]["requests"] = "many"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
