"""Billing runs: every charge due for a whole portfolio, issued exactly once.

A run recomputes every charge up to a year for every agreement, compares
with the register and issues exactly the missing ones (catch-up included),
in the manner of a recompute-and-diff billing engine.  ``dry_run`` takes the
same path and stops before the register is touched.

Safety:

* the portfolio is validated whole before the first invoice (see
  :mod:`mbp_billing.portfolio`);
* invoices are issued in batches, each one register transaction: numbers
  are taken, documents rendered and recorded together, so a killed run
  leaves whole batches or nothing; the next run issues the rest;
* each transaction re-reads the register after taking the write lock, so two
  runs started together never issue the same invoice twice nor skip a number;
* files are written after the commit, to a temporary name then renamed, and
  a run rewrites any file a killed run did not get to write.  A background
  thread writes one batch's files while the next batch is numbered and
  rendered; they are awaited before that batch is recorded, so a batch whose
  files cannot be written is the last one issued.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs

from .documents import CreditNote, Invoice, counter_of, format_number
from .errors import BillingError, FilesNotWritten, InvalidValue, RegisterConflict
from .issuing import (
    CREDIT_SERIES,
    INVOICE_SERIES,
    check_out_dir,
    refuse_foreign_files,
    render_files,
    sweep_temporary_files,
    write_files,
)
from .money import money_str
from .portfolio import Portfolio, PortfolioEntry
from .register import Register
from .schedule import Charge, EndPolicy, build_schedule

__all__ = [
    "BATCH_SIZE",
    "RunLine",
    "RunResult",
    "default_workers",
    "run_portfolio",
]

#: Invoices per register transaction: big enough to amortise the commit,
#: small enough that a killed run loses little work.
BATCH_SIZE: Final = 25

Progress = Callable[[int, int], None]


@attrs.frozen
class RunLine:
    """One document a run issued (or, in a dry run, would issue).

    The lines of :attr:`RunResult.issued` and :attr:`RunResult.credited`.

    Examples:
        >>> line = RunLine(None, "invoice", "0207123407", "Gemeente Voorbeeld", 2026, "annual",
        ...                12, Decimal("7000.00"), 3, "p.csv:2")
        >>> line.to_record()["amount"], line.number
        ('7000.00', None)
    """

    number: str | None
    type: str
    buyer_kbo: str
    buyer_name: str
    year: int
    kind: str
    months: int
    amount: Decimal
    tier: int | None
    source: str
    credits: str | None = None
    pdf: str | None = None
    xml: str | None = None

    def to_record(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "number": self.number, "type": self.type, "buyer_kbo": self.buyer_kbo,
            "buyer_name": self.buyer_name, "year": self.year, "kind": self.kind,
            "months": self.months, "amount": money_str(self.amount), "tier": self.tier,
            "source": self.source, "credits": self.credits, "pdf": self.pdf, "xml": self.xml,
        }


@attrs.frozen
class RunResult:
    """What a run did: issued documents and what it left alone.

    Attributes:
        through: the last calendar year billed.
        issue_date: the date of every document issued.
        dry_run: nothing was issued; ``issued`` lists what would be.
        issued: one line per invoice issued, in number order.
        credited: one line per credit note issued (R8 pro-rata).
        already_issued: charges whose invoice the register already held.
        not_yet_due: charges that cannot be invoiced yet on ``issue_date``.
        files_repaired: documents whose missing files were rewritten.
        conflicts: charges the register contradicts, one line each.
        skipped: what a folder portfolio held besides agreement files
            (:attr:`Portfolio.skipped`).

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Portfolio, Register
        >>> p = Portfolio.from_csv_text(
        ...     "signed_on,population,app_store_live_on,play_store_live_on,buyer_name,buyer_kbo,"
        ...     "buyer_street,buyer_postcode,buyer_city\\n"
        ...     "2023-02-10,32000,2023-06-20,2023-07-03,Gemeente A,0207.123.407,Markt 1,9999,A\\n"
        ...     "2023-03-01,12000,2024-02-05,2024-02-05,Gemeente B,0211.002.021,Markt 2,9998,B\\n",
        ...     name="p.csv")
        >>> with Register.open(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3") as reg:
        ...     plan = run_portfolio(p, 2024, issue_date=date(2024, 3, 1), register=reg,
        ...                          dry_run=True)
        >>> plan.dry_run, [(line.number, line.buyer_name, line.year) for line in plan.issued]
        (True, [(None, 'Gemeente A', 2023), (None, 'Gemeente B', 2024), (None, 'Gemeente A', 2024)])
        >>> plan.total_amount, plan.to_record()["totals"][0]
        (Decimal('13708.33'), {'year': 2023, 'tier': 3, 'count': 1, 'amount': '3500.00'})
    """

    through: int
    issue_date: date
    dry_run: bool
    issued: tuple[RunLine, ...]
    credited: tuple[RunLine, ...]
    already_issued: int
    not_yet_due: int
    files_repaired: int = 0
    conflicts: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()

    @property
    def total_amount(self) -> Decimal:
        """Sum of the invoices issued by this run."""
        return sum((line.amount for line in self.issued), Decimal("0.00"))

    def totals_by_year_and_tier(self) -> list[dict[str, Any]]:
        """Count and amount of issued invoices per (year, tier), sorted."""
        groups: dict[tuple[int, int], tuple[int, Decimal]] = {}
        for line in self.issued:
            key = (line.year, line.tier or 0)
            count, amount = groups.get(key, (0, Decimal("0.00")))
            groups[key] = (count + 1, amount + line.amount)
        return [{"year": y, "tier": t or None, "count": c, "amount": money_str(a)}
                for (y, t), (c, a) in sorted(groups.items())]

    def to_record(self) -> dict[str, Any]:
        """The ``run --json`` document."""
        return {
            "through": self.through,
            "issue_date": self.issue_date.isoformat(),
            "dry_run": self.dry_run,
            "issued": [line.to_record() for line in self.issued],
            "credited": [line.to_record() for line in self.credited],
            "already_issued": self.already_issued,
            "not_yet_due": self.not_yet_due,
            "files_repaired": self.files_repaired,
            "conflicts": list(self.conflicts),
            "skipped": list(self.skipped),
            "total_amount": money_str(self.total_amount),
            "totals": self.totals_by_year_and_tier(),
        }


@attrs.frozen
class _Due:
    entry: PortfolioEntry
    charge: Charge


@attrs.frozen
class _CreditDue:
    entry: PortfolioEntry
    charge: Charge
    invoice_number: str
    amount: Decimal


def _line(entry: PortfolioEntry, charge: Charge, number: str | None, type_: str,
          amount: Decimal, credits: str | None = None,
          paths: tuple[Path | None, Path | None] = (None, None)) -> RunLine:
    buyer = entry.agreement.buyer
    assert buyer is not None
    return RunLine(
        number=number, type=type_, buyer_kbo=buyer.kbo, buyer_name=buyer.name, year=charge.year,
        kind=charge.kind, months=charge.months, amount=amount,
        tier=None if charge.tier is None else charge.tier.number, source=entry.source,
        credits=credits, pdf=None if paths[0] is None else str(paths[0]),
        xml=None if paths[1] is None else str(paths[1]),
    )


def _plan(portfolio: Portfolio, through: int, issue_date: date, register: Register,
          policy: EndPolicy,
          conflicts: list[str]) -> tuple[list[_Due], list[_CreditDue], list[str], int]:
    due: list[_Due] = []
    credits: list[_CreditDue] = []
    existing_numbers: list[str] = []
    not_yet_due = 0
    for entry in portfolio:
        for charge in build_schedule(entry.agreement, through, policy=policy):
            if charge.earliest_invoice_date > issue_date:
                not_yet_due += 1
                continue
            existing = register.active_invoice(entry.buyer_kbo, charge.year)
            if existing is None:
                due.append(_Due(entry, charge))
                continue
            existing_numbers.append(existing.number)
            if existing.kind != charge.kind:
                # Recompute-and-diff: the year was billed under another reading
                # of the agreement (e.g. a corrected go-live).  Never bill a
                # year twice; report it so a person credits and re-invoices.
                conflicts.append(
                    f"{entry.source}: {charge.year} is invoiced as {existing.kind!r} "
                    f"({existing.number}) but the agreement now gives {charge.kind!r}; "
                    f"credit {existing.number} and run again")
                continue
            # R8 pro-rata: an invoice issued in full for the final year is
            # credited down to the months in force.
            net = existing.amount - register.credited_total(existing.number)
            if policy is EndPolicy.PRO_RATA and charge.final and net > charge.amount:
                credits.append(_CreditDue(entry, charge, existing.number, net - charge.amount))
    # Oldest years first, first-year invoices before renewals of the same
    # year, then portfolio order: the numbering follows the calendar.
    order = {id(e): i for i, e in enumerate(portfolio)}
    due.sort(key=lambda d: (d.charge.year, d.charge.kind != "first", order[id(d.entry)]))
    return due, credits, existing_numbers, not_yet_due


def _exit_with_parent(parent: int) -> None:
    """Make a rendering process end when the run that started it is killed.

    Pool workers hold each other's pipe ends open, so after a ``kill -9`` of
    the run none of them sees end-of-file and they would wait for ever,
    keeping the run's stdout open.  A watchdog thread ends the worker once
    its parent is gone.
    """
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_WATCHDOG_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="mbp-parent-watchdog", daemon=True).start()


#: How often a rendering process checks that its run is still alive.
_WATCHDOG_SECONDS: Final = 0.2


Rendered = list[tuple[bytes, bytes]]


def _render_chunk(documents: Sequence[Invoice | CreditNote], locale: str) -> Rendered:
    return [render_files(d, locale) for d in documents]


def _start_rendering(documents: Sequence[Invoice | CreditNote], locale: str,
                     pool: ProcessPoolExecutor) -> tuple[Future[Rendered], ...]:
    size = max(1, len(documents) // 8)
    return tuple(pool.submit(_render_chunk, documents[i:i + size], locale)
                 for i in range(0, len(documents), size))


def _collect(futures: Sequence[Future[Rendered]]) -> Rendered:
    return [files for future in futures for files in future.result()]


def _render_many(documents: Sequence[Invoice | CreditNote], locale: str,
                 pool: ProcessPoolExecutor | None) -> Rendered:
    if pool is None or len(documents) < 2:
        return _render_chunk(documents, locale)
    return _collect(_start_rendering(documents, locale, pool))


@attrs.frozen
class _Ahead:
    """The next batch, numbered from ``first`` as if none of it were issued yet, and
    its renderings under way in the pool while the current batch is recorded.

    Rendering is a pure function of the document: when the transaction of
    that batch finds the same first number and no invoice of it issued by
    someone else, these are the very documents it would build, and their
    bytes are used; otherwise they are dropped and the batch is built and
    rendered again under the lock.
    """

    first: int
    invoices: tuple[Invoice, ...]
    futures: tuple[Future[Rendered], ...]

    def drop(self) -> None:
        for future in self.futures:
            future.cancel()


def run_portfolio(
    portfolio: Portfolio,
    through: int,
    *,
    issue_date: date,
    register: Register,
    out_dir: Path | None = None,
    dry_run: bool = False,
    policy: EndPolicy = EndPolicy.NO_REFUND,
    workers: int = 1,
    locale: str = "nl_BE",
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    sync_files: bool = False,
) -> RunResult:
    """Issue every missing invoice of ``portfolio`` up to ``through``.

    Args:
        portfolio: the validated agreements.
        through: the last calendar year to bill.
        issue_date: the date of every document issued by this run.
        register: the register to number and record in.
        out_dir: where PDF and UBL files go (``None``: keep them only in the
            register).
        dry_run: compute and report, issue nothing.
        policy: the R8 treatment of a final year.
        workers: processes that render PDFs (numbering stays serial).
        locale: language of the PDFs.
        progress: called with ``(done, total)`` after each batch.
        batch_size: invoices per register transaction.
        sync_files: flush every PDF and XML to disk before its rename.  Off
            by default: the register (synced at every commit) keeps the exact
            bytes and is the durable copy; a file lost to a power cut is
            named by ``verify`` and rewritten by the next run.

    Returns:
        The :class:`RunResult`: what was issued, credited and left alone.

    Raises:
        RegisterConflict: ``issue_date`` is before the latest issued document.
        InvalidValue: ``workers`` is not a whole number >= 1, or ``out_dir``
            cannot be a folder.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Portfolio, Register
        >>> p = Portfolio.from_csv_text(
        ...     "signed_on,population,app_store_live_on,play_store_live_on,buyer_name,buyer_kbo,"
        ...     "buyer_street,buyer_postcode,buyer_city\\n"
        ...     "2023-02-10,32000,2023-06-20,2023-07-03,Gemeente A,0207.123.407,Markt 1,9999,A\\n"
        ...     "2023-03-01,12000,2024-02-05,2024-02-05,Gemeente B,0211.002.021,Markt 2,9998,B\\n",
        ...     name="p.csv")
        >>> with Register.open(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3") as reg:
        ...     first = run_portfolio(p, 2024, issue_date=date(2024, 3, 1), register=reg)
        ...     again = run_portfolio(p, 2024, issue_date=date(2024, 3, 1), register=reg)
        >>> [(line.number, line.buyer_name, line.year, line.amount) for line in first.issued]
        [('F000001', 'Gemeente A', 2023, Decimal('3500.00')), ('F000002', 'Gemeente B', 2024, Decimal('3208.33')), ('F000003', 'Gemeente A', 2024, Decimal('7000.00'))]
        >>> len(again.issued), again.already_issued
        (0, 3)
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidValue("--workers", workers, "must be a whole number >= 1")
    for series in (INVOICE_SERIES, CREDIT_SERIES):
        register.check_date(series, issue_date, "--date")
    if out_dir is not None and not dry_run:
        check_out_dir(out_dir)
    conflicts: list[str] = []
    due, credits_due, existing_numbers, not_yet_due = _plan(
        portfolio, through, issue_date, register, policy, conflicts)
    if dry_run:
        return RunResult(
            through, issue_date, True,
            tuple(_line(d.entry, d.charge, None, "invoice", d.charge.amount) for d in due),
            tuple(_line(c.entry, c.charge, None, "credit_note", c.amount, c.invoice_number)
                  for c in credits_due),
            len(existing_numbers), not_yet_due, conflicts=tuple(conflicts),
            skipped=portfolio.skipped)
    if out_dir is not None:
        _refuse_files_in_the_way(register, out_dir, len(due), len(credits_due))
    repaired = 0
    if out_dir is not None:
        sweep_temporary_files(out_dir)
        # A run killed between a commit and its file writes left documents
        # without files: the invoices found and the credit notes on them.
        rewritten: list[str] = []
        try:
            for number in _with_credit_notes(register, existing_numbers):
                pdf_path = out_dir / f"{number}.pdf"
                xml_path = out_dir / f"{number}.xml"
                if not (pdf_path.exists() and xml_path.exists()):
                    repaired += 1
                write_files(register, number, out_dir, sync=sync_files, remember=False)
                rewritten.append(number)
        finally:
            register.remember_outputs(rewritten, out_dir)
    issued: list[RunLine] = []
    credited: list[RunLine] = []
    raced = 0
    total = len(due) + len(credits_due)
    pool = (ProcessPoolExecutor(max_workers=workers, initializer=_exit_with_parent,
                                initargs=(os.getpid(),)) if workers > 1 else None)
    writer = _BatchWriter(register, out_dir, sync_files) if out_dir is not None else None
    try:
        ahead: _Ahead | None = None
        for start in range(0, len(due), batch_size):
            batch = due[start:start + batch_size]
            following = due[start + batch_size:start + 2 * batch_size]
            lines, skipped, ahead = _issue_batch(batch, following, ahead, issue_date, register,
                                                 out_dir, locale, pool, writer)
            issued.extend(lines)
            raced += skipped
            if progress is not None:
                progress(min(start + batch_size, len(due)), total)
        if writer is not None:
            last = writer
            writer = None
            last.close()  # the last batch's files, before any credit note
        for done, credit in enumerate(credits_due, start=len(due) + 1):
            line = _issue_credit(credit, issue_date, register, out_dir, locale, sync_files)
            if line is not None:
                credited.append(line)
            if progress is not None:
                progress(done, total)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)  # renderings ahead of a failed batch
        if writer is not None:
            # Leaving on an error: let the files being written finish and record
            # their folder; the error on the way out is the one to report.
            with contextlib.suppress(Exception):
                writer.close()
    return RunResult(through, issue_date, False, tuple(issued), tuple(credited),
                     len(existing_numbers) + raced, not_yet_due, repaired, tuple(conflicts),
                     portfolio.skipped)


def _write_batch(register: Register, out_dir: Path, documents: Sequence[tuple[str, bytes, bytes]],
                 sync: bool) -> tuple[list[str], BillingError | None]:
    """Write the files of committed documents, in order; what was written and what stopped it.

    Runs in the writer thread: it touches the files only, never the register.
    """
    written: list[str] = []
    for index, (number, pdf, xml) in enumerate(documents):
        try:
            write_files(register, number, out_dir, sync=sync, files=(pdf, xml), remember=False)
        except FilesNotWritten as exc:
            # The whole batch is committed: name every number left without files.
            return written, FilesNotWritten(tuple(n for n, _, _ in documents[index:]),
                                            exc.out_dir, exc.why)
        except BillingError as exc:  # a file of somebody else's appeared under our name
            return written, exc
        written.append(number)
    return written, None


class _BatchWriter:
    """Writes the files of the last committed batch in a background thread.

    Creating a file is kernel work that releases the GIL, so the files of
    batch k are written while batch k+1 is numbered and rendered.  They are
    awaited (:meth:`settle`) before batch k+1 is recorded: files that cannot
    be written stop the run with nothing committed after their batch, as
    when they were written in line.  The folder is recorded in the register
    (:meth:`Register.remember_outputs`) by the run's own thread, one
    transaction per batch, after the files are written.
    """

    def __init__(self, register: Register, out_dir: Path, sync: bool) -> None:
        self._register = register
        self._out_dir = out_dir
        self._sync = sync
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mbp-files")
        self._pending: Future[tuple[list[str], BillingError | None]] | None = None
        self._written: list[str] = []

    def submit(self, documents: list[tuple[str, bytes, bytes]]) -> None:
        """Start writing a committed batch's files (the previous batch is settled).

        What :meth:`settle` collected stays to be remembered: the thread
        never touches the register.
        """
        assert self._pending is None
        self._pending = self._thread.submit(_write_batch, self._register, self._out_dir,
                                            documents, self._sync)

    def settle(self) -> None:
        """Wait for the pending files; raise what stopped them (e.g. FilesNotWritten)."""
        if self._pending is None:
            return
        pending, self._pending = self._pending, None
        written, error = pending.result()
        self._written.extend(written)
        if error is not None:
            raise error

    def remember(self) -> None:
        """Record the folder of the files written since the last call, in one transaction."""
        numbers, self._written = self._written, []
        self._register.remember_outputs(numbers, self._out_dir)

    def close(self) -> None:
        """Settle and remember the last batch, then end the thread."""
        try:
            self.settle()
        finally:
            try:
                self.remember()
            finally:
                self._thread.shutdown()


def _numbered(batch: Sequence[_Due], first: int, issue_date: date) -> list[Invoice]:
    """The invoices of ``batch``, numbered in order from counter ``first``."""
    invoices = []
    for counter, item in enumerate(batch, start=first):
        buyer = item.entry.agreement.buyer
        assert buyer is not None
        invoices.append(Invoice.build(item.charge, buyer,
                                      number=format_number(INVOICE_SERIES, counter),
                                      issue_date=issue_date))
    return invoices


def _issue_batch(batch: Sequence[_Due], following: Sequence[_Due], ahead: _Ahead | None,
                 issue_date: date, register: Register, out_dir: Path | None, locale: str,
                 pool: ProcessPoolExecutor | None,
                 writer: _BatchWriter | None) -> tuple[list[RunLine], int, _Ahead | None]:
    skipped = 0
    with register.transaction():
        # Re-read under the write lock: a concurrent run may have issued some.
        first = counter_of(register.next_number(INVOICE_SERIES))[1]
        due: list[_Due] = []
        for item in batch:
            buyer = item.entry.agreement.buyer
            assert buyer is not None
            if register.active_invoice(buyer.kbo, item.charge.year) is not None:
                skipped += 1
                continue
            due.append(item)
        futures: tuple[Future[Rendered], ...] | None = None
        if ahead is not None and ahead.first == first and not skipped:
            invoices, futures = list(ahead.invoices), ahead.futures
        else:
            if ahead is not None:
                ahead.drop()
            invoices = _numbered(due, first, issue_date)
        planned = list(zip(due, invoices, strict=True))
        next_ahead = None
        if pool is not None:
            if futures is None and len(invoices) >= 2:
                futures = _start_rendering(invoices, locale, pool)
            if following:
                # The next batch renders while this one is recorded and committed.
                upcoming = _numbered(following, first + len(invoices), issue_date)
                next_ahead = _Ahead(first + len(invoices), tuple(upcoming),
                                    _start_rendering(upcoming, locale, pool))
        rendered = (_collect(futures) if futures is not None
                    else _render_many(invoices, locale, pool))
        if writer is not None:
            writer.settle()  # the previous batch's files; if they failed, stop here
        for (_, invoice), (pdf, xml) in zip(planned, rendered, strict=True):
            refuse_foreign_files(out_dir, invoice.number, pdf, xml)
            register.insert(invoice, pdf=pdf, xml=xml)
    lines = []
    if writer is not None:
        if planned:
            writer.submit([(invoice.number, pdf, xml)
                           for (_, invoice), (pdf, xml) in zip(planned, rendered, strict=True)])
        writer.remember()  # the previous batch's folder, while this one's files are written
    for item, invoice in planned:
        paths: tuple[Path | None, Path | None] = (None, None)
        if out_dir is not None:
            paths = (out_dir / f"{invoice.number}.pdf", out_dir / f"{invoice.number}.xml")
        lines.append(_line(item.entry, item.charge, invoice.number, "invoice", invoice.total,
                           paths=paths))
    return lines, skipped, next_ahead


def _issue_credit(credit: _CreditDue, issue_date: date, register: Register,
                  out_dir: Path | None, locale: str, sync_files: bool) -> RunLine | None:
    with register.transaction():
        invoice = register.get(credit.invoice_number).document
        assert isinstance(invoice, Invoice)
        # Re-read under the write lock: a concurrent run may have credited it
        # already.  Credit down to the charge, never below it (R8).
        amount = invoice.total - register.credited_total(invoice.number) - credit.charge.amount
        if amount <= 0:
            return None
        note = CreditNote.build(
            invoice, number=register.next_number(CREDIT_SERIES), issue_date=issue_date,
            reason=(f"Overeenkomst beëindigd op {credit.entry.agreement.ends_on}: "
                    f"{credit.charge.months}/12 van het jaar verschuldigd (R8, pro rata)"),
            amount=amount)
        pdf, xml = render_files(note, locale)
        refuse_foreign_files(out_dir, note.number, pdf, xml)
        register.insert(note, pdf=pdf, xml=xml)
    paths: tuple[Path | None, Path | None] = (None, None)
    if out_dir is not None:
        paths = write_files(register, note.number, out_dir, sync=sync_files, files=(pdf, xml))
    return _line(credit.entry, credit.charge, note.number, "credit_note", amount,
                 credit.invoice_number, paths)


def _refuse_files_in_the_way(register: Register, out_dir: Path, invoices: int,
                             credit_notes: int) -> None:
    """Refuse a run whose numbers-to-be already name files, before the first is issued.

    A file named after a number not yet issued is somebody else's; finding
    it only when that number comes up would stop the run half-way.
    """
    for series, count in ((INVOICE_SERIES, invoices), (CREDIT_SERIES, credit_notes)):
        first = counter_of(register.next_number(series))[1]
        for counter in range(first, first + count):
            number = format_number(series, counter)
            for suffix in ("pdf", "xml"):
                path = out_dir / f"{number}.{suffix}"
                if path.exists():
                    raise RegisterConflict(
                        "out", str(path), f"already exists, but {number} is not issued yet; "
                                          "move the file away or choose another --out "
                                          "(nothing was issued)")


def _with_credit_notes(register: Register, numbers: Sequence[str]) -> list[str]:
    result: list[str] = []
    for number in numbers:
        result.append(number)
        result.extend(note.number for note in register.credit_notes_for(number))
    return result


def default_workers() -> int:
    """One rendering process per core, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))
