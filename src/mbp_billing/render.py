"""The PDF of an invoice or credit note, for people (R10, R11, R12).

:func:`render_pdf` is a pure function of (document, locale) -> bytes: A4,
ReportLab in invariant mode, no clock read, no global state, so the same
document always gives byte-identical bytes.  Dates and amounts are formatted
by Babel in the locale asked for (Dutch, ``nl_BE``, by default; never from the
environment); labels come from a small table per language.  The renderer
formats, it never rounds: an amount with more than two decimals is refused.

Invoices carry an EPC QR code (:func:`epc_qr_payload`) that a banking app
scans to prefill the credit transfer.  This is the only module that imports
reportlab.

>>> from datetime import date
>>> from mbp_billing.agreement import Agreement
>>> from mbp_billing.documents import Invoice
>>> from mbp_billing.parties import Party
>>> from mbp_billing.schedule import build_schedule
>>> buyer = Party(name="Gemeente Voorbeeld", kbo="0207.123.407", street="Marktplein 1",
...               postcode="9999", city="Voorbeeld")
>>> a = Agreement(signed_on=date(2023, 2, 10), population=32000, buyer=buyer,
...               app_store_live_on=date(2023, 6, 20), play_store_live_on=date(2023, 7, 3))
>>> inv = Invoice.build(build_schedule(a, through=2023).for_year(2023), buyer,
...                     number="F000123", issue_date=date(2023, 7, 10))
>>> print(epc_qr_payload(inv))
BCD
002
1
SCT
BBRUBEBB
Eigen Vermogen Digitaal Vlaanderen
BE86375111750850
EUR3500.00
<BLANKLINE>
000000012326
"""

from __future__ import annotations

import functools
import io
import itertools
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from xml.sax.saxutils import escape

import attrs
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency
from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.qr import SRect
from reportlab.graphics.shapes import Drawing, Group, Rect
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from stdnum import iban as std_iban

from .documents import SERVICE_NAME, VAT_EXEMPTION_REASON, CreditNote, Invoice
from .errors import InvalidValue
from .money import CENT, CURRENCY
from .parties import Party

__all__ = ["DEFAULT_LOCALE", "epc_qr_payload", "render_pdf"]

#: The locale of every document unless the caller asks for another.
DEFAULT_LOCALE: Final = "nl_BE"

# -- Layout: every size, font and colour of the page, in one place. ---------
_PAGE_SIZE: Final = A4
_MARGIN_X: Final = 18 * mm
_MARGIN_TOP: Final = 16 * mm
_MARGIN_BOTTOM: Final = 20 * mm
_FRAME_WIDTH: Final = _PAGE_SIZE[0] - 2 * _MARGIN_X
_FONT: Final = "Helvetica"  # Standard font, WinAnsi: Latin-1 accents and "€".
_FONT_BOLD: Final = "Helvetica-Bold"
_FONT_ITALIC: Final = "Helvetica-Oblique"
_BODY_SIZE: Final = 9.5
_SMALL_SIZE: Final = 8
_TITLE_SIZE: Final = 22
_INK: Final = colors.HexColor("#1A1A1A")
_MUTED: Final = colors.HexColor("#5F6368")
_ACCENT: Final = colors.HexColor("#1F3A5F")
_RULE: Final = colors.HexColor("#B8BEC6")
_PANEL: Final = colors.HexColor("#F2F4F7")
_AMOUNT_COLUMN: Final = 38 * mm
_TOTALS_LABEL_COLUMN: Final = 45 * mm
_META_LABEL_COLUMN: Final = 26 * mm
_QR_SIZE: Final = 34 * mm  # ~0.7 mm modules: scannable from paper and screen.
_QR_COLUMN: Final = _QR_SIZE + 6 * mm
_GAP: Final = 7 * mm  # Between blocks.
_PAYMENT_GUTTER: Final = 3 * mm  # Between payment text and QR code, and after it.
_CELL_PADDING: Final = 2.5 * mm  # Inside the line and totals tables.
_PANEL_PADDING: Final = 4 * mm  # Inside the shaded panels.
_ROW_PADDING: Final = 0.7 * mm  # Between label/value rows.
_SELLER_NAME_SIZE: Final = 12.5
_NUMBER_SIZE: Final = 12
_EMPHASIS_SIZE: Final = 11  # Total and structured communication.
_FOOTER_SIZE: Final = 7.5

# -- The EPC069-12 QR code (SEPA credit transfer). ---------------------------
_EPC_SERVICE_TAG: Final = "BCD"
_EPC_VERSION: Final = "002"  # Version 2: the BIC may be left out in the EEA; we still give it.
_EPC_CHARACTER_SET: Final = "1"  # UTF-8
_EPC_IDENTIFICATION: Final = "SCT"
_EPC_NAME_MAX: Final = 70
_EPC_MAX_AMOUNT: Final = Decimal("999999999.99")
_EPC_ERROR_CORRECTION: Final = "M"  # EPC069-12 prescribes level M.


