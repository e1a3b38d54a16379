"""Receivables as a finance team reads them: aging and statements of account.

Both are built from the register through the ledger (:func:`build_ledger`),
so they show the same open amounts: an invoice's open amount is what is
neither credited nor paid (R11, R12).

* :func:`aging` sorts every open amount by how long it is overdue at a date
  -- not yet due, 1-30, 31-60, 61-90 and over 90 days past the due date
  (R11: due 30 days after the invoice date) -- in total and per
  municipality.
* :func:`account_statement` lists, for one municipality, every invoice,
  credit note, payment and reminder letter in date order with the running
  balance.

Each is a value with :class:`~mbp_billing.tables.Table` views for notebooks
(``_repr_html_``, CSV, pandas) and a JSON-ready :meth:`to_record`, the
output of ``ledger --aging --json`` and ``ledger --buyer KBO --json``.

>>> import pathlib, tempfile
>>> from datetime import date
>>> from mbp_billing import Register, example_agreement, issue_invoice
>>> reg = Register.open(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3")
>>> _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10), register=reg)
>>> aging(reg, as_of=date(2023, 9, 1)).totals()
{'not_due': Decimal('0.00'), 'days_1_30': Decimal('3500.00'), 'days_31_60': Decimal('0.00'), 'days_61_90': Decimal('0.00'), 'over_90': Decimal('0.00')}
>>> account_statement(reg, "BE 0207.123.407").balance
Decimal('3500.00')
>>> reg.close()
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape
from typing import Any, Final

import attrs

from .errors import InvalidValue
from .ledger import LedgerRow, build_ledger
from .money import money_str
from .parties import normalize_kbo
from .register import Register
from .tables import Table

__all__ = [
    "AGING_BUCKETS",
    "AccountStatement",
    "Aging",
    "account_statement",
    "aging",
]

_ZERO: Final = Decimal("0.00")

AGING_BUCKETS: Final = (
    ("not_due", "not yet due", None, 0),
    ("days_1_30", "1-30 days overdue", 1, 30),
    ("days_31_60", "31-60 days overdue", 31, 60),
    ("days_61_90", "61-90 days overdue", 61, 90),
    ("over_90", "over 90 days overdue", 91, None),
)
"""The aging buckets: (key, label, first day overdue, last day overdue).

An open amount is *not yet due* until and including its due date (R11),
then 1 day overdue the day after.

Examples:
    >>> [key for key, *_ in AGING_BUCKETS]
    ['not_due', 'days_1_30', 'days_31_60', 'days_61_90', 'over_90']
