"""Tests of :mod:`mbp_billing.einvoice`: Peppol BIS Billing 3.0 UBL 2.1 (R10-R12).

The validity tests read the official artefacts (OASIS UBL 2.1 XSD, CEN
EN 16931 and Peppol BIS 3 Schematron XSLT) from ``../shared/validation/``
beside the repository, or from ``$MBP_VALIDATION_DIR``; they are never copied
into the repository, and the tests skip, saying why, where they are absent.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from factories import agreement as make_agreement
from factories import buyer as make_buyer
from hypothesis import assume, example, given
from hypothesis import strategies as st
from lxml import etree
from stdnum.be import ogm_vcs
from strategies import agreements

from mbp_billing.documents import (
    DEFAULT_BUYER_REFERENCE,
    SERVICE_NAME,
    VAT_EXEMPTION_REASON,
    VAT_EXEMPTION_REASON_CODE,
    CreditNote,
    Invoice,
    document_from_record,
    format_number,
)
from mbp_billing.einvoice import CUSTOMIZATION_ID, PROFILE_ID, to_ubl
from mbp_billing.errors import InvalidValue
from mbp_billing.parties import SELLER, SELLER_BIC, SELLER_IBAN, Party
from mbp_billing.render import render_pdf
from mbp_billing.schedule import EndPolicy, build_schedule
from mbp_billing.text import MAX_NAME_LENGTH, document_text

Document = Invoice | CreditNote

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
SVRL = "{http://purl.oclc.org/dsdl/svrl}"

# -- the official validation artefacts ----------------------------------------------

VALIDATION_ENV = "MBP_VALIDATION_DIR"
DEFAULT_VALIDATION_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "validation"
XSD = {
    "Invoice": "ubl-2.1/xsd/maindoc/UBL-Invoice-2.1.xsd",
    "CreditNote": "ubl-2.1/xsd/maindoc/UBL-CreditNote-2.1.xsd",
}
SCHEMATRONS = {
    "EN16931": "en16931-ubl/xslt/EN16931-UBL-validation.xslt",
    "PEPPOL": "peppol-bis-billing-3/xslt/PEPPOL-EN16931-UBL.xslt",
}


class Validator:
    """The XSDs loaded and the two Schematron stylesheets compiled, once."""

    def __init__(self, root: Path, saxonche: Any) -> None:
        self.xsd = {kind: etree.XMLSchema(file=str(root / path)) for kind, path in XSD.items()}
        self.processor = saxonche.PySaxonProcessor(license=False)
        compiler = self.processor.new_xslt30_processor()
        self.stylesheets = {name: compiler.compile_stylesheet(stylesheet_file=str(root / path))
                            for name, path in SCHEMATRONS.items()}

    def check(self, xml: bytes) -> tuple[list[str], list[str]]:
        """``(rejections, warnings)``: XSD errors and fatal asserts, then warnings."""
        rejections: list[str] = []
        warnings: list[str] = []
        document = etree.fromstring(xml)
        schema = self.xsd[etree.QName(document).localname]
        if not schema.validate(document):
            rejections += [f"XSD line {e.line}: {e.message}" for e in schema.error_log]
        node = self.processor.parse_xml(xml_text=xml.decode("utf-8"))
        for name, stylesheet in self.stylesheets.items():
            svrl = etree.fromstring(stylesheet.transform_to_string(xdm_node=node).encode("utf-8"))
            for failed in svrl.iter(f"{SVRL}failed-assert"):
                text = " ".join((failed.findtext(f"{SVRL}text") or "").split())
                where = re.sub(r"\[namespace-uri\(\)='[^']*'\]|\*:", "", failed.get("location", ""))
                found = f"{name} {failed.get('id')} at {where}: {text}"
                # These stylesheets flag every assert "fatal" or "warning"; an
                # assert without a flag (or another flag) counts as a rejection.
                if failed.get("flag") in ("warning", "information"):
                    warnings.append(found)
                else:
                    rejections.append(found)
        return rejections, warnings

    def assert_valid(self, xml: bytes) -> None:
        """Fail with every rejection's id and text."""
        rejections, _ = self.check(xml)
        assert not rejections, "rejected by the official validation:\n" + "\n".join(rejections)


