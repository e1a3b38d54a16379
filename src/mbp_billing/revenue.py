"""The register for analysts: documents, payments, and the year month by month.

Every function takes a register as a path, URL or open
:class:`~mbp_billing.register.Register` and opens it read-only through
:func:`~mbp_billing.register.open_read_only`; it never writes.

Revenue is recognised month by month over each invoice's service period
(accrual, as a public body follows its budget); a credit note reverses the
months of the invoice it credits.  Cash follows due dates and payments.

>>> spread_over_months(Decimal("100.00"), 3)
[Decimal('33.34'), Decimal('33.33'), Decimal('33.33')]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

from .errors import InvalidValue
from .money import CENT, parse_amount
from .register import Register, StoredDocument, open_read_only
from .tables import Table

__all__ = [
    "documents_table",
    "monthly_cash",
    "monthly_revenue",
    "payments_table",
    "spread_over_months",
]

RegisterLike = str | Path | Register
_ZERO = Decimal("0.00")


@contextmanager
def _reading(register: RegisterLike) -> Iterator[Register]:
    # Close only what this module opened; a caller's Register stays open.
    opened = open_read_only(register)
    try:
        yield opened
    finally:
        if opened is not register:
            opened.close()


def spread_over_months(amount: Decimal, months: int) -> list[Decimal]:
    """An amount in equal monthly shares that add up to it exactly.

    Each month gets the amount divided by ``months``, rounded down to the
    cent; the cents left over (fewer than ``months``) go one each to the
    first months.  So 100.00 over 3 months is 33.34, 33.33, 33.33: the
    shares differ by at most a cent and always sum to the amount.  A
    negative amount is spread as its opposite, negated.

    Args:
        amount: the amount, in cents.
        months: the number of months, 1 to 12.

    Returns:
        The monthly shares, first month first.

    Raises:
        InvalidValue: ``months`` outside 1..12, or ``amount`` not an amount
            in whole cents (read by :func:`~mbp_billing.money.parse_amount`:
            a fraction of a cent is refused, never dropped).

    Examples:
        >>> spread_over_months(Decimal("3500.00"), 6)
        [Decimal('583.34'), Decimal('583.34'), Decimal('583.33'), Decimal('583.33'), Decimal('583.33'), Decimal('583.33')]
        >>> sum(spread_over_months(Decimal("-0.05"), 12))
        Decimal('-0.05')
    """
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 12:
        raise InvalidValue("months", months, "must be a whole number of months from 1 to 12")
    amount = parse_amount(amount, "amount", positive=False)
    if amount < 0:
        return [-share for share in spread_over_months(-amount, months)]
    cents = int(amount / CENT)
    share, left = divmod(cents, months)
    return [(share + (1 if i < left else 0)) * CENT for i in range(months)]


def _line(d: StoredDocument) -> tuple[date, date, int]:
    line = d.document.line
    return line.period_start, line.period_end, line.months


def documents_table(register: RegisterLike) -> Table:
    """Every issued document of the register, in order of issue.

    ``amount`` is as stored (positive, also for a credit note);
    ``signed_amount`` is negative for a credit note, so that it sums.

    Args:
        register: a register path, URL, or open register.

    Returns:
        A :class:`~mbp_billing.tables.Table` with ``seq``, ``number``,
        ``type``, ``buyer_kbo``, ``buyer_name``, ``year``, ``kind``,
        ``amount``, ``signed_amount``, ``issue_date``, ``due_date``,
        ``credits``, ``period_start`` and ``period_end``.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Register, example_agreement, issue_invoice
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3"
        >>> with Register.open(path) as reg:
        ...     _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                       register=reg)
        >>> [(r["number"], r["amount"], r["due_date"]) for r in documents_table(path)]
        [('F000001', Decimal('3500.00'), datetime.date(2023, 8, 9))]
    """
    with _reading(register) as reg:
        rows = []
        for d in reg.documents():
            start, end, _ = _line(d)
            signed = -d.amount if d.type == "credit_note" else d.amount
            rows.append((d.seq, d.number, d.type, d.buyer_kbo, d.document.buyer.name, d.year,
                         d.kind, d.amount, signed, d.issue_date, d.due_date, d.credits,
                         start, end))
        where = _register_name(reg)
    return Table(("seq", "number", "type", "buyer_kbo", "buyer_name", "year", "kind", "amount",
                  "signed_amount", "issue_date", "due_date", "credits", "period_start",
                  "period_end"), tuple(rows), title=f"Documents in {where}",
                 totals=("signed_amount",))


def payments_table(register: RegisterLike) -> Table:
    """Every payment recorded in the register, in order of recording.

    Args:
        register: a register path, URL, or open register.

    Returns:
        A :class:`~mbp_billing.tables.Table` with ``id``, ``number`` (the
        invoice paid), ``buyer_kbo``, ``buyer_name``, ``amount``,
        ``paid_on``, ``reference``, ``source``, ``reverses`` and ``reason``.
        A reversal is a row of its own with the opposite (negative)
        ``amount``, the ``id`` of the payment it undoes in ``reverses`` and
        why in ``reason`` (both empty on other rows), so the ``amount``
        total is what was received, net of reversals.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Register, example_agreement, issue_invoice
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3"
        >>> with Register.open(path) as reg:
        ...     _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                       register=reg)
        ...     _ = reg.record_payment("F000001", Decimal("3500.00"), date(2023, 8, 1))
        >>> [(r["number"], r["amount"], r["paid_on"]) for r in payments_table(path)]
        [('F000001', Decimal('3500.00'), datetime.date(2023, 8, 1))]
    """
    with _reading(register) as reg:
        buyers = {d.number: (d.buyer_kbo, d.document.buyer.name) for d in reg.documents()}
        rows = tuple((p.id, p.number, *buyers.get(p.number, (None, None)), p.amount, p.paid_on,
                      p.reference, p.source, p.reverses, p.reason) for p in reg.payments())
        where = _register_name(reg)
    return Table(("id", "number", "buyer_kbo", "buyer_name", "amount", "paid_on", "reference",
                  "source", "reverses", "reason"), rows, title=f"Payments in {where}", totals=("amount",))


def _months_of(years: Iterable[int]) -> list[date]:
    wanted = sorted(set(years))
    if not wanted:
        raise InvalidValue("years", [], "give at least one calendar year, e.g. [2026]")
    return [date(y, m, 1) for y in wanted for m in range(1, 13)]


def _span(months: list[date]) -> str:
    first, last = months[0].year, months[-1].year
    return str(first) if first == last else f"{first}-{last}"


def monthly_revenue(register: RegisterLike, years: Iterable[int], *,
                    as_of: date | None = None) -> Table:
    """Revenue recognised per month: invoices over their service months,
    credit notes reversing the months of the invoice they credit.

    An annual invoice spreads over its 12 months, a first-year invoice over
    its months (R4), each by :func:`spread_over_months`; a credit note of the
    same amount spreads the same way, so a full credit note reverses every
    month exactly.  The months of a year therefore sum to that year's
    invoiced amount minus its credit notes.

    Args:
        register: a register path, URL, or open register.
        years: the calendar years to show, twelve months each.
        as_of: count only documents issued on or before this day; ``None``
            for everything in the register.

    Returns:
        A :class:`~mbp_billing.tables.Table` with ``month`` (its first
        day), ``invoiced``, ``credited`` (negative) and ``revenue``, with
        totals.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Register, example_agreement, issue_invoice
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3"
        >>> with Register.open(path) as reg:
        ...     _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                       register=reg)
        >>> t = monthly_revenue(path, [2023])
        >>> [(r["month"].month, r["revenue"]) for r in t][5:8], t.total("revenue")
        ([(6, Decimal('0.00')), (7, Decimal('583.34')), (8, Decimal('583.34'))], Decimal('3500.00'))
    """
    months = _months_of(years)
    invoiced = dict.fromkeys(months, _ZERO)
    credited = dict.fromkeys(months, _ZERO)
    with _reading(register) as reg:
        for d in reg.documents():
            if as_of is not None and d.issue_date > as_of:
                continue
            start, _, count = _line(d)
            target = credited if d.type == "credit_note" else invoiced
            sign = -1 if d.type == "credit_note" else 1
            for i, share in enumerate(spread_over_months(d.amount, count)):
                month = date(start.year, start.month + i, 1)
                if month in target:
                    target[month] += sign * share
    rows = tuple((m, invoiced[m], credited[m], invoiced[m] + credited[m]) for m in months)
    when = f", as of {as_of.isoformat()}" if as_of else ""
    return Table(("month", "invoiced", "credited", "revenue"), rows,
                 title=f"Revenue recognised per month {_span(months)}{when}",
                 totals=("invoiced", "credited", "revenue"))


def monthly_cash(register: RegisterLike, years: Iterable[int], *, as_of: date) -> Table:
    """Cash per month as it stood at the end of ``as_of``: expected by due
    date, received, and still open.

    ``expected`` is each invoice's amount less its credit notes, in the
    month of its due date (R11: 30 days after the invoice date);
    ``received`` the payments recorded in each month; ``open`` what of the
    month's expected amount is still unpaid on ``as_of`` (an overpaid
    invoice counts as 0 open).  Documents issued and payments made after
    ``as_of`` are not counted.

    Args:
        register: a register path, URL, or open register.
        years: the calendar years to show, twelve months each.
        as_of: the day the view is taken (never read from the clock).

    Returns:
        A :class:`~mbp_billing.tables.Table` with ``month``, ``expected``,
        ``received`` and ``open``, with totals.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Register, example_agreement, issue_invoice
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3"
        >>> with Register.open(path) as reg:
        ...     _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                       register=reg)
        ...     _ = reg.record_payment("F000001", Decimal("1000.00"), date(2023, 9, 15))
        >>> t = monthly_cash(path, [2023], as_of=date(2023, 12, 31))
        >>> [(r["month"].month, r["expected"], r["received"], r["open"]) for r in t][7:9]
        [(8, Decimal('3500.00'), Decimal('0.00'), Decimal('2500.00')), (9, Decimal('0.00'), Decimal('1000.00'), Decimal('0.00'))]
    """
    months = _months_of(years)
    expected = dict.fromkeys(months, _ZERO)
    received = dict.fromkeys(months, _ZERO)
    still_open = dict.fromkeys(months, _ZERO)
    with _reading(register) as reg:
        documents = [d for d in reg.documents() if d.issue_date <= as_of]
        paid: dict[str, Decimal] = {}
        for p in reg.payments():
            if p.paid_on > as_of:
                continue
            paid[p.number] = paid.get(p.number, _ZERO) + p.amount
            month = p.paid_on.replace(day=1)
            if month in received:
                received[month] += p.amount
    credits: dict[str, Decimal] = {}
    for d in documents:
        if d.credits is not None:
            credits[d.credits] = credits.get(d.credits, _ZERO) + d.amount
    for d in documents:
        if d.type == "credit_note" or d.due_date is None:
            continue
        month = d.due_date.replace(day=1)
        if month not in expected:
            continue
        due = d.amount - credits.get(d.number, _ZERO)
        expected[month] += due
        still_open[month] += max(due - paid.get(d.number, _ZERO), _ZERO)
    rows = tuple((m, expected[m], received[m], still_open[m]) for m in months)
    return Table(("month", "expected", "received", "open"), rows,
                 title=f"Cash per month {_span(months)}, as of {as_of.isoformat()}",
                 totals=("expected", "received", "open"))


def _register_name(reg: Register) -> str:
    """The register's file name, or a PostgreSQL register's database name, for titles."""
    if isinstance(reg.path, str):  # a URL, already without its password
        return reg.path.rsplit("/", 1)[-1].split("?", 1)[0]
    return reg.path.name
