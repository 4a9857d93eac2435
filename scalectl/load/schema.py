"""``docs/run.schema.json``: the JSON Schema of run.json, generated from ``RunResult``.

Regenerate with ``python -m scalectl.load.schema`` (a test checks the committed file is current).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from scalectl.models.run import RunResult

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "run.schema.json"


def run_schema_text() -> str:
    schema = RunResult.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://scalectl.dev/schemas/run.schema.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(run_schema_text(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
