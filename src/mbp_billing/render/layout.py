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
import hashlib
import io
import operator
import re
import time
import unicodedata
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import attrs
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency
from reportlab.graphics.barcode import qrencoder
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from stdnum import iban as std_iban

from ..documents import SERVICE_NAME, VAT_EXEMPTION_REASON, CreditNote, Invoice
from ..errors import InvalidValue
from ..money import CENT, CURRENCY
from ..parties import Party

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

_COLUMN_GAP: Final = 6.0  # After a label or value column (ReportLab's default cell padding).
_HEADER_PADDING: Final = 3.0  # Above the letterhead and the number column.
_LINE_CELL_PADDING: Final = 2 * mm  # Above and below the cells of the line table.
_TOTALS_PADDING: Final = 1 * mm  # Above and below a totals row.
_PAYMENT_PADDING: Final = 3.5 * mm  # Above and below the payment panel's content.
_FOOTER_RULE: Final = 16 * mm  # Height of the footer's rule above the page's foot.
_FOOTER_BASELINE: Final = 12 * mm
_PAGE_TOP: Final = _PAGE_SIZE[1] - _MARGIN_TOP
_LEFT: Final = _MARGIN_X
_RIGHT: Final = _MARGIN_X + _FRAME_WIDTH
_FUZZ: Final = 1e-6
# Content streams are written as they are: ReportLab's compression runs the
# stream through zlib *and* a pure-Python ASCII85 encoder, which costs more
# than the page's layout (see the module's comments on speed, issue 4 item 8).
_PAGE_COMPRESSION: Final = 0

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
    # Every block is laid out (and every amount formatted, so a bad amount
    # is refused) before the first byte of PDF is written.
    blocks = [(_header(document, title, fmt), 0.0),
              (_parties_and_meta(document, fmt), _GAP)]
    if isinstance(document, CreditNote):
        blocks.append((_credit_reference(document, fmt), _GAP))
    blocks += [
        (_lines_table(document, fmt), _GAP),
        (_totals_table(document, fmt), 2 * mm),
        (_paragraph_block(labels.vat_mention, _NOTE), 4 * mm),  # R10
    ]
    if isinstance(document, Invoice):
        blocks.append((_payment_block(document, fmt), _GAP))

    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=_PAGE_SIZE,
        # Invariant mode fixes the creation date (2000-01-01) and the document
        # ID, so the bytes depend on the arguments alone: re-rendering an
        # issued document writes an identical file.
        invariant=1,
        pageCompression=_PAGE_COMPRESSION,
        lang=fmt.locale.language + (f"-{fmt.locale.territory}" if fmt.locale.territory else ""),
    )
    _pin_timestamp(canvas)
    canvas.setTitle(f"{title} {document.number}")
    canvas.setAuthor(_one_line(document.seller.name))
    canvas.setSubject(SERVICE_NAME)
    canvas.setCreator("mbp_billing")
    pages = _Pages(canvas, _footer(document, fmt))
    for block, space_before in blocks:
        pages.add(block, space_before)
    pages.finish()
    canvas.save()
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
        return _long_date(value, self.locale)

    def money(self, value: Decimal, field: str = "amount") -> str:
        """``€ 7.000,00`` in nl_BE: formatted, never rounded."""
        return _currency(str(_exact_cents(value, field)), self.locale)


# Babel takes tens of microseconds a call; a run prints few distinct dates
# and amounts, each several times on a page.


@functools.lru_cache(maxsize=1024)
def _long_date(value: date, locale: Locale) -> str:
    return _pdf_safe(format_date(value, format="long", locale=locale))


@functools.lru_cache(maxsize=1024)
def _currency(cents: str, locale: Locale) -> str:
    return _pdf_safe(format_currency(Decimal(cents), CURRENCY, locale=locale))


#: ReportLab's invariant creation date (2000-01-01T00:00:00Z), as epoch seconds.
_INVARIANT_EPOCH: Final = 946684800.0


def _pin_timestamp(canvas: Canvas) -> None:
    """Fix the creation date and document ID whatever the environment says.

    ReportLab's invariant mode still honours ``SOURCE_DATE_EPOCH`` when the
    variable is set, which would make the bytes depend on the environment.
    This puts back the invariant timestamp and the ID signature derived from
    it (ReportLab internals: ``PDFDocument._timeStamp`` and ``.signature``,
    checked against ReportLab 5.1 by ``tests/test_render.py``).
    """
    doc = canvas._doc  # type: ignore[attr-defined]
    stamp = TimeStamp.__new__(TimeStamp)
    stamp.t = _INVARIANT_EPOCH
    stamp.lt = time.gmtime(_INVARIANT_EPOCH)
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = stamp.dmm = 0
    stamp.tzname = "UTC"
    doc._timeStamp = stamp
    signature = hashlib.md5(usedforsecurity=False)
    signature.update(b"a reportlab document")
    signature.update(ascii(_INVARIANT_EPOCH).encode())
    doc.signature = signature


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
    # Printable text has no character of category C (nor any separator but
    # the space): the usual case, also with Babel's no-break spaces, without
    # a look at each character.
    if text.isprintable() or text.replace("\xa0", "").isprintable():
        cleaned = text
    else:
        cleaned = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    # Only ordinary spaces collapse: a no-break space (as in "€ 7.000,00") stays.
    return re.sub(" {2,}", " ", cleaned).strip()


