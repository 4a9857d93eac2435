"""Property-based API fuzzing (schemathesis) over the backend's own OpenAPI document, against a real
replica on SQLite and on PostgreSQL: no 500 on any route for generated and boundary inputs.

Short here (a few examples per operation, deterministic); ``bench/fuzz_target.py`` runs longer."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("schemathesis")

import schemathesis
from schemathesis.checks import not_a_server_error

from tests.target_app.fuzzing import (
    hostile_requests,
    load_schema,
    log_size,
    replica,
    send_raw,
    server_errors_in_log,
)

pytestmark = pytest.mark.integration
#: bench/fuzz_target.py raises these for the long run (more examples, random rather than fixed seeds)
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "4"))
DETERMINISTIC = os.environ.get("FUZZ_RANDOM", "") != "1"
ADMIN = "fuzz-admin-token"


def _postgres_db() -> str | None:
    import asyncio

    import asyncpg

    name = f"scalectl_fuzz_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/test", timeout=2)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    try:
        asyncio.run(create())
    except (OSError, asyncpg.PostgresError):
        return None
    return name


def _drop(name: str) -> None:
    import asyncio

    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/test", timeout=2)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    work = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    env = {"ADMIN_TOKEN": ADMIN}
    pg = None
    if request.param == "sqlite":
        env["DATABASE_URL"] = f"sqlite+aiosqlite:///{work}/fuzz.db"
    else:
        pg = _postgres_db()
        if pg is None:
            pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
        env["DATABASE_URL"] = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{pg}"
    try:
        with replica(work, env) as url:
            yield url, work
    finally:
        if pg is not None:
            _drop(pg)


_HOSTILE_DONE: set[tuple[str, str, str]] = set()
schema = load_schema(MAX_EXAMPLES, DETERMINISTIC)  # the app's own document (no server needed to read it)


@schema.parametrize()
def test_no_server_error_on_any_route(case: schemathesis.Case, fuzz_target: tuple[str, Path]) -> None:
    if (
        case.path.startswith("/api/admin/")
        and case.headers
        and "x-admin-token" in {k.lower() for k in case.headers}
    ):
        case.headers = {k: v for k, v in case.headers.items() if k.lower() != "x-admin-token"}
        case.headers["X-Admin-Token"] = ADMIN  # reach the handlers, not only the token check
    url, work = fuzz_target
    since = log_size(work)
    try:
        case.call_and_validate(base_url=url, checks=[not_a_server_error])
        key = (url, case.method, case.path)
        if key not in _HOSTILE_DONE and (
            case.method == "GET" or isinstance(case.body, dict)
        ):  # once per operation: each field in turn gets a hostile value
            _HOSTILE_DONE.add(key)
            headers = {k: str(v) for k, v in (case.headers or {}).items()}
            for method, path, query, body in hostile_requests(case):
                status = send_raw(url, method, path, query, body, headers)
                assert status < 500, (status, method, path, query, (body or b"")[:300])
    finally:
        if case.path == "/api/admin/chaos":  # leave no injected fault behind for the next case
            send_raw(url, "POST", case.path, {}, b'{"reset": true}', {"X-Admin-Token": ADMIN})
    assert not server_errors_in_log(work, since), server_errors_in_log(work, since)[-3000:]
