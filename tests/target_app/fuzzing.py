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


def log_size(workdir: Path) -> int:
    return (workdir / "replica.log").stat().st_size


def server_errors_in_log(workdir: Path, since: int = 0) -> str:
    """Tracebacks the replica logged after byte ``since`` (a 500 also shows there, with its cause)."""
    with open(workdir / "replica.log", "rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    return text if "Traceback" in text else ""


#: Values no schema generator sends but an attacker does: NaN/infinities, integers past 2^31 and
#: 2^63, lone surrogates, NUL, long strings and lists (sent as raw JSON text; NaN as its literal).
HOSTILE_JSON: list[object] = [
    float("nan"), float("inf"), 2**31, 2**63, -(2**63) - 1, 10**30,
    "\ud800", "a\x00b", "x" * 5000, ["x"] * 500, {"\ud800": 1},
]  # fmt: skip
HOSTILE_PARAMS = ["2147483648", "9223372036854775808", "-9223372036854775809", "NaN", "1e400", "a\x00b",
                  "\udcff", "x" * 5000]  # fmt: skip


def _paths(value: object, prefix: tuple = ()) -> list[tuple]:
    """Where to put a hostile value: every key of the body, one level into objects and lists."""
    out: list[tuple] = [prefix] if prefix else []
    if isinstance(value, dict) and len(prefix) < 2:
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list) and value and len(prefix) < 2:
        out += _paths(value[0], (*prefix, 0))
    return out


def _replace(value: object, path: tuple, new: object) -> object:
    if not path:
        return new
    if isinstance(value, dict):
        return {**value, path[0]: _replace(value[path[0]], path[1:], new)}
    assert isinstance(value, list)
    return [_replace(value[0], path[1:], new), *value[1:]]


def hostile_requests(case) -> list[tuple[str, str, dict, bytes | None]]:
    """(method, path, query, raw body) variants of a generated case, one hostile value at a time."""
    import json
    from urllib.parse import quote

    def path_with(params: dict) -> str:
        path = case.path
        for k, v in params.items():
            path = path.replace("{" + k + "}", quote(str(v).encode("utf-8", "surrogatepass"), safe=""))
        return path

    out: list[tuple[str, str, dict, bytes | None]] = []
    params = dict(case.path_parameters or {})
    query = dict(case.query or {})
    body = json.dumps(case.body).encode() if isinstance(case.body, dict | list) else None
    for name in params:
        for bad in HOSTILE_PARAMS:
            out.append((case.method, path_with({**params, name: bad}), query, body))
    for name in query:
        for bad in HOSTILE_PARAMS:
            out.append((case.method, path_with(params), {**query, name: bad}, body))
    if isinstance(case.body, dict | list):
        for where in [(), *_paths(case.body)]:
            for bad in HOSTILE_JSON:
                raw = json.dumps(_replace(case.body, where, bad)).encode()  # NaN/Infinity literals
                out.append((case.method, path_with(params), query, raw))
    return out


def send_raw(base_url: str, method: str, path: str, query: dict, body: bytes | None, headers: dict) -> int:
    from urllib.parse import quote

    qs = "&".join(
        f"{quote(str(k), safe='')}={quote(str(v).encode('utf-8', 'surrogatepass'), safe='')}"
        for k, v in query.items()
    )
    url = base_url + path + ("?" + qs if qs else "")
    hdrs = {**headers, "content-type": "application/json"} if body is not None else headers
    return _client().request(method, url, content=body, headers=hdrs, timeout=30).status_code


_CLIENT: list[httpx.Client] = []


def _client() -> httpx.Client:
    """One pooled client (a new one per request costs ~0.1 s: each builds an SSL context)."""
    if not _CLIENT:
        _CLIENT.append(httpx.Client())
    return _CLIENT[0]