def _clean(text: str) -> str:
    """Text as printed: one line, and only characters of the fonts' encoding."""
    return _pdf_safe(_one_line(text))


# -- Drawing the page -------------------------------------------------------------
#
# The page is drawn straight on a ReportLab canvas (issue 4, item 8): platypus
# Paragraphs and Tables took nine tenths of a page's rendering time to lay
# out a page whose layout never changes.  Each block of the page below is
# laid out once into a _Block: its height and what it draws, placed relative
# to its top edge.  _Pages stacks the blocks down the page with the space
# between them, moves a block that does not fit to a new page and, when a
# block is taller than a whole page (only extreme texts make one), cuts it
# between two lines of text.  Each page is then written as its graphics
# (panels, rules, the QR code) followed by one text object with all its text.


@attrs.frozen
class _Style:
    """Font, size, line height and colour of a kind of text."""

    font: str
    size: float
    leading: float
    color: colors.Color


_BODY: Final = _Style(_FONT, _BODY_SIZE, _BODY_SIZE * 1.35, _INK)
_BODY_BOLD: Final = attrs.evolve(_BODY, font=_FONT_BOLD)
_LABEL: Final = attrs.evolve(_BODY, color=_MUTED)
_HEADER_CELL: Final = attrs.evolve(_BODY_BOLD, color=colors.white)
_SELLER_NAME: Final = _Style(_FONT_BOLD, _SELLER_NAME_SIZE, _SELLER_NAME_SIZE * 1.3, _ACCENT)
_TITLE: Final = _Style(_FONT_BOLD, _TITLE_SIZE, _TITLE_SIZE * 1.15, _ACCENT)
_TITLE_NUMBER: Final = _Style(_FONT, _NUMBER_SIZE, _NUMBER_SIZE * 1.25, _MUTED)
_HEADING: Final = _Style(_FONT_BOLD, _SMALL_SIZE, _SMALL_SIZE * 1.4, _MUTED)
_TOTAL: Final = _Style(_FONT_BOLD, _EMPHASIS_SIZE, _EMPHASIS_SIZE * 1.35, _INK)
_NOTE: Final = _Style(_FONT_ITALIC, _SMALL_SIZE + 0.5, (_SMALL_SIZE + 0.5) * 1.4, _MUTED)
_CAPTION: Final = _Style(_FONT, _SMALL_SIZE, _SMALL_SIZE * 1.3, _MUTED)
_COMMUNICATION: Final = _Style(_FONT_BOLD, _EMPHASIS_SIZE, _EMPHASIS_SIZE * 1.3, _INK)
_FOOTER_STYLE: Final = _Style(_FONT, _FOOTER_SIZE, _FOOTER_SIZE * 1.2, _MUTED)

_LEFT_ALIGN: Final = 0
_RIGHT_ALIGN: Final = 1
_CENTRE: Final = 2


@functools.cache
def _font(name: str) -> Any:
    return pdfmetrics.getFont(name)


def _width(text: str, style: _Style) -> float:
    return _string_width(text, style.font, style.size)


@functools.lru_cache(maxsize=4096)  # Labels, names and amounts come back page after page.
def _string_width(text: str, font: str, size: float) -> float:
    width: float = _font(font).stringWidth(text, size)
    return width


class _Para:
    """A paragraph wrapped to a width: its lines with their widths."""

    __slots__ = ("height", "lines", "style", "width")

    def __init__(self, text: str, style: _Style, width: float) -> None:
        self.style = style
        self.width = width
        self.lines = _wrap(_clean(text), style, width)
        self.height = len(self.lines) * style.leading


def _wrap(text: str, style: _Style, width: float) -> list[tuple[str, float]]:
    """Lines of ``text`` that fit ``width``: broken at spaces, and a word
    longer than a line at the last character that fits."""
    total = _width(text, style)
    if total <= width:
        return [(text, total)]
    space = _width(" ", style)
    lines: list[tuple[str, float]] = []
    words: list[str] = []
    used = 0.0
    for word in text.split(" "):
        size = _width(word, style)
        if words and used + space + size <= width:
            words.append(word)
            used += space + size
            continue
        if words:
            lines.append((" ".join(words), used))
        while size > width:
            head, word = _cut(word, style, width)
            lines.append((head, _width(head, style)))
            size = _width(word, style)
        words, used = [word], size
    lines.append((" ".join(words), used))
    return lines


def _cut(word: str, style: _Style, width: float) -> tuple[str, str]:
    """``word`` cut after its longest head (one character at least) that fits."""
    low, high = 1, len(word) - 1  # The head that fits is at least low long.
    while low < high:
        middle = (low + high + 1) // 2
        if _width(word[:middle], style) <= width:
            low = middle
        else:
            high = middle - 1
    return word[:low], word[low:]


@attrs.frozen
class _Box:
    """A filled (and maybe stroked) rectangle: ``top`` and ``height`` down the block."""

    top: float
    height: float
    x: float
    width: float
    fill: colors.Color
    stroke: colors.Color | None = None
    line_width: float = 0.0


@attrs.frozen
class _Rule:
    """A horizontal line ``offset`` below the block's top edge."""

    offset: float
    x0: float
    x1: float
    line_width: float
    color: colors.Color


