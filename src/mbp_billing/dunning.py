"""Chasing unpaid invoices: who gets which reminder letter, recorded and written.

:func:`remind` runs the dunning of one day, ``as_of``:

1. From the ledger as it stood at the end of ``as_of``, take every invoice
   still (partly) open after its due date (R11).
2. An invoice's *level* is the highest level of the letters that listed it:
   0 (never reminded), 1 (*herinnering*) or 2 (*aanmaning*, the written
   notice of Art. 10 §3).  Invoices at level 2 get no further letter.
3. A municipality with invoices below level 2 gets one letter, unless it
   got a letter less than ``interval_days`` ago (default 14): so running
   ``remind`` twice on one day writes nothing the second time.  The letter's
   level is one more than the highest level of those invoices, and it lists
   the invoices at the level below it: a *herinnering* lists every overdue
   invoice never reminded; an *aanmaning* lists those that had their
   *herinnering*.  Every invoice thus gets both letters in turn: one that
   fell overdue since waits for the next letter, its own *herinnering*.
4. Each letter is rendered (PDF, deterministic bytes), recorded in the
   register's append-only ``reminders`` table with the PDF's bytes and hash,
   in the same transaction, and written only after the commit, atomically
   (a temporary file created exclusively, then renamed).
5. Invoices already under the written notice and still open are reported
   (:class:`AfterNotice`): once the ten days of Art. 10 §3 have passed, EV
   DV may dissolve the agreement, which is a decision for people, not for
   this tool.

Dates: ``as_of`` may not be before the latest recorded reminder (letters are
recorded in date order); the command line also refuses a day after today.
"""

from __future__ import annotations

import os
import secrets
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs

from .errors import FilesNotWritten, InvalidValue, RegisterConflict
from .issuing import check_out_dir, write_atomically
from .ledger import build_ledger
from .money import money_str
from .register import Register, StoredDocument, StoredReminder
from .reminders import DEFAULT_INTERVAL_DAYS, NOTICE_DAYS, Reminder, ReminderLine
from .render import render_reminder_pdf
from .render.formatting import Formatter

__all__ = [
    "AfterNotice",
    "RemindResult",
    "SentReminder",
    "plan_reminders",
    "remind",
    "write_reminder_file",
]

_ZERO: Final = Decimal("0.00")


@attrs.frozen
class SentReminder:
    """A reminder letter recorded (and written) by :func:`remind`.

    Attributes:
        reminder: the letter.
        id: its row in the register's ``reminders`` table.
        pdf_path: where its PDF was written, or ``None`` without ``out_dir``.
    """

    reminder: Reminder
    id: int
    pdf_path: Path | None = None

    def to_record(self) -> dict[str, Any]:
        """One element of ``remind --json``'s ``reminders``."""
        r = self.reminder
        return {"id": self.id, "buyer_kbo": r.buyer.kbo, "buyer_name": r.buyer.name,
                "level": r.level, "name": r.name, "reminded_on": r.reminded_on.isoformat(),
                "invoices": [line.number for line in r.lines],
                "amount_open": money_str(r.amount_open),
                "notice_deadline": (None if r.notice_deadline is None
                                    else r.notice_deadline.isoformat()),
                "pdf": None if self.pdf_path is None else str(self.pdf_path)}


@attrs.frozen
class AfterNotice:
    """Invoices still open after an *aanmaning*: no further letter, a decision for people.

    Attributes:
        buyer_kbo: the municipality.
        buyer_name: its name.
        notice_on: the date of the *aanmaning* (the written notice of Art. 10 §3).
        invoices: the invoices of that notice still open.
        amount_open: what they still owe.
        deadline: the last of the ten days the notice gave.
        expired: ``True`` once that day has passed: EV DV may now dissolve
            the agreement (Art. 10 §3).
    """

    buyer_kbo: str
    buyer_name: str
    notice_on: date
    invoices: tuple[str, ...]
    amount_open: Decimal
    deadline: date
    expired: bool

    def to_record(self) -> dict[str, Any]:
        """One element of ``remind --json``'s ``after_notice``."""
        return {"buyer_kbo": self.buyer_kbo, "buyer_name": self.buyer_name,
                "notice_on": self.notice_on.isoformat(), "invoices": list(self.invoices),
                "amount_open": money_str(self.amount_open),
                "deadline": self.deadline.isoformat(), "expired": self.expired}


