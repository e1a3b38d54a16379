"""The ledger: every issued document with what is credited, paid and open.

Built from the register, as of a date: an invoice is *open* while part of it
is neither credited nor paid, *overdue* when that is still so after its due
date (R11), *paid* or *credited* otherwise.  Exports to records, CSV (safe to
open in a spreadsheet) and, when installed, pandas.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final, Literal, overload

import attrs
from stdnum.be import ogm_vcs

from .agreement import parse_date
from .errors import InvalidValue
from .money import money_str, parse_amount
from .register import Register
from .statements import cannot_pay, invoices_by_communication
from .tables import spreadsheet_safe

__all__ = [
    "LEDGER_COLUMNS",
    "BankImport",
    "Ledger",
    "LedgerRow",
    "build_ledger",
    "import_bank_lines",
    "spreadsheet_safe",
]

Status = Literal["open", "overdue", "paid", "overpaid", "credited", "credit_note"]

LEDGER_COLUMNS: Final = (
    "number", "type", "buyer_kbo", "buyer_name", "year", "kind", "amount", "issue_date",
    "due_date", "credits", "credited", "paid", "open", "status", "days_overdue",
    "structured_communication", "refund_due",
)

@attrs.frozen
class LedgerRow:
    """One document in the ledger.

    Attributes:
        number: the document number.
        type: ``"invoice"`` or ``"credit_note"``.
        buyer_kbo: the buyer's enterprise number (10 digits).
        buyer_name: the buyer's name.
        year: the calendar year billed.
        kind: ``"first"`` or ``"annual"``.
        amount: the document's total.
        issue_date: the document's date.
        due_date: the payment due date of an invoice (R11), else ``None``.
        credits: for a credit note, the invoice it credits.
        credited: what credit notes took off this invoice.
        paid: what was paid on this invoice.
        open: what is still to be received.
        status: ``"open"``, ``"overdue"``, ``"paid"``, ``"credited"`` or
            ``"credit_note"``.
        days_overdue: days past the due date, for an overdue invoice.
        structured_communication: an invoice's payment reference in the
            one form every output uses, ``+++000/0000/00101+++`` (in CSV the
            cell starts with ``'`` so that no spreadsheet reads a formula).

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Register, example_agreement, issue_invoice
        >>> reg = Register.open(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3")
        >>> _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10), register=reg)
        >>> row = build_ledger(reg, as_of=date(2023, 9, 1))[0]
        >>> reg.close()
        >>> row.number, row.status, row.days_overdue, row.open, row.structured_communication
        ('F000001', 'overdue', 23, Decimal('3500.00'), '+++000/0000/00101+++')
        >>> row.to_record()["due_date"]
        '2023-08-09'
    """

    number: str
    type: str
    buyer_kbo: str
    buyer_name: str
    year: int
    kind: str
    amount: Decimal
    issue_date: date
    due_date: date | None
    credits: str | None
    credited: Decimal
    paid: Decimal
    open: Decimal
    status: Status
    days_overdue: int
    structured_communication: str | None
    refund_due: Decimal = Decimal("0.00")

    def to_record(self) -> dict[str, Any]:
        """JSON-ready form (amounts as two-decimal strings, dates ISO)."""
        return {
            "number": self.number, "type": self.type, "buyer_kbo": self.buyer_kbo,
            "buyer_name": self.buyer_name, "year": self.year, "kind": self.kind,
            "amount": money_str(self.amount), "issue_date": self.issue_date.isoformat(),
            "due_date": None if self.due_date is None else self.due_date.isoformat(),
            "credits": self.credits, "credited": money_str(self.credited),
            "paid": money_str(self.paid), "open": money_str(self.open), "status": self.status,
            "days_overdue": self.days_overdue,
            "structured_communication": self.structured_communication,
            "refund_due": money_str(self.refund_due),
        }


@attrs.frozen
class Ledger(Sequence[LedgerRow]):
    """The ledger as of a date (``None``: everything recorded).

    A sequence of :class:`LedgerRow`, in order of issue; made by
    :func:`build_ledger`.

    Attributes:
        rows: one row per document.
        as_of: the day the statuses are computed for, or ``None``.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Register, example_agreement, issue_invoice
        >>> reg = Register.open(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3")
        >>> _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10), register=reg)
        >>> ledger = build_ledger(reg, as_of=date(2023, 9, 1))
        >>> reg.close()
        >>> len(ledger), ledger.open_total, [r.number for r in ledger.overdue]
        (1, Decimal('3500.00'), ['F000001'])
        >>> print(ledger.to_csv().splitlines()[0])
        number,type,buyer_kbo,buyer_name,year,kind,amount,issue_date,due_date,credits,credited,paid,open,status,days_overdue,structured_communication,refund_due
    """

    rows: tuple[LedgerRow, ...]
    as_of: date | None = None

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> LedgerRow: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[LedgerRow, ...]: ...

    def __getitem__(self, index: int | slice) -> LedgerRow | tuple[LedgerRow, ...]:
        return self.rows[index]

    def __iter__(self) -> Iterator[LedgerRow]:
        return iter(self.rows)

    @property
    def open_total(self) -> Decimal:
        """What is still to be received."""
        return sum((r.open for r in self.rows), Decimal("0.00"))

    @property
    def overdue(self) -> tuple[LedgerRow, ...]:
        """Invoices past their due date with something open."""
        return tuple(r for r in self.rows if r.status == "overdue")

    def to_records(self) -> list[dict[str, Any]]:
        """Every row as a JSON-ready dict."""
        return [r.to_record() for r in self.rows]

    def to_csv(self) -> str:
        """CSV text with a header; every cell is spreadsheet-safe."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(LEDGER_COLUMNS)
        for record in self.to_records():
            writer.writerow([spreadsheet_safe(record[c]) for c in LEDGER_COLUMNS])
        return buffer.getvalue()

    def to_pandas(self) -> Any:
        """A pandas DataFrame (needs pandas installed)."""
        import pandas as pd  # optional dependency

        return pd.DataFrame.from_records(self.to_records(), columns=list(LEDGER_COLUMNS))

    def _repr_html_(self) -> str:
        from html import escape

        head = "".join(f"<th>{c}</th>" for c in LEDGER_COLUMNS)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(str(r[c]) if r[c] is not None else '')}</td>"
                             for c in LEDGER_COLUMNS) + "</tr>"
            for r in self.to_records())
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def build_ledger(register: Register, as_of: date | None = None) -> Ledger:
    """The ledger of ``register``; with ``as_of``, as it stood at the end of that day.

    Args:
        register: the register to read.
        as_of: count only documents and payments up to this day and compute
            overdue days for it; ``None`` for everything recorded.

    Returns:
        The :class:`Ledger`, one row per document in order of issue.

    Examples:
        >>> from decimal import Decimal
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Register, example_agreement, issue_invoice
        >>> reg = Register.open(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3")
        >>> _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10), register=reg)
        >>> _ = reg.record_payment("F000001", Decimal("1000.00"), date(2023, 9, 15))
        >>> [(r.number, r.status, r.paid, r.open) for r in build_ledger(reg, as_of=date(2023, 9, 1))]
        [('F000001', 'overdue', Decimal('0.00'), Decimal('3500.00'))]
        >>> [(r.number, r.status, r.paid, r.open) for r in build_ledger(reg)]
        [('F000001', 'open', Decimal('1000.00'), Decimal('2500.00'))]
        >>> reg.close()
    """
    documents = [d for d in register.documents() if as_of is None or d.issue_date <= as_of]
    payments: dict[str, Decimal] = {}
    for p in register.payments():
        if as_of is None or p.paid_on <= as_of:
            payments[p.number] = payments.get(p.number, Decimal("0.00")) + p.amount
    credited: dict[str, Decimal] = {}
    for d in documents:
        if d.credits is not None:
            credited[d.credits] = credited.get(d.credits, Decimal("0.00")) + d.amount
    rows = []
    for d in documents:
        doc = d.document
        name = doc.buyer.name
        if d.type == "credit_note":
            rows.append(LedgerRow(d.number, d.type, d.buyer_kbo, name, d.year, d.kind, d.amount,
                                  d.issue_date, None, d.credits, Decimal("0.00"),
                                  Decimal("0.00"), Decimal("0.00"), "credit_note", 0, None))
            continue
        cred = credited.get(d.number, Decimal("0.00"))
        paid = payments.get(d.number, Decimal("0.00"))
        open_ = max(d.amount - cred - paid, Decimal("0.00"))
        # Paid beyond what remains after credit notes: EV DV owes it back.
        refund = max(paid - (d.amount - cred), Decimal("0.00"))
        status: Status
        days = 0
        if refund > 0:
            status = "overpaid"
        elif cred >= d.amount:
            status = "credited"
        elif open_ == 0:
            status = "paid"
        elif as_of is not None and d.due_date is not None and as_of > d.due_date:
            status, days = "overdue", (as_of - d.due_date).days
        else:
            status = "open"
        sc = getattr(doc, "structured_communication_display", None)
        rows.append(LedgerRow(d.number, d.type, d.buyer_kbo, name, d.year, d.kind, d.amount,
                              d.issue_date, d.due_date, None, cred, paid, open_, status, days,
                              sc, refund))
    return Ledger(tuple(rows), as_of)