# A line of text: top of its line box below the block's top, line height,
# left x on the page, style and text.
_Text = tuple[float, float, float, _Style, str]


class _Block:
    """Part of a page, laid out relative to its top edge."""

    __slots__ = ("boxes", "height", "keep_together", "qr", "rules", "texts")

    def __init__(self, *, keep_together: bool = False) -> None:
        self.height = 0.0
        self.texts: list[_Text] = []
        self.boxes: list[_Box] = []
        self.rules: list[_Rule] = []
        self.qr: tuple[float, float, list[list[bool]]] | None = None  # top, x, modules
        self.keep_together = keep_together

    def put(self, para: _Para, x: float, top: float, align: int = _LEFT_ALIGN) -> float:
        """Draw ``para`` in its column, at ``x``, from ``top`` down; its height."""
        style = para.style
        leading = style.leading
        for text, text_width in para.lines:
            if align == _RIGHT_ALIGN:
                left = x + para.width - text_width
            elif align == _CENTRE:
                left = x + (para.width - text_width) / 2
            else:
                left = x
            self.texts.append((top, leading, left, style, text))
            top += leading
        return para.height

    def text(self, text: str, style: _Style, x: float, width: float, top: float,
             align: int = _LEFT_ALIGN) -> float:
        """Wrap ``text`` and draw it like :meth:`put`; its height."""
        return self.put(_Para(text, style, width), x, top, align)

    def split(self, available: float) -> tuple[_Block, _Block] | None:
        """The block cut in two, the first part at most ``available`` high,
        between lines of text; None if no line fits."""
        cut = available
        moved = True
        while moved:  # Raise the cut above every line it would go through.
            moved = False
            for top, leading, *_ in self.texts:
                if top < cut - _FUZZ and top + leading > cut + _FUZZ:
                    cut, moved = top, True
        if self.qr is not None and self.qr[0] < cut < self.qr[0] + _QR_SIZE:
            cut = self.qr[0]
        if cut <= _FUZZ:
            return None
        head, tail = _Block(), _Block()
        head.height, tail.height = cut, self.height - cut
        for item in self.texts:
            if item[0] < cut - _FUZZ:
                head.texts.append(item)
            else:
                tail.texts.append((item[0] - cut, *item[1:]))
        for box in self.boxes:
            if box.top < cut:
                head.boxes.append(attrs.evolve(box, height=min(box.height, cut - box.top)))
            if box.top + box.height > cut:
                top = max(box.top - cut, 0.0)
                tail.boxes.append(attrs.evolve(box, top=top,
                                               height=box.top + box.height - cut - top))
        for rule in self.rules:
            if rule.offset <= cut:
                head.rules.append(rule)
            else:
                tail.rules.append(attrs.evolve(rule, offset=rule.offset - cut))
        if self.qr is not None:
            if self.qr[0] < cut:
                head.qr = self.qr
            else:
                tail.qr = (self.qr[0] - cut, *self.qr[1:])
        return head, tail