@attrs.frozen
class _Labels:
    """The words printed on a document, in one language."""

    invoice: str
    credit_note: str
    number: str
    date: str
    due_date: str
    reference: str
    enterprise_number: str
    customer: str
    description: str
    amount: str
    period: str
    prorata: str  # {months}, {fee}
    partial_credit: str  # {amount}
    subtotal: str
    vat: str
    total_invoice: str
    total_credit_note: str
    vat_mention: str
    payment: str
    pay_instruction: str  # {amount}, {due}
    beneficiary: str
    communication: str
    qr_caption: str
    credits: str  # {number}, {date}
    reason: str
    page: str  # {page}


_LABELS: Final[dict[str, _Labels]] = {
    "nl": _Labels(
        invoice="Factuur",
        credit_note="Creditnota",
        number="Nummer",
        date="Datum",
        due_date="Vervaldatum",
        reference="Referentie",
        enterprise_number="Ondernemingsnummer",
        customer="Klant",
        description="Omschrijving",
        amount="Bedrag",
        period="Periode",
        prorata="Pro rata: {months}/12 van {fee}",
        partial_credit="Gedeeltelijke creditering van {amount}",
        subtotal="Subtotaal",
        vat="BTW",
        total_invoice="Totaal te betalen",
        total_credit_note="Totaal gecrediteerd",
        vat_mention=VAT_EXEMPTION_REASON,  # R10
        payment="Betaling",
        pay_instruction=(
            "Gelieve {amount} uiterlijk op {due} over te schrijven op onderstaande "
            "rekening, met de gestructureerde mededeling."
        ),
        beneficiary="Begunstigde",
        communication="Mededeling",
        qr_caption="Scan met uw bankapp",
        credits="Crediteert factuur {number} van {date}",
        reason="Reden",
        page="Pagina {page}",
    ),
    "fr": _Labels(
        invoice="Facture",
        credit_note="Note de crédit",
        number="Numéro",
        date="Date",
        due_date="Échéance",
        reference="Référence",
        enterprise_number="Numéro d'entreprise",
        customer="Client",
        description="Description",
        amount="Montant",
        period="Période",
        prorata="Prorata : {months}/12 de {fee}",
        partial_credit="Crédit partiel de {amount}",
        subtotal="Sous-total",
        vat="TVA",
        total_invoice="Total à payer",
        total_credit_note="Total crédité",
        vat_mention=(
            "Non soumis à la TVA : organisme de droit public non assujetti "
            "(article 6, alinéa 1er, Code de la TVA)"
        ),
        payment="Paiement",
        pay_instruction=(
            "Veuillez virer {amount} au plus tard le {due} sur le compte ci-dessous, "
            "avec la communication structurée."
        ),
        beneficiary="Bénéficiaire",
        communication="Communication",
        qr_caption="Scannez avec votre app bancaire",
        credits="Crédite la facture {number} du {date}",
        reason="Motif",
        page="Page {page}",
    ),
    "en": _Labels(
        invoice="Invoice",
        credit_note="Credit note",
        number="Number",
        date="Date",
        due_date="Due date",
        reference="Reference",
        enterprise_number="Enterprise number",
        customer="Customer",
        description="Description",
        amount="Amount",
        period="Period",
        prorata="Pro rata: {months}/12 of {fee}",
        partial_credit="Partial credit of {amount}",
        subtotal="Subtotal",
        vat="VAT",
        total_invoice="Total due",
        total_credit_note="Total credited",
        vat_mention=(
            "Not subject to VAT: non-taxable public body "
            "(article 6, first paragraph, Belgian VAT Code)"
        ),
        payment="Payment",
        pay_instruction=(
            "Please transfer {amount} no later than {due} to the account below, "
            "quoting the structured communication."
        ),
        beneficiary="Beneficiary",
        communication="Communication",
        qr_caption="Scan with your banking app",
        credits="Credits invoice {number} of {date}",
        reason="Reason",
        page="Page {page}",
    ),
}


