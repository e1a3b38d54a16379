"""A throw-away PostgreSQL server for the tests (issue 10).

Two fixtures, imported by ``tests/conftest.py``:

- ``postgres_server`` (session): a :class:`PostgresServer`. Either the server
  named by ``$MBP_BILLING_TEST_POSTGRES`` (a libpq URL such as
  ``postgresql://user@host:5432/postgres`` of a role that may create
  databases; it is used as is and never stopped), or one started for this
  session: ``initdb`` into a fresh folder under the system temporary folder,
  ``postgres`` listening only on a Unix socket in that folder (no TCP port, so
  no port to race for and nobody else can connect), started once and stopped
  and removed when the session ends, also when tests fail or the run is
  interrupted. Where the binaries, the ``postgres`` system user (when running
  as root) or psycopg are missing, every test using it skips with one line
  saying why.
- ``postgres_db`` (function): the URL of a new, empty database on that
  server, dropped after the test, so tests are isolated from each other
  (about 0.1-0.5 s each: PostgreSQL copies a template database).
- ``postgres_schema`` (function): the cheap alternative, about a
  millisecond: the URL of one database shared by the session whose
  ``search_path`` is a new, empty schema of this test, dropped after it. Use
  it where tests only need their own tables; use ``postgres_db`` where they
  need a whole database (connections, ``NOTIFY`` channels, database-level
  privileges).

Why not pytest-postgresql: its executor runs ``pg_ctl initdb`` and
``pg_ctl start`` with ``subprocess`` as the current user, with no option to
switch users, and ``initdb``/``pg_ctl`` refuse to run as root, which is how
the tests and CI run here (dbfixtures/pytest-postgresql issues 341 and 455
asked for such an option and were closed without one). Starting the server
as the ``postgres`` system user needs only ``subprocess``'s
``user=``/``group=``, which fits in this file, with no TCP port and no
further dependency (pytest-postgresql also needs mirakuru).

Nothing depends on a server left running: the server is a child of the test
process and gets SIGQUIT if that process dies (``PR_SET_PDEATHSIG``); a
folder left by a killed session is removed by the next one.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

#: A libpq URL of an existing server to use instead of starting one.
ENV_URL = "MBP_BILLING_TEST_POSTGRES"
#: Prefix of the temporary folders of started servers.
FOLDER_PREFIX = "mbp-billing-pg-"
#: The owner file: the pid of the test process that started the server.
OWNER_FILE = "owner.pid"
#: Port number naming the Unix socket (no TCP listener is opened).
SOCKET_PORT = 5432
#: Where Debian and Ubuntu keep the server binaries, off PATH.
SERVER_BIN_GLOB = "/usr/lib/postgresql/*/bin"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class PostgresServer:
    """Where the tests' PostgreSQL is, and how to reach a database on it.

    Attributes:
        url: libpq URL of the maintenance database ``postgres``.
        folder: the temporary folder (data, socket, log) of a started server,
            or ``None`` for an existing server from ``$MBP_BILLING_TEST_POSTGRES``.
        pid: the ``postgres`` process id of a started server, or ``None``.
    """

    url: str
    folder: Path | None = None
    pid: int | None = None

    def database_url(self, name: str, *, search_path: str | None = None) -> str:
        """The URL of database ``name`` on this server, optionally with a search path."""
        parts = urlsplit(self.url)
        query = parts.query
        if search_path is not None:
            option = "options=" + quote(f"-csearch_path={search_path}", safe="")
            query = f"{query}&{option}" if query else option
        return urlunsplit(parts._replace(path="/" + quote(name), query=query))

    def connect(self, name: str = "postgres", **options: Any) -> Any:
        """A psycopg connection to database ``name`` (autocommit unless told)."""
        import psycopg

        options.setdefault("autocommit", True)
        return psycopg.connect(self.database_url(name), **options)


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"{SERVER_BIN_GLOB}/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep_stale_folders(base: Path) -> None:
    """Remove folders of earlier sessions whose test process is gone (killed -9)."""
    for folder in base.glob(f"{FOLDER_PREFIX}*"):
        try:
            owner = int((folder / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if not _alive(owner):
            shutil.rmtree(folder, ignore_errors=True)


def _die_with_parent() -> None:
    # Runs in the child after the switch to the postgres user: if the test
    # process dies (even by SIGKILL), the kernel sends the server SIGQUIT,
    # PostgreSQL's immediate shutdown.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT)


class _Skip(Exception):
    """Why no server can be started here (one line)."""


def _as_user() -> dict[str, Any]:
    """``subprocess`` options to run the server as an unprivileged user."""
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        raise _Skip("running as root and there is no 'postgres' system user to run "
                    f"initdb as; create one or set {ENV_URL}") from None
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _start(base: Path) -> tuple[PostgresServer, subprocess.Popen[bytes]]:
    initdb, postgres = _binary("initdb"), _binary("postgres")
    if initdb is None or postgres is None:
        raise _Skip(f"no PostgreSQL server binaries (initdb, postgres) on PATH or in "
                    f"{SERVER_BIN_GLOB}; set {ENV_URL}=postgresql://... to use a server")
    user = _as_user()
    _sweep_stale_folders(base)
    folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=base))
    (folder / OWNER_FILE).write_text(str(os.getpid()))
    if user:
        os.chown(folder, user["user"], user["group"])
    data = folder / "data"
    env = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}
    done = subprocess.run(
        [initdb, "--pgdata", str(data), "--username", "postgres", "--auth", "trust",
         "--encoding", "UTF8", "--locale", "C", "--no-sync", "--no-instructions"],
        cwd=folder, env=env, capture_output=True, check=False, **user)
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed ({done.returncode}): "
                           f"{done.stderr.decode(errors='replace').strip()}")
    log = open(folder / "server.log", "wb")  # noqa: SIM115 -- closed in _stop
    process = subprocess.Popen(
        [postgres, "-D", str(data), "-k", str(folder), "-p", str(SOCKET_PORT),
         # Unix socket only; durability off: the data is thrown away.
         "-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
         "-c", "full_page_writes=off", "-c", "max_connections=100"],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        preexec_fn=_die_with_parent, **user)  # prctl must run in the child
    log.close()
    server = PostgresServer(
        url=f"postgresql://postgres@/postgres?host={quote(str(folder), safe='')}"
            f"&port={SOCKET_PORT}",
        folder=folder, pid=process.pid)
    try:
        _wait_until_ready(server, process)
    except BaseException:
        _stop(server, process)
        raise
    return server, process


def _wait_until_ready(server: PostgresServer, process: subprocess.Popen[bytes]) -> None:
    import psycopg

    assert server.folder is not None
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            log = (server.folder / "server.log").read_text(errors="replace")
            raise RuntimeError(f"postgres exited with {process.returncode}:\n{log}")
        if (server.folder / f".s.PGSQL.{SOCKET_PORT}").exists():
            try:
                server.connect().close()
                return
            except psycopg.OperationalError:
                pass  # starting up: the socket exists before it accepts
        if time.monotonic() > deadline:
            raise RuntimeError(f"postgres did not accept connections in {START_TIMEOUT:.0f} s")
        time.sleep(0.05)


def _stop(server: PostgresServer, process: subprocess.Popen[bytes]) -> None:
    """Immediate shutdown (the data is thrown away), then kill; remove the folder."""
    for how, wait in ((signal.SIGQUIT, STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(how)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(wait)
    if server.folder is not None:
        shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL: ``$MBP_BILLING_TEST_POSTGRES``, or one started for it."""
    try:
        import psycopg  # noqa: F401 -- only to skip cleanly without it
    except ImportError:
        pytest.skip("psycopg is not installed; pip install -e '.[test]' (extra 'postgres')")
    external = os.environ.get(ENV_URL)
    if external:
        yield PostgresServer(url=external)
        return
    base = Path(tempfile.gettempdir())
    if len(str(base)) > 60 and Path("/tmp").is_dir():
        base = Path("/tmp")  # a Unix socket path may not exceed ~107 bytes
    try:
        server, process = _start(base)
    except _Skip as why:
        pytest.skip(str(why))
    try:
        yield server
    finally:
        _stop(server, process)


@pytest.fixture
def postgres_db(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a new empty database, dropped after the test."""
    name = f"mbp_test_{uuid.uuid4().hex[:16]}"
    with postgres_server.connect() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield postgres_server.database_url(name)
    finally:
        with postgres_server.connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _postgres_shared_db(postgres_server: PostgresServer) -> Iterator[str]:
    """One database for the session's per-test schemas, dropped at the end."""
    name = f"mbp_test_schemas_{uuid.uuid4().hex[:12]}"
    with postgres_server.connect() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield name
    finally:
        with postgres_server.connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_schema(postgres_server: PostgresServer, _postgres_shared_db: str) -> Iterator[str]:
    """The URL of the shared database with a new empty schema first on the search path."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with postgres_server.connect(_postgres_shared_db) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield postgres_server.database_url(_postgres_shared_db, search_path=schema)
    finally:
        with postgres_server.connect(_postgres_shared_db) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
