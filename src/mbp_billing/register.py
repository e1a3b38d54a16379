"""The register: the only state of mbp_billing, an embedded SQLite database.

It numbers documents from gapless ascending sequences (one per series, never
restarting), keeps each issued document with the exact bytes of its PDF and
UBL renderings, chains every document's hash to the previous one so that any
later change is evident, and records payments.  Issued documents are never
updated or deleted: triggers in the database refuse it.

Concurrency: WAL journal, ``BEGIN IMMEDIATE`` for every write (a second
writer waits, up to the busy timeout), so two processes numbering at the
same time never duplicate or skip a number.

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
from collections.abc import Iterator
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
from .errors import InvalidValue, RegisterConflict
from .money import money_str

__all__ = [
    "DEFAULT_REGISTER",
    "GENESIS",
    "REGISTER_ENV",
    "Payment",
    "Problem",
    "Register",
    "StoredDocument",
    "StoredReminder",
    "chain_hash",
    "default_register_path",
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
    """An issued document as the register holds it."""

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
        """The document value rebuilt from the stored content."""
        return document_from_record(json.loads(self.content))

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
    """A payment recorded against an invoice."""

    id: int
    number: str
    amount: Decimal
    paid_on: date
    reference: str | None
    source: str


@attrs.frozen
class Problem:
    """Something ``verify`` found wrong: which document, which file, what."""

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

    _db: sqlite3.Connection
    _in_transaction: bool

    def _has_reminders_table(self) -> bool:
        # A register opened read-only before its forward migration may lack it.
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                "AND name = 'reminders'").fetchone() is not None

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
        cursor = self._db.execute(
            "INSERT INTO reminders (buyer_kbo, level, reminded_on, invoices, amount_open, "
            "content, pdf, pdf_sha256, prev_chain, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*index, content, pdf, pdf_sha, prev, chain))
        return _stored_reminder((cursor.lastrowid, *index, content, pdf_sha, prev, chain))

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
            db.executescript(f"BEGIN IMMEDIATE;\n{_SCHEMA}\n{_REMINDERS_SCHEMA}\nCOMMIT;")
            return
        except sqlite3.OperationalError as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class Register(_ReminderStore):
    """An open register database.  Use as a context manager.

    Writes happen only inside :meth:`transaction`, which takes the database's
    write lock first (``BEGIN IMMEDIATE``) so that reading the next number
    and inserting the document are one atomic step.  Open one with
    :meth:`Register.open`.

    Args:
        connection: an open SQLite connection to the register file.
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

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._in_transaction = False

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> Register:
        """Open (and create, when ``create``) the register at ``path``.

        Raises:
            InvalidValue: the file is missing (``create=False``) or is not a
                register.
        """
        target = Path(path)
        if not create and not target.exists():
            raise InvalidValue("register", str(target),
                               "does not exist; pass --register with the right path")
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
        return cls(db, target)

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Register]:
        """One atomic write: everything inside commits together or not at all."""
        if self._in_transaction:
            yield self
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._in_transaction = True
        try:
            yield self
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")
        finally:
            self._in_transaction = False

    # -- reading ---------------------------------------------------------------

    def _one(self, where: str, params: tuple[Any, ...]) -> StoredDocument | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM documents WHERE {where}", params).fetchone()
        return None if row is None else _stored(row)

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
        return [_stored(r) for r in rows]

    def invoices_for(self, buyer_kbo: str, year: int,
                     kind: str | None = None) -> list[StoredDocument]:
        """Every invoice issued for one (buyer, year[, kind]), oldest first."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM documents WHERE type = 'invoice' AND buyer_kbo = ? "
            "AND year = ? AND (? IS NULL OR kind = ?) ORDER BY seq",
            (buyer_kbo, year, kind, kind)).fetchall()
        return [_stored(r) for r in rows]

    def credited_total(self, invoice_number: str) -> Decimal:
        """Sum of the credit notes that refer to ``invoice_number``."""
        rows = self._db.execute("SELECT amount FROM documents WHERE credits = ?",
                                (invoice_number,)).fetchall()
        return sum((Decimal(r[0]) for r in rows), Decimal("0.00"))

    def credit_notes_for(self, invoice_number: str) -> list[StoredDocument]:
        """The credit notes that refer to ``invoice_number``."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM documents WHERE credits = ? ORDER BY seq",
                                (invoice_number,)).fetchall()
        return [_stored(r) for r in rows]

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
        """The chain value of the latest document (``GENESIS`` when empty)."""
        row = self._db.execute("SELECT chain FROM documents ORDER BY seq DESC LIMIT 1").fetchone()
        return GENESIS if row is None else str(row[0])

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
        # The row as stored, built from what was just written (no read-back).
        return _stored((cursor.lastrowid, index["number"], index["type"], index["buyer_kbo"],
                        index["year"], index["kind"], index["amount"], index["issue_date"],
                        index["due_date"], index["credits"], content, content_hash, pdf_sha,
                        xml_sha, prev, chain))

    def record_payment(self, number: str, amount: Decimal, paid_on: date, *,
                       reference: str | None = None, source: str = "manual") -> Payment:
        """Record a payment of an invoice.

        Raises:
            InvalidValue: unknown number, a credit note, an amount that is not
                positive, or a payment dated before the invoice.
        """
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
        with self.transaction():
            cur = self._db.execute(
                "INSERT INTO payments (number, amount, paid_on, reference, source) "
                "VALUES (?, ?, ?, ?, ?)",
                (number, money_str(amount), paid_on.isoformat(), reference, source))
            pid = int(cur.lastrowid or 0)
        return Payment(pid, number, amount, paid_on, reference, source)

    def payments(self, number: str | None = None) -> list[Payment]:
        """Recorded payments, of one invoice or of all."""
        sql = "SELECT id, number, amount, paid_on, reference, source FROM payments"
        params: tuple[Any, ...] = ()
        if number is not None:
            sql += " WHERE number = ?"
            params = (number,)
        rows = self._db.execute(sql + " ORDER BY id", params).fetchall()
        return [Payment(r[0], r[1], Decimal(r[2]), date.fromisoformat(r[3]), r[4], r[5])
                for r in rows]

    # -- audit -----------------------------------------------------------------

    def file_hashes(self) -> list[tuple[str, str, str]]:
        """``(number, pdf_sha256, xml_sha256)`` of every document, in order of issue.

        Read raw, so that it works even on a register whose rows were altered.
        """
        rows = self._db.execute("SELECT number, pdf_sha256, xml_sha256 FROM documents "
                                "ORDER BY seq").fetchall()
        return [(str(n), str(p), str(x)) for n, p, x in rows]

    def verify(self) -> list[Problem]:
        """Check the hash chain, gapless numbering, and stored file hashes.

        Also checks that the columns the ledger reads (amount, buyer, dates,
        ...) still agree with the hashed content, so an altered column is
        named too.
        """
        problems: list[Problem] = []
        prev = GENESIS
        counters: dict[str, list[int]] = {}
        for row in self._db.execute(f"SELECT {_COLUMNS} FROM documents ORDER BY seq").fetchall():
            try:
                stored = _stored(row)
                series, counter = counter_of(stored.number)
            except (ValueError, ArithmeticError, TypeError) as exc:
                problems.append(Problem(str(row[1]), None, f"row cannot be read ({exc})"))
                prev = str(row[-1])
                continue
            counters.setdefault(series, []).append(counter)
            if sha256(stored.content.encode()) != stored.content_hash:
                problems.append(Problem(stored.number, None, "content does not match its hash"))
            else:
                problems.extend(Problem(stored.number, None, f"column {name} was altered: it "
                                        "does not match the recorded content")
                                for name in _altered_columns(row))
            if stored.prev_chain != prev:
                problems.append(Problem(stored.number, None,
                                        "hash chain broken: previous link does not match"))
            expected = chain_hash(stored.prev_chain, stored.content_hash,
                                  stored.pdf_sha256, stored.xml_sha256)
            if stored.chain != expected:
                problems.append(Problem(stored.number, None, "hash chain broken: link altered"))
            prev = stored.chain
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
        problems.extend(self.verify_reminders())
        return problems
