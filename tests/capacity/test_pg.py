from __future__ import annotations

import socket

import pytest

from scalectl.capacity.pg import read_max_connections
from scalectl.errors import InputError, TargetError

PG = "postgresql://postgres@127.0.0.1:5432/test"


def _reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.integration
def test_reads_max_connections_from_postgresql() -> None:
    if not _reachable():
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    assert read_max_connections(PG) >= 1


def test_rejects_a_non_postgresql_url() -> None:
    with pytest.raises(InputError):
        read_max_connections("mysql://x")


def test_unreachable_server_is_a_target_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TargetError):
        read_max_connections(f"postgresql://postgres@127.0.0.1:{port}/test", timeout=2)
