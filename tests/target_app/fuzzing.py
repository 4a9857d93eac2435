"""Shared by the fuzz test and bench/fuzz_target.py: a real replica (uvicorn, as deployed) and a
schemathesis schema over the replica's own OpenAPI document."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]

#: Small, fast, never rejecting for rate: the fuzzer should reach every handler. The admin token is
#: set so admin bodies are fuzzed past the token check (chaos values are bounded, and reset below).
FUZZ_ENV = {
    "SEED_CONTENT_ROWS": "200",
    "LLM_LATENCY_SCALE": "0.001",
    "RATE_LIMIT_DEFAULT": "1000000/minute",
    "RATE_LIMIT_GENERATE": "1000000/minute",
    "DB_POOL_TIMEOUT": "5",
    "EVENT_LOOP_LAG_INTERVAL_S": "1",
}


@contextmanager
def replica(workdir: Path, env: dict[str, str]) -> Iterator[str]:
    """One ``python -m target_app.serve`` on a free private port; yields its URL; stops it after."""
    port_file = workdir / "replica.port"
    log = open(workdir / "replica.log", "wb")  # noqa: SIM115 (closed below)
    child_env = {**os.environ, **FUZZ_ENV, **env, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "target_app.serve", "--private-port-file", str(port_file)],
        env=child_env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not port_file.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"replica did not start: {(workdir / 'replica.log').read_text()[-2000:]}")
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port_file.read_text()}"
        while True:
            try:
                if httpx.get(url + "/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"replica not ready: {(workdir / 'replica.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def load_schema(max_examples: int, deterministic: bool = True):
    """The app's own OpenAPI document (``app.openapi()``, what ``/openapi.json`` serves) as a
    schemathesis schema: positive and negative data; the examples, coverage (boundary values) and
    fuzzing phases; ``max_examples`` per operation."""
    import schemathesis
    from schemathesis import GenerationMode

    from target_app.app import create_app
    from target_app.config import Settings

    document = create_app(Settings()).openapi()  # builds the routes only: no database is opened
    schema = schemathesis.openapi.from_dict(document)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=max_examples,
        deterministic=deterministic,
        database="none",
    )
    schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
    return schema


def server_errors_in_log(workdir: Path) -> str:
    """Tracebacks the replica logged (a 500 also shows there, with its cause)."""
    text = (workdir / "replica.log").read_text(errors="replace")
    return text if "Traceback" in text else ""
