"""Peppol BIS Billing 3.0 e-invoices in UBL 2.1 (R10, R11, R12).

:func:`to_ubl` turns an :class:`~mbp_billing.documents.Invoice` (UBL
``Invoice``, type 380) or a :class:`~mbp_billing.documents.CreditNote` (UBL
``CreditNote``, type 381, referring to the credited invoice) into the XML a
municipality's accounting system reads from the Peppol network.

What the rules fix, and where it shows in the XML:

- R10: no VAT. One tax subtotal in VAT category ``O`` ("not subject to
  VAT") with exemption reason code ``VATEX-EU-O`` and the article 6 text;
  tax 0.00; and no VAT identifier anywhere (EN 16931 rule BR-O-02 forbids
  one with category ``O``). Both parties are identified by their enterprise
  number under ISO 6523 scheme ``0208`` instead.
- R11: payment means 58 (SEPA credit transfer) to EV DV's IBAN and BIC, due
  date = invoice date + 30 days, and the payment term as text.
- R12: number, dates, both parties with address, the service and its period,
  the amounts in EUR, and the structured communication as payment reference.

And the PDF: given ``pdf=``, the XML carries the document's own PDF as an
embedded attachment (BG-24), so that a receiver can show it as printed;
issuing always passes it.

The element-by-element mapping, with the EN 16931 business terms, is in
``docs/einvoice.md``. The output is a pure function of the document: no
clock, no random identifiers, fixed element order, so the same document
always gives byte-identical bytes.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from typing import Final

from .documents import (
    PAYMENT_TERM_DAYS,
    SERVICE_NAME,
    VAT_EXEMPTION_REASON,
    VAT_EXEMPTION_REASON_CODE,
    CreditNote,
    Invoice,
)
from .errors import InvalidValue
from .money import money_str
from .parties import Party

__all__ = [
    "CUSTOMIZATION_ID",
    "ENTERPRISE_NUMBER_SCHEME",
    "PAYMENT_MEANS_CODE",
    "PROFILE_ID",
    "UNIT_CODE",
    "VAT_CATEGORY",
    "payment_id",
    "to_ubl",
]

#: BT-24: Peppol BIS Billing 3.0 on top of EN 16931.
CUSTOMIZATION_ID: Final = (
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
)
#: BT-23: Peppol business process 01, billing.
PROFILE_ID: Final = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
#: ISO 6523 ICD of the Belgian enterprise (KBO/BCE) number; Peppol's
#: mandatory participant scheme for Belgian organisations.  # Parties
ENTERPRISE_NUMBER_SCHEME: Final = "0208"
#: VAT category "not subject to VAT".  # R10, Annex 2 §1
VAT_CATEGORY: Final = "O"
#: UNCL 4461 code 58, SEPA credit transfer.  # R11, Annex 2 §2
PAYMENT_MEANS_CODE: Final = "58"
#: UN/ECE Recommendation 20 "one": the line is one subscription, whatever its months.
UNIT_CODE: Final = "C62"

_INVOICE_NS: Final = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
_CREDIT_NOTE_NS: Final = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
_CAC_NS: Final = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_CBC_NS: Final = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>\n'
#: BT-125 mime code of the embedded rendering, the document's own PDF.
_PDF_MIME_CODE: Final = "application/pdf"
_PAYMENT_MEANS_NAME: Final = "SEPA credit transfer"
_TAX_SCHEME: Final = "VAT"
#: Characters XML 1.0 cannot carry at all (not even escaped).
_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def payment_id(invoice: Invoice) -> str:
    """BT-83, the payment reference: the structured communication.  # R12

    Written as printed on the PDF, ``+++ddd/dddd/ddddd+++``, not as the bare
    12 digits. EN 16931 leaves the form free (it is text); the ``+++``
    form is what Belgian invoicing software writes and recognises as an
    OGM/VCS (Odoo's Belgian localisation, for one), and a receiver that
    wants the 12 digits for its SEPA payment strips the punctuation, which
    is unambiguous, whereas bare digits could be taken for free text.

    >>> from datetime import date
    >>> from mbp_billing.documents import Line
    >>> from mbp_billing.parties import Party
    >>> buyer = Party(name="Gemeente Voorbeeld", kbo="0207.123.407", street="Marktplein 1",
    ...               postcode="9999", city="Voorbeeld")
    >>> line = Line(2024, "annual", 12, Decimal("7000.00"), Decimal("7000.00"),
    ...             date(2024, 1, 1), date(2024, 12, 31))
    >>> payment_id(Invoice(number="F000123", issue_date=date(2024, 1, 2), buyer=buyer, line=line))
    '+++000/0000/12326+++'
    """
    return invoice.structured_communication_display


def to_ubl(document: Invoice | CreditNote, *, pdf: bytes | None = None) -> bytes:
    """The Peppol BIS Billing 3.0 UBL 2.1 XML of ``document``, as UTF-8 bytes.

    An :class:`~mbp_billing.documents.Invoice` gives a UBL ``Invoice`` (type
    380) with due date, payment means and structured communication; a
    :class:`~mbp_billing.documents.CreditNote` gives a UBL ``CreditNote``
    (type 381) that refers to the credited invoice by number and date, with
    the credited amount as a positive total and the reason as its note.

    With ``pdf`` the XML carries that PDF as an attachment (BG-24): a
    ``cac:AdditionalDocumentReference`` whose ``cbc:ID`` is the document
    number, with a description and the PDF base64-encoded in
    ``cac:Attachment/cbc:EmbeddedDocumentBinaryObject`` (``mimeCode``
    ``application/pdf``, ``filename`` ``<number>.pdf``), so that a receiver
    can show the document as printed. The base64 text is one unbroken line
    (XML ``base64Binary`` needs no wrapping), so equal bytes in give equal
    bytes out. Issuing always passes the PDF it has just rendered (see
    :func:`~mbp_billing.issuing.render_files`).

    Args:
        document: the invoice or credit note.
        pdf: the PDF rendering of ``document`` to embed, or ``None`` for an
            XML without attachment.

    Returns:
        The XML, starting with an XML declaration. Equal documents (and
        equal PDFs) give byte-identical results.

    Raises:
        InvalidValue: a text (a name, address, reference or reason) holds a
            character that XML 1.0 cannot carry, such as U+0000; or ``pdf``
            is not PDF bytes.

    Examples:
        >>> from datetime import date
        >>> from mbp_billing.agreement import Agreement
        >>> from mbp_billing.schedule import build_schedule
        >>> buyer = Party(name="Gemeente Voorbeeld & Zoon", kbo="0207.123.407",
        ...               street="Marktplein 1", postcode="9999", city="Voorbeeld")
        >>> a = Agreement(signed_on=date(2023, 2, 10), population=32000, buyer=buyer,
        ...               app_store_live_on=date(2023, 6, 20), play_store_live_on=date(2023, 7, 3))
        >>> charge = build_schedule(a, through=2023).for_year(2023)
        >>> inv = Invoice.build(charge, buyer, number="F000123", issue_date=date(2023, 7, 10))
        >>> xml = to_ubl(inv)
        >>> xml.splitlines()[0]
        b'<?xml version="1.0" encoding="UTF-8"?>'
        >>> expected = (b"<cbc:InvoiceTypeCode>380</", b"<cbc:DueDate>2023-08-09</",
        ...             b"<cbc:PaymentID>+++000/0000/12326+++</", b"Voorbeeld &amp; Zoon</",
        ...             b'<cbc:EndpointID schemeID="0208">0207123407</')
        >>> all(part in xml for part in expected)
        True
        >>> xml == to_ubl(inv)
        True
        >>> with_pdf = to_ubl(inv, pdf=b"%PDF-1.4 example")
        >>> b'mimeCode="application/pdf" filename="F000123.pdf">JVBERi0xLjQgZXhhbXBsZQ==</' in with_pdf
        True
    """
    if not isinstance(document, Invoice | CreditNote):
        raise InvalidValue("document", type(document).__name__,
                           "is neither an Invoice nor a CreditNote")
    _check_texts(document)
    _check_pdf(pdf)
    root = (_invoice(document, pdf) if isinstance(document, Invoice)
            else _credit_note(document, pdf))
    ET.indent(root, space="  ")
    # ElementTree escapes &, < and > in text but leaves a carriage return
    # bare, which every XML parser would turn into a line feed; a character
    # reference keeps it. Indentation uses line feeds only, so every CR here
    # comes from a text value.
    text = ET.tostring(root, encoding="unicode").replace("\r", "&#13;")
    return _DECLARATION + text.encode("utf-8") + b"\n"


# -- the two document types ------------------------------------------------------

def _invoice(inv: Invoice, pdf: bytes | None) -> ET.Element:
    root = _root("Invoice", _INVOICE_NS)
    _head(root, inv)
    _sub(root, "cbc:DueDate", _day(inv.due_date))  # BT-9, R11
    _sub(root, "cbc:InvoiceTypeCode", inv.type_code)  # BT-3
    _currency_and_period(root, inv)
    _attachment(root, inv, pdf)
    _parties(root, inv)
    means = _sub(root, "cac:PaymentMeans")  # BG-16, R11
    _sub(means, "cbc:PaymentMeansCode", PAYMENT_MEANS_CODE, name=_PAYMENT_MEANS_NAME)
    _sub(means, "cbc:PaymentID", payment_id(inv))  # BT-83, R12
    account = _sub(means, "cac:PayeeFinancialAccount")  # BG-17
    _sub(account, "cbc:ID", inv.iban)  # BT-84
    _sub(account, "cbc:Name", inv.seller.name)  # BT-85
    _sub(_sub(account, "cac:FinancialInstitutionBranch"), "cbc:ID", inv.bic)  # BT-86
    _sub(_sub(root, "cac:PaymentTerms"), "cbc:Note", _payment_terms())  # BT-20, R11
    _totals(root, inv)
    _line(root, "cac:InvoiceLine", "cbc:InvoicedQuantity", inv)
    return root


def _credit_note(note: CreditNote, pdf: bytes | None) -> ET.Element:
    root = _root("CreditNote", _CREDIT_NOTE_NS)
    _head(root, note)
    _sub(root, "cbc:CreditNoteTypeCode", note.type_code)  # BT-3
    _sub(root, "cbc:Note", f"Reden van de creditnota: {note.reason}")  # BT-22
    _currency_and_period(root, note)
    reference = _sub(_sub(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")  # BG-3
    _sub(reference, "cbc:ID", note.invoice_number)  # BT-25, R12
    _sub(reference, "cbc:IssueDate", _day(note.invoice_issue_date))  # BT-26
    _attachment(root, note, pdf)
    _parties(root, note)
    # BR-CO-25: a positive amount due needs a due date or payment terms; a
    # credit note is not paid by the buyer, which is what its terms say.
    _sub(_sub(root, "cac:PaymentTerms"), "cbc:Note",
         f"Niet te betalen: creditnota bij factuur {note.invoice_number} "
         f"van {_day(note.invoice_issue_date)}.")
    _totals(root, note)
    _line(root, "cac:CreditNoteLine", "cbc:CreditedQuantity", note)
    return root


# -- shared parts, in UBL schema order ---------------------------------------------

def _root(name: str, namespace: str) -> ET.Element:
    # Prefixed names with explicit xmlns attributes instead of
    # ET.register_namespace, which would change process-wide state.
    return ET.Element(name, {"xmlns": namespace, "xmlns:cac": _CAC_NS, "xmlns:cbc": _CBC_NS})


def _head(root: ET.Element, document: Invoice | CreditNote) -> None:
    _sub(root, "cbc:CustomizationID", CUSTOMIZATION_ID)  # BT-24
    _sub(root, "cbc:ProfileID", PROFILE_ID)  # BT-23
    _sub(root, "cbc:ID", document.number)  # BT-1, R12
    _sub(root, "cbc:IssueDate", _day(document.issue_date))  # BT-2, R12


def _currency_and_period(root: ET.Element, document: Invoice | CreditNote) -> None:
    _sub(root, "cbc:DocumentCurrencyCode", document.currency)  # BT-5, R12
    _sub(root, "cbc:BuyerReference", document.buyer_reference)  # BT-10, PEPPOL-EN16931-R003
    _period(root, document)  # BG-14, R12


def _period(parent: ET.Element, document: Invoice | CreditNote) -> None:
    period = _sub(parent, "cac:InvoicePeriod")
    _sub(period, "cbc:StartDate", _day(document.line.period_start))
    _sub(period, "cbc:EndDate", _day(document.line.period_end))


def _attachment(root: ET.Element, document: Invoice | CreditNote, pdf: bytes | None) -> None:
    # BG-24. In both UBL 2.1 schemas AdditionalDocumentReference comes after
    # InvoicePeriod / BillingReference and before AccountingSupplierParty.
    # No DocumentTypeCode: Peppol reserves 130 for an invoiced object, and a
    # supporting document carries none.
    if pdf is None:
        return
    noun = "Factuur" if isinstance(document, Invoice) else "Creditnota"
    reference = _sub(root, "cac:AdditionalDocumentReference")
    _sub(reference, "cbc:ID", document.number)  # BT-122
    _sub(reference, "cbc:DocumentDescription", f"{noun} {document.number} (PDF)")  # BT-123
    # BT-125 with its mime code and file name. One line of base64, no
    # wrapping: base64Binary allows whitespace but does not need it, and an
    # unwrapped encoding has exactly one form.
    _sub(_sub(reference, "cac:Attachment"), "cbc:EmbeddedDocumentBinaryObject",
         base64.b64encode(pdf).decode("ascii"), mimeCode=_PDF_MIME_CODE,
         filename=f"{document.number}.pdf")


def _parties(root: ET.Element, document: Invoice | CreditNote) -> None:
    _party(_sub(root, "cac:AccountingSupplierParty"), document.seller)  # BG-4
    _party(_sub(root, "cac:AccountingCustomerParty"), document.buyer)  # BG-7


def _party(role: ET.Element, party: Party) -> None:
    # Enterprise number only, never a VAT identifier (R10, BR-O-02).
    p = _sub(role, "cac:Party")
    _sub(p, "cbc:EndpointID", party.kbo, schemeID=ENTERPRISE_NUMBER_SCHEME)  # BT-34 / BT-49
    _sub(_sub(p, "cac:PartyIdentification"), "cbc:ID", party.kbo,
         schemeID=ENTERPRISE_NUMBER_SCHEME)  # BT-29 / BT-46
    address = _sub(p, "cac:PostalAddress")  # BG-5 / BG-8
    _sub(address, "cbc:StreetName", party.street)  # BT-35 / BT-50
    _sub(address, "cbc:CityName", party.city)  # BT-37 / BT-52
    _sub(address, "cbc:PostalZone", party.postcode)  # BT-38 / BT-53
    _sub(_sub(address, "cac:Country"), "cbc:IdentificationCode", party.country)  # BT-40 / BT-55
    legal = _sub(p, "cac:PartyLegalEntity")
    _sub(legal, "cbc:RegistrationName", party.name)  # BT-27 / BT-44
    _sub(legal, "cbc:CompanyID", party.kbo, schemeID=ENTERPRISE_NUMBER_SCHEME)  # BT-30 / BT-47


def _payment_terms() -> str:
    return (f"Betaling binnen {PAYMENT_TERM_DAYS} dagen na factuurdatum, door overschrijving "
            "met vermelding van de gestructureerde mededeling.")


def _totals(root: ET.Element, document: Invoice | CreditNote) -> None:
    net, vat, currency = document.total, document.vat_amount, document.currency
    tax_total = _sub(root, "cac:TaxTotal")  # R10
    _amount(tax_total, "cbc:TaxAmount", vat, currency)  # BT-110
    subtotal = _sub(tax_total, "cac:TaxSubtotal")  # BG-23
    _amount(subtotal, "cbc:TaxableAmount", net, currency)  # BT-116
    _amount(subtotal, "cbc:TaxAmount", vat, currency)  # BT-117
    category = _sub(subtotal, "cac:TaxCategory")
    _sub(category, "cbc:ID", VAT_CATEGORY)  # BT-118; category O has no rate (BR-O-05)
    _sub(category, "cbc:TaxExemptionReasonCode", VAT_EXEMPTION_REASON_CODE)  # BT-121
    _sub(category, "cbc:TaxExemptionReason", VAT_EXEMPTION_REASON)  # BT-120
    _sub(_sub(category, "cac:TaxScheme"), "cbc:ID", _TAX_SCHEME)
    totals = _sub(root, "cac:LegalMonetaryTotal")  # BG-22
    _amount(totals, "cbc:LineExtensionAmount", net, currency)  # BT-106
    _amount(totals, "cbc:TaxExclusiveAmount", net, currency)  # BT-109
    _amount(totals, "cbc:TaxInclusiveAmount", net + vat, currency)  # BT-112
    _amount(totals, "cbc:PayableAmount", net + vat, currency)  # BT-115


def _line(root: ET.Element, tag: str, quantity_tag: str, document: Invoice | CreditNote) -> None:
    line = _sub(root, tag)  # BG-25
    _sub(line, "cbc:ID", "1")  # BT-126
    _sub(line, quantity_tag, "1", unitCode=UNIT_CODE)  # BT-129, BT-130
    _amount(line, "cbc:LineExtensionAmount", document.total, document.currency)  # BT-131
    _period(line, document)  # BG-26
    item = _sub(line, "cac:Item")
    _sub(item, "cbc:Description", _description(document))  # BT-154
    _sub(item, "cbc:Name", SERVICE_NAME)  # BT-153
    category = _sub(item, "cac:ClassifiedTaxCategory")  # BG-30
    _sub(category, "cbc:ID", VAT_CATEGORY)  # BT-151, R10
    _sub(_sub(category, "cac:TaxScheme"), "cbc:ID", _TAX_SCHEME)
    _amount(_sub(line, "cac:Price"), "cbc:PriceAmount", document.total, document.currency)  # BT-146


def _description(document: Invoice | CreditNote) -> str:
    line = document.line
    text = (f"Jaar {line.year}, periode {_day(line.period_start)} tot en met "
            f"{_day(line.period_end)}: ")
    if line.is_prorated:  # R4 (first year) or R8 (pro-rata final year)
        text += f"{line.months}/12 van de jaarvergoeding {money_str(line.annual_fee)} EUR"
    else:
        text += f"volledige jaarvergoeding {money_str(line.annual_fee)} EUR"
    if isinstance(document, CreditNote):
        extent = ("volledig" if document.is_full else
                  f"gedeeltelijk, {money_str(document.amount)} EUR van "
                  f"{money_str(line.amount)} EUR")
        text = f"Creditering van factuur {document.invoice_number} ({extent}). {text}"
    return text


# -- helpers -------------------------------------------------------------------

def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    element.text = text
    return element


def _amount(parent: ET.Element, tag: str, value: Decimal, currency: str) -> ET.Element:
    # Exactly two decimals, in the document currency (R12, PEPPOL-EN16931-R051).
    return _sub(parent, tag, money_str(value), currencyID=currency)


def _day(day: date) -> str:
    return day.isoformat()


def _check_pdf(pdf: bytes | None) -> None:
    if pdf is None:
        return
    if not isinstance(pdf, bytes | bytearray) or not pdf.startswith(b"%PDF-"):
        shown = pdf[:16] if isinstance(pdf, bytes | bytearray) else type(pdf).__name__
        raise InvalidValue("pdf", repr(shown),
                           "is not a PDF (PDF bytes start with %PDF-); pass the bytes "
                           "render_pdf() returned for this document")


def _check_texts(document: Invoice | CreditNote) -> None:
    texts: list[tuple[str, str]] = []
    for role, party in (("seller", document.seller), ("buyer", document.buyer)):
        texts += [(f"{role}.{name}", getattr(party, name))
                  for name in ("name", "street", "postcode", "city", "country")]
    texts.append(("buyer.reference", document.buyer_reference))
    if isinstance(document, CreditNote):
        texts.append(("reason", document.reason))
    for field, value in texts:
        bad = _NOT_XML.search(value)
        if bad is not None:
            raise InvalidValue(
                field, value,
                f"contains U+{ord(bad.group()):04X}, a control character an XML e-invoice "
                "cannot carry; remove it",
            )