class _Pages:
    """Blocks stacked down the pages of a canvas, each page with its footer."""

    def __init__(self, canvas: Canvas,
                 footer: Callable[[int], tuple[list[_Text], list[_Rule]]]) -> None:
        self.canvas = canvas
        self.footer = footer
        self.page = 0
        self._new_page()

    def _new_page(self) -> None:
        self.page += 1
        self.y = _PAGE_TOP
        self.at_top = True
        self.texts: list[tuple[float, float, _Style, str]] = []  # x, baseline, style, text
        footer_texts, footer_rules = self.footer(self.page)
        self.boxes: list[_Box] = []
        self.rules = footer_rules
        self.qrs: list[tuple[float, float, list[list[bool]]]] = []
        self._place_texts(footer_texts, 0.0)  # relative to the page's foot

    def add(self, block: _Block, space_before: float) -> None:
        """Place ``block`` under the previous one, ``space_before`` between them."""
        if not self.at_top:
            self.y -= space_before
        while True:
            available = self.y - _MARGIN_BOTTOM
            if block.height <= available + _FUZZ:
                self._place(block)
                return
            full_page = _PAGE_TOP - _MARGIN_BOTTOM
            if not self.at_top and (block.keep_together or block.height <= full_page):
                self.next_page()
                continue
            parts = block.split(available)
            if parts is None:
                if self.at_top:  # Nothing fits even on a whole page: cut through.
                    parts = block.split(block.height) or (block, _Block())
                    self._place(parts[0])
                    return
                self.next_page()
                continue
            self._place(parts[0])
            self.next_page()
            block = parts[1]

    def _place(self, block: _Block) -> None:
        top = self.y
        self._place_texts(block.texts, top)
        for box in block.boxes:
            self.boxes.append(attrs.evolve(box, top=top - box.top))  # now the box's top y
        for rule in block.rules:
            self.rules.append(attrs.evolve(rule, offset=top - rule.offset))  # now its y
        if block.qr is not None:
            qr_top, x, modules = block.qr
            self.qrs.append((x, top - qr_top - _QR_SIZE, modules))
        self.y -= block.height
        self.at_top = False

    def _place_texts(self, texts: list[_Text], top: float) -> None:
        for line_top, _, x, style, text in texts:
            self.texts.append((x, top - line_top - style.size, style, text))

    def next_page(self) -> None:
        self._draw()
        self.canvas.showPage()
        self._new_page()

    def finish(self) -> None:
        self._draw()
        self.canvas.showPage()

    def _draw(self) -> None:
        canvas = self.canvas
        for box in self.boxes:  # Panels first, then rules and the QR code over them.
            canvas.setFillColor(box.fill)
            if box.stroke is not None:
                canvas.setStrokeColor(box.stroke)
                canvas.setLineWidth(box.line_width)
            canvas.rect(box.x, box.top - box.height, box.width, box.height,
                        stroke=int(box.stroke is not None), fill=1)
        for rule in self.rules:
            canvas.setStrokeColor(rule.color)
            canvas.setLineWidth(rule.line_width)
            canvas.line(rule.x0, rule.offset, rule.x1, rule.offset)
        for x, y, modules in self.qrs:
            canvas.addLiteral(_qr_operators(modules, x, y))
        # All the text in one text object, written here rather than through
        # PDFTextObject (a third of the page's time): the font and the colour
        # are set when they change, each line is placed with Tm.
        code = ["BT"]
        font: tuple[str, float] | None = None
        color: colors.Color | None = None
        for x, y, style, line in self.texts:
            if (style.font, style.size) != font:
                font = style.font, style.size
                code.append(f"{self._font_name(style.font)} {fp_str(style.size)} Tf")
            if style.color is not color:
                color = style.color
                code.append(_fill_operator(color.red, color.green, color.blue))
            code.append(f"1 0 0 1 {x:.3f} {y:.3f} Tm {self._show(line, style)}")
        code.append("ET")
        canvas.addLiteral("\n".join(code))

    def _font_name(self, font: str) -> str:
        """The font's resource name on the page (``/F1``), registered on first use."""
        name: str = self.canvas._doc.getInternalFontName(font)  # type: ignore[attr-defined]
        return name

    def _show(self, line: str, style: _Style) -> str:
        """The operators showing ``line`` in ``style``'s font."""
        font = _font(style.font)
        try:
            return f"({_pdf_string(line.encode(font.encName))}) Tj"
        except UnicodeEncodeError:
            pass
        # Characters outside the font's encoding: ReportLab's way, from the
        # Symbol and ZapfDingbats fonts or as its "not defined" character.
        size = fp_str(style.size)
        shown = [f"{self._font_name(used.fontName)} {size} Tf ({_pdf_string(raw)}) Tj"
                 for used, raw in pdfmetrics.unicode2T1(line, [font, *font.substitutionFonts])]
        shown.append(f"{self._font_name(style.font)} {size} Tf")
        return " ".join(shown)


#: PDF string escapes, as ReportLab's escapePDF: backslash, parentheses,
#: and octal for bytes outside printable ASCII.
_PDF_ESCAPES: Final = {
    **{c: f"\\{c:03o}" for c in (*range(32), *range(127, 256))},
    **{ord(c): "\\" + c for c in "\\()"},
}


def _pdf_string(raw: bytes) -> str:
    """The inside of a PDF literal string of ``raw``."""
    return raw.decode("latin-1").translate(_PDF_ESCAPES)


@functools.cache
def _fill_operator(red: float, green: float, blue: float) -> str:
    return f"{fp_str(red, green, blue)} rg"


# -- Blocks of the page ---------------------------------------------------------


def _address_lines(party: Party, fmt: _Formatter) -> list[str]:
    """Lines of a party under its name: street, postcode and city, enterprise number."""
    return [
        party.street,
        f"{party.postcode} {party.city}",
        f"{fmt.labels.enterprise_number} {party.enterprise_number_display}",
    ]


def _header(document: Invoice | CreditNote, title: str, fmt: _Formatter) -> _Block:
    """Seller letterhead on the left, document title and number on the right."""
    block = _Block()
    seller = document.seller
    left_width = _FRAME_WIDTH * 0.6
    y = _HEADER_PADDING
    y += block.text(seller.name, _SELLER_NAME, _LEFT, left_width, y)
    for line in _address_lines(seller, fmt):
        y += block.text(line, _BODY, _LEFT, left_width, y)
    right_x, right_width = _LEFT + left_width, _FRAME_WIDTH - left_width
    right = _HEADER_PADDING
    right += block.text(title, _TITLE, right_x, right_width, right, _RIGHT_ALIGN)
    right += block.text(document.number, _TITLE_NUMBER, right_x, right_width, right,
                        _RIGHT_ALIGN)
    block.height = max(y, right) + 4 * mm
    block.rules.append(_Rule(block.height, _LEFT, _RIGHT, 1.2, _ACCENT))
    return block


def _label_rows(block: _Block, rows: list[tuple[_Para, _Para]], x: float, top: float,
                *, middle: bool) -> float:
    """Label/value rows, values at ``x`` + the label column; the bottom offset."""
    for label, value in rows:
        height = max(label.height, value.height)
        top += _ROW_PADDING
        label_top, value_top = top, top
        if middle:
            label_top += (height - label.height) / 2
            value_top += (height - value.height) / 2
        block.put(label, x, label_top)
        block.put(value, x + _META_LABEL_COLUMN, value_top)
        top += height + _ROW_PADDING
    return top


