"""One entry for every kind of page: :func:`render_pdf` picks the page of a document.

The pages themselves are :mod:`~mbp_billing.render.invoice` and
:mod:`~mbp_billing.render.credit_note`.
"""

from __future__ import annotations

from ..documents import CreditNote, Invoice
from .credit_note import credit_note_pdf
from .formatting import DEFAULT_LOCALE, Formatter
from .invoice import invoice_pdf

__all__ = ["render_pdf"]


def render_pdf(document: Invoice | CreditNote, *, locale: str = DEFAULT_LOCALE) -> bytes:
    """The PDF of ``document``: one A4 page (more only for extreme texts).

    The page shows the seller and buyer with their enterprise numbers, the
    title, number, date and (for an invoice) due date (R11), the service and
    its period with the pro-rata computation when fewer than 12 months are
    billed (R4), the totals with VAT 0.00 and the article 6 mention (R10),
    and for an invoice the payment block with IBAN, BIC, the structured
    communication and the EPC QR code (R11, R12).  A credit note names the
    invoice it credits and why.

    Args:
        document: the invoice or credit note to render.
        locale: a Babel locale identifier such as ``nl_BE`` (default),
            ``fr_BE`` or ``en_GB``; dates and amounts follow it, labels follow
            its language (Dutch, French or English).

    Returns:
        The PDF file, byte-identical for equal arguments.

    Raises:
        InvalidValue: an unknown locale, a language without labels, or an
            amount with more than two decimals.

    Examples:
        >>> from datetime import date
        >>> from mbp_billing.agreement import Agreement
        >>> from mbp_billing.documents import Invoice
        >>> from mbp_billing.parties import Party
        >>> from mbp_billing.schedule import build_schedule
        >>> buyer = Party(name="Gemeente Voorbeeld", kbo="0207.123.407",
        ...               street="Marktplein 1", postcode="9999", city="Voorbeeld")
        >>> a = Agreement(signed_on=date(2023, 2, 10), population=32000, buyer=buyer,
        ...               app_store_live_on=date(2023, 6, 20), play_store_live_on=date(2023, 7, 3))
        >>> inv = Invoice.build(build_schedule(a, through=2023).for_year(2023), buyer,
        ...                     number="F000123", issue_date=date(2023, 7, 10))
        >>> pdf = render_pdf(inv)
        >>> pdf[:5], pdf == render_pdf(inv)
        (b'%PDF-', True)
        >>> render_pdf(inv, locale="xx_YY")
        Traceback (most recent call last):
        ...
        mbp_billing.errors.InvalidValue: locale 'xx_YY': is not a known locale; use e.g. 'nl_BE', 'fr_BE' or 'en_GB'
    """
    fmt = Formatter.for_locale(locale)
    if isinstance(document, Invoice):
        return invoice_pdf(document, fmt)
    return credit_note_pdf(document, fmt)