def epc_qr_payload(invoice: Invoice) -> str:
    """The EPC069-12 QR payload that prefills the payment in a banking app.

    Version ``002``, UTF-8, SEPA credit transfer to EV DV's account (R11)
    for the invoice total, with the invoice's structured communication
    (R12) as the reference.  Elements are separated by a line feed and
    nothing follows the last element given.

    The reference goes in the *structured* remittance element (line 10), as
    the 12 digits without ``+++`` and slashes, and the unstructured element
    stays empty (EPC069-12 allows only one of the two).  The Belgian
    structured communication is a creditor reference in its own right:
    Febelfin's XML credit-transfer standard carries it as structured
    remittance (``CdtrRefInf``, issuer ``BBA``, the bare 12 digits);
    EPC069-12 allows any creditor reference of up to 35 characters there
    ("ISO 11649 RF Creditor Reference *may* be used"); and Odoo's
    ``account_qr_code_sepa``, common on Belgian invoices, puts a valid
    Belgian reference there the same way.  A banking app then fills its
    "gestructureerde mededeling" field, so the payment reaches the seller's
    statement (CODA) as structured and is matched to the invoice; as free
    text it would arrive unstructured.

    Args:
        invoice: the invoice to pay.

    Returns:
        The payload text; encode it as UTF-8 in a QR code of level M.

    Raises:
        InvalidValue: the total is outside what an EPC QR code can carry
            (0.01 to 999999999.99 euro) or has more than two decimals.

    Examples:
        >>> from datetime import date
        >>> from mbp_billing import Invoice, build_schedule, example_agreement
        >>> a = example_agreement()
        >>> inv = Invoice.build(build_schedule(a, through=2023)[0], a.buyer,
        ...                     number="F000123", issue_date=date(2023, 7, 10))
        >>> epc_qr_payload(inv).split("\\n")
        ['BCD', '002', '1', 'SCT', 'BBRUBEBB', 'Eigen Vermogen Digitaal Vlaanderen', 'BE86375111750850', 'EUR3500.00', '', '000000012326']
    """
    amount = _exact_cents(invoice.total, "total")
    if not Decimal("0.01") <= amount <= _EPC_MAX_AMOUNT:
        raise InvalidValue("total", str(amount),
                           "is outside the 0.01-999999999.99 euro an EPC QR code can carry")
    elements = [
        _EPC_SERVICE_TAG,
        _EPC_VERSION,
        _EPC_CHARACTER_SET,
        _EPC_IDENTIFICATION,
        invoice.bic,
        # EPC069-12 allows 70 characters; a longer name is cut, never refused.
        _one_line(invoice.seller.name)[:_EPC_NAME_MAX],
        invoice.iban,
        f"{CURRENCY}{amount}",
        "",  # purpose code: none
        invoice.structured_communication,  # R12, structured remittance (see above)
    ]
    return "\n".join(elements)


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
    fmt = _Formatter.for_locale(locale)
    labels = fmt.labels
    title = labels.invoice if isinstance(document, Invoice) else labels.credit_note
    styles = _Styles()
    story: list[Flowable] = [
        _header(document, title, fmt, styles),
        Spacer(1, _GAP),
        _parties_and_meta(document, fmt, styles),
        Spacer(1, _GAP),
    ]
    if isinstance(document, CreditNote):
        story += _credit_reference(document, fmt, styles)
    story += [
        _lines_table(document, fmt, styles),
        Spacer(1, 2 * mm),
        _totals_table(document, fmt, styles),
        Spacer(1, 4 * mm),
        Paragraph(_text(labels.vat_mention), styles.note),  # R10
    ]
    if isinstance(document, Invoice):
        story += [Spacer(1, _GAP), _payment_block(document, fmt, styles)]

    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=_PAGE_SIZE,
        leftMargin=_MARGIN_X,
        rightMargin=_MARGIN_X,
        topMargin=_MARGIN_TOP,
        bottomMargin=_MARGIN_BOTTOM,
        # Invariant mode fixes the creation date (2000-01-01) and the document
        # ID, so the bytes depend on the arguments alone: re-rendering an
        # issued document writes an identical file.
        invariant=1,
        title=f"{title} {document.number}",
        author=_one_line(document.seller.name),
        subject=SERVICE_NAME,
        creator="mbp_billing",
        lang=fmt.locale.language + (f"-{fmt.locale.territory}" if fmt.locale.territory else ""),
    )
    # A frame without padding, so tables and paragraphs share one left edge.
    frame = Frame(_MARGIN_X, _MARGIN_BOTTOM, _FRAME_WIDTH,
                  _PAGE_SIZE[1] - _MARGIN_TOP - _MARGIN_BOTTOM,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame],
                                       onPage=_footer(document, fmt))])
    doc.build(story)
    return buffer.getvalue()


# -- Formatting ---------------------------------------------------------------


@attrs.frozen
class _Formatter:
    """Dates, amounts and labels in one locale."""

    locale: Locale
    labels: _Labels

    @classmethod
    def for_locale(cls, identifier: object) -> _Formatter:
        if not isinstance(identifier, str):
            raise InvalidValue("locale", identifier, "must be a locale name such as 'nl_BE'")
        try:
            parsed = Locale.parse(identifier)
        except (UnknownLocaleError, ValueError, TypeError):
            raise InvalidValue("locale", identifier,
                               "is not a known locale; use e.g. 'nl_BE', 'fr_BE' or 'en_GB'") from None
        labels = _LABELS.get(parsed.language)
        if labels is None:
            raise InvalidValue(
                "locale", identifier,
                f"has no labels for language '{parsed.language}'; "
                f"use a {', '.join(sorted(_LABELS))} locale such as 'nl_BE'",
            )
        return cls(parsed, labels)

    def day(self, value: date) -> str:
        """``2 januari 2026``; the date is always passed, Babel's default is today."""
        return _pdf_safe(format_date(value, format="long", locale=self.locale))

    def money(self, value: Decimal, field: str = "amount") -> str:
        """``€ 7.000,00`` in nl_BE: formatted, never rounded."""
        return _pdf_safe(format_currency(_exact_cents(value, field), CURRENCY,
                                         locale=self.locale))