@pytest.fixture(scope="session")
def validator() -> Validator:
    """The official artefacts, compiled once per session; skip where absent."""
    root = Path(os.environ.get(VALIDATION_ENV) or DEFAULT_VALIDATION_DIR)
    for path in (*XSD.values(), *SCHEMATRONS.values()):
        if not (root / path).is_file():
            pytest.skip(
                f"official UBL/Peppol validation artefacts not found ({root / path} is "
                f"missing); they are read from ../shared/validation/ beside the repository "
                f"or from ${VALIDATION_ENV}, never copied into the repository"
            )
    saxonche = pytest.importorskip(
        "saxonche", reason="saxonche (test extra) runs the Schematron XSLTs")
    return Validator(root, saxonche)


# -- building documents ---------------------------------------------------------------

def make_invoice(year: int = 2023, *, buyer: Party | None = None, number: str = "F000123",
                 issue_date: date | None = None, **overrides: Any) -> Invoice:
    """The shared example agreement invoiced for ``year``; override any agreement field."""
    buyer = buyer or make_buyer()
    charge = build_schedule(make_agreement(buyer=buyer, **overrides), through=year).for_year(year)
    return Invoice.build(charge, buyer, number=number,
                         issue_date=issue_date or charge.earliest_invoice_date)


def make_credit_note(invoice: Invoice | None = None, amount: str | None = None,
                     reason: str = "verkeerd inwonersaantal") -> CreditNote:
    """A credit note of ``invoice`` (full unless ``amount``)."""
    invoice = invoice or make_invoice()
    return CreditNote.build(invoice, number="C000001",
                            issue_date=invoice.issue_date + timedelta(days=20),
                            reason=reason, amount=amount)


EXAMPLES: dict[str, Callable[[], Document]] = {
    "first-year-invoice": lambda: make_invoice(2023, issue_date=date(2023, 7, 10)),
    "annual-invoice": lambda: make_invoice(2025, number="F000456",
                                           buyer=make_buyer(reference="PO-2025/17")),
    "full-credit-note": lambda: make_credit_note(),
    "partial-credit-note": lambda: make_credit_note(amount="1166.67"),
}


@pytest.fixture(params=sorted(EXAMPLES))
def example_document(request: pytest.FixtureRequest) -> Document:
    """Each fixed example document in turn."""
    document: Document = EXAMPLES[request.param]()
    return document


def parse(xml: bytes) -> etree._Element:
    """The XML parsed by lxml."""
    return etree.fromstring(xml)


def one(root: etree._Element, path: str) -> etree._Element:
    """The single element at ``path``."""
    found = root.findall(path, NS)
    assert len(found) == 1, f"{path}: {len(found)} elements"
    return found[0]


def text(root: etree._Element, path: str) -> str:
    """The text of the single element at ``path``."""
    return one(root, path).text or ""


# -- hypothesis strategies ----------------------------------------------------------

#: Texts that break naive XML writers: markup, entities, CDATA ends, quotes,
#: CR LF and tab, accents and astral characters, and length.
HOSTILE = (
    "Gemeente <Ærø> & Zoon",
    "Stad \"Brugge\" & 't Zand",
    "]]> <![CDATA[ <x/> ",
    "&amp; &lt; &#13; &nbsp;",
    "Commune d'Écaussinnes-Lalaing",
    "Gemeente\u00a0met\u00a0harde\u00a0spaties \u2013 \u201cquotes\u201d \u20ac",
    "Sint-\u0132sbrecht \u2010 Cafe\u0301",  # mapped to IJ and -, normalised to NFC
    "Gemeente " + "Lang" * 22,
)


def _printable(value: str) -> bool:
    try:
        document_text(value, "text")
    except InvalidValue:
        return False
    return True


#: Any character the PDF font can show (WinAnsi), except control characters (refused).
_CHARS = st.characters(codec="cp1252", exclude_categories=("Cc",))
texts = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(_CHARS, min_size=1, max_size=MAX_NAME_LENGTH).filter(_printable),
)