"""


def _bucket(days_overdue: int) -> str:
    for key, _, first, last in AGING_BUCKETS:
        if (first is None or days_overdue >= first) and (last is None or days_overdue <= last):
            return key
    raise AssertionError(days_overdue)  # pragma: no cover - the buckets cover every int


def _days_overdue(row: LedgerRow, as_of: date) -> int:
    # build_ledger gives days only for status "overdue"; an open invoice not
    # yet due counts 0 (and any day up to the due date is "not yet due").
    if row.due_date is None:
        return 0
    return max((as_of - row.due_date).days, 0)


@attrs.frozen
class Aging:
    """Open amounts by how long they are overdue, per municipality and in total.

    Made by :func:`aging`.  Amounts are the open amounts of invoices (what is
    neither credited nor paid); an overpaid invoice owes nothing and is not
    counted (the ledger shows its ``refund_due``).

    Attributes:
        as_of: the day the ages are computed for.
        by_buyer: one row per municipality with something open: ``buyer_kbo``,
            ``buyer_name``, one column per bucket of :data:`AGING_BUCKETS`,
            ``overdue`` (the overdue buckets together) and ``total``; sorted
            by name, then enterprise number.
        by_bucket: one row per bucket: ``bucket``, ``label``, ``invoices``
            (how many invoices have an amount in it) and ``amount``.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Register, example_agreement, issue_invoice
        >>> reg = Register.open(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3")
        >>> _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                   register=reg)
        >>> report = aging(reg, as_of=date(2023, 10, 20))
        >>> reg.close()
        >>> report.by_buyer[0]["buyer_name"], report.by_buyer[0]["days_61_90"]
        ('Gemeente Voorbeeld', Decimal('3500.00'))
        >>> [(r["bucket"], r["invoices"]) for r in report.by_bucket if r["invoices"]]
        [('days_61_90', 1)]
        >>> report.total, report.overdue
        (Decimal('3500.00'), Decimal('3500.00'))
    """

    as_of: date
    by_buyer: Table
    by_bucket: Table

    @property
    def total(self) -> Decimal:
        """Everything open."""
        return sum(self.by_bucket.column("amount"), _ZERO)

    @property
    def overdue(self) -> Decimal:
        """Everything open past its due date."""
        return sum((r["amount"] for r in self.by_bucket if r["bucket"] != "not_due"), _ZERO)

    def totals(self) -> dict[str, Decimal]:
        """The amount of each bucket, by key.

        >>> from datetime import date
        >>> from mbp_billing.tables import Table
        >>> empty = Aging(date(2026, 1, 1), Table((), ()), Table(("bucket", "amount"), ()))
        >>> empty.totals()["over_90"]
        Decimal('0.00')
        """
        amounts = {r["bucket"]: r["amount"] for r in self.by_bucket}
        return {key: amounts.get(key, _ZERO) for key, *_ in AGING_BUCKETS}

    def to_record(self) -> dict[str, Any]:
        """JSON-ready form (amounts as two-decimal strings): ``ledger --aging --json``."""
        return {
            "as_of": self.as_of.isoformat(),
            "buckets": [{"bucket": r["bucket"], "label": r["label"], "invoices": r["invoices"],
                         "amount": money_str(r["amount"])} for r in self.by_bucket],
            "total": {**{k: money_str(v) for k, v in self.totals().items()},
                      "overdue": money_str(self.overdue), "total": money_str(self.total)},
            "buyers": [{k: money_str(v) if isinstance(v, Decimal) else v for k, v in r.items()}
                       for r in self.by_buyer],
        }

    def __str__(self) -> str:
        lines = [f"Aging of receivables as of {self.as_of.isoformat()} (EUR)"]
        lines += [f"  {r['label']:<22}{r['invoices']:>5} invoice(s){money_str(r['amount']):>14}"
                  for r in self.by_bucket]
        lines.append(f"  {'total open':<22}{'':>16}{money_str(self.total):>14}")
        if self.by_buyer:
            lines += ["", str(self.by_buyer)]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return (f"<p>Aging as of {escape(self.as_of.isoformat())}</p>"
                + self.by_bucket._repr_html_() + self.by_buyer._repr_html_())


def aging(register: Register, *, as_of: date) -> Aging:
    """The aging of the open invoices at the end of ``as_of``.

    Only documents and payments dated up to ``as_of`` count, as in
    ``build_ledger(register, as_of=...)``.  An open amount is *not yet due*
    up to and including its due date (R11), then falls in the bucket of its
    days past the due date (see :data:`AGING_BUCKETS`).

    Args:
        register: the register to read.
        as_of: the day to age the receivables at.

    Returns:
        The :class:`Aging`, in total (``by_bucket``) and per municipality
        (``by_buyer``).

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from decimal import Decimal
        >>> from mbp_billing import Register, example_agreement, issue_invoice
        >>> reg = Register.open(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3")
        >>> _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                   register=reg)
        >>> _ = reg.record_payment("F000001", Decimal("500.00"), date(2023, 8, 20))
        >>> aging(reg, as_of=date(2023, 8, 9)).totals()["not_due"]
        Decimal('3500.00')
        >>> aging(reg, as_of=date(2024, 1, 2)).totals()["over_90"]
        Decimal('3000.00')
        >>> reg.close()
    """
    ledger = build_ledger(register, as_of=as_of)
    keys = [key for key, *_ in AGING_BUCKETS]
    counts = dict.fromkeys(keys, 0)
    amounts = dict.fromkeys(keys, _ZERO)
    buyers: dict[str, dict[str, Any]] = {}
    for row in ledger:
        if row.type != "invoice" or row.open <= 0:
            continue
        key = _bucket(_days_overdue(row, as_of))
        counts[key] += 1
        amounts[key] += row.open
        buyer = buyers.setdefault(row.buyer_kbo, {"buyer_kbo": row.buyer_kbo,
                                                  **dict.fromkeys(keys, _ZERO)})
        buyer["buyer_name"] = row.buyer_name  # the latest document's name
        buyer[key] += row.open
    columns = ("buyer_kbo", "buyer_name", *keys, "overdue", "total")
    rows = []
    for buyer in sorted(buyers.values(), key=lambda b: (b["buyer_name"], b["buyer_kbo"])):
        overdue = sum((buyer[k] for k in keys[1:]), _ZERO)
        rows.append((buyer["buyer_kbo"], buyer["buyer_name"], *(buyer[k] for k in keys),
                     overdue, overdue + buyer["not_due"]))
    by_bucket = Table(("bucket", "label", "invoices", "amount"),
                      tuple((key, label, counts[key], amounts[key])
                            for key, label, *_ in AGING_BUCKETS),
                      title=f"Aging as of {as_of.isoformat()}")
    return Aging(as_of, Table(columns, tuple(rows),
                              title=f"Aging per municipality as of {as_of.isoformat()}"),
                 by_bucket)


#: The columns of a statement of account.
_STATEMENT_COLUMNS: Final = ("date", "type", "number", "description", "debit", "credit",
                             "balance")
# Within one day: documents (in order of issue), then payments, then letters.
_ORDER: Final = {"invoice": 0, "credit_note": 0, "payment": 1, "reminder": 2}


@attrs.frozen
class AccountStatement:
    """Every document, payment and reminder of one municipality, with the balance.

    Made by :func:`account_statement`.  An invoice is a debit, a credit note
    and a payment are credits; a reminder letter moves no money and shows
    the amount it asked for in its description.  The balance is what the
    municipality owes (negative: what EV DV owes back).

    Attributes:
        buyer_kbo: the municipality's enterprise number (10 digits).
        buyer_name: its name on its latest document.
        as_of: the last day included, or ``None`` for everything recorded.
        entries: a :class:`~mbp_billing.tables.Table` with ``date``,
            ``type`` (``invoice``, ``credit_note``, ``payment``,
            ``reminder``), ``number`` (the document; for a payment the
            invoice paid; for a reminder the invoices listed),
            ``description``, ``debit``, ``credit`` and ``balance``, in date
            order.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from decimal import Decimal
        >>> from mbp_billing import Register, example_agreement, issue_invoice
        >>> reg = Register.open(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3")
        >>> _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                   register=reg)
        >>> _ = reg.record_payment("F000001", Decimal("500.00"), date(2023, 8, 20))
        >>> statement = account_statement(reg, "0207123407")
        >>> reg.close()
        >>> [(e["type"], e["number"], e["balance"]) for e in statement.entries]
        [('invoice', 'F000001', Decimal('3500.00')), ('payment', 'F000001', Decimal('3000.00'))]
        >>> statement.balance
        Decimal('3000.00')
    """

    buyer_kbo: str
    buyer_name: str
    as_of: date | None
    entries: Table

    @property
    def balance(self) -> Decimal:
        """The balance after the last entry: what the municipality owes."""
        balances = self.entries.column("balance")
        return balances[-1] if balances else _ZERO

    def to_record(self) -> dict[str, Any]:
        """JSON-ready form (amounts as strings, dates ISO): ``ledger --buyer KBO --json``."""
        def cell(value: Any) -> Any:
            if isinstance(value, Decimal):
                return money_str(value)
            return value.isoformat() if isinstance(value, date) else value
        return {
            "buyer_kbo": self.buyer_kbo, "buyer_name": self.buyer_name,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "entries": [{k: cell(v) for k, v in e.items()} for e in self.entries],
            "balance": money_str(self.balance),
        }

    def __str__(self) -> str:
        kbo = self.buyer_kbo
        head = (f"Statement of account of {self.buyer_name} ({kbo[:4]}.{kbo[4:7]}.{kbo[7:]})"
                + ("" if self.as_of is None else f" as of {self.as_of.isoformat()}"))
        table = attrs.evolve(self.entries, title="")
        return f"{head}\n{table}\nbalance {money_str(self.balance)} EUR"

    def _repr_html_(self) -> str:
        return self.entries._repr_html_()


def _kbo_arg(buyer_kbo: str) -> str:
    return normalize_kbo(buyer_kbo, "buyer")


def account_statement(register: Register, buyer_kbo: str, *,
                      as_of: date | None = None) -> AccountStatement:
    """The statement of account of one municipality.

    Args:
        register: the register to read.
        buyer_kbo: the municipality's enterprise number in any usual form
            (``0207.123.407``, ``BE0207123407``, ``0207 123 407``), checked
            with python-stdnum.
        as_of: the last day to include; ``None`` for everything recorded.

    Returns:
        The :class:`AccountStatement`, entries in date order with the
        running balance.

    Raises:
        InvalidValue: the enterprise number is malformed, or no document of
            the register is addressed to it.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Register, example_agreement, issue_invoice
        >>> reg = Register.open(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3")
        >>> _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                   register=reg)
        >>> print(account_statement(reg, "BE0207123407"))
        Statement of account of Gemeente Voorbeeld (0207.123.407)
        date        type     number   description                 debit    credit  balance
        2023-07-10  invoice  F000001  first 2023, due 2023-08-09  3500.00          3500.00
        balance 3500.00 EUR
        >>> account_statement(reg, "0643.634.986")
        Traceback (most recent call last):
        ...
        mbp_billing.errors.InvalidValue: buyer '0643.634.986': no document in the register is addressed to this enterprise number; check it (ledger --aging lists every municipality with something open)
        >>> reg.close()
    """
    kbo = _kbo_arg(buyer_kbo)
    documents = [d for d in register.documents() if d.buyer_kbo == kbo]
    if not documents:
        raise InvalidValue("buyer", buyer_kbo,
                           "no document in the register is addressed to this enterprise "
                           "number; check it (ledger --aging lists every municipality with "
                           "something open)")
    name = documents[-1].document.buyer.name
    numbers = {d.number for d in documents}
    events: list[tuple[date, int, int, str, str, str, Decimal | None, Decimal | None]] = []
    for d in documents:
        if as_of is not None and d.issue_date > as_of:
            continue
        if d.type == "invoice":
            due = "" if d.due_date is None else f", due {d.due_date.isoformat()}"
            events.append((d.issue_date, 0, d.seq, "invoice", d.number,
                           f"{d.kind} {d.year}{due}", d.amount, None))
        else:
            events.append((d.issue_date, 0, d.seq, "credit_note", d.number,
                           f"credits {d.credits}", None, d.amount))
    for p in register.payments():
        if p.number in numbers and (as_of is None or p.paid_on <= as_of):
            what = f"{p.source}" + (f", {p.reference}" if p.reference else "")
            events.append((p.paid_on, _ORDER["payment"], p.id, "payment", p.number,
                           f"payment ({what})", None, p.amount))
    for r in register.reminders(kbo):
        if as_of is None or r.reminded_on <= as_of:
            word = "herinnering" if r.level == 1 else "aanmaning"
            events.append((r.reminded_on, _ORDER["reminder"], r.id, "reminder",
                           " ".join(r.invoices),
                           f"{word} (level {r.level}): {money_str(r.amount_open)} asked",
                           None, None))
    events.sort(key=lambda e: e[:3])
    balance = _ZERO
    rows: list[tuple[Any, ...]] = []
    for when, _, _, kind, number, description, debit, credit in events:
        balance += (debit or _ZERO) - (credit or _ZERO)
        rows.append((when, kind, number, description, debit, credit, balance))
    return AccountStatement(kbo, name, as_of, Table(_STATEMENT_COLUMNS, tuple(rows),
                                                    title=f"Statement of account of {name}"))