def _exact_cents(value: Decimal, field: str) -> Decimal:
    # The renderer formats, it never rounds: an amount must already be whole
    # cents (money.round_money did the one rounding, R4).
    try:
        cents = value.quantize(CENT) if isinstance(value, Decimal) else None
    except InvalidOperation:  # Too many digits for the decimal context.
        cents = None
    if cents is None or cents != value:
        raise InvalidValue(field, str(value), "must be whole cents; round it with round_money first")
    return cents


def _pdf_safe(text: str) -> str:
    # CLDR puts a narrow no-break space (U+202F) in French amounts; it is not
    # in Helvetica's WinAnsi encoding, the ordinary no-break space is.
    return text.replace("\u202f", "\xa0")


def _one_line(text: str) -> str:
    """Control characters (line breaks, tabs, NUL) become single spaces."""
    cleaned = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    # Only ordinary spaces collapse: a no-break space (as in "€ 7.000,00") stays.
    return re.sub(" {2,}", " ", cleaned).strip()


def _text(text: str) -> str:
    """Plain text as Paragraph markup: no tags, entities or control characters."""
    return escape(_pdf_safe(_one_line(text)))


def _bold(text: str) -> str:
    return f"<b>{_text(text)}</b>"


# -- Styles -------------------------------------------------------------------


class _Styles:
    """The paragraph styles of a document."""

    def __init__(self) -> None:
        base = ParagraphStyle("body", fontName=_FONT, fontSize=_BODY_SIZE,
                              leading=_BODY_SIZE * 1.35, textColor=_INK)
        self.body = base
        self.right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
        self.seller_name = ParagraphStyle("seller_name", parent=base, fontName=_FONT_BOLD,
                                          fontSize=_SELLER_NAME_SIZE,
                                          leading=_SELLER_NAME_SIZE * 1.3, textColor=_ACCENT)
        self.title = ParagraphStyle("title", parent=base, fontName=_FONT_BOLD,
                                    fontSize=_TITLE_SIZE, leading=_TITLE_SIZE * 1.15,
                                    alignment=TA_RIGHT, textColor=_ACCENT)
        self.title_number = ParagraphStyle("title_number", parent=base, fontSize=_NUMBER_SIZE,
                                           leading=_NUMBER_SIZE * 1.25, alignment=TA_RIGHT,
                                           textColor=_MUTED)
        self.heading = ParagraphStyle("heading", parent=base, fontName=_FONT_BOLD,
                                      fontSize=_SMALL_SIZE, leading=_SMALL_SIZE * 1.4,
                                      textColor=_MUTED)
        self.label = ParagraphStyle("label", parent=base, textColor=_MUTED)
        self.header_cell = ParagraphStyle("header_cell", parent=base, fontName=_FONT_BOLD,
                                          textColor=colors.white)
        self.header_cell_right = ParagraphStyle("header_cell_right", parent=self.header_cell,
                                                alignment=TA_RIGHT)
        self.detail = ParagraphStyle("detail", parent=base, textColor=_MUTED)
        self.total = ParagraphStyle("total", parent=base, fontName=_FONT_BOLD,
                                    fontSize=_EMPHASIS_SIZE, leading=_EMPHASIS_SIZE * 1.35)
        self.total_right = ParagraphStyle("total_right", parent=self.total, alignment=TA_RIGHT)
        self.note = ParagraphStyle("note", parent=base, fontName=_FONT_ITALIC,
                                   fontSize=_SMALL_SIZE + 0.5, leading=(_SMALL_SIZE + 0.5) * 1.4,
                                   textColor=_MUTED)
        self.caption = ParagraphStyle("caption", parent=base, fontSize=_SMALL_SIZE,
                                      leading=_SMALL_SIZE * 1.3, alignment=TA_CENTER,
                                      textColor=_MUTED)
        self.communication = ParagraphStyle("communication", parent=base, fontName=_FONT_BOLD,
                                            fontSize=_EMPHASIS_SIZE,
                                            leading=_EMPHASIS_SIZE * 1.3)


# -- Blocks of the page ---------------------------------------------------------


def _address_lines(party: Party, fmt: _Formatter) -> list[str]:
    """Markup lines of a party: name, street, postcode and city, enterprise number."""
    return [
        _text(party.street),
        _text(f"{party.postcode} {party.city}"),
        _text(f"{fmt.labels.enterprise_number} {party.enterprise_number_display}"),
    ]


def _header(document: Invoice | CreditNote, title: str, fmt: _Formatter,
            styles: _Styles) -> Flowable:
    """Seller letterhead on the left, document title and number on the right."""
    seller = document.seller
    left = [Paragraph(_text(seller.name), styles.seller_name)]
    left += [Paragraph(line, styles.body) for line in _address_lines(seller, fmt)]
    right = [Paragraph(_text(title), styles.title),
             Paragraph(_text(document.number), styles.title_number)]
    table = Table([[left, right]], colWidths=[_FRAME_WIDTH * 0.6, _FRAME_WIDTH * 0.4],
                  splitInRow=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4 * mm),
        ("LINEBELOW", (0, 0), (-1, 0), 1.2, _ACCENT),
    ]))
    return table