@st.composite
def kbos(draw: st.DrawFn) -> str:
    """A valid enterprise number, plain or as printed."""
    base = draw(st.integers(0, 19_999_999))
    digits = f"{base:08d}{97 - base % 97:02d}"  # the KBO's own check digits
    return draw(st.sampled_from([digits, f"{digits[:4]}.{digits[4:7]}.{digits[7:]}",
                                 f"BE {digits}"]))


@st.composite
def buyers(draw: st.DrawFn) -> Party:
    """A buyer with hostile, accented or long texts."""
    return Party(name=draw(texts), kbo=draw(kbos()), street=draw(texts),
                 postcode=draw(texts), city=draw(texts),
                 reference=draw(st.none() | texts))


@st.composite
def invoices(draw: st.DrawFn) -> Invoice:
    """An invoice of any year of a generated agreement (R1-R5, R8, R9)."""
    agreement = draw(agreements())
    start = agreement.billing_start
    assert start is not None
    policy = draw(st.sampled_from(EndPolicy))
    charges = build_schedule(agreement, through=start.year + 3, policy=policy).charges
    assume(charges)
    charge = draw(st.sampled_from(charges))
    issue = charge.earliest_invoice_date + timedelta(days=draw(st.integers(0, 120)))
    number = format_number("F", draw(st.integers(1, 10**10 - 1)))
    return Invoice.build(charge, draw(buyers()), number=number, issue_date=issue)


@st.composite
def credit_notes(draw: st.DrawFn) -> CreditNote:
    """A full or partial credit note of a generated invoice."""
    invoice = draw(invoices())
    cents = int(invoice.total * 100)
    amount = None
    if cents > 1 and draw(st.booleans()):
        amount = str(Decimal(draw(st.integers(1, cents - 1))).scaleb(-2))
    return CreditNote.build(
        invoice, number=format_number("C", draw(st.integers(1, 10**6))),
        issue_date=invoice.issue_date + timedelta(days=draw(st.integers(0, 400))),
        reason=draw(texts), amount=amount,
    )


documents = st.one_of(invoices(), credit_notes())


# -- document type and identification -------------------------------------------------

def test_invoice_is_a_peppol_ubl_invoice_380() -> None:
    """An invoice is a UBL Invoice of type 380 with the Peppol BIS 3 identifiers."""
    root = parse(to_ubl(make_invoice()))
    assert root.tag == f"{{{INVOICE_NS}}}Invoice"
    assert text(root, "cbc:InvoiceTypeCode") == "380"
    assert text(root, "cbc:CustomizationID") == CUSTOMIZATION_ID
    assert text(root, "cbc:ProfileID") == PROFILE_ID
    assert text(root, "cbc:ID") == "F000123"
    assert text(root, "cbc:DocumentCurrencyCode") == "EUR"


def test_credit_note_is_a_ubl_credit_note_381_referring_to_the_invoice() -> None:
    """A credit note is type 381 and names the credited invoice's number and date."""
    invoice = make_invoice(issue_date=date(2023, 7, 10))
    root = parse(to_ubl(make_credit_note(invoice)))
    assert root.tag == f"{{{CREDIT_NOTE_NS}}}CreditNote"
    assert text(root, "cbc:CreditNoteTypeCode") == "381"
    assert text(root, "cbc:ID") == "C000001"
    reference = one(root, "cac:BillingReference/cac:InvoiceDocumentReference")
    assert text(reference, "cbc:ID") == "F000123"
    assert text(reference, "cbc:IssueDate") == "2023-07-10"


def test_output_is_utf8_with_an_xml_declaration() -> None:
    """The bytes start with a UTF-8 XML declaration and carry accents as UTF-8."""
    xml = to_ubl(make_invoice(buyer=make_buyer("Gemeente Ærø-Écaussinnes")))
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    assert "Gemeente Ærø-Écaussinnes".encode() in xml


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_same_document_gives_identical_bytes(name: str) -> None:
    """Equal documents, even rebuilt from the register's record, give identical bytes."""
    document = EXAMPLES[name]()
    rebuilt = document_from_record(document.to_record())
    assert rebuilt is not document
    assert to_ubl(document) == to_ubl(document) == to_ubl(rebuilt)


