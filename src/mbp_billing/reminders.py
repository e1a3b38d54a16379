"""Reminder letters as values: what a *herinnering* or *aanmaning* says.

A reminder letter goes to one municipality and lists its overdue invoices,
each with its number, date, due date (R11) and the amount still open, the
total, EV DV's account (R11) and each invoice's structured communication
(R12).  It has a level:

1. *herinnering*: a friendly reminder;
2. *aanmaning*: the written notice of Art. 10 §3 of the agreement (the
   defaulting party has ten days after a written notice to remedy a serious
   breach; after that the other party may dissolve the agreement without
   going to court, with damages).  The letter says so and gives the date the
   ten days end.

After the *aanmaning* no further letter is sent for the same invoices:
whether to dissolve the agreement is a decision for people, and the
``remind`` command reports those invoices instead (see
:mod:`mbp_billing.dunning`, which decides who gets which letter, records it
and writes the PDF).

These values are pure: building one reads no clock and touches no file.

>>> from datetime import date
>>> from decimal import Decimal
>>> from mbp_billing import example_agreement
>>> line = ReminderLine(number="F000001", issue_date=date(2023, 7, 10), amount=Decimal("3500.00"),
...                     open=Decimal("3500.00"))
>>> letter = Reminder(buyer=example_agreement().buyer, level=1, reminded_on=date(2023, 9, 1),
...                   lines=(line,))
>>> letter.title, letter.amount_open, line.due_date, line.structured_communication_display
('Herinnering', Decimal('3500.00'), datetime.date(2023, 8, 9), '+++000/0000/00101+++')
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

import attrs
from stdnum.be import ogm_vcs

from .documents import PAYMENT_TERM_DAYS, counter_of, structured_communication
from .errors import InvalidValue
from .money import money_str, parse_amount
from .parties import SELLER, SELLER_BIC, SELLER_IBAN, Party

__all__ = [
    "DEFAULT_INTERVAL_DAYS",
    "LEVEL_NAMES",
    "NOTICE_DAYS",
    "Reminder",
    "ReminderLine",
]

DEFAULT_INTERVAL_DAYS: Final = 14
"""Days between two letters to one municipality (``remind --interval``).

Examples:
    >>> DEFAULT_INTERVAL_DAYS
    14
"""

NOTICE_DAYS: Final = 10
"""Days the municipality has after the *aanmaning* to pay.  # Art. 10 §3

"tien dagen na schriftelijke aanmaning": the *aanmaning* states the last of
these days.

Examples:
    >>> NOTICE_DAYS
    10
"""

LEVEL_NAMES: Final = {1: "herinnering", 2: "aanmaning"}
"""The levels of a reminder letter and their Dutch names.

Examples:
    >>> LEVEL_NAMES[2]
    'aanmaning'
"""


def _positive_cents(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    # Read by the one money reader: quantize() would raise a bare
    # decimal.InvalidOperation for an amount beyond the context's digits.
    try:
        whole_cents = isinstance(value, Decimal) and parse_amount(value, attribute.name) == value
    except InvalidValue:
        whole_cents = False
    if not whole_cents:
        raise InvalidValue(attribute.name, str(value), "must be a positive amount in whole "
                                                       "cents, such as Decimal('3500.00')")


def _invoice_number(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    series, _ = counter_of(value)
    if series != "F":
        raise InvalidValue("number", value, "is not an invoice number; reminders list invoices")


@attrs.frozen
class ReminderLine:
    """One overdue invoice in a reminder letter.

    Attributes:
        number: the invoice number.
        issue_date: the invoice date.
        amount: the invoice total.
        open: what is still open on the letter's date (neither credited
            nor paid).

    Examples:
        >>> from datetime import date
        >>> from decimal import Decimal
        >>> line = ReminderLine(number="F000012", issue_date=date(2026, 1, 2),
        ...                     amount=Decimal("7000.00"), open=Decimal("2000.00"))
        >>> line.due_date, line.structured_communication
        (datetime.date(2026, 2, 1), '000000001212')
    """

    number: str = attrs.field(validator=_invoice_number)
    issue_date: date
    amount: Decimal = attrs.field(validator=_positive_cents)
    open: Decimal = attrs.field(validator=_positive_cents)

    def __attrs_post_init__(self) -> None:
        if self.open > self.amount:
            raise InvalidValue("open", money_str(self.open),
                               f"exceeds the total of {self.number} ({money_str(self.amount)})")

    @property
    def due_date(self) -> date:
        """Invoice date + 30 days.  # R11"""
        return self.issue_date + timedelta(days=PAYMENT_TERM_DAYS)

    @property
    def structured_communication(self) -> str:
        """The invoice's 12 digits (R12), to quote when paying it."""
        return structured_communication(self.number)

    @property
    def structured_communication_display(self) -> str:
        """As printed: ``+++ddd/dddd/ddddd+++``."""
        return f"+++{ogm_vcs.format(self.structured_communication)}+++"

    def to_record(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"number": self.number, "issue_date": self.issue_date.isoformat(),
                "due_date": self.due_date.isoformat(), "amount": money_str(self.amount),
                "open": money_str(self.open),
                "structured_communication": self.structured_communication_display}