def _parties_and_meta(document: Invoice | CreditNote, fmt: _Formatter,
                      styles: _Styles) -> Flowable:
    """Number, dates and reference on the left; the buyer on the right."""
    labels = fmt.labels
    rows = [
        (labels.number, document.number),
        (labels.date, fmt.day(document.issue_date)),
    ]
    if isinstance(document, Invoice):
        rows.append((labels.due_date, fmt.day(document.due_date)))  # R11
    rows.append((labels.reference, document.buyer_reference))
    meta = Table(
        [[Paragraph(_text(k), styles.label), Paragraph(_text(v), styles.body)] for k, v in rows],
        colWidths=[_META_LABEL_COLUMN, _FRAME_WIDTH * 0.45 - _META_LABEL_COLUMN],
        splitInRow=1,
    )
    meta.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), _ROW_PADDING),
        ("BOTTOMPADDING", (0, 0), (-1, -1), _ROW_PADDING),
    ]))
    buyer = document.buyer
    customer = [Paragraph(_text(labels.customer.upper()), styles.heading),
                Paragraph(_bold(buyer.name), styles.body)]
    customer += [Paragraph(line, styles.body) for line in _address_lines(buyer, fmt)]
    table = Table([[meta, customer]], colWidths=[_FRAME_WIDTH * 0.5, _FRAME_WIDTH * 0.5],
                  splitInRow=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
        ("LEFTPADDING", (1, 0), (1, -1), _PANEL_PADDING),
        ("RIGHTPADDING", (0, 0), (0, -1), 0),
        ("RIGHTPADDING", (1, 0), (1, -1), _PANEL_PADDING),
        ("TOPPADDING", (1, 0), (1, -1), _PANEL_PADDING * 0.75),
        ("BOTTOMPADDING", (1, 0), (1, -1), _PANEL_PADDING * 0.75),
        ("BACKGROUND", (1, 0), (1, -1), _PANEL),
    ]))
    return table


def _credit_reference(note: CreditNote, fmt: _Formatter, styles: _Styles) -> list[Flowable]:
    """Which invoice is credited, and why.  # R12"""
    labels = fmt.labels
    credits = labels.credits.format(number=note.invoice_number,
                                    date=fmt.day(note.invoice_issue_date))
    box = Table([[[Paragraph(_bold(credits), styles.body),
                   Paragraph(f"{_text(labels.reason)}: {_text(note.reason)}", styles.body)]]],
                colWidths=[_FRAME_WIDTH], splitInRow=1)
    box.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), _PANEL),
        ("LINEBEFORE", (0, 0), (0, -1), 2.5, _ACCENT),
        ("LEFTPADDING", (0, 0), (-1, -1), _PANEL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PANEL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), _CELL_PADDING),
        ("BOTTOMPADDING", (0, 0), (-1, -1), _CELL_PADDING),
    ]))
    return [box, Spacer(1, _GAP)]


def _lines_table(document: Invoice | CreditNote, fmt: _Formatter,
                 styles: _Styles) -> Flowable:
    """The one line: service, period, pro-rata computation, amount.  # R4, R12"""
    labels = fmt.labels
    line = document.line
    period = f"{fmt.day(line.period_start)} \u2013 {fmt.day(line.period_end)}"
    details = [f"{labels.period}: {period}"]
    full = isinstance(document, Invoice) or document.is_full
    if line.is_prorated and full:
        details.append(labels.prorata.format(months=line.months,
                                             fee=fmt.money(line.annual_fee, "annual_fee")))
    if not full:
        details.append(labels.partial_credit.format(amount=fmt.money(line.amount)))
    description = [Paragraph(_bold(SERVICE_NAME), styles.body)]
    description += [Paragraph(_text(d), styles.detail) for d in details]
    amount = Paragraph(_text(fmt.money(document.total, "total")), styles.right)
    header = [Paragraph(_text(labels.description), styles.header_cell),
              Paragraph(_text(labels.amount), styles.header_cell_right)]
    table = Table([header, [description, amount]],
                  colWidths=[_FRAME_WIDTH - _AMOUNT_COLUMN, _AMOUNT_COLUMN], splitInRow=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), _ACCENT),
        ("TOPPADDING", (0, 0), (-1, -1), 2 * mm),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2 * mm),
        ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
        ("LINEBELOW", (0, -1), (-1, -1), 0.6, _RULE),
    ]))
    return table