@given(documents)
def test_both_parties_identified_by_enterprise_number_scheme_0208(document: Document) -> None:
    """Seller and buyer carry their 10-digit enterprise number under scheme 0208."""
    root = parse(to_ubl(document))
    for role, party in (("AccountingSupplierParty", document.seller),
                        ("AccountingCustomerParty", document.buyer)):
        p = one(root, f"cac:{role}/cac:Party")
        for path in ("cbc:EndpointID", "cac:PartyIdentification/cbc:ID",
                     "cac:PartyLegalEntity/cbc:CompanyID"):
            element = one(p, path)
            assert element.get("schemeID") == "0208", path
            assert re.fullmatch(r"\d{10}", element.text or ""), path
            assert element.text == party.kbo, path
    assert text(root, "cac:AccountingSupplierParty//cbc:EndpointID") == SELLER.kbo == "0643634986"


@given(documents)
def test_no_vat_identifier_anywhere(document: Document) -> None:
    """No PartyTaxScheme, no CompanyID under scheme VAT, no BE-prefixed number (R10)."""
    xml = to_ubl(document)
    root = parse(xml)
    assert not root.findall(".//cac:PartyTaxScheme", NS)
    assert all(e.get("schemeID") == "0208" for e in root.iterfind(".//cbc:CompanyID", NS))
    assert not [e for e in root.iter() if e.get("schemeID") in ("VAT", "9925")]
    for kbo in (document.seller.kbo, document.buyer.kbo):
        assert f"BE{kbo}".encode() not in xml


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_vat_category_o_with_the_article_6_exemption(name: str) -> None:
    """One tax subtotal in category O, tax 0.00, the reason code and text, no rate (R10)."""
    document = EXAMPLES[name]()
    root = parse(to_ubl(document))
    assert text(root, "cac:TaxTotal/cbc:TaxAmount") == "0.00"
    subtotal = one(root, "cac:TaxTotal/cac:TaxSubtotal")
    assert text(subtotal, "cbc:TaxableAmount") == str(document.total)
    assert text(subtotal, "cbc:TaxAmount") == "0.00"
    category = one(subtotal, "cac:TaxCategory")
    assert text(category, "cbc:ID") == "O"
    assert text(category, "cbc:TaxExemptionReasonCode") == VAT_EXEMPTION_REASON_CODE
    assert text(category, "cbc:TaxExemptionReason") == VAT_EXEMPTION_REASON
    assert "artikel 6" in VAT_EXEMPTION_REASON
    assert text(category, "cac:TaxScheme/cbc:ID") == "VAT"
    line_category = one(root, ".//cac:Item/cac:ClassifiedTaxCategory")
    assert text(line_category, "cbc:ID") == "O"
    assert not root.findall(".//cbc:Percent", NS)


# -- payment (R11, R12) ---------------------------------------------------------------

def test_payment_means_58_with_iban_bic_and_structured_communication() -> None:
    """SEPA credit transfer (58) to EV DV's compact IBAN and BIC, with the +++ reference."""
    invoice = make_invoice(issue_date=date(2023, 7, 10))
    means = one(parse(to_ubl(invoice)), "cac:PaymentMeans")
    assert text(means, "cbc:PaymentMeansCode") == "58"
    payment_id = text(means, "cbc:PaymentID")
    assert payment_id == invoice.structured_communication_display == "+++000/0000/12326+++"
    assert ogm_vcs.is_valid(payment_id)
    assert ogm_vcs.compact(payment_id) == invoice.structured_communication
    assert text(means, "cac:PayeeFinancialAccount/cbc:ID") == SELLER_IBAN == "BE86375111750850"
    assert text(means, "cac:PayeeFinancialAccount/cbc:Name") == SELLER.name
    assert text(means, "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID") \
        == SELLER_BIC


def test_invoice_due_in_30_days_with_payment_terms() -> None:
    """The due date is the invoice date + 30 days and the terms say so (R11)."""
    root = parse(to_ubl(make_invoice(issue_date=date(2023, 12, 15))))
    assert text(root, "cbc:IssueDate") == "2023-12-15"
    assert text(root, "cbc:DueDate") == "2024-01-14"
    assert "30 dagen na factuurdatum" in text(root, "cac:PaymentTerms/cbc:Note")