def _parties_and_meta(document: Invoice | CreditNote, fmt: _Formatter) -> _Block:
    """Number, dates and reference on the left; the buyer on the right."""
    block = _Block()
    labels = fmt.labels
    rows = [
        (labels.number, document.number),
        (labels.date, fmt.day(document.issue_date)),
    ]
    if isinstance(document, Invoice):
        rows.append((labels.due_date, fmt.day(document.due_date)))  # R11
    rows.append((labels.reference, document.buyer_reference))
    label_width = _META_LABEL_COLUMN - _COLUMN_GAP
    value_width = _FRAME_WIDTH * 0.45 - _META_LABEL_COLUMN - _COLUMN_GAP
    meta = _label_rows(block, [(_Para(k, _LABEL, label_width), _Para(v, _BODY, value_width))
                               for k, v in rows], _LEFT, _HEADER_PADDING, middle=False)
    meta += _HEADER_PADDING
    # The buyer, in a shaded panel on the right half.
    panel_x = _LEFT + _FRAME_WIDTH / 2
    x, width = panel_x + _PANEL_PADDING, _FRAME_WIDTH / 2 - 2 * _PANEL_PADDING
    padding = _PANEL_PADDING * 0.75
    buyer = document.buyer
    y = padding
    y += block.text(labels.customer.upper(), _HEADING, x, width, y)
    y += block.text(buyer.name, _BODY_BOLD, x, width, y)
    for line in _address_lines(buyer, fmt):
        y += block.text(line, _BODY, x, width, y)
    block.height = max(meta, y + padding)
    block.boxes.append(_Box(0.0, block.height, panel_x, _FRAME_WIDTH / 2, _PANEL))
    return block


def _credit_reference(note: CreditNote, fmt: _Formatter) -> _Block:
    """Which invoice is credited, and why.  # R12"""
    block = _Block()
    labels = fmt.labels
    credits = labels.credits.format(number=note.invoice_number,
                                    date=fmt.day(note.invoice_issue_date))
    x, width = _LEFT + _PANEL_PADDING, _FRAME_WIDTH - 2 * _PANEL_PADDING
    y = _CELL_PADDING
    y += block.text(credits, _BODY_BOLD, x, width, y)
    y += block.text(f"{labels.reason}: {note.reason}", _BODY, x, width, y)
    block.height = y + _CELL_PADDING
    block.boxes.append(_Box(0.0, block.height, _LEFT, _FRAME_WIDTH, _PANEL))
    block.boxes.append(_Box(0.0, block.height, _LEFT - 1.25, 2.5, _ACCENT))  # accent bar
    return block


def _lines_table(document: Invoice | CreditNote, fmt: _Formatter) -> _Block:
    """The one line: service, period, pro-rata computation, amount.  # R4, R12"""
    block = _Block()
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
    x = _LEFT + _CELL_PADDING
    width = _FRAME_WIDTH - _AMOUNT_COLUMN - 2 * _CELL_PADDING
    amount_x = _RIGHT - _AMOUNT_COLUMN + _CELL_PADDING
    amount_width = _AMOUNT_COLUMN - 2 * _CELL_PADDING
    # The header row: white on the accent colour.
    top = _LINE_CELL_PADDING
    height = max(block.text(labels.description, _HEADER_CELL, x, width, top),
                 block.text(labels.amount, _HEADER_CELL, amount_x, amount_width, top,
                            _RIGHT_ALIGN))
    header = height + 2 * _LINE_CELL_PADDING
    block.boxes.append(_Box(0.0, header, _LEFT, _FRAME_WIDTH, _ACCENT))
    # The service with its period and computation, and the amount.
    top = y = header + _LINE_CELL_PADDING
    y += block.text(SERVICE_NAME, _BODY_BOLD, x, width, y)
    for detail in details:
        y += block.text(detail, _LABEL, x, width, y)
    amount = block.text(fmt.money(document.total, "total"), _BODY, amount_x, amount_width,
                        top, _RIGHT_ALIGN)
    block.height = max(y, top + amount) + _LINE_CELL_PADDING
    block.rules.append(_Rule(block.height, _LEFT, _RIGHT, 0.6, _RULE))
    return block


def _totals_table(document: Invoice | CreditNote, fmt: _Formatter) -> _Block:
    """Subtotal, VAT 0.00 and total, amounts aligned under the line amount.  # R10"""
    block = _Block()
    labels = fmt.labels
    total_label = (labels.total_invoice if isinstance(document, Invoice)
                   else labels.total_credit_note)
    label_x = _RIGHT - _AMOUNT_COLUMN - _TOTALS_LABEL_COLUMN
    label_width = _TOTALS_LABEL_COLUMN - 2 * _CELL_PADDING
    amount_x = _RIGHT - _AMOUNT_COLUMN + _CELL_PADDING
    amount_width = _AMOUNT_COLUMN - 2 * _CELL_PADDING
    rows = [
        (_Para(labels.subtotal, _LABEL, label_width),
         _Para(fmt.money(document.total, "total"), _BODY, amount_width)),
        (_Para(labels.vat, _LABEL, label_width),
         _Para(fmt.money(document.vat_amount, "vat_amount"), _BODY, amount_width)),
        (_Para(total_label, _TOTAL, label_width),
         _Para(fmt.money(document.total + document.vat_amount, "total"), _TOTAL,
               amount_width)),
    ]
    y = 0.0
    for k, (label, amount) in enumerate(rows):
        if k == len(rows) - 1:  # The total: a rule above it and more room.
            block.rules.append(_Rule(y, label_x, _RIGHT, 1.2, _ACCENT))
            y += _LINE_CELL_PADDING
        else:
            y += _TOTALS_PADDING
        height = max(label.height, amount.height)
        block.put(label, label_x + _CELL_PADDING, y + (height - label.height) / 2)
        block.put(amount, amount_x, y + (height - amount.height) / 2, _RIGHT_ALIGN)
        y += height + _TOTALS_PADDING
    block.height = y
    return block