def _totals_table(document: Invoice | CreditNote, fmt: _Formatter,
                  styles: _Styles) -> Flowable:
    """Subtotal, VAT 0.00 and total, amounts aligned under the line amount.  # R10"""
    labels = fmt.labels
    total_label = (labels.total_invoice if isinstance(document, Invoice)
                   else labels.total_credit_note)
    rows = [
        [Paragraph(_text(labels.subtotal), styles.label),
         Paragraph(_text(fmt.money(document.total, "total")), styles.right)],
        [Paragraph(_text(labels.vat), styles.label),
         Paragraph(_text(fmt.money(document.vat_amount, "vat_amount")), styles.right)],
        [Paragraph(_text(total_label), styles.total),
         Paragraph(_text(fmt.money(document.total + document.vat_amount, "total")),
                   styles.total_right)],
    ]
    spacer = _FRAME_WIDTH - _AMOUNT_COLUMN - _TOTALS_LABEL_COLUMN
    table = Table([["", *row] for row in rows],
                  colWidths=[spacer, _TOTALS_LABEL_COLUMN, _AMOUNT_COLUMN])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 1 * mm),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1 * mm),
        ("LINEABOVE", (1, -1), (-1, -1), 1.2, _ACCENT),
        ("TOPPADDING", (0, -1), (-1, -1), 2 * mm),
    ]))
    return table


def _payment_block(invoice: Invoice, fmt: _Formatter, styles: _Styles) -> Flowable:
    """How to pay: amount, due date, IBAN, BIC, communication and the QR code.  # R11, R12"""
    labels = fmt.labels
    instruction = labels.pay_instruction.format(amount=fmt.money(invoice.total, "total"),
                                                due=fmt.day(invoice.due_date))
    # The text column: the frame less the QR column and the panel's paddings.
    text_width = _FRAME_WIDTH - _QR_COLUMN - _PANEL_PADDING - _PAYMENT_GUTTER
    details = Table(
        [
            [Paragraph(_text(labels.beneficiary), styles.label),
             Paragraph(_text(invoice.seller.name), styles.body)],
            [Paragraph("IBAN", styles.label),
             Paragraph(_text(std_iban.format(invoice.iban)), styles.body)],
            [Paragraph("BIC", styles.label), Paragraph(_text(invoice.bic), styles.body)],
            [Paragraph(_text(labels.communication), styles.label),
             Paragraph(_text(invoice.structured_communication_display), styles.communication)],
        ],
        colWidths=[_META_LABEL_COLUMN, text_width - _META_LABEL_COLUMN],
    )
    details.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), _ROW_PADDING),
        ("BOTTOMPADDING", (0, 0), (-1, -1), _ROW_PADDING),
    ]))
    left = [Paragraph(_text(labels.payment.upper()), styles.heading),
            Spacer(1, 1 * mm),
            Paragraph(_text(instruction), styles.body),
            Spacer(1, 2 * mm),
            details]
    right = [_qr_drawing(epc_qr_payload(invoice)), Paragraph(_text(labels.qr_caption),
                                                             styles.caption)]
    table = Table([[left, right]], colWidths=[_FRAME_WIDTH - _QR_COLUMN, _QR_COLUMN])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BOX", (0, 0), (-1, -1), 0.8, _RULE),
        ("BACKGROUND", (0, 0), (-1, -1), _PANEL),
        ("LEFTPADDING", (0, 0), (0, -1), _PANEL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PAYMENT_GUTTER),
        ("LEFTPADDING", (1, 0), (1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 3.5 * mm),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5 * mm),
    ]))
    return KeepTogether([table])


def _qr_drawing(payload: str) -> Drawing:
    """The QR code of ``payload``: UTF-8 bytes, level M, white quiet zone."""
    # reportlab encodes text that is neither numeric, alphanumeric nor Kanji
    # (the payload always has lower case and line feeds) as one 8-bit segment
    # of UTF-8 bytes, the character set the payload declares on its line 3.
    return _QrDrawing(payload)


# reportlab's QrCodeWidget in a Drawing, drawn in a fraction of the time with
# the very same bytes.  The widget spends ~75% of a page's rendering on this
# symbol: it tries the eight masks with pure-Python penalty rules, then makes
# one validated Rect shape per run of dark modules and sends each through the
# generic shape renderer.  Here the mask penalties are computed on rows held
# as integers and strings (same rules, same result), and the dark runs are
# written as the exact operators the renderer writes for each of them.
# tests/test_render_qr.py checks both against reportlab's widget.

_QR_BORDER: Final = 4  # Modules of quiet zone (QrCodeWidget's barBorder).
_QR_FINDER_LIKE: Final = "10111010000"
#: What reportlab's renderer writes for one dark run of QrCodeWidget (an
#: SRect: black fill, no stroke): x, y, width, height go in the braces.
_QR_RUN_OPERATORS: Final = "q\n0 0 0 rg\n0 w\n0 J\n0 j\n[] 0 d\nn {} {} {} {} re f*\nQ"