def test_credit_note_has_reason_terms_and_no_payment_means() -> None:
    """A credit note carries its reason as the note and is not to be paid."""
    root = parse(to_ubl(make_credit_note(reason="dubbel gefactureerd")))
    assert text(root, "cbc:Note") == "Reden van de creditnota: dubbel gefactureerd"
    assert text(root, "cac:PaymentTerms/cbc:Note").startswith("Niet te betalen")
    assert not root.findall("cac:PaymentMeans", NS)
    assert not root.findall("cbc:DueDate", NS)


@pytest.mark.parametrize(("reference", "expected"), [
    (None, DEFAULT_BUYER_REFERENCE),
    ("PO 2024/0042 & co", "PO 2024/0042 & co"),
])
def test_buyer_reference_given_or_default(reference: str | None, expected: str) -> None:
    """BuyerReference is the buyer's reference, or the documented default "MBP-APP"."""
    root = parse(to_ubl(make_invoice(buyer=make_buyer(reference=reference))))
    assert text(root, "cbc:BuyerReference") == expected


# -- amounts and the line ---------------------------------------------------------------

@given(documents)
def test_every_amount_has_two_decimals_in_eur_and_equals_the_total(document: Document) -> None:
    """Every amount is EUR with two decimals; net, payable and line equal the total."""
    root = parse(to_ubl(document))
    amounts = [e for e in root.iter() if e.get("currencyID") is not None]
    assert len(amounts) == 9
    for element in amounts:
        assert element.get("currencyID") == "EUR"
        assert re.fullmatch(r"\d+\.\d\d", element.text or ""), element.text
    total = str(document.total)
    for path in ("LineExtensionAmount", "TaxExclusiveAmount", "TaxInclusiveAmount",
                 "PayableAmount"):
        assert text(root, f"cac:LegalMonetaryTotal/cbc:{path}") == total
    line = one(root, "cac:InvoiceLine" if isinstance(document, Invoice) else "cac:CreditNoteLine")
    assert text(line, "cbc:LineExtensionAmount") == total
    assert text(line, "cac:Price/cbc:PriceAmount") == total
    assert Decimal(total) > 0


def test_pro_rata_line_states_months_over_12() -> None:
    """A pro-rated first year: one unit, its period, the name and "6/12" of the fee (R4)."""
    root = parse(to_ubl(make_invoice(2023)))
    line = one(root, "cac:InvoiceLine")
    quantity = one(line, "cbc:InvoicedQuantity")
    assert (quantity.text, quantity.get("unitCode")) == ("1", "C62")
    for period in (one(root, "cac:InvoicePeriod"), one(line, "cac:InvoicePeriod")):
        assert text(period, "cbc:StartDate") == "2023-07-01"
        assert text(period, "cbc:EndDate") == "2023-12-31"
    assert text(line, "cac:Item/cbc:Name") == SERVICE_NAME
    description = text(line, "cac:Item/cbc:Description")
    assert description.startswith("Jaar 2023, periode 2023-07-01 tot en met 2023-12-31")
    assert "6/12 van de jaarvergoeding 7000.00 EUR" in description


def test_full_year_line_is_the_whole_fee() -> None:
    """A renewal year shows the full fee and no fraction (R5)."""
    root = parse(to_ubl(make_invoice(2024)))
    description = text(root, "cac:InvoiceLine/cac:Item/cbc:Description")
    assert "Jaar 2024" in description
    assert "volledige jaarvergoeding 7000.00 EUR" in description
    assert "/12" not in description
    assert text(root, "cac:InvoiceLine/cac:InvoicePeriod/cbc:StartDate") == "2024-01-01"


def test_partial_credit_note_credits_a_positive_amount() -> None:
    """A partial credit note states the credited amount, positive, everywhere."""
    invoice = make_invoice(2024)
    root = parse(to_ubl(make_credit_note(invoice, amount="1166.67")))
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "1166.67"
    line = one(root, "cac:CreditNoteLine")
    assert text(line, "cbc:CreditedQuantity") == "1"
    assert text(line, "cbc:LineExtensionAmount") == "1166.67"
    assert "gedeeltelijk, 1166.67 EUR van 7000.00 EUR" in text(line, "cac:Item/cbc:Description")
    assert not [e for e in root.iter() if (e.text or "").startswith("-")]


# -- escaping ---------------------------------------------------------------------------