@attrs.frozen
class RemindResult:
    """The outcome of :func:`remind`.

    Attributes:
        as_of: the day of the dunning.
        sent: the letters recorded now (none when the day was done before).
        after_notice: invoices still open after their *aanmaning*.
        restored: letters of ``as_of`` recorded before whose file was missing
            or cut short and has been written again from the register.
        chain_head: the reminders' chain value after this run: keep it
            outside the register to prove later that no letter went missing.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Register, example_agreement, issue_invoice
        >>> reg = Register.open(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3")
        >>> _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                   register=reg)
        >>> record = remind(reg, as_of=date(2023, 8, 20)).to_record()
        >>> reg.close()
        >>> [(r["buyer_kbo"], r["level"], r["invoices"], r["amount_open"], r["pdf"])
        ...  for r in record["reminders"]]
        [('0207123407', 1, ['F000001'], '3500.00', None)]
    """

    as_of: date
    sent: tuple[SentReminder, ...]
    after_notice: tuple[AfterNotice, ...] = ()
    restored: tuple[Path, ...] = ()
    chain_head: str = ""

    def to_record(self) -> dict[str, Any]:
        """The ``remind --json`` document.

        ``reminders``, ``after_notice``, ``restored`` and
        ``reminders_chain_head``.
        """
        return {"as_of": self.as_of.isoformat(),
                "reminders": [s.to_record() for s in self.sent],
                "after_notice": [a.to_record() for a in self.after_notice],
                "restored": [str(p) for p in self.restored],
                "reminders_chain_head": self.chain_head}


def _check_interval(interval_days: object) -> int:
    if isinstance(interval_days, bool) or not isinstance(interval_days, int) \
            or interval_days < 1:
        raise InvalidValue("--interval", interval_days, "must be a whole number of days, at "
                                                        f"least 1 (default {DEFAULT_INTERVAL_DAYS})")
    return interval_days