class _QrDrawing(Drawing):
    """A Drawing of a white square and the QR symbol, as QrCodeWidget draws it."""

    def __init__(self, payload: str) -> None:
        super().__init__(_QR_SIZE, _QR_SIZE)
        background = Rect(0, 0, _QR_SIZE, _QR_SIZE)
        background.fillColor = colors.white
        background.strokeColor = None
        self.add(background)
        # The widget's own group: its invisible outline, then the dark runs
        # (written by draw below).
        symbol = Group()
        symbol.add(SRect(0, 0, _QR_SIZE, _QR_SIZE, fillColor=None))
        self.add(symbol)
        self._modules = _qr_modules(payload)

    def draw(self, *args: Any, **kwargs: Any) -> None:
        super().draw(*args, **kwargs)
        code: list[str] = self.canv._code  # type: ignore[attr-defined]
        # The renderer closed the symbol's group, the drawing and itself:
        # the dark runs go inside the group, after its outline.
        if code[-3:] != ["Q", "Q", "Q"]:
            raise AssertionError(f"unexpected end of a reportlab drawing: {code[-3:]}")
        code[-3:-3] = [self._run_operators()]

    def _run_operators(self) -> str:
        # The arithmetic of QrCodeWidget.draw, so the same floats are printed.
        modules = self._modules
        count = len(modules)
        size = float(_QR_SIZE)
        box = size / (count + _QR_BORDER * 2.0)
        xs = [fp_str(0.0 + (c + _QR_BORDER) * box) for c in range(count)]
        widths = [fp_str(k * box) for k in range(count + 1)]
        height = fp_str(box)
        runs = []
        for r, row in enumerate(modules):
            y = fp_str(0.0 + size - (r + _QR_BORDER + 1) * box)
            c = 0
            while c < count:
                if row[c]:
                    start = c
                    while c < count and row[c]:
                        c += 1
                    runs.append(_QR_RUN_OPERATORS.format(xs[start], y, widths[c - start],
                                                         height))
                else:
                    c += 1
        return "\n".join(runs)


def _qr_modules(payload: str) -> list[list[bool]]:
    """The module matrix ``QrCodeWidget(payload, barLevel="M")`` draws."""
    level: int = getattr(qrencoder.QRErrorCorrectLevel, _EPC_ERROR_CORRECTION)
    qr = qrencoder.QRCode(None, level)
    qr.addData(payload)  # reportlab picks the segment mode
    version: int = qr.calculate_version()  # type: ignore[no-untyped-call]
    layout = _qr_layout(version, level)
    n = layout.size
    data = [0] * n
    bits = "".join(format(c, "08b") for c in _qr_codewords(qr.dataList, version, level))
    for (row, bit), value in zip(layout.cells, bits, strict=False):
        if value == "1":
            data[row] |= bit
    candidates = [[f | ((x ^ m) & d) for f, x, m, d in
                   zip(layout.fixed, data, mask, layout.data_area, strict=True)]
                  for mask in layout.masks]
    # reportlab's getBestMaskPattern: the lowest penalty, the first of equals.
    best = min(range(8), key=lambda i: (_qr_penalty(candidates[i], n), i))
    # What makeImpl(False, best) makes: the same matrix with its format
    # (and, from version 7, version) information written in.
    qr.version, qr.moduleCount = version, n
    qr.modules = [[bit == "1" for bit in format(row, f"0{n}b")] for row in candidates[best]]
    qr.setupTypeInfo(False, best)
    if version >= 7:
        qr.setupTypeNumber(False)
    modules: list[list[bool]] = qr.modules
    return modules


@attrs.frozen
class _QrLayout:
    """Where a QR symbol of one version and level keeps its data; rows as bits."""

    size: int
    fixed: list[int]  # function patterns, format areas blank (reportlab's test mode)
    data_area: list[int]
    masks: list[list[int]]  # each of the eight masks over the data area
    cells: list[tuple[int, int]]  # (row, column bit) of each data bit, in order


@functools.lru_cache(maxsize=16)
def _qr_layout(version: int, level: int) -> _QrLayout:
    qr = qrencoder.QRCode(version, level)
    qr.makeImpl(True, 0)
    n: int = qr.moduleCount
    rows = [int("".join("1" if m else "0" for m in row), 2) for row in qr.modules]
    positions: list[tuple[int, int]] = qr.dataPosIterator()  # type: ignore[no-untyped-call]
    cells = [(row, 1 << (n - 1 - col)) for col, row in positions]
    data_area = [0] * n
    for row, bit in cells:
        data_area[row] |= bit
    masks = []
    for pattern in range(8):
        dark = qrencoder.QRUtil.getMask(pattern)  # type: ignore[no-untyped-call]
        mask = [0] * n
        for col, row in positions:
            if dark(row, col):
                mask[row] |= 1 << (n - 1 - col)
        masks.append(mask)
    fixed = [r & ~d for r, d in zip(rows, data_area, strict=True)]
    return _QrLayout(n, fixed, data_area, masks, cells)


