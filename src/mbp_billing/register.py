"""The register: the only state of mbp_billing, an embedded SQLite database
(the default) or a shared PostgreSQL one (a ``postgresql://`` URL; the SQL
below runs on both through :mod:`mbp_billing.register_backends`).

It numbers documents from gapless ascending sequences (one per series, never
restarting), keeps each issued document with the exact bytes of its PDF and
UBL renderings, chains every document's hash to the previous one so that any
later change is evident, and records payments.  Issued documents and
payments are never updated or deleted: triggers in the database refuse it.
Documents and payments share one hash chain: each new row's ``prev_chain``
is the chain value of the row written before it, whatever its table, so
``verify`` names a row changed, deleted or inserted behind the tool's back,
and a head kept outside the register (``chain_head``) shows truncation.

Schema versions: a register records its version in ``schema_version``
(none: version 1, the first release).  Reading never changes a register;
the first write migrates it forward by the ordered steps in
``_MIGRATIONS``, each in the write's own transaction.  History is never
rewritten: documents keep their rows and chain values.

Concurrency: WAL journal, ``BEGIN IMMEDIATE`` for every write (a second
writer waits, up to the busy timeout), so two processes numbering at the
same time never duplicate or skip a number.  On PostgreSQL every write
takes a transaction-level advisory lock first, to the same effect across
machines.

Events: every issued document, payment and reminder appends a row to
``events`` in the same transaction (an outbox, read with
:meth:`Register.events`).

>>> import tempfile, pathlib
>>> with Register.open(pathlib.Path(tempfile.mkdtemp()) / "r.sqlite3") as reg:
...     reg.next_number("F")
'F000001'
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import attrs

from .documents import (
    Document,
    canonical_json,
    counter_of,
    document_from_record,
    format_number,
)
from .errors import AccessDenied, InvalidValue, RegisterConflict
from .money import money_str, parse_amount
from .register_backends import (
    Connection,
    PostgresConnection,
    SqliteConnection,
    connect_postgres,
    create_roles,
    grant_roles,
    integer_keys,
    is_url,
    postgres_ddl,
    postgres_notify_ddl,
    redact,
    tables,
)

__all__ = [
    "DEFAULT_REGISTER",
    "EVENT_TYPES",
    "GENESIS",
    "REGISTER_ENV",
    "SCHEMA_VERSION",
    "CopyResult",
    "Event",
    "Payment",
    "Problem",
    "Register",
    "StoredDocument",
    "StoredReminder",
    "chain_hash",
    "copy_register",
    "default_register_path",
    "init_register",
    "open_read_only",
    "payment_chain_hash",
    "reminder_chain",
]

#: Environment variable that overrides the default register path.
REGISTER_ENV: Final = "MBP_BILLING_REGISTER"
#: Default register file, relative to the working directory.
DEFAULT_REGISTER: Final = "mbp-billing-register.sqlite3"
#: The chain value before the first document.
GENESIS: Final = "0" * 64
#: How long a writer waits for another one to finish (milliseconds).
BUSY_TIMEOUT_MS: Final = 60_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    seq          INTEGER PRIMARY KEY,
    number       TEXT NOT NULL UNIQUE,
    series       TEXT NOT NULL,
    counter      INTEGER NOT NULL,
    type         TEXT NOT NULL CHECK (type IN ('invoice', 'credit_note')),
    buyer_kbo    TEXT NOT NULL,
    year         INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    amount       TEXT NOT NULL,
    issue_date   TEXT NOT NULL,
    due_date     TEXT,
    credits      TEXT REFERENCES documents (number),
    content      TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    pdf_sha256   TEXT NOT NULL,
    xml_sha256   TEXT NOT NULL,
    prev_chain   TEXT NOT NULL,
    chain        TEXT NOT NULL,
    UNIQUE (series, counter)
);
CREATE INDEX IF NOT EXISTS documents_key ON documents (buyer_kbo, year, kind);
CREATE TABLE IF NOT EXISTS files (
    number TEXT NOT NULL REFERENCES documents (number),
    format TEXT NOT NULL CHECK (format IN ('pdf', 'xml')),
    sha256 TEXT NOT NULL,
    data   BLOB NOT NULL,
    PRIMARY KEY (number, format)
);
CREATE TABLE IF NOT EXISTS payments (
    id        INTEGER PRIMARY KEY,
    number    TEXT NOT NULL REFERENCES documents (number),
    amount    TEXT NOT NULL,
    paid_on   TEXT NOT NULL,
    reference TEXT,
    source    TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS documents_never_updated BEFORE UPDATE ON documents
BEGIN SELECT RAISE(ABORT, 'issued documents are never updated (R12)'); END;
CREATE TRIGGER IF NOT EXISTS documents_never_deleted BEFORE DELETE ON documents
BEGIN SELECT RAISE(ABORT, 'issued documents are never deleted (R12)'); END;
CREATE TRIGGER IF NOT EXISTS files_never_updated BEFORE UPDATE ON files
BEGIN SELECT RAISE(ABORT, 'issued files are never updated (R12)'); END;
CREATE TRIGGER IF NOT EXISTS files_never_deleted BEFORE DELETE ON files
BEGIN SELECT RAISE(ABORT, 'issued files are never deleted (R12)'); END;
"""

# The events outbox (issue 10): one row per fact, appended in the fact's own
# transaction; ``sequence`` is gapless (MAX + 1 under the write lock).
_EVENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    sequence  INTEGER PRIMARY KEY,
    type      TEXT NOT NULL CHECK (type IN ('invoice', 'credit_note', 'payment', 'reminder')),
    number    TEXT NOT NULL,
    buyer_kbo TEXT NOT NULL,
    amount    TEXT NOT NULL,
    time      TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS events_never_updated BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are never updated'); END;