def _paragraph_block(text: str, style: _Style) -> _Block:
    """One paragraph across the page."""
    block = _Block()
    block.height = block.text(text, style, _LEFT, _FRAME_WIDTH, 0.0)
    return block


def _payment_block(invoice: Invoice, fmt: _Formatter) -> _Block:
    """How to pay: amount, due date, IBAN, BIC, communication and the QR code.  # R11, R12"""
    block = _Block(keep_together=True)
    labels = fmt.labels
    instruction = labels.pay_instruction.format(amount=fmt.money(invoice.total, "total"),
                                                due=fmt.day(invoice.due_date))
    # The text column: the frame less the QR column and the panel's paddings.
    x = _LEFT + _PANEL_PADDING
    text_width = _FRAME_WIDTH - _QR_COLUMN - _PANEL_PADDING - _PAYMENT_GUTTER
    label_width = _META_LABEL_COLUMN - _COLUMN_GAP
    value_width = text_width - _META_LABEL_COLUMN - _COLUMN_GAP
    heading = _Para(labels.payment.upper(), _HEADING, text_width)
    pay = _Para(instruction, _BODY, text_width)
    rows = [
        (_Para(labels.beneficiary, _LABEL, label_width),
         _Para(invoice.seller.name, _BODY, value_width)),
        (_Para("IBAN", _LABEL, label_width),
         _Para(std_iban.format(invoice.iban), _BODY, value_width)),
        (_Para("BIC", _LABEL, label_width), _Para(invoice.bic, _BODY, value_width)),
        (_Para(labels.communication, _LABEL, label_width),
         _Para(invoice.structured_communication_display, _COMMUNICATION, value_width)),
    ]
    rows_height = sum(max(k.height, v.height) + 2 * _ROW_PADDING for k, v in rows)
    left = heading.height + 1 * mm + pay.height + 2 * mm + rows_height
    qr_x = _RIGHT - _QR_COLUMN
    caption = _Para(labels.qr_caption, _CAPTION, _QR_COLUMN - _PAYMENT_GUTTER)
    right = _QR_SIZE + caption.height
    content = max(left, right)
    # Both columns are centred in the panel's height.
    y = _PAYMENT_PADDING + (content - left) / 2
    y += block.put(heading, x, y) + 1 * mm
    y += block.put(pay, x, y) + 2 * mm
    _label_rows(block, rows, x, y, middle=True)
    y = _PAYMENT_PADDING + (content - right) / 2
    block.qr = (y, qr_x, _qr_modules(epc_qr_payload(invoice)))
    block.put(caption, qr_x, y + _QR_SIZE, _CENTRE)
    block.height = content + 2 * _PAYMENT_PADDING
    block.boxes.append(_Box(0.0, block.height, _LEFT, _FRAME_WIDTH, _PANEL, _RULE, 0.8))
    return block


def _footer(document: Invoice | CreditNote,
            fmt: _Formatter) -> Callable[[int], tuple[list[_Text], list[_Rule]]]:
    """Seller identification and page number at the foot of every page."""
    seller = document.seller
    left = " \u00b7 ".join([
        _clean(seller.name),
        _clean(f"{seller.street}, {seller.postcode} {seller.city}"),
        f"{fmt.labels.enterprise_number} {seller.enterprise_number_display}",
    ])
    style = _FOOTER_STYLE
    top = -_FOOTER_BASELINE - style.size  # Offsets below the page's foot.

    def footer(page: int) -> tuple[list[_Text], list[_Rule]]:
        right = f"{document.number} \u00b7 {fmt.labels.page.format(page=page)}"
        texts = [(top, style.leading, _LEFT, style, left),
                 (top, style.leading, _RIGHT - _width(right, style), style, right)]
        return texts, [_Rule(_FOOTER_RULE, _LEFT, _RIGHT, 0.5, _RULE)]

    return footer


# -- The QR code ----------------------------------------------------------------
#
# reportlab's QrCodeWidget took two thirds of a page's rendering time: it
# recomputes the Reed-Solomon generator for every symbol, scores each of the
# eight masks with list-of-bool Python code, then makes one validated Rect
# shape per run of dark modules and sends each through the generic shape
# renderer.  Here the layout of each version is computed once, the eight
# candidate matrices are rows of bits scored with integer operations
# (reportlab's rules, quirks included), and the dark runs of each row are
# written as rectangles of one filled path, in module units.  reportlab
# still picks the segment mode and encodes the payload, and writes the format
# and version information.  tests/test_render_qr.py holds the matrix to the
# widget's and reads the drawn modules back from the PDF.

