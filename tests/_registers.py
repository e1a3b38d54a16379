"""Raw access to registers on either backend, for tampering and checks (issue 10).

The throw-away server itself comes from ``tests/_postgres.py``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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
