"""Invoices and credit notes as values (R10, R11, R12).

A document is built from a :class:`~mbp_billing.schedule.Charge` and the two
parties; it is numbered by the register, rendered by
:mod:`mbp_billing.render` (PDF) and :mod:`mbp_billing.einvoice` (UBL).
Documents are pure values: building one reads no clock and touches no file.

>>> from datetime import date
>>> from mbp_billing.agreement import Agreement
>>> from mbp_billing.schedule import build_schedule
>>> buyer = Party(name="Gemeente Voorbeeld", kbo="0207.123.407", street="Marktplein 1",
...               postcode="9999", city="Voorbeeld")
>>> a = Agreement(signed_on=date(2023, 2, 10), population=32000, buyer=buyer,
...               app_store_live_on=date(2023, 6, 20), play_store_live_on=date(2023, 7, 3))
>>> charge = build_schedule(a, through=2023).for_year(2023)
>>> inv = Invoice.build(charge, buyer, number="F000123", issue_date=date(2023, 7, 10))
>>> inv.due_date, inv.total, inv.structured_communication_display
(datetime.date(2023, 8, 9), Decimal('3500.00'), '+++000/0000/12326+++')
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final, Literal

import attrs
from stdnum.be import ogm_vcs

from .errors import InvalidValue, NotBillable
from .money import CURRENCY, money_str, parse_amount
from .parties import SELLER, SELLER_BIC, SELLER_IBAN, Party
from .schedule import Charge, ChargeKind
from .text import MAX_REASON_LENGTH, document_text

__all__ = [
    "DEFAULT_BUYER_REFERENCE",
    "MAX_REASON_LENGTH",
    "PAYMENT_TERM_DAYS",
    "SERVICE_NAME",
    "VAT_EXEMPTION_REASON",
    "VAT_EXEMPTION_REASON_CODE",
    "CreditNote",
    "Document",
    "Invoice",
    "Line",
    "canonical_json",
    "counter_of",
    "document_from_record",
    "format_number",
    "structured_communication",
]

#: Payment term from the invoice date.  # R11, Annex 2 §2
PAYMENT_TERM_DAYS: Final = 30
#: Why no VAT is charged, citing the article.  # R10, Annex 2 §1
VAT_EXEMPTION_REASON: Final = (
    "Niet onderworpen aan btw: niet-belastingplichtig publiekrechtelijk lichaam "
    "(artikel 6, eerste lid, btw-wetboek)"
)
#: EN 16931 / VATEX code for "not subject to VAT" (category O).  # R10
VAT_EXEMPTION_REASON_CODE: Final = "VATEX-EU-O"
#: What is supplied, as printed on every document.  # R12
SERVICE_NAME: Final = "Abonnement Mijn Burgerprofiel app"
#: BuyerReference (BT-10) when the buyer's agreement gives none.  # R12, Peppol R003
DEFAULT_BUYER_REFERENCE: Final = "MBP-APP"

DocumentType = Literal["invoice", "credit_note"]

_NUMBER = re.compile(r"^(?P<series>[A-Z]{1,3})(?P<counter>\d{6,10})$")


def format_number(series: str, counter: int) -> str:
    """The document number: series letters and a zero-padded counter.  # R12

    >>> format_number("F", 123)
    'F000123'
    """
    if not re.fullmatch(r"[A-Z]{1,3}", series) or counter < 1:
        raise InvalidValue("number", f"{series}{counter}", "series is 1-3 capitals, counter >= 1")
    return f"{series}{counter:06d}"


def counter_of(number: str) -> tuple[str, int]:
    """Split a document number into ``(series, counter)``.

    >>> counter_of("F000123")
    ('F', 123)
    """
    match = _NUMBER.match(number)
    if match is None:
        raise InvalidValue("number", number, "is not a document number such as 'F000123'")
    return match["series"], int(match["counter"])


def structured_communication(number: str) -> str:
    """The 12-digit Belgian structured communication of an invoice.  # R12

    The first ten digits are the invoice's running counter, zero-padded; the
    last two are the check digits computed by python-stdnum (first ten mod
    97, 97 when 0), so the payment can be matched to the invoice.

    Args:
        number: an invoice number such as ``"F000123"``.

    Returns:
        The 12 digits, without the ``+++`` and slashes of the printed form.

    Raises:
        InvalidValue: ``number`` is no document number, or its counter has
            more than ten digits.

    Examples:
        >>> structured_communication("F000123")
        '000000012326'
    """
    _, counter = counter_of(number)
    if counter >= 10**10:
        raise InvalidValue("number", number, "counter too large for a structured communication")
    base = f"{counter:010d}"
    return str(ogm_vcs.validate(base + ogm_vcs.calc_check_digits(base)))


def canonical_json(record: dict[str, Any]) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@attrs.frozen
class Line:
    """The one line of a document: the service for a period.  # R12

    Made from a charge by :meth:`Line.from_charge`.

    Attributes:
        year: the calendar year billed.
        kind: ``"first"`` or ``"annual"``.
        months: months billed, 1 to 12.
        annual_fee: the fee for a full year.
        amount: the line amount.
        period_start: the first day of the service period.
        period_end: the last day of the service period.

    Examples:
        >>> from mbp_billing import build_schedule, example_agreement
        >>> line = Line.from_charge(build_schedule(example_agreement(), through=2023)[0])
        >>> line.months, line.amount, line.is_prorated, line.period_start
        (6, Decimal('3500.00'), True, datetime.date(2023, 7, 1))
    """

    year: int
    kind: ChargeKind
    months: int
    annual_fee: Decimal
    amount: Decimal
    period_start: date
    period_end: date

    @classmethod
    def from_charge(cls, charge: Charge) -> Line:
        """The line of ``charge``."""
        return cls(charge.year, charge.kind, charge.months, charge.annual_fee, charge.amount,
                   charge.period_start, charge.period_end)

    @property
    def is_prorated(self) -> bool:
        """Fewer than 12 months: the PDF shows the "months/12 of fee" computation."""
        return self.months < 12

    def to_record(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "year": self.year, "kind": self.kind, "months": self.months,
            "annual_fee": money_str(self.annual_fee), "amount": money_str(self.amount),
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
        }


def _check_number(instance: Any, attribute: Any, value: str) -> None:
    counter_of(value)


@attrs.frozen
class Invoice:
    """A numbered, VAT-free invoice for one charge (R10-R12).

    Build it with :meth:`Invoice.build`; the register assigns ``number``.

    Attributes:
        number: the document number, such as ``"F000123"``.
        issue_date: the invoice date.
        buyer: the municipality invoiced.
        line: the one line: the service for a period.
        seller: the invoicing party, :data:`~mbp_billing.parties.SELLER`.
        currency: ``"EUR"``.

    Examples:
        >>> from datetime import date
        >>> from mbp_billing import build_schedule, example_agreement
        >>> a = example_agreement()
        >>> charge = build_schedule(a, through=2023).for_year(2023)
        >>> inv = Invoice.build(charge, a.buyer, number="F000123", issue_date=date(2023, 7, 10))
        >>> inv.total, inv.vat_amount, inv.due_date
        (Decimal('3500.00'), Decimal('0.00'), datetime.date(2023, 8, 9))
        >>> inv.structured_communication_display, inv.buyer_reference
        ('+++000/0000/12326+++', 'MBP-APP-2023')
    """

    number: str = attrs.field(validator=_check_number)
    issue_date: date
    buyer: Party
    line: Line
    seller: Party = SELLER
    currency: str = CURRENCY

    @classmethod
    def build(cls, charge: Charge, buyer: Party, *, number: str, issue_date: date,
              seller: Party = SELLER) -> Invoice:
        """Make the invoice of ``charge`` for ``buyer``, dated ``issue_date``.

        Raises:
            NotBillable: the date is before the service could be billed
                (before go-live for a first year, before 1 January for a
                renewal).
        """
        if issue_date < charge.earliest_invoice_date:
            raise NotBillable(
                "date", issue_date.isoformat(),
                f"is before the {charge.year} charge could be billed "
                f"({charge.earliest_invoice_date.isoformat()}, R4/R5); "
                f"date the invoice on or after that day",
            )
        return cls(number=number, issue_date=issue_date, buyer=buyer,
                   line=Line.from_charge(charge), seller=seller)

    @property
    def type(self) -> DocumentType:
        """``"invoice"``."""
        return "invoice"

    @property
    def type_code(self) -> str:
        """UNTDID 1001 code: 380, commercial invoice."""
        return "380"

    @property
    def due_date(self) -> date:
        """Invoice date + 30 days.  # R11, Annex 2 §2"""
        return self.issue_date + timedelta(days=PAYMENT_TERM_DAYS)

    @property
    def total(self) -> Decimal:
        """Amount payable: the line amount; VAT is zero (R10)."""
        return self.line.amount

    @property
    def vat_amount(self) -> Decimal:
        """Always 0.00: EV DV is not subject to VAT.  # R10, Annex 2 §1"""
        return Decimal("0.00")

    @property
    def buyer_reference(self) -> str:
        """The buyer's order reference, or :data:`DEFAULT_BUYER_REFERENCE`."""
        return self.buyer.reference or DEFAULT_BUYER_REFERENCE

    @property
    def structured_communication(self) -> str:
        """12 digits derived from the invoice number (R12)."""
        return structured_communication(self.number)

    @property
    def structured_communication_display(self) -> str:
        """As printed: ``+++ddd/dddd/ddddd+++``."""
        return f"+++{ogm_vcs.format(self.structured_communication)}+++"

    @property
    def iban(self) -> str:
        """The account to pay to (R11)."""
        return SELLER_IBAN

    @property
    def bic(self) -> str:
        """BIC of :attr:`iban`."""
        return SELLER_BIC

    def to_record(self) -> dict[str, Any]:
        """JSON-ready form; also the canonical content of the register."""
        return {
            "type": self.type,
            "number": self.number,
            "issue_date": self.issue_date.isoformat(),
            "due_date": self.due_date.isoformat(),
            "currency": self.currency,
            "seller": attrs.asdict(self.seller),
            "buyer": attrs.asdict(self.buyer),
            "buyer_kbo": self.buyer.kbo,
            "line": self.line.to_record(),
            "amount": money_str(self.total),
            "vat_amount": money_str(self.vat_amount),
            "structured_communication": self.structured_communication_display,
            "iban": self.iban,
            "bic": self.bic,
        }

    def content_hash(self) -> str:
        """SHA-256 of :func:`canonical_json` of :meth:`to_record`."""
        return hashlib.sha256(canonical_json(self.to_record()).encode()).hexdigest()