@given(credit_notes())
@example(make_credit_note(make_invoice(buyer=make_buyer(
    name=HOSTILE[0], street=HOSTILE[2], city=HOSTILE[5], postcode="<1000>",
    reference=HOSTILE[3])), reason=HOSTILE[1]))
def test_hostile_texts_round_trip_through_an_xml_parser(note: CreditNote) -> None:
    """Names, addresses, reference and reason with &, <, accents, CR or length parse back."""
    root = parse(to_ubl(note))
    party = one(root, "cac:AccountingCustomerParty/cac:Party")
    buyer = note.buyer
    assert text(party, "cac:PartyLegalEntity/cbc:RegistrationName") == buyer.name
    assert text(party, "cac:PostalAddress/cbc:StreetName") == buyer.street
    assert text(party, "cac:PostalAddress/cbc:CityName") == buyer.city
    assert text(party, "cac:PostalAddress/cbc:PostalZone") == buyer.postcode
    assert text(root, "cbc:BuyerReference") == note.buyer_reference
    assert text(root, "cbc:Note") == f"Reden van de creditnota: {note.reason}"


@pytest.mark.parametrize("field", ["name", "street", "city"])
def test_control_character_is_refused(field: str) -> None:
    """A character XML cannot carry is refused when the buyer is built, naming the field."""
    with pytest.raises(InvalidValue, match="control character") as caught:
        make_buyer(**{"name": "Gemeente Voorbeeld", field: "Gemeente\x00Voorbeeld"})
    assert caught.value.field == f"buyer.{field}"


def test_control_character_in_reason_is_refused() -> None:
    """A credit note reason with a form feed is refused with the field name."""
    with pytest.raises(InvalidValue) as caught:
        to_ubl(make_credit_note(reason="fout\x0cbedrag"))
    assert caught.value.field == "reason"


# -- the PDF inside (issue 10, part 6) -------------------------------------------------

#: A stand-in for the PDF where rendering one would only cost time.
SMALL_PDF = b"%PDF-1.7\n% a stand-in, not a real PDF\n%%EOF\n"


def attachment(root: etree._Element) -> etree._Element:
    """The single AdditionalDocumentReference."""
    return one(root, "cac:AdditionalDocumentReference")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_pdf_travels_inside_the_xml(name: str) -> None:
    """The XML carries its own PDF, base64, with number, description, mime code and file name."""
    document = EXAMPLES[name]()
    pdf = render_pdf(document)
    reference = attachment(parse(to_ubl(document, pdf=pdf)))
    assert text(reference, "cbc:ID") == document.number
    noun = "Factuur" if isinstance(document, Invoice) else "Creditnota"
    assert text(reference, "cbc:DocumentDescription") == f"{noun} {document.number} (PDF)"
    binary = one(reference, "cac:Attachment/cbc:EmbeddedDocumentBinaryObject")
    assert binary.get("mimeCode") == "application/pdf"
    assert binary.get("filename") == f"{document.number}.pdf"
    assert base64.b64decode(binary.text or "", validate=True) == pdf
    assert not reference.findall("cbc:DocumentTypeCode", NS)  # 130 would mean "invoiced object"


@given(documents)
def test_the_attachment_sits_where_the_ubl_schema_wants_it(document: Document) -> None:
    """AdditionalDocumentReference follows the period/billing reference, precedes the seller."""
    root = parse(to_ubl(document, pdf=SMALL_PDF))
    names = [etree.QName(child).localname for child in root]
    at = names.index("AdditionalDocumentReference")
    before = "BillingReference" if isinstance(document, CreditNote) else "InvoicePeriod"
    assert names[at - 1] == before
    assert names[at + 1] == "AccountingSupplierParty"
    assert names.count("AdditionalDocumentReference") == 1


