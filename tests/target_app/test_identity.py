from __future__ import annotations

import pytest

from target_app.identity import client_address

T = frozenset({"10.0.0.0/8", "127.0.0.1"})


@pytest.mark.parametrize(
    ("peer", "xff", "trusted", "expected"),
    [
        ("1.2.3.4", ["9.9.9.9"], T, "1.2.3.4"),  # untrusted peer: header ignored
        ("127.0.0.1", ["9.9.9.9"], frozenset(), "127.0.0.1"),  # no proxies configured
        ("127.0.0.1", ["9.9.9.9"], T, "9.9.9.9"),
        ("127.0.0.1", ["6.6.6.6, 9.9.9.9, 10.1.1.1"], T, "9.9.9.9"),  # right-most untrusted hop
        ("127.0.0.1", ["6.6.6.6", "9.9.9.9"], T, "9.9.9.9"),  # several header lines
        ("127.0.0.1", [], T, "127.0.0.1"),
        ("127.0.0.1", ["10.0.0.5"], T, "10.0.0.5"),  # only proxies: the first one
    ],
)
def test_client_address(peer: str, xff: list[str], trusted: frozenset[str], expected: str) -> None:
    assert client_address(peer, xff, trusted) == expected