def _level(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in LEVEL_NAMES:
        raise InvalidValue("level", value, "must be 1 (herinnering) or 2 (aanmaning)")


def _as_tuple(value: Iterable[ReminderLine]) -> tuple[ReminderLine, ...]:
    return tuple(value)


def _lines(instance: Any, attribute: attrs.Attribute[Any],
           value: tuple[ReminderLine, ...]) -> None:
    if not value:
        raise InvalidValue("lines", "()", "a reminder lists at least one overdue invoice")
    numbers = [line.number for line in value]
    if len(set(numbers)) != len(numbers):
        raise InvalidValue("lines", " ".join(numbers), "lists an invoice twice")


@attrs.frozen
class Reminder:
    """A reminder letter to one municipality.

    Attributes:
        buyer: the municipality reminded.
        level: 1 (*herinnering*) or 2 (*aanmaning*, the written notice of
            Art. 10 §3).
        reminded_on: the letter's date; every line is overdue on it.
        lines: the overdue invoices, oldest first.
        previous_on: for an *aanmaning*, the date of the *herinnering*
            before it.
        seller: the party owed, :data:`~mbp_billing.parties.SELLER`.

    Raises:
        InvalidValue: an unknown level, no line, or a line not yet overdue
            on the letter's date.

    Examples:
        >>> from datetime import date
        >>> from decimal import Decimal
        >>> from mbp_billing import example_agreement
        >>> line = ReminderLine(number="F000001", issue_date=date(2023, 7, 10),
        ...                     amount=Decimal("3500.00"), open=Decimal("1500.00"))
        >>> notice = Reminder(buyer=example_agreement().buyer, level=2,
        ...                   reminded_on=date(2023, 9, 15), lines=(line,),
        ...                   previous_on=date(2023, 9, 1))
        >>> notice.title, notice.notice_deadline, notice.file_name
        ('Aanmaning', datetime.date(2023, 9, 25), 'reminder-0207123407-2023-09-15.pdf')
        >>> notice.to_record()["invoices"], notice.to_record()["amount_open"]
        (['F000001'], '1500.00')
    """

    buyer: Party
    level: int = attrs.field(validator=_level)
    reminded_on: date
    lines: tuple[ReminderLine, ...] = attrs.field(converter=_as_tuple, validator=_lines)
    previous_on: date | None = None
    seller: Party = SELLER

    def __attrs_post_init__(self) -> None:
        for line in self.lines:
            if line.due_date >= self.reminded_on:
                raise InvalidValue("reminded_on", self.reminded_on.isoformat(),
                                   f"{line.number} is not overdue then (due "
                                   f"{line.due_date.isoformat()}, R11); remind after that day")

    @property
    def name(self) -> str:
        """``herinnering`` or ``aanmaning``."""
        return LEVEL_NAMES[self.level]

    @property
    def title(self) -> str:
        """The Dutch title, capitalised."""
        return self.name.capitalize()

    @property
    def amount_open(self) -> Decimal:
        """The letter's total still open."""
        return sum((line.open for line in self.lines), Decimal("0.00"))

    @property
    def pay_by(self) -> date:
        """The day the letter asks to be paid by: ten days after it.

        For an *aanmaning* these are the ten days of Art. 10 §3; a
        *herinnering* asks for the same.
        """
        return self.reminded_on + timedelta(days=NOTICE_DAYS)

    @property
    def notice_deadline(self) -> date | None:
        """For an *aanmaning*, the last of the ten days to pay (Art. 10 §3)."""
        return self.pay_by if self.level == 2 else None

    @property
    def iban(self) -> str:
        """The account to pay to (R11)."""
        return SELLER_IBAN

    @property
    def bic(self) -> str:
        """BIC of :attr:`iban`."""
        return SELLER_BIC

    @property
    def file_name(self) -> str:
        """``reminder-<enterprise number>-<date>.pdf``: one letter a municipality a day."""
        return f"reminder-{self.buyer.kbo}-{self.reminded_on.isoformat()}.pdf"

    def to_record(self) -> dict[str, Any]:
        """JSON-ready form; also the canonical content the register seals."""
        return {
            "buyer_kbo": self.buyer.kbo,
            "buyer": attrs.asdict(self.buyer),
            "seller": attrs.asdict(self.seller),
            "level": self.level,
            "name": self.name,
            "reminded_on": self.reminded_on.isoformat(),
            "previous_on": None if self.previous_on is None else self.previous_on.isoformat(),
            "notice_deadline": (None if self.notice_deadline is None
                                else self.notice_deadline.isoformat()),
            "invoices": [line.number for line in self.lines],
            "lines": [line.to_record() for line in self.lines],
            "amount_open": money_str(self.amount_open),
            "iban": self.iban,
            "bic": self.bic,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Reminder:
        """Rebuild a reminder from its :meth:`to_record` form (the register's content).

        >>> from datetime import date
        >>> from decimal import Decimal
        >>> from mbp_billing import example_agreement
        >>> line = ReminderLine(number="F000001", issue_date=date(2023, 7, 10),
        ...                     amount=Decimal("3500.00"), open=Decimal("3500.00"))
        >>> letter = Reminder(buyer=example_agreement().buyer, level=1,
        ...                   reminded_on=date(2023, 9, 1), lines=(line,))
        >>> Reminder.from_record(letter.to_record()) == letter
        True
        """
        previous = record.get("previous_on")
        return cls(
            buyer=Party(**record["buyer"]), level=record["level"],
            reminded_on=date.fromisoformat(record["reminded_on"]),
            lines=tuple(ReminderLine(number=line["number"],
                                     issue_date=date.fromisoformat(line["issue_date"]),
                                     amount=Decimal(line["amount"]), open=Decimal(line["open"]))
                        for line in record["lines"]),
            previous_on=None if previous is None else date.fromisoformat(previous),
            seller=Party(**record["seller"]),
        )