def test_the_base64_is_one_unbroken_line() -> None:
    """No wrapping: the encoding has one form, and the text is exactly b64encode(pdf)."""
    document = EXAMPLES["annual-invoice"]()
    pdf = render_pdf(document)
    xml = to_ubl(document, pdf=pdf)
    encoded = base64.b64encode(pdf)
    assert b">" + encoded + b"</cbc:EmbeddedDocumentBinaryObject>" in xml
    assert b"\n" not in encoded and b"\r" not in encoded
    assert len(xml.splitlines()) == len(to_ubl(document).splitlines()) + 7  # the element, 7 lines


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_same_document_and_pdf_give_identical_bytes(name: str) -> None:
    """With the PDF embedded, a document rebuilt from its record still gives the same bytes."""
    document = EXAMPLES[name]()
    rebuilt = document_from_record(document.to_record())
    assert to_ubl(document, pdf=render_pdf(document)) == to_ubl(rebuilt, pdf=render_pdf(rebuilt))


def test_without_a_pdf_there_is_no_attachment() -> None:
    """``pdf=None`` (the default) leaves the attachment out."""
    assert not parse(to_ubl(make_invoice())).findall("cac:AdditionalDocumentReference", NS)


@pytest.mark.parametrize("bad", [b"", b"<?xml?>", b"PDF-1.7", "%PDF-1.7"])
def test_something_else_than_a_pdf_is_refused(bad: Any) -> None:
    """Bytes that are not a PDF (or text instead of bytes) are refused, naming ``pdf``."""
    with pytest.raises(InvalidValue, match="not a PDF") as caught:
        to_ubl(make_invoice(), pdf=bad)
    assert caught.value.field == "pdf"


# -- official validation ---------------------------------------------------------------

def test_example_documents_pass_the_official_validation(
        validator: Validator, example_document: Document) -> None:
    """The fixed examples, with and without their PDF, pass the XSD, EN 16931 and Peppol rules."""
    validator.assert_valid(to_ubl(example_document))
    validator.assert_valid(to_ubl(example_document, pdf=render_pdf(example_document)))


def test_example_documents_raise_no_schematron_warning(
        validator: Validator, example_document: Document) -> None:
    """The fixed examples, PDF embedded, raise not even a non-fatal warning."""
    _, warnings = validator.check(to_ubl(example_document, pdf=render_pdf(example_document)))
    assert not warnings, "\n".join(warnings)


@given(invoices())
@example(make_invoice(2023, app_store_live_on=date(2023, 12, 31),
                      play_store_live_on=date(2023, 12, 1)))  # 1 month
@example(make_invoice(2023, app_store_live_on=date(2022, 3, 1),
                      play_store_live_on=date(2022, 5, 2), issue_date=date(2023, 1, 1)))  # R3
@example(make_invoice(2024, population=None, annual_fee="1200.06",
                      app_store_live_on=date(2024, 12, 31),
                      play_store_live_on=date(2024, 2, 29)))  # 100.005 -> 100.01
@example(make_invoice(2026, population=50_001, signed_on=date(2023, 2, 10),
                      buyer=make_buyer(kbo="0000000097")))
def test_generated_invoices_pass_the_official_validation(
        validator: Validator, invoice: Invoice) -> None:
    """Invoices of generated agreements, with a PDF inside, pass the XSD, EN 16931 and Peppol."""
    validator.assert_valid(to_ubl(invoice, pdf=SMALL_PDF))


@given(credit_notes())
@example(make_credit_note(make_invoice(2025), amount="0.01"))
def test_generated_credit_notes_pass_the_official_validation(
        validator: Validator, note: CreditNote) -> None:
    """Full and partial credit notes pass the XSD, EN 16931 and Peppol BIS 3 rules."""
    validator.assert_valid(to_ubl(note))


def test_validation_rejects_a_broken_document(validator: Validator) -> None:
    """The validation is live: a wrong check digit and a missing reference are fatal."""
    xml = to_ubl(make_invoice())
    broken = (xml.replace(b">0207123407<", b">0207123408<", 1)
                 .replace(b"<cbc:BuyerReference>MBP-APP</cbc:BuyerReference>", b""))
    rejections, _ = validator.check(broken)
    found = " ".join(rejections)
    assert "PEPPOL-COMMON-R043" in found
    assert "PEPPOL-EN16931-R003" in found
    unordered = xml.replace(b"<cbc:DueDate>", b"<cbc:X>", 1).replace(b"</cbc:DueDate>",
                                                                  b"</cbc:X>", 1)
    rejections, _ = validator.check(unordered)
    assert any(r.startswith("XSD") for r in rejections)