_QR_BORDER: Final = 4  # Modules of quiet zone around the symbol (QrCodeWidget's barBorder).
_QR_FINDER_LIKE: Final = "10111010000"


def _qr_operators(modules: list[list[bool]], x: float, y: float) -> str:
    """PDF operators drawing ``modules`` as a QR code of ``_QR_SIZE`` at (x, y).

    A white square (the quiet zone included), then the dark modules in black:
    a scale to module units puts the symbol's bottom-left module at (0, 0),
    and each run of dark modules in a row is one ``re`` of the filled path.
    """
    count = len(modules)
    box = fp_str(_QR_SIZE / (count + 2 * _QR_BORDER))
    corner = fp_str(x + _QR_BORDER * _QR_SIZE / (count + 2 * _QR_BORDER),
                    y + _QR_BORDER * _QR_SIZE / (count + 2 * _QR_BORDER))
    runs = []
    for r, row in enumerate(modules):
        bottom, left = count - 1 - r, 0
        for run in bytes(row).split(b"\0"):  # The runs of dark modules, and the gaps.
            if run:
                runs.append(f"{left} {bottom} {len(run)} 1 re")
            left += len(run) + 1
    return "\n".join([
        "q", "1 1 1 rg", f"{fp_str(x, y, _QR_SIZE, _QR_SIZE)} re f",
        "0 0 0 rg", f"{box} 0 0 {box} {corner} cm", *runs, "f", "Q",
    ])


def _qr_modules(payload: str) -> list[list[bool]]:
    """The module matrix ``QrCodeWidget(payload, barLevel="M")`` draws."""
    level: int = getattr(qrencoder.QRErrorCorrectLevel, _EPC_ERROR_CORRECTION)
    qr = qrencoder.QRCode(None, level)
    qr.addData(payload)  # reportlab picks the segment mode
    version: int = qr.calculate_version()  # type: ignore[no-untyped-call]
    layout = _qr_layout(version, level)
    n = layout.size
    bits = "".join(format(c, "08b") for c in _qr_codewords(qr.dataList, version, level))
    # Each data cell takes its bit of the codewords, the cells past their end a 0.
    data = int("".join(layout.gather(bits + "0" * (layout.data_cells - len(bits) + 1))), 2)
    candidates = [layout.fixed | ((data ^ mask) & layout.data_area) for mask in layout.masks]
    # reportlab's getBestMaskPattern: the lowest penalty, the first of equals.
    best = min(range(8), key=lambda i: (_qr_penalty(candidates[i], n), i))
    # What makeImpl(False, best) makes: the same matrix with its format
    # (and, from version 7, version) information written in.
    qr.version, qr.moduleCount = version, n
    cells = format(candidates[best], f"0{n * n}b")
    qr.modules = [[bit == "1" for bit in cells[r:r + n]] for r in range(0, n * n, n)]
    qr.setupTypeInfo(False, best)
    if version >= 7:
        qr.setupTypeNumber(False)
    modules: list[list[bool]] = qr.modules
    return modules


@attrs.frozen
class _QrLayout:
    """Where a QR symbol of one version and level keeps its data.

    A matrix is one integer of ``size * size`` bits, row after row from the
    top, each row's left module first (most significant).
    """

    size: int
    fixed: int  # function patterns, format areas blank (reportlab's test mode)
    data_area: int
    masks: tuple[int, ...]  # each of the eight masks over the data area
    data_cells: int
    # The matrix's bits as text from the data bits: for each cell, in matrix
    # order, the index of its data bit (a 0 after the data for the others).
    gather: Callable[[str], tuple[str, ...]]


@functools.lru_cache(maxsize=16)
def _qr_layout(version: int, level: int) -> _QrLayout:
    qr = qrencoder.QRCode(version, level)
    qr.makeImpl(True, 0)
    n: int = qr.moduleCount
    matrix = int("".join("1" if m else "0" for row in qr.modules for m in row), 2)
    positions: list[tuple[int, int]] = qr.dataPosIterator()  # type: ignore[no-untyped-call]
    bit_index = {(row, col): k for k, (col, row) in enumerate(positions)}
    zero = len(positions)
    data_area = int("".join("1" if (r, c) in bit_index else "0"
                            for r in range(n) for c in range(n)), 2)
    masks = []
    for pattern in range(8):
        dark = qrencoder.QRUtil.getMask(pattern)  # type: ignore[no-untyped-call]
        masks.append(int("".join("1" if (r, c) in bit_index and dark(r, c) else "0"
                                 for r in range(n) for c in range(n)), 2))
    gather = operator.itemgetter(*(bit_index.get((r, c), zero)
                                   for r in range(n) for c in range(n)))
    return _QrLayout(n, matrix & ~data_area, data_area, tuple(masks), zero, gather)