CREATE TRIGGER IF NOT EXISTS events_never_deleted BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are never deleted'); END;
"""

#: The kinds of fact an event announces.
EVENT_TYPES: Final = ("invoice", "credit_note", "payment", "reminder")

#: The database clock as an ISO 8601 UTC text, per backend (the event time).
_CLOCK: Final = {
    "sqlite": "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
    "postgresql": "to_char(transaction_timestamp() AT TIME ZONE 'UTC', "
                  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
}

#: The schema version this code writes; see ``_MIGRATIONS``.
SCHEMA_VERSION: Final = 3

# Version 2: payments sealed in the hash chain, append-only, each bank entry
# once (``entry``), reversals instead of deletions; the output folders each
# document was written to.  Plain SQL that PostgreSQL also runs, except the
# trigger bodies.  Sealing the payments recorded before (``_seal_legacy``)
# happens between the columns and the triggers.
_V2_COLUMNS = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY);
ALTER TABLE payments ADD COLUMN entry TEXT;
ALTER TABLE payments ADD COLUMN reverses INTEGER REFERENCES payments (id);
ALTER TABLE payments ADD COLUMN reason TEXT;
ALTER TABLE payments ADD COLUMN content_hash TEXT;
ALTER TABLE payments ADD COLUMN prev_chain TEXT;
ALTER TABLE payments ADD COLUMN chain TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS payments_entry ON payments (entry);
CREATE UNIQUE INDEX IF NOT EXISTS payments_reverses ON payments (reverses);
CREATE INDEX IF NOT EXISTS payments_prev ON payments (prev_chain);
CREATE INDEX IF NOT EXISTS payments_number ON payments (number);
CREATE INDEX IF NOT EXISTS documents_prev ON documents (prev_chain);
CREATE TABLE IF NOT EXISTS outputs (
    number TEXT NOT NULL REFERENCES documents (number),
    folder TEXT NOT NULL,
    PRIMARY KEY (number, folder)
);
"""
_V2_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS payments_never_updated BEFORE UPDATE ON payments
BEGIN SELECT RAISE(ABORT, 'recorded payments are never updated; record a reversal'); END;
CREATE TRIGGER IF NOT EXISTS payments_never_deleted BEFORE DELETE ON payments
BEGIN SELECT RAISE(ABORT, 'recorded payments are never deleted; record a reversal'); END;
CREATE TRIGGER IF NOT EXISTS outputs_never_updated BEFORE UPDATE ON outputs
BEGIN SELECT RAISE(ABORT, 'output folders are never updated'); END;
CREATE TRIGGER IF NOT EXISTS outputs_never_deleted BEFORE DELETE ON outputs
BEGIN SELECT RAISE(ABORT, 'output folders are never deleted'); END;
"""

_PAYMENT_COLUMNS: Final = ("id, number, amount, paid_on, reference, source, entry, reverses, "
                           "reason, content_hash, prev_chain, chain")
_PAYMENT_COLUMNS_V1: Final = ("id, number, amount, paid_on, reference, source, NULL, NULL, "
                              "NULL, NULL, NULL, NULL")


def _statements(script: str) -> list[str]:
    # Split a DDL script into statements, keeping trigger bodies whole.
    out: list[str] = []
    current = ""
    for line in script.strip().splitlines():
        current += line + "\n"
        if line.rstrip().endswith(";") and (not current.lstrip().upper().startswith(
                "CREATE TRIGGER") or line.rstrip().upper().endswith("END;")):
            out.append(current.strip())
            current = ""
    return out


def _run_ddl(db: Connection | sqlite3.Connection, script: str) -> None:
    # SQLite runs the statements as written; PostgreSQL gets them translated.
    if isinstance(db, PostgresConnection):
        for statement in postgres_ddl(script):
            db.run(statement)
    else:
        for statement in _statements(script):
            db.execute(statement)


def _migrate_to_2(db: Connection | sqlite3.Connection) -> None:
    _run_ddl(db, _V2_COLUMNS)
    _seal_legacy(db)
    _run_ddl(db, _V2_TRIGGERS)


def _migrate_to_3(db: Connection | sqlite3.Connection) -> None:
    # Version 3: the events outbox and the reminders table (issue 10, issue 8).
    # Events start with the facts recorded from then on; earlier ones are in
    # documents() and payments().
    _run_ddl(db, _EVENTS_SCHEMA + _REMINDERS_SCHEMA)
    if isinstance(db, PostgresConnection):
        for statement in postgres_notify_ddl("events"):  # NOTIFY at commit, by trigger
            db.run(statement)


#: Ordered forward steps: ``(version reached, step)``; each runs inside the
#: write transaction that first meets an older register.
_MIGRATIONS: Final = ((2, _migrate_to_2), (3, _migrate_to_3))


def default_register_path(environ: dict[str, str] | None = None) -> Path:
    """``$MBP_BILLING_REGISTER`` if set, else ``./mbp-billing-register.sqlite3``.

    Args:
        environ: the environment to read; ``None`` for ``os.environ``.

    Returns:
        The register path; a relative one is relative to the working directory.

    Examples:
        >>> str(default_register_path({}))
        'mbp-billing-register.sqlite3'
        >>> str(default_register_path({"MBP_BILLING_REGISTER": "billing.sqlite3"}))
        'billing.sqlite3'
    """
    env = os.environ if environ is None else environ
    return Path(env.get(REGISTER_ENV) or DEFAULT_REGISTER)


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def chain_hash(prev_chain: str, content_hash: str, pdf_sha256: str, xml_sha256: str) -> str:
    """The chain value of a document: it seals its content, files and predecessor."""
    return sha256(f"{prev_chain}|{content_hash}|{pdf_sha256}|{xml_sha256}".encode())


@attrs.frozen
class StoredDocument:
    """An issued document as the register holds it.

    Returned by :meth:`Register.get`, :meth:`Register.documents` and kept in
    :attr:`Issued.stored`; :attr:`document` rebuilds the document value.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import example_agreement, issue_invoice
        >>> with Register.open(pathlib.Path(tempfile.mkdtemp()) / "r.sqlite3") as reg:
        ...     _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                       register=reg)
        ...     stored = reg.get("F000001")
        >>> stored.number, stored.amount, stored.document.total
        ('F000001', Decimal('3500.00'), Decimal('3500.00'))
    """

    seq: int
    number: str
    type: str
    buyer_kbo: str
    year: int
    kind: str
    amount: Decimal
    issue_date: date
    due_date: date | None
    credits: str | None
    content: str = attrs.field(repr=False)
    content_hash: str = attrs.field(repr=False)
    pdf_sha256: str = attrs.field(repr=False)
    xml_sha256: str = attrs.field(repr=False)
    prev_chain: str = attrs.field(repr=False)
    chain: str = attrs.field(repr=False)

    @property
    def document(self) -> Document:
        """The document value rebuilt from the stored content.

        Raises:
            RegisterConflict: the stored content was changed outside the tool
                and no longer reads as a document.
        """
        try:
            return document_from_record(json.loads(self.content))
        except (ValueError, KeyError, TypeError, AttributeError, ArithmeticError) as exc:
            raise _edited(self.number, exc) from None

    def to_record(self) -> dict[str, Any]:
        """JSON-ready summary, as in the ledger."""
        return {
            "number": self.number,
            "type": self.type,
            "buyer_kbo": self.buyer_kbo,
            "year": self.year,
            "kind": self.kind,
            "amount": money_str(self.amount),
            "issue_date": self.issue_date.isoformat(),
            "due_date": None if self.due_date is None else self.due_date.isoformat(),
            "credits": self.credits,
        }


@attrs.frozen
class Payment:
    """A payment recorded against an invoice, or the reversal of one.

    Attributes:
        id: the payment's row number in the register.
        number: the invoice paid.
        amount: what was received; negative for a reversal.
        paid_on: the day the money arrived (or the reversal's date).
        reference: the structured communication it carried, if any.
        source: where it came from: ``manual``, a statement or CSV name.
        entry: the bank entry's identity; one payment per bank entry.
        reverses: for a reversal, the id of the payment it undoes.
        reason: for a reversal, why.

    Examples:
        >>> p = Payment(1, "F000001", Decimal("3500.00"), date(2023, 8, 1), None, "manual")
        >>> p.to_record()["amount"], p.reverses
        ('3500.00', None)
    """

    id: int
    number: str
    amount: Decimal
    paid_on: date
    reference: str | None
    source: str
    entry: str | None = None
    reverses: int | None = None
    reason: str | None = None

    def to_record(self) -> dict[str, Any]:
        """JSON-ready form; also the content sealed in the hash chain."""
        return {
            "id": self.id, "number": self.number, "amount": money_str(self.amount),
            "paid_on": self.paid_on.isoformat(), "reference": self.reference,
            "source": self.source, "entry": self.entry, "reverses": self.reverses,
            "reason": self.reason,
        }


def _payment_content_hash(row: tuple[Any, ...]) -> str:
    # Hash the stored text of the columns, not a parse of it, so that any
    # change to a column (even one that parses to the same value) shows.
    names = ("id", "number", "amount", "paid_on", "reference", "source", "entry", "reverses",
             "reason")
    return sha256(canonical_json(dict(zip(names, row[:9], strict=True))).encode())


def payment_chain_hash(prev_chain: str, content_hash: str) -> str:
    """The chain value of a payment: it seals its content and predecessor."""
    return sha256(f"{prev_chain}|payment|{content_hash}".encode())


def _payment(row: tuple[Any, ...]) -> Payment:
    return Payment(int(row[0]), str(row[1]), Decimal(row[2]), date.fromisoformat(row[3]),
                   row[4], str(row[5]), row[6], None if row[7] is None else int(row[7]), row[8])


def _chain_head(db: Connection | sqlite3.Connection, version: int) -> str:
    """The chain value of the row written last, in any chained table."""
    doc = db.execute("SELECT chain FROM documents ORDER BY seq DESC LIMIT 1").fetchone()
    if version < 2:
        return GENESIS if doc is None else str(doc[0])
    pay = db.execute("SELECT chain FROM payments WHERE chain IS NOT NULL "
                     "ORDER BY id DESC LIMIT 1").fetchone()
    candidates = [str(r[0]) for r in (doc, pay) if r is not None]
    for chain in candidates:
        followed = db.execute(
            "SELECT 1 FROM documents WHERE prev_chain = ? UNION ALL "
            "SELECT 1 FROM payments WHERE prev_chain = ?", (chain, chain)).fetchone()
        if followed is None:
            return chain
    return candidates[-1] if candidates else GENESIS


def _seal_legacy(db: Connection | sqlite3.Connection) -> None:
    """Seal the payments a version-1 register holds, after its last document.

    Their values are unchanged; only the seal columns (new in version 2) are
    filled, once, before the triggers that forbid updates exist.
    """
    prev = _chain_head(db, 1)
    rows = db.execute(f"SELECT {_PAYMENT_COLUMNS_V1} FROM payments ORDER BY id").fetchall()
    for row in rows:
        content_hash = _payment_content_hash(row)
        chain = payment_chain_hash(prev, content_hash)
        db.execute("UPDATE payments SET content_hash = ?, prev_chain = ?, chain = ? "
                   "WHERE id = ?", (content_hash, prev, chain, row[0]))
        prev = chain


@attrs.frozen
class Event:
    """One fact announced to other systems: the outbox row of an issue or payment.

    ``sequence`` is gapless and increasing, the cursor of a consumer:
    :meth:`Register.events` with ``since=`` the last sequence handled gives
    what came after.  ``time`` is the database's clock when the fact was
    recorded (UTC, ISO 8601, seconds; on PostgreSQL the transaction's start).

    Examples:
        >>> e = Event(1, "invoice", "F000001", "0207501010", Decimal("7000.00"),
        ...           "2026-01-05T09:00:00Z")
        >>> e.to_record()["amount"], e.to_record()["sequence"]
        ('7000.00', 1)
    """

    sequence: int
    type: str
    number: str
    buyer_kbo: str
    amount: Decimal
    time: str

    def to_record(self) -> dict[str, Any]:
        """JSON-ready: ``sequence``, ``type``, ``number``, ``buyer_kbo``, ``amount``, ``time``."""
        return {"sequence": self.sequence, "type": self.type, "number": self.number,
                "buyer_kbo": self.buyer_kbo, "amount": money_str(self.amount),
                "time": self.time}


@attrs.frozen
class Problem:
    """Something ``verify`` found wrong: which document, which file, what.

    Examples:
        >>> str(Problem("F000003", "F000003.pdf", "file is missing"))
        'F000003 F000003.pdf: file is missing'
    """

    number: str | None
    file: str | None
    message: str

    def __str__(self) -> str:
        where = " ".join(x for x in (self.number, self.file) if x)
        return f"{where}: {self.message}" if where else self.message


_COLUMNS = ("seq, number, type, buyer_kbo, year, kind, amount, issue_date, due_date, credits, "
            "content, content_hash, pdf_sha256, xml_sha256, prev_chain, chain")


def _index_columns(record: dict[str, Any]) -> dict[str, Any]:
    # The columns kept beside the content for queries and the ledger; insert
    # writes them and verify checks them from the same record.
    return {
        "number": record["number"], "type": record["type"], "buyer_kbo": record["buyer_kbo"],
        "year": record["line"]["year"], "kind": record["line"]["kind"],
        "amount": record["amount"], "issue_date": record["issue_date"],
        "due_date": record.get("due_date"), "credits": record.get("credits"),
    }


_INDEX_NAMES: Final = ("number", "type", "buyer_kbo", "year", "kind", "amount", "issue_date",
                       "due_date", "credits")


def _altered_columns(row: tuple[Any, ...]) -> list[str]:
    # row is a raw SELECT of _COLUMNS: compare the stored text, not a parse of it.
    try:
        expected = _index_columns(json.loads(row[10]))
    except (ValueError, KeyError, TypeError):
        return ["content"]
    actual = dict(zip(_INDEX_NAMES, row[1:10], strict=True))
    return [name for name in _INDEX_NAMES if actual[name] != expected[name]]


def _edited(number: object, exc: BaseException) -> RegisterConflict:
    why = (f"missing {exc}" if isinstance(exc, KeyError) else
           "a stored number is malformed" if isinstance(exc, ArithmeticError) else str(exc))
    return RegisterConflict("register row", str(number),
                            f"cannot be read ({why[:120]}): the register was changed outside "
                            "mbp_billing; run verify to list every problem, and restore the "
                            "register from a backup")


def _readable(row: tuple[Any, ...]) -> StoredDocument:
    # A row edited behind the tool's back is reported, never a traceback.
    try:
        return _stored(row)
    except (ValueError, ArithmeticError, TypeError) as exc:
        raise _edited(row[1], exc) from None


def _stored(row: tuple[Any, ...]) -> StoredDocument:
    (seq, number, type_, kbo, year, kind, amount, issue, due, credits, content, content_hash,
     pdf, xml, prev, chain) = row
    return StoredDocument(
        seq=seq, number=number, type=type_, buyer_kbo=kbo, year=year, kind=kind,
        amount=Decimal(amount), issue_date=date.fromisoformat(issue),
        due_date=None if due is None else date.fromisoformat(due), credits=credits,
        content=content, content_hash=content_hash, pdf_sha256=pdf, xml_sha256=xml,
        prev_chain=prev, chain=chain,
    )


# == Reminders (issue 8, part 3) ================================================
#
# Every reminder letter sent is a row of its own append-only table, with the
# exact bytes of its PDF.  The rows form a hash chain of their own, apart from
# the documents' chain: each row's ``chain`` is sha256(previous row's chain +
# its canonical content), the content naming the PDF's SHA-256.  Triggers
# refuse UPDATE and DELETE; ``verify`` names a changed, deleted or inserted
# row.  The statements are plain SQL (TEXT, INTEGER, BLOB), so that a later
# PostgreSQL register can take them over.

_REMINDERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS reminders (
    id          INTEGER PRIMARY KEY,
    buyer_kbo   TEXT NOT NULL,
    level       INTEGER NOT NULL CHECK (level IN (1, 2)),
    reminded_on TEXT NOT NULL,
    invoices    TEXT NOT NULL,
    amount_open TEXT NOT NULL,
    content     TEXT NOT NULL,
    pdf         BLOB NOT NULL,
    pdf_sha256  TEXT NOT NULL,
    prev_chain  TEXT NOT NULL,
    chain       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reminders_buyer ON reminders (buyer_kbo, reminded_on);
CREATE TRIGGER IF NOT EXISTS reminders_never_updated BEFORE UPDATE ON reminders
BEGIN SELECT RAISE(ABORT, 'recorded reminders are never updated'); END;
CREATE TRIGGER IF NOT EXISTS reminders_never_deleted BEFORE DELETE ON reminders
BEGIN SELECT RAISE(ABORT, 'recorded reminders are never deleted'); END;
"""

_REMINDER_COLUMNS = ("id, buyer_kbo, level, reminded_on, invoices, amount_open, content, "
                     "pdf_sha256, prev_chain, chain")
#: The columns kept beside a reminder's content, and the content keys they copy.
_REMINDER_INDEX: Final = ("buyer_kbo", "level", "reminded_on", "invoices", "amount_open")


def reminder_chain(prev_chain: str, content: str) -> str:
    """The chain value of a reminder row: sha256 of the previous value and its content.

    >>> reminder_chain(GENESIS, "{}") == sha256((GENESIS + "{}").encode())
    True
    """
    return sha256(f"{prev_chain}{content}".encode())


def _reminder_index(record: dict[str, Any]) -> tuple[Any, ...]:
    # What the columns hold, from the content: the numbers joined by spaces.
    return (record["buyer_kbo"], record["level"], record["reminded_on"],
            " ".join(record["invoices"]), record["amount_open"])


@attrs.frozen
class StoredReminder:
    """A reminder letter as the register holds it.

    Attributes:
        id: the row's position in the reminders' chain (1, 2, ...).
        buyer_kbo: the municipality reminded (10 digits).
        level: 1 for a *herinnering*, 2 for an *aanmaning*.
        reminded_on: the letter's date.
        invoices: the invoice numbers the letter lists.
        amount_open: the letter's total still open.
        content: the canonical JSON of everything the letter says.
        pdf_sha256: the SHA-256 of the letter's PDF.
        prev_chain: the previous row's chain value.
        chain: this row's chain value.
    """

    id: int
    buyer_kbo: str
    level: int
    reminded_on: date
    invoices: tuple[str, ...]
    amount_open: Decimal
    content: str = attrs.field(repr=False)
    pdf_sha256: str = attrs.field(repr=False)
    prev_chain: str = attrs.field(repr=False)
    chain: str = attrs.field(repr=False)

    @property
    def record(self) -> dict[str, Any]:
        """The recorded content, as a dict."""
        loaded: dict[str, Any] = json.loads(self.content)
        return loaded


def _stored_reminder(row: tuple[Any, ...]) -> StoredReminder:
    rid, kbo, level, on, invoices, amount, content, pdf_sha, prev, chain = row
    return StoredReminder(int(rid), str(kbo), int(level), date.fromisoformat(on),
                          tuple(str(invoices).split()), Decimal(amount), content, pdf_sha,
                          prev, chain)


class _ReminderStore:
    """The reminders' part of :class:`Register` (its own table and chain)."""

    _db: Connection
    _in_transaction: bool

    def _append_event(self, type_: str, number: str, buyer_kbo: str, amount: str) -> int:
        raise NotImplementedError  # Register's

    def _has_reminders_table(self) -> bool:
        # A register opened read-only before its forward migration may lack it.
        return self._db.has_table("reminders")

    def reminders(self, buyer_kbo: str | None = None) -> list[StoredReminder]:
        """Recorded reminder letters, of one buyer or of all, oldest first."""
        if not self._has_reminders_table():
            return []
        rows = self._db.execute(
            f"SELECT {_REMINDER_COLUMNS} FROM reminders WHERE (? IS NULL OR buyer_kbo = ?) "
            "ORDER BY id", (buyer_kbo, buyer_kbo)).fetchall()
        return [_stored_reminder(r) for r in rows]

    def reminder_pdf(self, reminder_id: int) -> bytes:
        """The exact bytes of a recorded reminder's PDF.

        Raises:
            InvalidValue: no reminder with that id.
        """
        row = (self._db.execute("SELECT pdf FROM reminders WHERE id = ?", (reminder_id,))
               .fetchone() if self._has_reminders_table() else None)
        if row is None:
            raise InvalidValue("reminder", reminder_id, "is not in the register")
        return bytes(row[0])

    def latest_reminder_date(self) -> date | None:
        """The date of the latest recorded reminder, if any."""
        if not self._has_reminders_table():
            return None
        row = self._db.execute("SELECT reminded_on FROM reminders ORDER BY id DESC "
                               "LIMIT 1").fetchone()
        return None if row is None else date.fromisoformat(row[0])

    def last_reminder_chain(self) -> str:
        """The chain value of the latest reminder (``GENESIS`` when none)."""
        if not self._has_reminders_table():
            return GENESIS
        row = self._db.execute("SELECT chain FROM reminders ORDER BY id DESC LIMIT 1").fetchone()
        return GENESIS if row is None else str(row[0])

    def insert_reminder(self, record: dict[str, Any], *, pdf: bytes) -> StoredReminder:
        """Record a reminder letter and its PDF, chained after the latest one.

        ``record`` holds at least ``buyer_kbo``, ``level`` (1 or 2),
        ``reminded_on`` (ISO date), ``invoices`` (the numbers) and
        ``amount_open`` (a two-decimal string); the register adds the PDF's
        SHA-256 before sealing it.  Must run inside :meth:`Register.transaction`.

        Raises:
            RegisterConflict: dated before the latest recorded reminder.
        """
        if not self._in_transaction:
            raise RuntimeError("register writes must happen inside Register.transaction()")
        latest = self.latest_reminder_date()
        on = date.fromisoformat(record["reminded_on"])
        if latest is not None and on < latest:
            raise RegisterConflict("--as-of", on.isoformat(),
                                   f"is before the latest recorded reminder "
                                   f"({latest.isoformat()}); reminders are recorded in date "
                                   f"order, so give {latest.isoformat()} or later")
        pdf_sha = sha256(pdf)
        content = canonical_json({**record, "pdf_sha256": pdf_sha})
        prev = self.last_reminder_chain()
        chain = reminder_chain(prev, content)
        index = _reminder_index(record)
        # The id is MAX + 1 under the write lock, as the event sequence: verify
        # reads a missing id as a deleted letter, and PostgreSQL's identity
        # would skip the ids of a rolled-back transaction.
        rid = int(self._db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM reminders")
                  .fetchone()[0])
        self._db.execute(
            "INSERT INTO reminders (id, buyer_kbo, level, reminded_on, invoices, amount_open, "
            "content, pdf, pdf_sha256, prev_chain, chain) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rid, *index, content, pdf, pdf_sha, prev, chain))
        self._append_event("reminder", f"R{rid:06d}", index[0], index[4])
        return _stored_reminder((rid, *index, content, pdf_sha, prev, chain))

    def verify_reminders(self) -> list[Problem]:
        """Check the reminders' own hash chain, their columns and their PDFs.

        A row changed, deleted or inserted behind the tool's back breaks the
        chain or no longer matches its content; each problem names the
        reminder by its id.
        """
        if not self._has_reminders_table():
            return []
        problems: list[Problem] = []
        invoices = {str(n): str(k) for n, k in self._db.execute(
            "SELECT number, buyer_kbo FROM documents WHERE type = 'invoice'")}
        prev, previous_date, expected_id = GENESIS, "", 1
        for row in self._db.execute(
                "SELECT id, buyer_kbo, level, reminded_on, invoices, amount_open, content, "
                "pdf, pdf_sha256, prev_chain, chain FROM reminders ORDER BY id").fetchall():
            rid, content, pdf, pdf_sha, prev_chain, chain = (row[0], row[6], row[7], row[8],
                                                             row[9], row[10])
            name = f"reminder {rid}"
            if rid != expected_id:
                problems.append(Problem(name, None, f"reminder {expected_id} is missing "
                                                    "(deleted behind the tool's back)"))
            expected_id = rid + 1
            if prev_chain != prev:
                problems.append(Problem(name, None, "reminder chain broken: previous link "
                                                    "does not match"))
            if chain != reminder_chain(str(prev_chain), str(content)):
                problems.append(Problem(name, None, "reminder chain broken: content or link "
                                                    "altered"))
            prev = str(chain)
            try:
                record = json.loads(content)
                expected = _reminder_index(record)
                sealed_pdf = record["pdf_sha256"]
            except (ValueError, KeyError, TypeError):
                problems.append(Problem(name, None, "content cannot be read"))
                continue
            problems.extend(Problem(name, None, f"column {column} was altered: it does not "
                                                "match the recorded content")
                            for column, actual, wanted in zip(_REMINDER_INDEX, row[1:6],
                                                              expected, strict=True)
                            if actual != wanted)
            if not isinstance(pdf, bytes) or sha256(pdf) != sealed_pdf or pdf_sha != sealed_pdf:
                problems.append(Problem(name, "pdf", "stored PDF does not match its recorded "
                                                     "hash"))
            if str(row[3]) < previous_date:
                problems.append(Problem(name, None, "dated before the reminder recorded "
                                                    "before it"))
            previous_date = str(row[3])
            for number in record["invoices"]:
                if invoices.get(number) != record["buyer_kbo"]:
                    problems.append(Problem(name, None, f"lists {number}, which is not an "
                                                        "invoice of that buyer"))
        return problems


# == end of reminders ==========================================================


def _initialise(db: sqlite3.Connection) -> None:
    """Set the pragmas and create the schema, waiting out a concurrent creator.

    Switching to WAL and creating tables can meet a lock held by another
    process opening the same new file; SQLite then answers "locked" at once
    rather than calling the busy handler, so this retries until the busy
    timeout.  The schema is created inside ``BEGIN IMMEDIATE`` so that two
    creators take turns.
    """
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("BEGIN IMMEDIATE")
            if "documents" not in _tables(db):
                # A new register is made at the current version at once.
                for statement in _statements(_SCHEMA):
                    db.execute(statement)
                _migrate(db)
            db.execute("COMMIT")
            return
        except sqlite3.OperationalError as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


#: Every SQLite script of the schema, the migrations' included: where the
#: tables (in the order ``register copy`` copies them) and keys are read.
_ALL_SCHEMA: Final = _SCHEMA + _V2_COLUMNS + _EVENTS_SCHEMA + _REMINDERS_SCHEMA
#: Rows ``register copy`` reads and writes at a time.
_COPY_BATCH: Final = 200
#: Tables ``register copy`` leaves out: the target keeps its own.
_NOT_COPIED: Final = ("schema_version",)


def _initialise_postgres(db: PostgresConnection) -> None:
    """Create the schema, one creator at a time (under the write lock).

    The same steps as a new SQLite register: the first release's tables,
    then every forward migration; the existing roles get their grants.
    """
    db.begin_write()
    try:
        if "documents" not in _tables(db):
            _run_ddl(db, _SCHEMA)
            _migrate(db)
            grant_roles(db, sorted(_tables(db)))
    except AccessDenied as exc:
        db.rollback()
        raise AccessDenied(exc.field, exc.value,
                           f"{exc.reason.split('; ask')[0]}; the register's tables are "
                           "created by `mbp-billing register init URL`, run as the database "
                           "owner") from None
    except BaseException:
        db.rollback()
        raise
    db.commit()


def _tables(db: Connection | sqlite3.Connection) -> set[str]:
    if isinstance(db, PostgresConnection):
        return db.table_names()
    return {str(row[0]) for row in
            db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _schema_version(db: Connection | sqlite3.Connection) -> int:
    # Once a connection has seen the current version it cannot go lower (the
    # connection forgets it at a rollback): every write asks, so it is kept.
    wrapped = db if isinstance(db, SqliteConnection | PostgresConnection) else None
    if wrapped is not None and wrapped.known_version == SCHEMA_VERSION:
        return SCHEMA_VERSION
    if "schema_version" not in _tables(db):
        return 1  # the first release had no version table
    row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
    version = int(row[0] or 1)
    if wrapped is not None and version == SCHEMA_VERSION:
        wrapped.known_version = version
    return version


def _has_column(db: Connection | sqlite3.Connection, table: str, column: str) -> bool:
    if isinstance(db, PostgresConnection):  # a failed statement would end its transaction
        return column in db.columns(table)
    try:
        db.execute(f"SELECT {column} FROM {table} LIMIT 0")
    except sqlite3.OperationalError:
        return False
    return True


def _migrate(db: Connection | sqlite3.Connection) -> int:
    """Bring the register to :data:`SCHEMA_VERSION`; call inside a write transaction."""
    version = _schema_version(db)
    for target, step in _MIGRATIONS:
        if version < target:
            step(db)
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (target,))
            version = target
    return version


def _connect_read_only(target: Path) -> sqlite3.Connection:
    """Open ``target`` for reading only, even on read-only storage.

    ``mode=ro`` never creates or changes the file; where even SQLite's
    shared-memory file cannot be made (a read-only folder or medium), the
    file is opened ``immutable``: nothing else can be writing to it there.
    ``immutable`` ignores a ``-wal`` file beside the register, so one that is
    not empty (commits not yet checkpointed into the file) is refused rather
    than read past: the register would look older than it is.
    """
    from urllib.parse import quote

    # file:// and an empty authority: a path that starts with // stays a path.
    uri = f"file://{quote(str(target.absolute()))}?mode=ro"
    for suffix in ("", "&immutable=1"):
        if suffix:
            _refuse_unmerged_wal(target)
        db = sqlite3.connect(uri + suffix, uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                             isolation_level=None, check_same_thread=False)
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("SELECT name FROM sqlite_master").fetchall()
            return db
        except sqlite3.OperationalError:
            db.close()
            if suffix:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _refuse_unmerged_wal(target: Path) -> None:
    """Raise if ``target``'s ``-wal`` file holds commits an immutable open would miss."""
    wal = target.with_name(target.name + "-wal")
    try:
        size = wal.stat().st_size
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InvalidValue("register", str(target),
                           f"its write-ahead log {wal} cannot be read ({exc.strerror}); copy "
                           "the register with its -wal file to writable storage") from None
    if size > 0:
        raise InvalidValue("register", str(target),
                           f"is on read-only storage with a write-ahead log {wal} that is not "
                           "merged into it, which a read-only open would ignore (stale data); "
                           "copy the register together with its -wal file to writable "
                           "storage, or open it once where it is writable so the log is "
                           "checkpointed")


class Register(_ReminderStore):
    """An open register database.  Use as a context manager.

    Writes happen only inside :meth:`transaction`, which takes the database's
    write lock first (``BEGIN IMMEDIATE``) so that reading the next number
    and inserting the document are one atomic step.  Open one with
    :meth:`Register.open`.

    Args:
        connection: an open register connection (see register_backends), or a
            bare SQLite connection to the register file.
        path: the register file.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from decimal import Decimal
        >>> from mbp_billing import example_agreement, issue_invoice
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> with Register.open(folder / "register.sqlite3") as reg:
        ...     _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                       register=reg)
        ...     paid = reg.record_payment("F000001", Decimal("3500.00"), date(2023, 8, 1))
        ...     print([d.number for d in reg.documents()], reg.next_number("F"), reg.verify())
        ['F000001'] F000002 []
        >>> paid.amount, paid.source
        (Decimal('3500.00'), 'manual')
    """

    def __init__(self, connection: Connection | sqlite3.Connection, path: Path | str, *,
                 read_only: bool = False) -> None:
        # A bare SQLite connection (as before there were two backends) is wrapped.
        self._db: Connection = (SqliteConnection(connection)
                                if isinstance(connection, sqlite3.Connection) else connection)
        self.path = path
        self.read_only = read_only
        self._in_transaction = False

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._db.backend

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True,
             read_only: bool = False) -> Register:
        """Open (and create, when ``create``) the register at ``path``.

        ``path`` is a file path (SQLite, the default) or a ``postgresql://``
        URL (PostgreSQL, through the optional ``postgres`` extra).

        With ``read_only`` the file is only read, never created, changed or
        migrated (``verify`` and ``ledger`` open it so); it works on a copy
        on read-only storage too.  Otherwise the first write migrates an
        older register forward.

        Raises:
            InvalidValue: the file is missing (``create=False`` or
                ``read_only``) or is not a register.
        """
        if is_url(path):
            return cls._open_postgres(str(path), create=create, read_only=read_only)
        target = Path(path)
        if (read_only or not create) and not target.exists():
            raise InvalidValue("register", str(target),
                               "does not exist; pass --register with the right path")
        if read_only:
            try:
                db = _connect_read_only(target)
                if "documents" not in _tables(db):
                    db.close()
                    raise InvalidValue("register", str(target),
                                       "is not a register (no documents table); give the "
                                       "register's path")
            except sqlite3.DatabaseError as exc:
                raise InvalidValue("register", str(target),
                                   f"is not a usable register database ({exc})") from None
            return cls(db, target, read_only=True)
        try:
            if create:
                target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidValue("register", str(target), f"cannot be created ({exc.strerror}); "
                                                        "give a path in a writable folder") \
                from None
        try:
            db = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000,
                                 isolation_level=None, check_same_thread=False)
            tables = {row[0] for row in
                      db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and "documents" not in tables:
                db.close()
                raise InvalidValue("register", str(target),
                                   "is an SQLite database of something else, not a register; "
                                   "give the register's path or a new file name")
            _initialise(db)
        except sqlite3.DatabaseError as exc:
            raise InvalidValue("register", str(target),
                               f"is not a usable register database ({exc})") from None
        return cls(SqliteConnection(db), target)

    @classmethod
    def _open_postgres(cls, url: str, *, create: bool, read_only: bool) -> Register:
        db = connect_postgres(url, integer_keys(_ALL_SCHEMA))
        try:
            if "documents" not in _tables(db):
                if not create or read_only:
                    raise InvalidValue("register", redact(url),
                                       "holds no register yet; create it with "
                                       "`mbp-billing register init URL` as the database owner")
                _initialise_postgres(db)
            if read_only:
                db.execute("SET default_transaction_read_only = on")
        except BaseException:
            db.close()
            raise
        return cls(db, redact(url), read_only=read_only)  # path: shown, never a password

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The register's schema version (1: made by the first release)."""
        return _schema_version(self._db)

    @contextmanager
    def transaction(self) -> Iterator[Register]:
        """One atomic write: everything inside commits together or not at all.

        The first write to a register made by an older version migrates it
        forward, inside the same transaction.
        """
        if self._in_transaction:
            yield self
            return
        if self.read_only:
            raise InvalidValue("register", _shown(self.path),
                               "is open read-only; this command does not write")
        self._db.begin_write()
        self._in_transaction = True
        try:
            _migrate(self._db)
            yield self
        except BaseException:
            self._db.rollback()
            raise
        else:
            self._db.commit()
        finally:
            self._in_transaction = False

    # -- reading ---------------------------------------------------------------

    def _one(self, where: str, params: tuple[Any, ...]) -> StoredDocument | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM documents WHERE {where}", params).fetchone()
        return None if row is None else _readable(row)

    def get(self, number: str) -> StoredDocument:
        """The issued document ``number``.

        Raises:
            InvalidValue: no such document.
        """
        found = self._one("number = ?", (number,))
        if found is None:
            raise InvalidValue("number", number, "is not in the register; check the number "
                                                 "(see the ledger command)")
        return found

    def documents(self) -> list[StoredDocument]:
        """Every issued document, in order of issue."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM documents ORDER BY seq").fetchall()
        return [_readable(r) for r in rows]

    def invoices_for(self, buyer_kbo: str, year: int,
                     kind: str | None = None) -> list[StoredDocument]:
        """Every invoice issued for one (buyer, year[, kind]), oldest first."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM documents WHERE type = 'invoice' AND buyer_kbo = ? "
            "AND year = ? AND (? IS NULL OR kind = ?) ORDER BY seq",
            (buyer_kbo, year, kind, kind)).fetchall()
        return [_readable(r) for r in rows]

    def credited_total(self, invoice_number: str) -> Decimal:
        """Sum of the credit notes that refer to ``invoice_number``."""
        rows = self._db.execute("SELECT amount FROM documents WHERE credits = ?",
                                (invoice_number,)).fetchall()
        try:
            return sum((Decimal(r[0]) for r in rows), Decimal("0.00"))
        except ArithmeticError as exc:
            raise _edited(invoice_number, exc) from None

    def credit_notes_for(self, invoice_number: str) -> list[StoredDocument]:
        """The credit notes that refer to ``invoice_number``."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM documents WHERE credits = ? ORDER BY seq",
                                (invoice_number,)).fetchall()
        return [_readable(r) for r in rows]

    def active_invoice(self, buyer_kbo: str, year: int,
                       kind: str | None = None) -> StoredDocument | None:
        """The invoice of a (buyer, year[, kind]) not fully credited, if any.  # R12

        After a full credit note a corrected invoice may be issued for the
        same key; at most one invoice per buyer and year is ever active (a
        year has one charge, R4/R5).  Without ``kind``, any kind matches.
        """
        for stored in self.invoices_for(buyer_kbo, year, kind):
            if self.credited_total(stored.number) < stored.amount:
                return stored
        return None

    def latest_issue_date(self, series: str) -> date | None:
        """The date of the highest-numbered document of ``series``."""
        row = self._db.execute("SELECT issue_date FROM documents WHERE series = ? "
                               "ORDER BY counter DESC LIMIT 1", (series,)).fetchone()
        return None if row is None else date.fromisoformat(row[0])

    def check_date(self, series: str, issue_date: date, option: str = "date") -> None:
        """Refuse a date before the latest document of ``series``.  # R12

        Numbers and dates ascend together, so a document may not be dated
        before the one numbered before it.

        Args:
            series: the number series, e.g. ``"F"``.
            issue_date: the date asked for.
            option: the name of the input to fix, for the message.

        Raises:
            RegisterConflict: naming the latest date and the fix.

        Examples:
            >>> import tempfile, pathlib
            >>> with Register.open(pathlib.Path(tempfile.mkdtemp()) / "r.sqlite3") as reg:
            ...     reg.check_date("F", date(2026, 1, 2))
        """
        latest = self.latest_issue_date(series)
        if latest is not None and issue_date < latest:
            raise RegisterConflict(
                option, issue_date.isoformat(),
                f"is before the latest issued document of series {series} "
                f"({latest.isoformat()}); numbers and dates ascend together, so give "
                f"{option} {latest.isoformat()} or later")

    def next_number(self, series: str) -> str:
        """The number the next document of ``series`` will get (gapless)."""
        row = self._db.execute("SELECT MAX(counter) FROM documents WHERE series = ?",
                               (series,)).fetchone()
        return format_number(series, (row[0] or 0) + 1)

    def file_bytes(self, number: str, fmt: str) -> bytes:
        """The exact bytes of a document's rendering (``"pdf"`` or ``"xml"``)."""
        row = self._db.execute("SELECT data FROM files WHERE number = ? AND format = ?",
                               (number, fmt)).fetchone()
        if row is None:
            raise InvalidValue("number", number, f"has no stored {fmt} file")
        return bytes(row[0])

    def last_chain(self) -> str:
        """The chain head: the chain value of the latest document or payment.

        ``GENESIS`` for an empty register.  Print it after each command and
        keep it outside the register: ``verify --expect-head`` then shows
        whether rows were removed since.
        """
        return _chain_head(self._db, self.schema_version)

    #: The same as :meth:`last_chain`, under the name the JSON outputs use.
    chain_head = last_chain

    # -- writing ---------------------------------------------------------------

    def _require_transaction(self) -> None:
        if not self._in_transaction:
            raise RuntimeError("register writes must happen inside Register.transaction()")

    def insert(self, document: Document, *, pdf: bytes, xml: bytes) -> StoredDocument:
        """Record an issued document with its renderings; the number must be next.

        Raises:
            RegisterConflict: the number is not the next of its series, or the
                date is before the latest document of the series.
        """
        self._require_transaction()
        series, counter = counter_of(document.number)
        expected = self.next_number(series)
        if document.number != expected:
            raise RegisterConflict("number", document.number,
                                   f"the next number of series {series} is {expected}")
        self.check_date(series, document.issue_date)
        record = document.to_record()
        content = canonical_json(record)
        content_hash = sha256(content.encode())
        pdf_sha, xml_sha = sha256(pdf), sha256(xml)
        prev = self.last_chain()
        chain = chain_hash(prev, content_hash, pdf_sha, xml_sha)
        index = _index_columns(record)
        cursor = self._db.execute(
            "INSERT INTO documents (number, series, counter, type, buyer_kbo, year, kind, "
            "amount, issue_date, due_date, credits, content, content_hash, pdf_sha256, "
            "xml_sha256, prev_chain, chain) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (index["number"], series, counter, index["type"], index["buyer_kbo"], index["year"],
             index["kind"], index["amount"], index["issue_date"], index["due_date"],
             index["credits"], content, content_hash, pdf_sha, xml_sha, prev, chain),
        )
        self._db.executemany("INSERT INTO files (number, format, sha256, data) VALUES (?, ?, ?, ?)",
                             [(document.number, "pdf", pdf_sha, pdf),
                              (document.number, "xml", xml_sha, xml)])
        self._append_event(index["type"], index["number"], index["buyer_kbo"], index["amount"])
        # The row as stored, built from what was just written (no read-back).
        return _stored((cursor.lastrowid, index["number"], index["type"], index["buyer_kbo"],
                        index["year"], index["kind"], index["amount"], index["issue_date"],
                        index["due_date"], index["credits"], content, content_hash, pdf_sha,
                        xml_sha, prev, chain))

    def _payment_checks(self, number: str, amount: Decimal, paid_on: date,
                        as_of: date | None) -> StoredDocument:
        stored = self.get(number)
        if stored.type != "invoice":
            raise InvalidValue("number", number, "is a credit note; payments are recorded "
                                                 "against invoices")
        if amount <= 0:
            raise InvalidValue("amount", money_str(amount), "must be more than zero")
        if paid_on < stored.issue_date:
            raise InvalidValue("date", paid_on.isoformat(),
                               f"is before invoice {number} of {stored.issue_date.isoformat()}; "
                               "check the payment date")
        if as_of is not None and paid_on > as_of:
            raise InvalidValue("date", paid_on.isoformat(),
                               f"is after {as_of.isoformat()}; money cannot be received "
                               "in the future: check the payment date")
        if self.credited_total(number) >= stored.amount:
            raise RegisterConflict("number", number,
                                   "is fully credited, so nothing is due on it; record the "
                                   "money as a refund to make, not as a payment")
        return stored

    def record_payment(self, number: str, amount: Decimal | str | int, paid_on: date, *,
                       reference: str | None = None, source: str = "manual",
                       entry: str | None = None, as_of: date | None = None) -> Payment:
        """Record a payment of an invoice, sealed in the hash chain.

        Args:
            number: the invoice paid.
            amount: exact to the cent: ``Decimal("1.005")`` is refused, not
                rounded, and so is a float.
            paid_on: the day the money arrived.
            reference: the structured communication it carried.
            source: where it came from (``manual``, a statement's name).
            entry: the bank entry's identity; an entry already recorded
                raises :class:`RegisterConflict` (checked inside the write).
            as_of: the latest possible payment date (today, or the
                statement's date); a later ``paid_on`` is refused.

        Raises:
            InvalidValue: unknown number, a credit note, an amount that is not
                positive or not exact to the cent, a date before the invoice
                or after ``as_of``.
            RegisterConflict: a fully credited invoice, or ``entry`` recorded
                before.
        """
        exact = parse_amount(amount, "amount", positive=False)
        with self.transaction():
            self._payment_checks(number, exact, paid_on, as_of)
            if entry is not None and self.entry_recorded(entry):
                raise RegisterConflict("entry", entry, "is already recorded; a bank entry "
                                                       "pays once")
            return self._insert_payment(number, exact, paid_on, reference, source, entry,
                                        None, None)

    def entry_recorded(self, entry: str) -> bool:
        """Whether a payment for the bank entry ``entry`` is recorded."""
        if self.schema_version < 2:
            return False
        return self._db.execute("SELECT 1 FROM payments WHERE entry = ?",
                                (entry,)).fetchone() is not None

    def _insert_payment(self, number: str, amount: Decimal, paid_on: date,
                        reference: str | None, source: str, entry: str | None,
                        reverses: int | None, reason: str | None) -> Payment:
        self._require_transaction()
        row = self._db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM payments").fetchone()
        pid = int(row[0])
        values = (pid, number, money_str(amount), paid_on.isoformat(), reference, source, entry,
                  reverses, reason)
        content_hash = _payment_content_hash(values)
        prev = self.last_chain()
        chain = payment_chain_hash(prev, content_hash)
        self._db.execute(
            f"INSERT INTO payments ({_PAYMENT_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*values, content_hash, prev, chain))
        buyer = self._db.execute("SELECT buyer_kbo FROM documents WHERE number = ?",
                                 (number,)).fetchone()
        self._append_event("payment", number, str(buyer[0]), money_str(amount))
        return _payment(values)

    def reverse_payment(self, payment_id: int, *, reason: str, on: date) -> Payment:
        """Undo a payment recorded by mistake with a recorded reversal.

        The payment stays in the register; the reversal is a new row with
        the opposite amount that names it and the reason, so the invoice is
        open again and the history shows what happened.

        Args:
            payment_id: the :attr:`Payment.id` to undo.
            reason: why, e.g. "booked on the wrong invoice".
            on: the reversal's date (not before the payment's).

        Raises:
            InvalidValue: no such payment, an empty reason, a reversal of a
                reversal, or a date before the payment.
            RegisterConflict: the payment was reversed before.

        Examples:
            >>> import pathlib, tempfile
            >>> from mbp_billing import example_agreement, issue_invoice
            >>> reg = Register.open(pathlib.Path(tempfile.mkdtemp()) / "r.sqlite3")
            >>> _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
            ...                   register=reg)
            >>> paid = reg.record_payment("F000001", Decimal("3500.00"), date(2023, 8, 1))
            >>> undo = reg.reverse_payment(paid.id, reason="wrong invoice", on=date(2023, 8, 2))
            >>> undo.amount, undo.reverses, [p.amount for p in reg.payments("F000001")]
            (Decimal('-3500.00'), 1, [Decimal('3500.00'), Decimal('-3500.00')])
            >>> reg.close()
        """
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidValue("reason", reason, "give the reason for the reversal")
        with self.transaction():
            rows = self._db.execute(f"SELECT {_PAYMENT_COLUMNS} FROM payments WHERE id = ?",
                                    (payment_id,)).fetchall()
            if not rows:
                raise InvalidValue("payment", payment_id, "is not a recorded payment; see "
                                                          "the ledger for payment ids")
            original = _payment(rows[0])
            if original.reverses is not None:
                raise InvalidValue("payment", payment_id,
                                   f"is itself the reversal of payment {original.reverses}; "
                                   "record the payment again instead")
            if self._db.execute("SELECT 1 FROM payments WHERE reverses = ?",
                                (payment_id,)).fetchone() is not None:
                raise RegisterConflict("payment", payment_id, "is already reversed")
            if on < original.paid_on:
                raise InvalidValue("date", on.isoformat(),
                                   f"is before the payment of {original.paid_on.isoformat()}")
            return self._insert_payment(original.number, -original.amount, on,
                                        original.reference, original.source, None, payment_id,
                                        reason.strip())

    def payments(self, number: str | None = None) -> list[Payment]:
        """Recorded payments and reversals, of one invoice or of all, in order."""
        columns = _PAYMENT_COLUMNS if self.schema_version >= 2 else _PAYMENT_COLUMNS_V1
        sql = f"SELECT {columns} FROM payments"
        params: tuple[Any, ...] = ()
        if number is not None:
            sql += " WHERE number = ?"
            params = (number,)
        rows = self._db.execute(sql + " ORDER BY id", params).fetchall()
        try:
            return [_payment(r) for r in rows]
        except (ValueError, ArithmeticError, TypeError) as exc:
            raise RegisterConflict("register payments", "payments",
                                   f"cannot be read ({str(exc)[:120]}): the register was "
                                   "changed outside mbp_billing; restore it from a "
                                   "backup") from None

    def paid_total(self, number: str) -> Decimal:
        """What is paid on invoice ``number``, net of reversals."""
        return sum((p.amount for p in self.payments(number)), Decimal("0.00"))

    # -- output folders ----------------------------------------------------------

    def remember_output(self, number: str, folder: Path) -> None:
        """Record that ``number``'s files were written to ``folder``."""
        self.remember_outputs((number,), folder)

    def remember_outputs(self, numbers: Sequence[str], folder: Path) -> None:
        """Record that the files of each of ``numbers`` were written to ``folder``.

        One transaction for them all, in order (a run records a batch at once).
        """
        if not numbers:
            return
        where = str(Path(folder).absolute())
        with self.transaction():
            self._db.executemany("INSERT INTO outputs (number, folder) VALUES (?, ?) "
                                 "ON CONFLICT DO NOTHING", [(n, where) for n in numbers])

    def outputs(self) -> dict[str, list[str]]:
        """Each output folder the register wrote to, with the documents written there."""
        if self.schema_version < 2:
            return {}
        found: dict[str, list[str]] = {}
        for number, folder in self._db.execute(
                "SELECT number, folder FROM outputs ORDER BY folder, number"):
            found.setdefault(str(folder), []).append(str(number))
        return found

    # -- events (the outbox) ---------------------------------------------------

    def _append_event(self, type_: str, number: str, buyer_kbo: str, amount: str) -> int:
        """Append an event in the current transaction; the sequence is the next, gapless."""
        self._require_transaction()
        cur = self._db.execute(
            "INSERT INTO events (sequence, type, number, buyer_kbo, amount, time) "
            "SELECT COALESCE(MAX(sequence), 0) + 1, ?, ?, ?, ?, "
            f"{_CLOCK[self._db.backend]} FROM events",
            (type_, number, buyer_kbo, amount))
        return int(cur.lastrowid or 0)

    def events(self, since: int = 0, *, limit: int | None = None) -> list[Event]:
        """The events with a sequence above ``since``, oldest first (at most ``limit``).

        A consumer keeps the last sequence it handled and asks again with
        it: every event is delivered at least once, in order.

        Examples:
            >>> import pathlib, tempfile
            >>> from mbp_billing import example_agreement, issue_invoice
            >>> with Register.open(pathlib.Path(tempfile.mkdtemp()) / "r.sqlite3") as reg:
            ...     _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
            ...                       register=reg)
            ...     _ = reg.record_payment("F000001", Decimal("3500.00"), date(2023, 8, 1))
            ...     [(e.sequence, e.type, e.number, str(e.amount)) for e in reg.events(since=0)]
            [(1, 'invoice', 'F000001', '3500.00'), (2, 'payment', 'F000001', '3500.00')]
        """
        if since < 0:
            raise InvalidValue("since", since, "must be 0 or a sequence number already seen")
        if not self._db.has_table("events"):
            # A register of an earlier version, opened before its forward
            # migration: its facts are in documents() and payments(), no event yet.
            return []
        sql = ("SELECT sequence, type, number, buyer_kbo, amount, time FROM events "
               "WHERE sequence > ? ORDER BY sequence")
        params: tuple[Any, ...] = (since,)
        if limit is not None:
            sql += " LIMIT ?"
            params = (since, limit)
        events = []
        for r in self._db.execute(sql, params).fetchall():
            try:
                events.append(Event(int(r[0]), r[1], r[2], r[3], Decimal(r[4]), r[5]))
            except (ValueError, ArithmeticError, TypeError) as exc:
                # A row edited behind the tool's back is reported, never a traceback.
                raise _edited(f"event {r[0]}", exc) from None
        return events

    # -- audit -----------------------------------------------------------------

    def file_hashes(self) -> list[tuple[str, str, str]]:
        """``(number, pdf_sha256, xml_sha256)`` of every document, in order of issue.

        Read raw, so that it works even on a register whose rows were altered.
        """
        rows = self._db.execute("SELECT number, pdf_sha256, xml_sha256 FROM documents "
                                "ORDER BY seq").fetchall()
        return [(str(n), str(p), str(x)) for n, p, x in rows]

    def verify(self, expect_head: str | None = None) -> list[Problem]:
        """Check the hash chain, gapless numbering, stored files, payments and events.

        Also checks that the columns the ledger reads (amount, buyer, dates,
        ...) still agree with the hashed content, so an altered column is
        named too.  Documents and payments form one chain from ``GENESIS``:
        a row changed, deleted or inserted behind the tool's back breaks it
        and is named.

        Args:
            expect_head: a chain head kept from an earlier command; a
                problem is reported unless the chain still contains it (rows
                removed from the end, or an empty register put in its place).
        """
        problems: list[Problem] = []
        links: list[tuple[str, str, str]] = []  # (label, prev_chain, chain), in table order
        counters: dict[str, list[int]] = {}
        facts: dict[str, tuple[str, ...]] = {}  # label -> what its event must say
        for row in self._db.execute(f"SELECT {_COLUMNS} FROM documents ORDER BY seq").fetchall():
            facts[str(row[1])] = (str(row[2]), str(row[1]), str(row[3]), str(row[6]))
            try:
                stored = _stored(row)
                series, counter = counter_of(stored.number)
            except (ValueError, ArithmeticError, TypeError) as exc:
                problems.append(Problem(str(row[1]), None, f"row cannot be read ({exc})"))
                links.append((str(row[1]), str(row[-2]), str(row[-1])))
                continue
            links.append((stored.number, stored.prev_chain, stored.chain))
            counters.setdefault(series, []).append(counter)
            if sha256(stored.content.encode()) != stored.content_hash:
                problems.append(Problem(stored.number, None, "content does not match its hash"))
            else:
                problems.extend(Problem(stored.number, None, f"column {name} was altered: it "
                                        "does not match the recorded content")
                                for name in _altered_columns(row))
            expected = chain_hash(stored.prev_chain, stored.content_hash,
                                  stored.pdf_sha256, stored.xml_sha256)
            if stored.chain != expected:
                problems.append(Problem(stored.number, None, "hash chain broken: link altered"))
            for fmt, recorded in (("pdf", stored.pdf_sha256), ("xml", stored.xml_sha256)):
                file_row = self._db.execute("SELECT sha256, data FROM files WHERE number = ? "
                                            "AND format = ?", (stored.number, fmt)).fetchone()
                if file_row is None:
                    problems.append(Problem(stored.number, f"{stored.number}.{fmt}",
                                            "stored file missing from the register"))
                elif file_row[0] != recorded or sha256(bytes(file_row[1])) != recorded:
                    problems.append(Problem(stored.number, f"{stored.number}.{fmt}",
                                            "stored file does not match its recorded hash"))
        for series, seen in counters.items():
            if seen != list(range(1, len(seen) + 1)):
                missing = sorted(set(range(1, max(seen) + 1)) - set(seen))
                problems.append(Problem(None, None, f"series {series} is not gapless "
                                                    f"(missing counters {missing[:10]})"))
        version = self.schema_version
        if version >= 2 or _has_column(self._db, "payments", "chain"):
            if version < 2:
                # Removing the version record must not hide the payments from verify.
                problems.append(Problem(None, None, f"schema version {version} recorded, but "
                                                    "the payments are sealed: the version "
                                                    "record was removed or altered"))
            problems.extend(self._verify_payments(links, facts))
        if self._db.has_table("events"):
            problems.extend(self._verify_events(links, facts))
        # A head kept from remind (reminders_chain_head) is looked for in the
        # reminders' own chain: removing the newest letters is caught the same way.
        in_reminders = expect_head is not None and self._in_reminder_chain(expect_head)
        problems.extend(_walk_chain(links, None if in_reminders else expect_head))
        problems.extend(self.verify_reminders())
        return problems

    def _in_reminder_chain(self, head: str) -> bool:
        if not self._has_reminders_table():
            return False
        return self._db.execute("SELECT 1 FROM reminders WHERE chain = ?",
                                (head,)).fetchone() is not None

    def _verify_payments(self, links: list[tuple[str, str, str]],
                         facts: dict[str, tuple[str, ...]]) -> list[Problem]:
        problems: list[Problem] = []
        for row in self._db.execute(f"SELECT {_PAYMENT_COLUMNS} FROM payments "
                                    "ORDER BY id").fetchall():
            label = f"payment {row[0]}"
            invoice = facts.get(str(row[1]))
            facts[label] = ("payment", str(row[1]), invoice[2] if invoice else "?", str(row[2]))
            content_hash, prev, chain = row[9:12]
            if content_hash is None or prev is None or chain is None:
                problems.append(Problem(label, None, "is not sealed in the hash chain "
                                                     "(inserted behind the tool's back)"))
                continue
            links.append((label, str(prev), str(chain)))
            if _payment_content_hash(row) != content_hash:
                problems.append(Problem(label, None, "content does not match its hash "
                                                     "(changed behind the tool's back)"))
            elif payment_chain_hash(str(prev), str(content_hash)) != chain:
                problems.append(Problem(label, None, "hash chain broken: link altered"))
            try:
                _payment(row)
            except (ValueError, ArithmeticError, TypeError) as exc:
                problems.append(Problem(label, None, f"row cannot be read ({exc})"))
        return problems

    def _verify_events(self, links: list[tuple[str, str, str]],
                       facts: dict[str, tuple[str, ...]]) -> list[Problem]:
        """Check the outbox against the facts: no event deleted, none without its fact.

        Each event must name its fact and agree with it (type, number,
        buyer, amount); each fact recorded since the events began must have
        its event.  Version 3 made the events table without recording where
        events begin, so the facts of a migrated register from before the
        upgrade (the documents and payments before the first announced one,
        in chain order) have none and are not reported.
        """
        problems: list[Problem] = []
        rows = self._db.execute("SELECT sequence, type, number, buyer_kbo, amount FROM events "
                                "ORDER BY sequence").fetchall()
        expected = 1
        for row in rows:
            if int(row[0]) > expected:
                problems.append(Problem(None, None, f"events {expected} to {int(row[0]) - 1} "
                                        "are missing (deleted behind the tool's back)"
                                        if int(row[0]) - 1 > expected else
                                        f"event {expected} is missing (deleted behind the "
                                        "tool's back)"))
            expected = int(row[0]) + 1
        said = {int(r[0]): tuple(str(x) for x in r[1:]) for r in rows}
        reminders: list[str] = []  # all recorded since the events began (same migration)
        if self._has_reminders_table():
            for rid, buyer, amount_open in self._db.execute(
                    "SELECT id, buyer_kbo, amount_open FROM reminders ORDER BY id").fetchall():
                reminders.append(f"R{int(rid):06d}")
                facts[reminders[-1]] = ("reminder", reminders[-1], str(buyer), str(amount_open))
        order = _chain_order(links)
        begin = _events_begin(order, facts, [e for _, e in sorted(said.items())
                                             if e[0] != "reminder"])
        announced: set[str] = set()
        payments: dict[str, list[str]] = {}  # invoice -> its payments since the events began
        for label in order[begin:]:
            if label.startswith("payment "):
                payments.setdefault(facts[label][1], []).append(label)
        for seq, event in sorted(said.items()):
            name = f"event {seq}"
            if event[0] == "payment":
                queue = payments.get(event[1], [])
                label = queue.pop(0) if queue else ""
            else:
                label = event[1]
            fact = facts.get(label)
            if fact is None or (event[0] == "payment") != label.startswith("payment "):
                problems.append(Problem(name, None, f"announces a {event[0]} of {event[1]} "
                                                    "that is not in the register"))
                continue
            announced.add(label)
            for field, told, actual in zip(("type", "number", "buyer_kbo", "amount"), event,
                                           fact, strict=True):
                if told != actual:
                    problems.append(Problem(name, None, f"disagrees with {label}: {field} "
                                                        f"{told!r}, recorded {actual!r}"))
        for label in [*order[begin:], *reminders]:
            if label not in announced:
                problems.append(Problem(label, None, "has no event in the outbox (its event "
                                                     "was deleted or never written)"))
        return problems

    def chain_contains(self, head: str) -> bool:
        """Whether ``head`` is the chain value of some row (or ``GENESIS``).

        The rows are documents and payments, and reminders in their own chain.
        """
        if head == GENESIS:
            return True
        found = self._db.execute("SELECT 1 FROM documents WHERE chain = ?", (head,)).fetchone()
        if found is None and self.schema_version >= 2:
            found = self._db.execute("SELECT 1 FROM payments WHERE chain = ?",
                                     (head,)).fetchone()
        return found is not None or self._in_reminder_chain(head)


def _events_begin(order: list[str], facts: dict[str, tuple[str, ...]],
                  announced: list[tuple[str, ...]]) -> int:
    """Where, in chain ``order``, the facts announced in the outbox begin.

    At the fact of the first event: its document, or for a payment the
    latest payment of that invoice and amount that leaves room for every
    announced fact after it (an earlier instalment of the same amount may be
    from before the upgrade).  No event at all: nothing is announced (a
    register migrated with no fact since; an outbox emptied entirely cannot
    be told from it, the schema not recording where events begin).
    """
    if not announced:
        return len(order)
    first = announced[0]
    if first[0] != "payment":
        return next((i for i, label in enumerate(order) if label == first[1]),
                    max(len(order) - len(announced), 0))
    room = len(order) - len(announced)
    candidates = [i for i, label in enumerate(order[:room + 1]) if label.startswith("payment ")
                  and facts[label][1] == first[1] and facts[label][3] == first[3]]
    return candidates[-1] if candidates else max(room, 0)


def _chain_order(links: list[tuple[str, str, str]]) -> list[str]:
    """The labels of ``links`` in the order of recording: followed from ``GENESIS``.

    Rows the walk does not reach (a broken chain, reported elsewhere) follow
    in table order.
    """
    following: dict[str, str] = {}
    chain_of: dict[str, str] = {}
    for label, prev, chain in links:
        following.setdefault(prev, label)
        chain_of[label] = chain
    order: list[str] = []
    seen: set[str] = set()
    current = GENESIS
    while current in following and following[current] not in seen:
        label = following[current]
        order.append(label)
        seen.add(label)
        current = chain_of[label]
    return order + [label for label, _, _ in links if label not in seen]


def _walk_chain(links: list[tuple[str, str, str]], expect_head: str | None) -> list[Problem]:
    """Follow the chain from ``GENESIS``: name the rows that do not fit in it.

    Each row's ``prev_chain`` must be the chain value of exactly one other
    row (or ``GENESIS`` for the first); a row whose predecessor is missing
    follows a deleted or altered row, and two rows after the same one mean
    one was inserted.
    """
    problems: list[Problem] = []
    chains = {chain for _, _, chain in links} | {GENESIS}
    followers: dict[str, list[str]] = {}
    for label, prev, _ in links:
        followers.setdefault(prev, []).append(label)
        if prev not in chains:
            problems.append(Problem(label, None,
                                    "hash chain broken: previous link does not match (the row "
                                    "before it was deleted or changed)"))
    for prev, labels in followers.items():
        if len(labels) > 1 and prev in chains:
            problems.append(Problem(labels[-1], None,
                                    f"hash chain forks: it follows the same row as {labels[0]} "
                                    "(a row was inserted behind the tool's back)"))
    if expect_head is not None and expect_head not in chains:
        problems.append(Problem(None, None,
                                f"the kept chain head {expect_head} is not in the register: "
                                "rows written up to it were removed, or the register was "
                                "replaced"))
    return problems


# -- setting up and moving registers (issue 10) --------------------------------------


@attrs.frozen
class CopyResult:
    """What :func:`copy_register` copied: rows per table and the chain head.

    Examples:
        >>> CopyResult("a.sqlite3", "b.sqlite3", {"documents": 0}, GENESIS).to_record()["rows"]
        {'documents': 0}
    """

    source: str
    target: str
    rows: dict[str, int]
    chain_head: str

    def to_record(self) -> dict[str, Any]:
        """JSON-ready: ``source``, ``target``, ``rows`` per table, ``chain_head``."""
        return {"source": self.source, "target": self.target, "rows": dict(self.rows),
                "chain_head": self.chain_head}


def _shown(location: str | Path) -> str:
    return redact(str(location)) if is_url(location) else str(location)


def init_register(location: str | Path) -> list[str]:
    """Create a register's schema and, on PostgreSQL, its two group roles.

    On PostgreSQL the roles :data:`~mbp_billing.register_backends.ISSUER_ROLE`
    (``SELECT`` and ``INSERT`` only) and
    :data:`~mbp_billing.register_backends.READER_ROLE` (``SELECT`` only) are
    created ``NOLOGIN`` where missing (existing ones are reused) and granted
    their privileges on the register's tables; run it as the database owner
    with the right to create roles.  On SQLite it only creates the file.

    Args:
        location: a ``postgresql://`` URL, or an SQLite file path.

    Returns:
        The roles created (empty when they existed, and on SQLite).

    Examples:
        >>> import pathlib, tempfile
        >>> init_register(pathlib.Path(tempfile.mkdtemp()) / "r.sqlite3")
        []
    """
    with Register.open(location) as reg:
        db = reg._db
        if not isinstance(db, PostgresConnection):
            return []
        with reg.transaction():  # an older register is migrated forward first
            created = create_roles(db)
            grant_roles(db, sorted(_tables(db)))
        return created


def copy_register(source: str | Path, target: str | Path) -> CopyResult:
    """Copy every row of a register to a new one, SQLite or PostgreSQL, either way.

    Documents, their stored bytes, payments and events are copied as they
    are, in one transaction; the chain is not recomputed, so the target has
    the source's chain head, and it is verified before the copy commits.  On
    an empty PostgreSQL database the schema is created first (existing
    roles are granted their privileges).

    Args:
        source: the register to copy: a file path or a ``postgresql://`` URL.
        target: a new file or an empty PostgreSQL database (or schema).

    Returns:
        The :class:`CopyResult`: rows copied per table and the chain head.

    Raises:
        RegisterConflict: the target already holds something, or the copy
            does not verify.
        InvalidValue: the source is not a register.

    Examples:
        >>> import pathlib, tempfile
        >>> from mbp_billing import example_agreement, issue_invoice
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> with Register.open(folder / "a.sqlite3") as reg:
        ...     _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                       register=reg)
        >>> result = copy_register(folder / "a.sqlite3", folder / "b.sqlite3")
        >>> result.rows["documents"], result.rows["files"]
        (1, 2)
        >>> with Register.open(folder / "b.sqlite3") as copy:
        ...     copy.last_chain() == result.chain_head, copy.verify()
        (True, [])
    """
    with Register.open(source, create=False) as src, Register.open(target) as tgt:
        if src.schema_version < SCHEMA_VERSION:
            with src.transaction():
                pass  # an older source is migrated forward first, as any write would
        names = [t for t in tables(_ALL_SCHEMA) if t not in _NOT_COPIED]
        held = {t: int(tgt._db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
                for t in names}
        if any(held.values()):
            raise RegisterConflict(
                "target", _shown(target),
                "already holds " + ", ".join(f"{n} {t}" for t, n in held.items() if n)
                + "; copy into a new file or an empty database")
        rows: dict[str, int] = {}
        with tgt.transaction():
            for table in names:
                columns = [c for c in src._db.columns(table) if c in tgt._db.columns(table)]
                listed = ", ".join(columns)
                rows[table] = 0
                while True:  # in batches: the stored files of years do not fit in memory
                    data = src._db.execute(f"SELECT {listed} FROM {table} ORDER BY "
                                           f"{', '.join(columns[:2])} LIMIT ? OFFSET ?",
                                           (_COPY_BATCH, rows[table])).fetchall()
                    if not data:
                        break
                    tgt._db.executemany(
                        f"INSERT INTO {table} ({listed}) VALUES "
                        f"({', '.join('?' for _ in columns)})",
                        [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                         for row in data])
                    rows[table] += len(data)
            tgt._db.reset_keys()
            problems = tgt.verify()
            head = tgt.last_chain()
            if problems or head != src.last_chain():
                raise RegisterConflict(
                    "target", _shown(target),
                    f"the copy does not verify ({'; '.join(map(str, problems[:3])) or 'chain head differs'}); "
                    "nothing was copied")
        return CopyResult(_shown(source), _shown(target), rows, head)


def open_read_only(location: str | Path | Register) -> Register:
    """Open a register for reading only: an analyst's view never writes.

    The one door through which analysis opens a register.  An open
    :class:`Register` is returned as it is; a ``postgresql://`` URL opens a
    shared register in read-only transactions; a path, ``file:`` URI or
    ``sqlite:///path`` URL is opened with SQLite's ``mode=ro``: the register
    is never changed (SQLite may create the empty ``-wal``/``-shm`` companion
    files it needs to read a WAL database).

    Args:
        location: a path, ``file:`` URI, ``sqlite:///`` or ``postgresql://``
            URL, or an open register.

    Returns:
        The register, opened read-only (or ``location`` itself when open).

    Raises:
        InvalidValue: the file or database does not exist or is not a
            register.

    Examples:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> Register.open(folder / "r.sqlite3").close()
        >>> with open_read_only(folder / "r.sqlite3") as reg:
        ...     reg.documents()
        []
    """
    if isinstance(location, Register):
        return location
    if is_url(location):
        return Register.open(location, read_only=True)
    text = str(location)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite://")
    elif text.startswith("file:"):
        text = text.removeprefix("file:").split("?", 1)[0]
    target = Path(text)
    if not target.is_file():
        raise InvalidValue("register", str(location), "does not exist; give the path of the "
                                                      "register file")
    return Register.open(target, read_only=True)
