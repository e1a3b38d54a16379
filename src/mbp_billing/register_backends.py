"""The register's two databases behind one small connection interface.

:mod:`mbp_billing.register` holds every SQL statement once, written for
SQLite (``?`` parameters, SQLite DDL).  This module runs that SQL on either
backend:

- **SQLite** (the default, a file path): the statements run as written.
- **PostgreSQL** (a ``postgresql://`` or ``postgres://`` URL, through
  psycopg 3, the optional extra ``postgres``): ``?`` becomes ``%s``, an
  ``INSERT`` into a table with an ``INTEGER PRIMARY KEY`` gets
  ``RETURNING`` so that ``lastrowid`` works, the DDL is translated
  (``BLOB`` to ``BYTEA``, integer keys to identity columns, each
  ``RAISE(ABORT, ...)`` trigger to a PL/pgSQL trigger function), and the
  database's errors become :class:`~mbp_billing.errors.BillingError` leaves
  that name the role and the privilege it lacks.

Only this module and :mod:`mbp_billing.register` import a database driver.

Writes are serialised the same way on both: :meth:`Connection.begin_write`
is ``BEGIN IMMEDIATE`` on SQLite and, on PostgreSQL, a ``READ COMMITTED``
transaction that first takes a transaction-scoped advisory lock, so that
reading the next number and inserting the document are one step for every
process on every machine.

>>> is_url("postgresql://billing@db.example/billing"), is_url("register.sqlite3")
(True, False)
>>> postgres_sql("SELECT amount FROM documents WHERE number = ? AND amount LIKE '7%'")
"SELECT amount FROM documents WHERE number = %s AND amount LIKE '7%%'"
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import urlsplit, urlunsplit

from .errors import AccessDenied, InvalidValue, RegisterConflict

if TYPE_CHECKING:  # pragma: no cover - typing only
    import psycopg

__all__ = [
    "EVENTS_CHANNEL",
    "ISSUER_ROLE",
    "READER_ROLE",
    "Connection",
    "PostgresConnection",
    "SqliteConnection",
    "connect_postgres",
    "create_roles",
    "grant_roles",
    "integer_keys",
    "is_url",
    "postgres_ddl",
    "postgres_notify_ddl",
    "postgres_sql",
    "redact",
    "tables",
]

#: PostgreSQL group role that may issue documents and record payments.
ISSUER_ROLE: Final = "mbp_billing_issuer"
#: PostgreSQL group role that may only read the register.
READER_ROLE: Final = "mbp_billing_reader"
#: PostgreSQL ``NOTIFY`` channel; the payload is the new event's sequence.
EVENTS_CHANNEL: Final = "mbp_billing_events"
#: Advisory lock key taken by every PostgreSQL write (``hashtext('mbp_billing')``-like).
WRITE_LOCK_KEY: Final = 0x6D62_7062  # "mbpb"
#: How long a PostgreSQL writer waits for another one (as SQLite's busy timeout).
LOCK_TIMEOUT: Final = "60s"

_URL_SCHEMES: Final = ("postgresql://", "postgres://")


def is_url(location: object) -> bool:
    """True for a PostgreSQL URL (``postgresql://`` or ``postgres://``)."""
    return isinstance(location, str) and location.lower().startswith(_URL_SCHEMES)


def redact(url: str) -> str:
    """The URL without its password, for messages.

    >>> redact("postgresql://alice:secret@db:5432/billing")
    'postgresql://alice:***@db:5432/billing'
    >>> redact("postgresql://alice:secret@[::1/billing")  # malformed: still hidden
    'postgresql://alice:***@[::1/billing'
    """
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # e.g. an unclosed IPv6 bracket: hide what may be a password
        return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)
    if password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


class Cursor(Protocol):
    """The part of a DB-API cursor the register uses."""

    @property
    def lastrowid(self) -> int | None: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """One open register database, SQLite or PostgreSQL."""

    backend: str

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def begin_write(self) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    known_version: int | None

    def columns(self, table: str) -> list[str]: ...

    def has_table(self, table: str) -> bool: ...

    def reset_keys(self) -> None: ...

    def close(self) -> None: ...