def plan_reminders(register: Register, *, as_of: date,
                   interval_days: int = DEFAULT_INTERVAL_DAYS,
                   ) -> tuple[list[Reminder], list[AfterNotice]]:
    """The letters due on ``as_of`` and the invoices after notice, recording nothing.

    Args:
        register: the register to read.
        as_of: the day of the dunning.
        interval_days: the least number of days between two letters to one
            municipality.

    Returns:
        The letters to send (one per municipality, ordered by enterprise
        number) and the invoices still open after their *aanmaning*.

    Raises:
        InvalidValue: an interval below one day.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Register, example_agreement, issue_invoice
        >>> reg = Register.open(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3")
        >>> _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                   register=reg)
        >>> plan_reminders(reg, as_of=date(2023, 8, 9))
        ([], [])
        >>> letters, _ = plan_reminders(reg, as_of=date(2023, 8, 10))
        >>> [(r.name, r.buyer.kbo, [line.number for line in r.lines]) for r in letters]
        [('herinnering', '0207123407', ['F000001'])]
        >>> reg.close()
    """
    interval = _check_interval(interval_days)
    ledger = build_ledger(register, as_of=as_of)
    history = [r for r in register.reminders() if r.reminded_on <= as_of]
    level: dict[str, int] = {}
    reminded_by: dict[str, StoredReminder] = {}
    last_letter: dict[str, date] = {}
    for letter in history:
        last_letter[letter.buyer_kbo] = max(letter.reminded_on,
                                            last_letter.get(letter.buyer_kbo, letter.reminded_on))
        for number in letter.invoices:
            if letter.level >= level.get(number, 0):
                level[number] = letter.level
                reminded_by[number] = letter
    documents: dict[str, StoredDocument] = {d.number: d for d in register.documents()}
    overdue: dict[str, list[tuple[StoredDocument, Decimal]]] = {}
    for row in ledger.overdue:
        overdue.setdefault(row.buyer_kbo, []).append((documents[row.number], row.open))
    letters: list[Reminder] = []
    notices: list[AfterNotice] = []
    for kbo in sorted(overdue):
        items = overdue[kbo]
        under_notice: dict[int, list[tuple[StoredDocument, Decimal]]] = {}
        to_remind = []
        for stored, open_ in items:
            if level.get(stored.number, 0) >= 2:
                under_notice.setdefault(reminded_by[stored.number].id, []).append(
                    (stored, open_))
            else:
                to_remind.append((stored, open_))
        for _, notice_items in sorted(under_notice.items(), key=lambda item: item[0]):
            notice = reminded_by[notice_items[0][0].number]
            deadline = notice.reminded_on + timedelta(days=NOTICE_DAYS)
            notices.append(AfterNotice(
                kbo, notice_items[-1][0].document.buyer.name, notice.reminded_on,
                tuple(s.number for s, _ in notice_items),
                sum((o for _, o in notice_items), _ZERO), deadline, as_of > deadline))
        since = last_letter.get(kbo)
        if not to_remind or (since is not None and (as_of - since).days < interval):
            continue
        letter_level = 1 + max(level.get(s.number, 0) for s, _ in to_remind)
        # Every invoice goes through both levels: an aanmaning gives notice only
        # for invoices reminded before; one never reminded waits for the next
        # letter, a herinnering of its own.
        listed = [(s, o) for s, o in to_remind if level.get(s.number, 0) == letter_level - 1]
        buyer = listed[-1][0].document.buyer  # the latest invoice's address
        previous = [reminded_by[s.number].reminded_on for s, _ in listed
                    if s.number in reminded_by]
        letters.append(Reminder(
            buyer=buyer, level=letter_level, reminded_on=as_of,
            lines=tuple(ReminderLine(number=s.number, issue_date=s.issue_date, amount=s.amount,
                                     open=o) for s, o in listed),
            previous_on=max(previous) if letter_level == 2 else None))
    return letters, notices


def _target(out_dir: Path, reminder: Reminder) -> Path:
    return out_dir / reminder.file_name


def _refuse_foreign(path: Path, pdf: bytes) -> None:
    # Only the start of our own bytes (a write cut short) may be replaced.
    if path.exists() and not (path.is_file() and pdf.startswith(path.read_bytes())):
        raise RegisterConflict("out", str(path), "exists with other content; move it away or "
                                                 "choose another --out directory")