@attrs.frozen
class CreditNote:
    """A credit note that refers to an issued invoice (R12).

    ``amount`` is positive: what is credited, at most the invoice total.
    Build it with :meth:`CreditNote.build`; the register assigns ``number``.

    Attributes:
        number: the document number, such as ``"C000001"``.
        issue_date: the credit note's date.
        invoice_number: the number of the invoice credited.
        invoice_issue_date: the date of that invoice.
        buyer: the municipality, as on the invoice.
        line: the invoice's line.
        amount: what is credited (positive).
        reason: why the invoice is credited.
        seller: the invoicing party, as on the invoice.
        currency: ``"EUR"``.

    Examples:
        >>> from datetime import date
        >>> from mbp_billing import build_schedule, example_agreement
        >>> a = example_agreement()
        >>> inv = Invoice.build(build_schedule(a, through=2023)[0], a.buyer,
        ...                     number="F000123", issue_date=date(2023, 7, 10))
        >>> note = CreditNote.build(inv, number="C000001", issue_date=date(2023, 8, 1),
        ...                         reason="wrong population figure", amount="500.00")
        >>> note.total, note.is_full, note.invoice_number, note.type_code
        (Decimal('500.00'), False, 'F000123', '381')
    """

    number: str = attrs.field(validator=_check_number)
    issue_date: date
    invoice_number: str
    invoice_issue_date: date
    buyer: Party
    line: Line
    amount: Decimal
    reason: str
    seller: Party = SELLER
    currency: str = CURRENCY

    @classmethod
    def build(cls, invoice: Invoice, *, number: str, issue_date: date, reason: str,
              amount: Decimal | str | int | None = None) -> CreditNote:
        """Credit ``invoice`` in full, or by ``amount``.

        Raises:
            InvalidValue: empty reason (or one the PDF font cannot show, or
                longer than :data:`MAX_REASON_LENGTH`), an amount above the
                invoice total, or a date before the invoice.
        """
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidValue("reason", reason, "say why the invoice is credited, e.g. "
                                                 "--reason 'wrong population figure'")
        reason = document_text(reason, "reason", max_length=MAX_REASON_LENGTH)
        credited = invoice.total if amount is None else parse_amount(amount, "amount")
        if credited > invoice.total:
            raise InvalidValue("amount", money_str(credited),
                               f"exceeds the invoice total {money_str(invoice.total)}")
        if issue_date < invoice.issue_date:
            raise InvalidValue("date", issue_date.isoformat(),
                               f"is before invoice {invoice.number} of "
                               f"{invoice.issue_date.isoformat()}; date the credit note later")
        return cls(number=number, issue_date=issue_date, invoice_number=invoice.number,
                   invoice_issue_date=invoice.issue_date, buyer=invoice.buyer,
                   line=invoice.line, amount=credited, reason=reason,
                   seller=invoice.seller)

    @property
    def type(self) -> DocumentType:
        """``"credit_note"``."""
        return "credit_note"

    @property
    def type_code(self) -> str:
        """UNTDID 1001 code: 381, credit note."""
        return "381"

    @property
    def total(self) -> Decimal:
        """The amount credited (positive)."""
        return self.amount

    @property
    def vat_amount(self) -> Decimal:
        """Always 0.00 (R10)."""
        return Decimal("0.00")

    @property
    def is_full(self) -> bool:
        """Whether the whole invoice line is credited."""
        return self.amount == self.line.amount

    @property
    def buyer_reference(self) -> str:
        """The buyer's order reference, or :data:`DEFAULT_BUYER_REFERENCE`."""
        return self.buyer.reference or DEFAULT_BUYER_REFERENCE

    def to_record(self) -> dict[str, Any]:
        """JSON-ready form; also the canonical content of the register."""
        return {
            "type": self.type,
            "number": self.number,
            "issue_date": self.issue_date.isoformat(),
            "credits": self.invoice_number,
            "credits_issue_date": self.invoice_issue_date.isoformat(),
            "currency": self.currency,
            "seller": attrs.asdict(self.seller),
            "buyer": attrs.asdict(self.buyer),
            "buyer_kbo": self.buyer.kbo,
            "line": self.line.to_record(),
            "amount": money_str(self.amount),
            "vat_amount": money_str(self.vat_amount),
            "reason": self.reason,
        }

    def content_hash(self) -> str:
        """SHA-256 of :func:`canonical_json` of :meth:`to_record`."""
        return hashlib.sha256(canonical_json(self.to_record()).encode()).hexdigest()


Document = Invoice | CreditNote


def document_from_record(record: dict[str, Any]) -> Invoice | CreditNote:
    """Rebuild a document from its :meth:`to_record` form (the register's content)."""
    line = record["line"]
    built_line = Line(
        year=line["year"], kind=line["kind"], months=line["months"],
        annual_fee=Decimal(line["annual_fee"]), amount=Decimal(line["amount"]),
        period_start=date.fromisoformat(line["period_start"]),
        period_end=date.fromisoformat(line["period_end"]),
    )
    seller = Party(**record["seller"])
    buyer = Party(**record["buyer"])
    if record["type"] == "invoice":
        return Invoice(number=record["number"], issue_date=date.fromisoformat(record["issue_date"]),
                       buyer=buyer, line=built_line, seller=seller, currency=record["currency"])
    return CreditNote(
        number=record["number"], issue_date=date.fromisoformat(record["issue_date"]),
        invoice_number=record["credits"],
        invoice_issue_date=date.fromisoformat(record["credits_issue_date"]),
        buyer=buyer, line=built_line, amount=Decimal(record["amount"]), reason=record["reason"],
        seller=seller, currency=record["currency"],
    )
