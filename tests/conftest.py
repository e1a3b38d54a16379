"""Shared test configuration: hypothesis profiles, a network guard, PostgreSQL.

Two hypothesis profiles are registered.  ``ci`` (picked when the ``CI``
environment variable is set, as ``.ci/run`` does) is small, derandomized and
prints a reproduction blob on failure; ``dev`` (the default) explores more.

``postgres_server``, ``postgres_db`` and ``postgres_schema`` (a throw-away
PostgreSQL server per session, a fresh database or schema per test) come
from ``tests/_postgres.py``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from _postgres import (  # noqa: F401 -- fixtures for every test
    _postgres_shared_db,
    postgres_db,
    postgres_schema,
    postgres_server,
)
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

@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> str:
    """The URL of a fresh, empty register on the test server (its own schema, as superuser)."""
    url: str = request.getfixturevalue("postgres_schema")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def register_location(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    """Where a fresh register goes: an SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return tmp_path / "register.sqlite3"
    return request.getfixturevalue("postgres_url")