@attrs.frozen
class BankImport:
    """The outcome of matching bank lines to invoices.

    Returned by :func:`import_bank_lines`.

    Attributes:
        matched: ``(line, invoice number, amount)`` of each payment recorded.
        already_recorded: the lines recorded by an earlier import.
        unmatched: ``(line, why)`` of each line matched to no invoice.

    Examples:
        >>> BankImport(((2, "F000001", Decimal("3500.00")),), (), ()).to_record()["matched"]
        [{'line': 2, 'number': 'F000001', 'amount': '3500.00'}]
    """

    matched: tuple[tuple[int, str, Decimal], ...]
    already_recorded: tuple[int, ...]
    unmatched: tuple[tuple[int, str], ...]
    chain_head: str | None = None

    def to_record(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "matched": [{"line": n, "number": num, "amount": money_str(a)}
                        for n, num, a in self.matched],
            "already_recorded": list(self.already_recorded),
            "unmatched": [{"line": n, "why": why} for n, why in self.unmatched],
            "chain_head": self.chain_head,
        }


_BANK_COLUMNS: Final = ("date", "amount", "communication")


def import_bank_lines(register: Register, csv_text: str, *, source: str = "bank",
                      as_of: date | None = None) -> BankImport:
    """Record the payments of a bank statement CSV, matched by structured communication.

    The CSV has a header with at least ``date``, ``amount`` and
    ``communication``.  A line whose communication is no valid structured
    communication of an issued invoice is reported as unmatched, and so is
    one that pays a fully credited invoice, is dated before its invoice or
    after ``as_of``.  Each line is one bank entry: the n-th of identical
    lines (same date, amount and communication) is the same entry in every
    import, so importing the file again (even at the same time from another
    process: the check runs inside the write transaction) records nothing
    new, while two identical transfers in one file are two payments.  Every
    line is checked before any is recorded.

    Args:
        register: the register that holds the invoices.
        csv_text: the bank lines as CSV text with a header row.
        source: recorded with each payment, e.g. the statement's name.
        as_of: today; a line dated later is reported, not recorded.

    Returns:
        The :class:`BankImport`: lines matched, recorded before, and unmatched.

    Raises:
        InvalidValue: a required column is missing, or a line has a bad date
            or amount.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Register, example_agreement, issue_invoice
        >>> reg = Register.open(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3")
        >>> _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10), register=reg)
        >>> bank = ("date,amount,communication\\n"
        ...         "2023-08-02,3500.00,+++000/0000/00101+++\\n"
        ...         "2023-08-02,99.00,+++000/0000/00202+++\\n")
        >>> result = import_bank_lines(reg, bank, source="statement 2023-08")
        >>> result.matched, result.unmatched
        (((2, 'F000001', Decimal('3500.00')),), ((3, "'+++000/0000/00202+++' matches no issued invoice"),))
        >>> import_bank_lines(reg, bank).already_recorded
        (2,)
        >>> build_ledger(reg)[0].status
        'paid'
        >>> reg.close()
    """
    reader = csv.DictReader(io.StringIO(csv_text))
    try:
        header = reader.fieldnames or []
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise InvalidValue("bank CSV", source, f"is not a readable CSV (line {reader.line_num}: "
                                               f"{exc})") from None
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        raise InvalidValue("bank CSV column", twice[0], f"appears {header.count(twice[0])} "
                                                        "times in the header; keep one")
    missing = [c for c in _BANK_COLUMNS if c not in header]
    if missing:
        raise InvalidValue("bank CSV", ",".join(reader.fieldnames or []),
                           f"lacks column(s) {', '.join(missing)}; the header needs "
                           "date,amount,communication")
    by_communication = invoices_by_communication(register)
    parsed: list[tuple[int, str, date, Decimal, str, str]] = []
    unmatched: list[tuple[int, str]] = []
    seen: Counter[tuple[date, Decimal, str]] = Counter()
    for line, row in rows:
        when = parse_date(row["date"] or "", f"line {line} date")
        amount = parse_amount(row["amount"] or "", f"line {line} amount")
        digits = re.sub(r"\D", "", row["communication"] or "")
        seen[(when, amount, digits)] += 1
        entry = (f"csv|{when.isoformat()}|{money_str(amount)}|{digits}|"
                 f"{seen[(when, amount, digits)]}")
        if not ogm_vcs.is_valid(digits):
            unmatched.append((line, f"{row['communication']!r} is no structured communication"))
            continue
        number = by_communication.get(digits)
        if number is None:
            unmatched.append((line, f"{row['communication']!r} matches no issued invoice"))
            continue
        if as_of is not None and when > as_of:
            unmatched.append((line, f"dated {when.isoformat()}, after today "
                                    f"({as_of.isoformat()})"))
            continue
        parsed.append((line, number, when, amount, digits, entry))
    matched: list[tuple[int, str, Decimal]] = []
    again: list[int] = []
    with register.transaction():
        # Read inside the write lock: a concurrent import of the same file
        # has either committed (its entries are seen) or not started.
        legacy = Counter((p.number, p.paid_on, p.amount, p.reference)
                         for p in register.payments() if p.entry is None and p.reverses is None
                         and p.source != "manual")
        for line, number, when, amount, digits, entry in parsed:
            if register.entry_recorded(entry):
                again.append(line)
                continue
            if legacy[(number, when, amount, digits)] > 0:
                # Recorded by the previous version, which kept no entry identity.
                legacy[(number, when, amount, digits)] -= 1
                again.append(line)
                continue
            why = cannot_pay(register, number, when)
            if why is not None:
                unmatched.append((line, why))
                continue
            register.record_payment(number, amount, when, reference=digits, source=source,
                                    entry=entry)
            matched.append((line, number, amount))
        head = register.chain_head()
    unmatched.sort()
    return BankImport(tuple(matched), tuple(again), tuple(unmatched), head)