class SqliteConnection:
    """The SQLite connection, statements run as written (autocommit mode)."""

    backend = "sqlite"

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw
        self.known_version: int | None = None

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self.raw.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.raw.executemany(sql, rows)

    def executescript(self, script: str) -> None:
        self.raw.executescript(script)

    def begin_write(self) -> None:
        self.raw.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.raw.execute("COMMIT")

    def rollback(self) -> None:
        self.known_version = None
        self.raw.execute("ROLLBACK")

    def columns(self, table: str) -> list[str]:
        """The column names of ``table``, in order."""
        return [str(r[1]) for r in self.raw.execute(f"PRAGMA table_info({table})")]

    def has_table(self, table: str) -> bool:
        """True when ``table`` exists."""
        return self.raw.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                (table,)).fetchone() is not None

    def reset_keys(self) -> None:
        """Nothing to do: SQLite numbers rowids from the largest one present."""

    def close(self) -> None:
        self.raw.close()


# -- PostgreSQL --------------------------------------------------------------------

_STRING_OR_PARAM = re.compile(r"'(?:[^']|'')*'|\?\s+IS\s+NULL\b|\?|%", re.IGNORECASE)


def postgres_sql(sql: str, placeholder: str = "%s") -> str:
    """SQLite-style SQL with ``?`` parameters as psycopg SQL with ``%s`` (or ``%b``)."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return placeholder
        if token.startswith("?"):  # a bare parameter has no type to infer: say it is text
            return f"CAST({placeholder} AS TEXT) IS NULL"
        if token == "%":
            return "%%"
        return token.replace("%", "%%")

    return _STRING_OR_PARAM.sub(swap, sql)


_TRIGGER = re.compile(
    r"CREATE\s+TRIGGER\s+IF\s+NOT\s+EXISTS\s+(?P<name>\w+)\s+BEFORE\s+(?P<event>UPDATE|DELETE)"
    r"\s+ON\s+(?P<table>\w+)\s+(?:WHEN\s+(?P<when>.*?)\s+)?BEGIN\s+SELECT\s+RAISE\s*\(\s*ABORT\s*,"
    r"\s*'(?P<message>(?:[^']|'')*)'\s*\)\s*;\s*END\s*;", re.IGNORECASE | re.DOTALL)
_TABLE = re.compile(r"CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+(\w+)\s*\((.*)\)\s*$",
                    re.IGNORECASE | re.DOTALL)
_BYTEA = re.compile(r"^\s*(\w+)\s+BYTEA\b", re.IGNORECASE | re.MULTILINE)
_INTEGER_KEY = re.compile(r"^\s*(\w+)\s+INTEGER\s+PRIMARY\s+KEY\b", re.IGNORECASE | re.MULTILINE)


def _statements(script: str) -> Iterator[str]:
    """The statements of an SQLite script: triggers whole, the rest split at ``;``."""
    position = 0
    for match in _TRIGGER.finditer(script):
        yield from _plain_statements(script[position:match.start()])
        yield match.group(0)
        position = match.end()
    yield from _plain_statements(script[position:])


def _plain_statements(text: str) -> Iterator[str]:
    for statement in text.split(";"):
        lines = [line for line in statement.splitlines() if not line.strip().startswith("--")]
        if "\n".join(lines).strip():
            yield "\n".join(lines).strip()


def integer_keys(script: str) -> dict[str, str]:
    """``{table: column}`` of every ``INTEGER PRIMARY KEY`` (a rowid) in an SQLite script.

    >>> integer_keys("CREATE TABLE IF NOT EXISTS t (\\n  id INTEGER PRIMARY KEY,\\n  x TEXT\\n);")
    {'t': 'id'}
    """
    keys: dict[str, str] = {}
    for statement in _statements(script):
        table = _TABLE.match(statement)
        if table:
            key = _INTEGER_KEY.search(table.group(2))
            if key:
                keys[table.group(1).lower()] = key.group(1)
    return keys


def tables(script: str) -> list[str]:
    """The tables an SQLite script creates, in the order it creates them."""
    return [m.group(1) for s in _statements(script) if (m := _TABLE.match(s))]


def postgres_ddl(script: str) -> list[str]:
    """An SQLite schema script as PostgreSQL statements.

    Integer primary keys become identity columns, ``BLOB`` becomes
    ``BYTEA`` stored uncompressed, and every ``RAISE(ABORT, ...)`` trigger becomes a PL/pgSQL
    trigger function with the same message (a ``DELETE`` trigger also
    refuses ``TRUNCATE``).  Anything else runs as written.

    >>> for s in postgres_ddl("CREATE TRIGGER IF NOT EXISTS t_never_deleted BEFORE DELETE ON t "
    ...                       "BEGIN SELECT RAISE(ABORT, 'never deleted'); END;"):
    ...     print(s)
    CREATE OR REPLACE FUNCTION t_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN RAISE EXCEPTION 'never deleted' USING ERRCODE = 'restrict_violation'; END $body$
    CREATE OR REPLACE TRIGGER t_never_deleted BEFORE DELETE ON t FOR EACH ROW EXECUTE FUNCTION t_never_deleted()
    CREATE OR REPLACE TRIGGER t_never_deleted_truncate BEFORE TRUNCATE ON t FOR EACH STATEMENT EXECUTE FUNCTION t_never_deleted()
    """
    out: list[str] = []
    for statement in _statements(script):
        trigger = _TRIGGER.fullmatch(statement)
        if trigger:
            name, event, table = trigger["name"], trigger["event"].upper(), trigger["table"]
            when = f" WHEN ({trigger['when']})" if trigger["when"] else ""
            out.append(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                       f"AS $body$ BEGIN RAISE EXCEPTION '{trigger['message']}' "
                       "USING ERRCODE = 'restrict_violation'; END $body$")
            out.append(f"CREATE OR REPLACE TRIGGER {name} BEFORE {event} ON {table} "
                       f"FOR EACH ROW{when} EXECUTE FUNCTION {name}()")
            if event == "DELETE" and not when:
                out.append(f"CREATE OR REPLACE TRIGGER {name}_truncate BEFORE TRUNCATE ON "
                           f"{table} FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
            continue
        if re.match(r"CREATE\s+TRIGGER", statement, re.IGNORECASE):
            raise ValueError(f"cannot translate this SQLite trigger to PostgreSQL: {statement}")
        statement = _INTEGER_KEY.sub(
            lambda m: f"    {m.group(1)} BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            statement)
        statement = re.sub(r"\bBLOB\b", "BYTEA", statement, flags=re.IGNORECASE)
        out.append(statement)
        table = _TABLE.match(statement)
        if table:
            # Stored files are kept as they are, not compressed again (as SQLite does):
            # compressing each PDF on insert halves the speed of issuing.
            out.extend(f"ALTER TABLE {table.group(1)} ALTER COLUMN {column} SET STORAGE EXTERNAL"
                       for column in _BYTEA.findall(table.group(2)))
    return out


_PREPOSITION: Final = {"INSERT": " into", "SELECT": " from", "DELETE": " from"}
_VALUES = re.compile(r"\bVALUES\s*(\([^()]*\))\s*$", re.IGNORECASE)
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)
_VERB = re.compile(r"^\s*(\w+)", re.IGNORECASE)


class _PgCursor:
    """A psycopg cursor with ``lastrowid`` filled from ``RETURNING``."""

    def __init__(self, cursor: psycopg.Cursor[Any], lastrowid: int | None) -> None:
        self._cursor = cursor
        self.lastrowid = lastrowid

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PostgresConnection:
    """A psycopg 3 connection that speaks the register's SQLite-style SQL.

    Args:
        raw: an open psycopg connection in autocommit mode; statements
            use server-side binding (psycopg prepares those run often).
        url: the URL it was opened with (shown without password).
        keys: ``{table: integer key column}`` for ``lastrowid``.
    """

    backend = "postgresql"

    def __init__(self, raw: psycopg.Connection[Any], url: str, keys: dict[str, str]) -> None:
        self.raw = raw
        self.url = url
        self.keys = keys
        self._in_transaction = False
        self._sql: dict[str, tuple[str, str | None]] = {}
        self._tables: set[str] | None = None
        self.known_version: int | None = None

    @property
    def in_transaction(self) -> bool:
        return self._in_transaction

    @property
    def user(self) -> str:
        """The role this connection runs as."""
        return str(self.raw.info.user)

    def _translate(self, sql: str) -> tuple[str, str | None]:
        cached = self._sql.get(sql)
        if cached is None:
            translated, key = postgres_sql(sql), None
            insert = _INSERT.match(sql)
            if insert and "RETURNING" not in sql.upper():
                key = self.keys.get(insert.group(1).lower())
                if key is not None:
                    translated += f" RETURNING {key}"
            cached = self._sql[sql] = (translated, key)
        return cached

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        translated, key = self._translate(sql)
        with self.errors(sql):
            cursor = self.raw.execute(translated, tuple(params))
            lastrowid = None
            if key is not None:
                row = cursor.fetchone()
                lastrowid = None if row is None else int(row[0])
        return _PgCursor(cursor, lastrowid)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        # Server-side binding, binary parameters: stored files go as bytes,
        # not as hex text, and the rows in one pipeline.
        import psycopg

        batch = [tuple(r) for r in rows]
        values = _VALUES.search(sql)
        with self.errors(sql), psycopg.Cursor(self.raw) as cursor:
            if values is not None and 1 < len(batch) <= 100:
                # One statement with one VALUES row per row: one round trip.
                many = sql[:values.start(1)] + ", ".join([values.group(1)] * len(batch))
                cursor.execute(postgres_sql(many, "%b"), [v for row in batch for v in row])
            else:
                cursor.executemany(postgres_sql(sql, "%b"), batch)

    def run(self, statement: str) -> None:
        """Run one statement verbatim (DDL, grants), with errors mapped."""
        import psycopg

        self._tables = None
        with self.errors(statement):
            psycopg.ClientCursor(self.raw).execute(statement.encode())

    def begin_write(self) -> None:
        import psycopg

        with self.errors("BEGIN"):
            self._in_transaction = True
            # One round trip: the lock is the transaction's first statement.
            psycopg.ClientCursor(self.raw).execute(f"BEGIN ISOLATION LEVEL READ COMMITTED; "
                             f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY:d})".encode())

    def commit(self) -> None:
        self._in_transaction = False
        with self.errors("COMMIT"):
            self.raw.execute("COMMIT")

    def rollback(self) -> None:
        self._in_transaction = False
        self._tables = None
        self.known_version = None
        with self.errors("ROLLBACK"):
            self.raw.execute("ROLLBACK")

    def columns(self, table: str) -> list[str]:
        """The column names of ``table``, in order."""
        rows = self.execute("SELECT column_name FROM information_schema.columns WHERE "
                            "table_schema = current_schema() AND table_name = ? "
                            "ORDER BY ordinal_position", (table,)).fetchall()
        return [str(r[0]) for r in rows]

    def table_names(self) -> set[str]:
        """The tables of the schema the register lives in (the first on the search path).

        Kept once the schema is versioned (tables are then only added by this
        connection's own DDL, which forgets it): every write asks for the
        schema version, and the catalogue is slow to ask.
        """
        if self._tables is not None:
            return set(self._tables)
        rows = self.execute("SELECT table_name FROM information_schema.tables WHERE "
                            "table_schema = current_schema()").fetchall()
        found = {str(r[0]) for r in rows}
        if "schema_version" in found:
            self._tables = found
        return set(found)

    def has_table(self, table: str) -> bool:
        """True when ``table`` exists in the schema the search path finds."""
        return self.execute("SELECT to_regclass(?)", (table,)).fetchone()[0] is not None

    def reset_keys(self) -> None:
        """Move each identity sequence past the largest key (after rows copied with keys)."""
        for table, column in self.keys.items():
            self.execute(f"SELECT setval(pg_get_serial_sequence(?, ?), "
                         f"COALESCE(MAX({column}), 1), MAX({column}) IS NOT NULL) FROM {table}",
                         (table, column))

    def close(self) -> None:
        self.raw.close()

    @contextmanager
    def errors(self, sql: str) -> Iterator[None]:
        """Turn psycopg errors into the project's errors, naming role and privilege."""
        import psycopg
        from psycopg import errors as pg

        try:
            yield
        except pg.InsufficientPrivilege as exc:
            verb_match = _VERB.match(sql)
            verb = verb_match.group(1).upper() if verb_match else "this"
            target = _object_of(str(exc))
            grant = READER_ROLE if verb == "SELECT" else ISSUER_ROLE
            raise AccessDenied(
                "register", redact(self.url),
                f"role {self.user} may not {verb}{_PREPOSITION.get(verb, '')} {target} "
                f"(the database said: "
                f"{_first_line(exc)}); ask the administrator to grant it {grant}"
                + ("" if verb in ("SELECT", "INSERT") else
                   ", or run this as the register's owner")) from None
        except pg.InvalidSchemaName as exc:
            raise AccessDenied("register", redact(self.url),
                               f"role {self.user} has no schema to work in "
                               f"({_first_line(exc)}); ask the administrator to grant it "
                               "USAGE on the register's schema (and set its search_path)") \
                from None
        except pg.LockNotAvailable as exc:
            raise RegisterConflict("register", redact(self.url),
                                   f"is busy: another writer held it for {LOCK_TIMEOUT} "
                                   f"({_first_line(exc)}); try again") from None
        except pg.RestrictViolation as exc:
            raise RegisterConflict("register", redact(self.url), _first_line(exc)) from None
        except psycopg.OperationalError as exc:
            raise InvalidValue("register", redact(self.url),
                               f"the database connection failed ({_first_line(exc)}); "
                               "check that the server runs and the URL is right") from None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _object_of(message: str) -> str:
    match = re.search(r"permission denied for (\w+ \w+)", message)
    return match.group(1) if match else "this object"


def connect_postgres(url: str, keys: dict[str, str]) -> PostgresConnection:
    """Connect to the PostgreSQL register at ``url``.

    Raises:
        InvalidValue: psycopg is not installed (install the ``postgres``
            extra) or the server cannot be reached.
    """
    try:
        import psycopg
    except ImportError:
        raise InvalidValue("register", redact(url),
                           "is a PostgreSQL URL but psycopg is not installed; install "
                           "mbp_billing with the postgres extra: pip install "
                           "'mbp_billing[postgres]'") from None
    try:
        raw = psycopg.connect(url, autocommit=True,
                              connect_timeout=10)
    except psycopg.Error as exc:
        # libpq may quote the whole URL (a malformed one): never show its password.
        why = _first_line(exc).replace(url, redact(url))
        raise InvalidValue("register", redact(url),
                           f"cannot be opened: {why}; check that the server "
                           "runs and the URL (user, host, database) is right") from None
    raw.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    raw.execute("SET client_min_messages = warning")
    return PostgresConnection(raw, url, keys)


def postgres_notify_ddl(table: str) -> list[str]:
    """A trigger that sends ``NOTIFY`` on :data:`EVENTS_CHANNEL` for each row of ``table``.

    The payload is the row's ``sequence``; PostgreSQL delivers it when the
    transaction commits, and not at all when it rolls back.
    """
    name = f"{table}_notify"
    return [f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$ "
            f"BEGIN PERFORM pg_notify('{EVENTS_CHANNEL}', NEW.sequence::text); RETURN NEW; "
            "END $body$",
            f"CREATE OR REPLACE TRIGGER {name} AFTER INSERT ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION {name}()"]


def create_roles(db: PostgresConnection) -> list[str]:
    """Create the issuer and reader group roles (NOLOGIN) that do not exist yet.

    Roles belong to the whole server, so a second register on the same
    server reuses them.  Returns the roles created.
    """
    created = []
    for role in (ISSUER_ROLE, READER_ROLE):
        if db.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", (role,)).fetchone() is None:
            db.run(f"CREATE ROLE {role} NOLOGIN")
            created.append(role)
    return created


def grant_roles(db: PostgresConnection, table_names: Sequence[str]) -> list[str]:
    """Grant the existing roles their privileges on the register's tables.

    The reader gets ``SELECT``; the issuer ``SELECT`` and ``INSERT`` (and
    the use of the identity sequences), never ``UPDATE``, ``DELETE``,
    ``TRUNCATE`` or DDL.  Returns the roles granted to.
    """
    present = [r for r in (ISSUER_ROLE, READER_ROLE)
               if db.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", (r,)).fetchone()]
    if not present:
        return []
    schema = str(db.execute("SELECT current_schema()").fetchone()[0])
    listed = ", ".join(table_names)
    db.run(f'GRANT USAGE ON SCHEMA "{schema}" TO {", ".join(present)}')
    if READER_ROLE in present:
        db.run(f"GRANT SELECT ON {listed} TO {READER_ROLE}")
    if ISSUER_ROLE in present:
        db.run(f"GRANT SELECT, INSERT ON {listed} TO {ISSUER_ROLE}")
        for table, column in db.keys.items():
            sequence = db.execute("SELECT pg_get_serial_sequence(?, ?)",
                                  (table, column)).fetchone()[0]
            if sequence is not None:
                db.run(f"GRANT USAGE, SELECT ON SEQUENCE {sequence} TO {ISSUER_ROLE}")
    return present