def _qr_codewords(segments: list[Any], version: int, level: int) -> list[int]:
    """reportlab's ``QRCode.createData``: data, padding, Reed-Solomon, interleaved."""
    blocks = qrencoder.QRRSBlock.getRSBlocks(version, level)  # type: ignore[no-untyped-call]
    buffer = _QrBits()
    for segment in segments:
        segment.write(buffer, version)
    capacity = sum(block.dataCount for block in blocks)
    if buffer.length > capacity * 8:
        raise ValueError(f"code length overflow. ({buffer.length} > {capacity * 8})")
    if buffer.length + 4 <= capacity * 8:
        buffer.put(0, 4)  # terminator
    buffer.put(0, -buffer.length % 8)
    codes = list(buffer.value.to_bytes(buffer.length // 8))
    codes += [(0xEC, 0x11)[k % 2] for k in range(capacity - len(codes))]
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        chunk = codes[offset:offset + block.dataCount]
        offset += block.dataCount
        data_blocks.append(chunk)
        ec_blocks.append(_rs_remainder(chunk, block.totalCount - block.dataCount))
    return [b[i] for group in (data_blocks, ec_blocks)
            for i in range(max(len(b) for b in group)) for b in group if i < len(b)]


class _QrBits:
    """reportlab's ``QRBitBuffer`` as one integer: what the segments write into."""

    __slots__ = ("length", "value")

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, num: int, length: int) -> None:
        """Append the ``length`` low bits of ``num``, most significant first."""
        self.value = (self.value << length) | (num & ((1 << length) - 1))
        self.length += length

    def putBit(self, bit: bool) -> None:  # reportlab's name
        self.put(int(bit), 1)

    def getLengthInBits(self) -> int:  # reportlab's name
        return self.length


@functools.lru_cache(maxsize=32)
def _rs_products(ec_count: int) -> tuple[int, ...]:
    """For each byte f, f times the generator polynomial (after its leading 1),
    as one integer of ``ec_count`` bytes."""
    generator = qrencoder.QRUtil.getErrorCorrectPolynomial(ec_count)  # type: ignore[no-untyped-call]
    exp, log = qrencoder.EXP_TABLE, qrencoder.LOG_TABLE  # GF(256) of the QR code
    logs = [log[c] for c in generator.num[1:]]
    products = [0]
    for factor in range(1, 256):
        shift = log[factor]
        products.append(int.from_bytes(bytes(exp[(g + shift) % 255] for g in logs)))
    return tuple(products)


def _rs_remainder(data: list[int], ec_count: int) -> list[int]:
    """The ``ec_count`` Reed-Solomon error correction codewords of ``data``.

    The remainder is one integer of ``ec_count`` bytes: each data codeword
    shifts it by a byte and adds the generator times the byte that fell out.
    """
    products = _rs_products(ec_count)
    top = 8 * (ec_count - 1)
    keep = (1 << top) - 1
    remainder = 0
    for code in data:
        remainder = ((remainder & keep) << 8) ^ products[code ^ (remainder >> top)]
    return list(remainder.to_bytes(ec_count))


@functools.lru_cache(maxsize=16)
def _qr_penalty_masks(n: int) -> tuple[int, int, int, int]:
    """Which bits of an ``n`` x ``n`` matrix the penalty rules look at.

    Bits of a row's cells but its last (a module with a right neighbour);
    those in rows but the first (with a neighbour above); the two; and those
    where a finder-like pattern can end (at least one module before the
    last, and eleven modules in the row).
    """
    row = (1 << n) - 1
    rows = [row >> 1, row, row >> 1, ((1 << (n - 11)) - 1) << 1]
    whole = [sum(r << (k * n) for k in range(n)) for r in rows]
    below_first = (1 << ((n - 1) * n)) - 1
    return whole[0], below_first, whole[2] & below_first, whole[3]


def _qr_penalty(matrix: int, n: int) -> int:
    """reportlab's ``QRUtil.getLostPoint`` of a matrix of ``n * n`` bits.

    Each rule is counted on the whole matrix at once, as one integer of
    ``n * n`` bits (row after row from the top, left module first); masks
    keep neighbours from different rows apart.  Rule 1 gives a run of
    ``L >= 5`` equal modules ``L - 2`` points: that is one point per window
    of five equal modules in it (``L - 4``) plus two per run.
    """
    right, below_first, square, finder = _qr_penalty_masks(n)
    score = 0
    # Rule 1, along rows: a bit of ``same`` says a module and its right
    # neighbour agree; a window of five needs four such bits in a row.
    same = ~(matrix ^ (matrix >> 1)) & right
    windows = same & (same >> 1) & (same >> 2) & (same >> 3)
    score += windows.bit_count() + 2 * (windows & ~(windows >> 1)).bit_count()
    # Rule 1, down columns: the same with a module and the one above it.
    agree = ~(matrix ^ (matrix >> n)) & below_first
    windows = agree & (agree >> n) & (agree >> 2 * n) & (agree >> 3 * n)
    score += windows.bit_count() + 2 * (windows & ~(windows >> n)).bit_count()
    # Rule 2: each 2x2 block of equal modules.
    score += 3 * (agree & (agree >> 1) & same & square).bit_count()
    # Rule 3: finder-like 1011101 0000, in rows only and never ending at the
    # last module (reportlab compares column tuples with a list: never equal).
    found = finder
    for k, bit in enumerate(_QR_FINDER_LIKE):
        shifted = matrix >> (len(_QR_FINDER_LIKE) - 1 - k)
        found &= shifted if bit == "1" else ~shifted
    score += 40 * found.bit_count()
    # Rule 4: the share of dark modules away from 50%.
    dark = matrix.bit_count()
    score += 10 * (abs(100 * dark // (n * n) - 50) // 5)
    return score