def write_reminder_file(path: Path, data: bytes) -> Path:
    """Write a letter with :func:`~mbp_billing.issuing.write_atomically`, as documents are.

    Args:
        path: the file to write.
        data: its bytes.

    Returns:
        ``path``.

    Raises:
        InvalidValue: the folder cannot be written (the letter stays
            recorded in the register; ``remind`` the same day writes it).

    Examples:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "reminder-0207123407-2023-09-01.pdf"
        >>> write_reminder_file(target, b"%PDF-1.4") == target
        True
    """
    try:
        return write_atomically(path, data)
    except OSError as exc:
        raise InvalidValue("--out", str(path.parent),
                           f"cannot be written ({exc.strerror}); the reminder is recorded in "
                           "the register: run remind again with a writable --out to write "
                           "its file") from None


    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        break
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def remind(register: Register, *, as_of: date, out_dir: Path | None = None,
           locale: str = "nl_BE", interval_days: int = DEFAULT_INTERVAL_DAYS) -> RemindResult:
    """Send the reminder letters due on ``as_of``: record them, then write their PDFs.

    See the module's text for who gets which letter.  Everything is decided
    and recorded in one register transaction (a concurrent ``remind`` waits
    and then finds the day done); a refused request records and writes
    nothing.

    Args:
        register: the register holding the invoices, payments and letters.
        as_of: the day of the dunning and the letters' date.
        out_dir: where to write ``reminder-<enterprise number>-<date>.pdf``;
            ``None`` keeps the PDFs only in the register.
        locale: the language of the letters (``nl_BE`` by default, ``fr_BE``,
            ``en_GB``).
        interval_days: the least number of days between two letters to one
            municipality.

    Returns:
        The :class:`RemindResult`: the letters sent, the invoices after
        notice, and files of earlier letters of the day written again.

    Raises:
        InvalidValue: a bad locale, interval or output folder.
        RegisterConflict: ``as_of`` before the latest recorded reminder, or
            a file of the same name with other content.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Register, example_agreement, issue_invoice
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> reg = Register.open(folder / "register.sqlite3")
        >>> _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                   register=reg)
        >>> first = remind(reg, as_of=date(2023, 8, 20), out_dir=folder / "reminders")
        >>> [(s.reminder.name, s.pdf_path.name) for s in first.sent]
        [('herinnering', 'reminder-0207123407-2023-08-20.pdf')]
        >>> remind(reg, as_of=date(2023, 8, 20)).sent
        ()
        >>> [s.reminder.name for s in remind(reg, as_of=date(2023, 9, 3)).sent]
        ['aanmaning']
        >>> [(a.invoices, a.deadline, a.expired) for a in
        ...  remind(reg, as_of=date(2023, 9, 20)).after_notice]
        [(('F000001',), datetime.date(2023, 9, 13), True)]
        >>> reg.close()
    """
    interval = _check_interval(interval_days)
    Formatter.for_locale(locale)  # a bad locale is refused also on a day with no letter
    if out_dir is not None:
        check_out_dir(out_dir)
    sent: list[tuple[Reminder, StoredReminder, bytes]] = []
    with register.transaction():
        latest = register.latest_reminder_date()
        if latest is not None and as_of < latest:
            raise RegisterConflict("--as-of", as_of.isoformat(),
                                   f"is before the latest recorded reminder "
                                   f"({latest.isoformat()}); reminders are recorded in date "
                                   f"order, so give {latest.isoformat()} or later")
        letters, notices = plan_reminders(register, as_of=as_of, interval_days=interval)
        rendered = [(r, render_reminder_pdf(r, locale=locale)) for r in letters]
        if out_dir is not None:
            for reminder, pdf in rendered:
                _refuse_foreign(_target(out_dir, reminder), pdf)
        for reminder, pdf in rendered:
            record = {**reminder.to_record(), "locale": locale}
            sent.append((reminder, register.insert_reminder(record, pdf=pdf), pdf))
        head = register.last_reminder_chain()
    restored: list[Path] = []
    paths: list[Path | None] = []
    if out_dir is not None:
        try:
            paths = [write_atomically(_target(out_dir, r), pdf) for r, _, pdf in sent]
        except OSError as exc:
            # Recorded, not written: like an issued invoice whose files are missing
            # (exit 3), repaired by running remind again on the same day.
            raise FilesNotWritten(tuple(f"R{stored.id:06d}" for _, stored, _ in sent),
                                  str(out_dir), exc.strerror or str(exc),
                                  files="letters (PDF)") from None
        new_ids = {stored.id for _, stored, _ in sent}
        for stored in register.reminders():
            if stored.reminded_on != as_of or stored.id in new_ids:
                continue
            path = out_dir / Reminder.from_record(stored.record).file_name
            if path.is_file() and path.read_bytes() == register.reminder_pdf(stored.id):
                continue
            pdf = register.reminder_pdf(stored.id)
            _refuse_foreign(path, pdf)
            restored.append(write_reminder_file(path, pdf))
    else:
        paths = [None] * len(sent)
    return RemindResult(
        as_of, tuple(SentReminder(r, stored.id, path)
                     for (r, stored, _), path in zip(sent, paths, strict=True)),
        tuple(notices), tuple(restored), head)

