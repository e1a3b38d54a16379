"""A throw-away PostgreSQL server for the tests, and helpers to reach registers raw.

One server per test session: ``initdb`` into a temporary folder, listening
only on a Unix socket in that folder (no TCP port, so parallel sessions never
collide), ``fsync`` off (the data is thrown away), stopped and removed at
the end.  As root (CI here) it runs as the ``postgres`` system user, since
``initdb`` refuses root.  Each test gets a fresh database of its own.

To use an existing server instead, set ``MBP_BILLING_TEST_POSTGRES`` to a
URL of a role that may create databases and roles, e.g.
``postgresql://postgres@localhost:5432/postgres``.  Without either,
the PostgreSQL tests skip with one line saying why.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

#: Environment variable naming an existing server to test against.
SERVER_ENV = "MBP_BILLING_TEST_POSTGRES"
_COUNTER = itertools.count(1)


def _binaries() -> tuple[str, str] | None:
    found = [shutil.which("initdb"), shutil.which("pg_ctl")]
    if all(found):
        return str(found[0]), str(found[1])
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return str(folder / "initdb"), str(folder / "pg_ctl")
    return None


class Server:
    """A running PostgreSQL server reachable as a superuser."""

    def __init__(self, admin_url: str, folder: Path | None = None,
                 pg_ctl: list[str] | None = None) -> None:
        self.admin_url = admin_url
        self.folder = folder
        self._pg_ctl = pg_ctl
        self._database: str | None = None

    def url(self, database: str, user: str | None = None) -> str:
        """A URL of ``database`` on this server, as ``user`` (default: the admin)."""
        parts = urlsplit(self.admin_url)
        netloc = parts.netloc
        if user is not None:
            netloc = f"{user}@{netloc.rsplit('@', 1)[-1]}"
        return urlunsplit(parts._replace(netloc=netloc, path=f"/{database}"))

    def admin(self, database: str = "postgres") -> Any:
        import psycopg
        return psycopg.connect(self.url(database), autocommit=True)

    def new_database(self) -> str:
        name = f"mbp_test_{os.getpid()}_{next(_COUNTER)}"
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def new_register_url(self) -> str:
        """The URL of a fresh, empty schema of the session's test database.

        A schema per test is far cheaper than a database per test; the URL
        sets ``search_path`` so the register lives in that schema.
        """
        if self._database is None:
            self._database = self.new_database()
        schema = f"t{next(_COUNTER)}"
        with self.admin(self._database) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        return f"{self.url(self._database)}{'&' if '?' in self.admin_url else '?'}" \
               f"options=-csearch_path%3D{schema}"

    def stop(self) -> None:
        if self._database is not None:
            self.drop_database(self._database)
        if self._pg_ctl is not None and self.folder is not None:
            subprocess.run([*self._pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate",
                            "-w", "stop"], capture_output=True, check=False)
            shutil.rmtree(self.folder, ignore_errors=True)


def start_server() -> Server | str:
    """Start a throw-away server, or say why not (a one-line reason)."""
    existing = os.environ.get(SERVER_ENV)
    if existing:
        return Server(existing)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[postgres]')"
    binaries = _binaries()
    if binaries is None:
        return (f"no PostgreSQL binaries (initdb, pg_ctl) on PATH; set {SERVER_ENV} to a "
                "server URL to run these tests")
    initdb, pg_ctl = binaries
    folder = Path(tempfile.mkdtemp(prefix="mbp-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and no postgres system user to run the server as"
        os.chown(folder, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    init = subprocess.run([*as_user, initdb, "-D", str(data), "-U", "postgres", "-A", "trust",
                           "--no-sync", "-E", "UTF8", "--locale", "C"],
                          capture_output=True, text=True, check=False, cwd=folder)
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        return f"initdb failed: {init.stderr.strip().splitlines()[-1:]}"
    options = (f"-k {folder} -h '' -p 5432 -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off -c max_connections=60")
    start = subprocess.run([*as_user, pg_ctl, "-D", str(data), "-o", options, "-l",
                            str(folder / "log"), "-w", "start"],
                           capture_output=True, text=True, check=False, cwd=folder)
    if start.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        return f"the PostgreSQL server did not start: {start.stderr.strip()[-200:]}"
    return Server(f"postgresql://postgres@/postgres?host={folder}&port=5432", folder,
                  [*as_user, pg_ctl])


# -- raw access, for tampering and checks ------------------------------------------


@contextmanager
def raw_connection(location: str | Path) -> Iterator[Any]:
    """A raw DB-API connection to a register (a superuser on PostgreSQL)."""
    if isinstance(location, str) and location.startswith("postgresql://"):
        import psycopg
        conn = psycopg.connect(location, autocommit=True)
    else:
        conn = sqlite3.connect(location, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def tamper(location: str | Path, sql: str, *tables: str) -> None:
    """Run ``sql`` behind the register's back, its refusing triggers first switched off."""
    postgres = isinstance(location, str) and location.startswith("postgresql://")
    with raw_connection(location) as conn:
        for table in tables or ("documents", "files"):
            if postgres:
                conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            else:
                for event in ("updated", "deleted"):
                    conn.execute(f"DROP TRIGGER IF EXISTS {table}_never_{event}")
        conn.execute(sql.replace("x'00'", "'\\x00'::bytea") if postgres else sql)


def as_user(url: str, user: str) -> str:
    """The same register URL, logging in as ``user`` (trust authentication on the test server)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{user}@{parts.netloc.rsplit('@', 1)[-1]}"))