def _qr_codewords(segments: list[Any], version: int, level: int) -> list[int]:
    """reportlab's ``QRCode.createData``: data, padding, Reed-Solomon, interleaved."""
    blocks = qrencoder.QRRSBlock.getRSBlocks(version, level)  # type: ignore[no-untyped-call]
    buffer = qrencoder.QRBitBuffer()
    for segment in segments:
        segment.write(buffer, version)
    capacity = sum(block.dataCount for block in blocks)
    if buffer.length > capacity * 8:
        raise ValueError(f"code length overflow. ({buffer.length} > {capacity * 8})")
    if buffer.length + 4 <= capacity * 8:
        buffer.put(0, 4)  # terminator
    while buffer.length % 8:
        buffer.putBit(False)
    codes: list[int] = list(buffer.buffer)
    codes += [(0xEC, 0x11)[k % 2] for k in range(capacity - len(codes))]
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        chunk = codes[offset:offset + block.dataCount]
        offset += block.dataCount
        data_blocks.append(chunk)
        ec_blocks.append(_rs_remainder(chunk, block.totalCount - block.dataCount))
    return [b[i] for group in (data_blocks, ec_blocks)
            for i in range(max(len(b) for b in group)) for b in group if i < len(b)]


# GF(256) with the QR code's polynomial x^8 + x^4 + x^3 + x^2 + 1.
_GF_EXP: Final = [1] * 255
for _i in range(1, 255):
    _GF_EXP[_i] = (_GF_EXP[_i - 1] << 1) ^ (0x11D if _GF_EXP[_i - 1] & 0x80 else 0)
_GF_LOG: Final = {v: i for i, v in enumerate(_GF_EXP)}


@functools.lru_cache(maxsize=32)
def _rs_generator_logs(ec_count: int) -> tuple[int, ...]:
    """Logs of the generator polynomial's coefficients after the leading 1."""
    generator = qrencoder.QRUtil.getErrorCorrectPolynomial(ec_count)  # type: ignore[no-untyped-call]
    return tuple(_GF_LOG[c] for c in generator.num[1:])


def _rs_remainder(data: list[int], ec_count: int) -> list[int]:
    """The ``ec_count`` Reed-Solomon error correction codewords of ``data``."""
    logs = _rs_generator_logs(ec_count)
    remainder = [0] * ec_count
    for code in data:
        factor = code ^ remainder.pop(0)
        remainder.append(0)
        if factor:
            shift = _GF_LOG[factor]
            for k, log in enumerate(logs):
                remainder[k] ^= _GF_EXP[(log + shift) % 255]
    return remainder


def _qr_penalty(rows: list[int], n: int) -> int:
    """reportlab's ``QRUtil.getLostPoint`` of a matrix given as row bits.

    Rule 1 gives a run of ``L >= 5`` equal modules ``L - 2`` points: that is
    one point per window of five equal modules in it (``L - 4``) plus two
    per run.  Windows and runs are counted on whole rows at once.
    """
    full = (1 << n) - 1
    score = 0
    # Rule 1, along rows: bit k of ``same`` says modules k and k+1 agree.
    for row in rows:
        same = ~(row ^ (row >> 1)) & (full >> 1)
        windows = same & (same >> 1) & (same >> 2) & (same >> 3)
        score += windows.bit_count() + 2 * (windows & ~(windows >> 1)).bit_count()
    # Rule 1, down columns: the same, a row of columns at a time.
    agree = [~(a ^ b) & full for a, b in itertools.pairwise(rows)]
    previous = 0
    for k in range(len(agree) - 3):
        windows = agree[k] & agree[k + 1] & agree[k + 2] & agree[k + 3]
        score += windows.bit_count() + 2 * (windows & ~previous).bit_count()
        previous = windows
    # Rule 2: each 2x2 block of equal modules.
    pairs = full >> 1
    for same, below in zip(agree, rows[1:], strict=True):
        score += 3 * (same & (same >> 1) & ~(below ^ (below >> 1)) & pairs).bit_count()
    # Rule 3: finder-like 1011101 0000, in rows only and never ending at the
    # last module (reportlab compares column tuples with a list: never equal).
    score += 40 * ",".join(format(row, f"0{n}b")[:-1] for row in rows).count(_QR_FINDER_LIKE)
    # Rule 4: the share of dark modules away from 50%.
    dark = sum(row.bit_count() for row in rows)
    score += 10 * (abs(100 * dark // (n * n) - 50) // 5)
    return score


def _footer(document: Invoice | CreditNote,
            fmt: _Formatter) -> Callable[[Canvas, BaseDocTemplate], None]:
    """Seller identification and page number at the foot of every page."""
    seller = document.seller
    left = " \u00b7 ".join([
        _pdf_safe(_one_line(seller.name)),
        _pdf_safe(_one_line(f"{seller.street}, {seller.postcode} {seller.city}")),
        f"{fmt.labels.enterprise_number} {seller.enterprise_number_display}",
    ])

    def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.5)
        y = _MARGIN_BOTTOM - 8 * mm
        canvas.line(_MARGIN_X, y + 4 * mm, _PAGE_SIZE[0] - _MARGIN_X, y + 4 * mm)
        canvas.setFont(_FONT, _FOOTER_SIZE)
        canvas.setFillColor(_MUTED)
        canvas.drawString(_MARGIN_X, y, left)
        page = fmt.labels.page.format(page=canvas.getPageNumber())
        canvas.drawRightString(_PAGE_SIZE[0] - _MARGIN_X, y, f"{document.number} \u00b7 {page}")
        canvas.restoreState()

    return draw
