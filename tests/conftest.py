"""Shared test configuration: hypothesis profiles and a network guard.

Two hypothesis profiles are registered.  ``ci`` (picked when the ``CI``
environment variable is set, as ``.ci/run`` does) is small, derandomized and
prints a reproduction blob on failure; ``dev`` (the default) explores more.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

settings.register_profile(
    "ci", max_examples=50, deadline=None, derandomize=True, print_blob=True
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test that opens a connection beyond this machine."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else None
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in _LOOPBACK:
            raise RuntimeError(f"tests must not touch the network (tried {address!r})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest.fixture(autouse=True)
def _work_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test in a fresh folder, with no register from the environment.

    A command given no --register or --out writes to the working directory;
    this keeps such files out of the checkout and away from other tests.
    """
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    monkeypatch.delenv("MBP_BILLING_REGISTER", raising=False)


# -- the register on both backends (issue 10) ------------------------------------------

@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """One throw-away PostgreSQL server for the session (see tests/_pgserver.py)."""
    from _pgserver import start_server

    server = start_server()
    if isinstance(server, str):
        pytest.skip(f"PostgreSQL tests skipped: {server}")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(pg_server: Any) -> str:
    """The URL of a fresh, empty register schema on the test server (as its superuser)."""
    url: str = pg_server.new_register_url()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def register_location(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    """Where a fresh register goes: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "register.sqlite3"
    return request.getfixturevalue("postgres_url")
