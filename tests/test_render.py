"""Tests of the PDF rendering (issue 3, items 3 and 6; R4, R10, R11, R12)."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal

import attrs
import pypdf
import pypdfium2
import pytest
import zxingcpp
from babel.numbers import format_currency
from factories import agreement, buyer
from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.be import ogm_vcs

from mbp_billing.documents import (
    SERVICE_NAME,
    VAT_EXEMPTION_REASON,
    CreditNote,
    Invoice,
    Line,
)
from mbp_billing.errors import InvalidValue
from mbp_billing.parties import SELLER, Party
from mbp_billing.render import epc_qr_payload, render_pdf
from mbp_billing.schedule import build_schedule
from mbp_billing.text import MAX_NAME_LENGTH, document_text

#: Printed IBAN of EV DV.  # R11
IBAN_DISPLAY = "BE86 3751 1175 0850"


def annual_invoice(number: str = "F000001", party: Party | None = None) -> Invoice:
    """The 2026 renewal invoice (12 months, EUR 7,000), dated 2 January 2026."""
    who = party or buyer()
    charge = build_schedule(agreement(buyer=who), through=2026).for_year(2026)
    return Invoice.build(charge, who, number=number, issue_date=date(2026, 1, 2))


def prorated_invoice() -> Invoice:
    """A first-year invoice for May-December 2026: 8/12 of EUR 3,500."""
    who = buyer()
    a = agreement(signed_on=date(2025, 3, 10), population=12000, buyer=who,
                  app_store_live_on=date(2026, 5, 20), play_store_live_on=date(2026, 5, 3))
    charge = build_schedule(a, through=2026).for_year(2026)
    return Invoice.build(charge, who, number="F000123", issue_date=date(2026, 6, 2))


def credit_note(amount: str | None = None) -> CreditNote:
    """A credit note of :func:`annual_invoice`, dated 15 January 2026."""
    return CreditNote.build(annual_invoice(), number="C000001", issue_date=date(2026, 1, 15),
                            reason="Verkeerd bevolkingscijfer", amount=amount)


def text_of(pdf: bytes) -> str:
    """All extracted text, whitespace (also no-break spaces) collapsed to single spaces."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def qr_codes(pdf: bytes, dpi: int = 200) -> list[str]:
    """The QR codes decoded from page 1 rendered at ``dpi``, as a phone camera would."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=dpi / 72).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image)
            if r.format == zxingcpp.BarcodeFormat.QRCode]


@pytest.fixture(scope="module")
def invoice_text() -> str:
    """Text of the rendered annual invoice."""
    return text_of(render_pdf(annual_invoice()))


@pytest.fixture(scope="module")
def credit_note_pdf() -> bytes:
    """The rendered full credit note."""
    return render_pdf(credit_note())


# -- What the invoice shows ---------------------------------------------------


def test_invoice_shows_the_seller_block(invoice_text: str) -> None:
    """EV DV's name, enterprise number and address are printed (Parties, R12)."""
    assert "Eigen Vermogen Digitaal Vlaanderen" in invoice_text
    assert "Ondernemingsnummer 0643.634.986" in invoice_text
    assert "Havenlaan 88 1000 Brussel" in invoice_text


def test_invoice_shows_the_buyer_block(invoice_text: str) -> None:
    """The buyer's name, formatted enterprise number and address are printed (R12)."""
    assert "Gemeente Voorbeeld Marktplein 1 9999 Voorbeeld" in invoice_text
    assert "Ondernemingsnummer 0207.123.407" in invoice_text


def test_invoice_shows_title_number_and_dates(invoice_text: str) -> None:
    """Title, number, invoice date and due date 30 days later, in Dutch (R11, R12)."""
    assert "Factuur F000001" in invoice_text
    assert "Nummer F000001" in invoice_text
    assert "Datum 2 januari 2026" in invoice_text
    assert "Vervaldatum 1 februari 2026" in invoice_text


def test_invoice_shows_service_and_period(invoice_text: str) -> None:
    """The service and its period are printed (R12)."""
    assert SERVICE_NAME in invoice_text
    assert "Periode: 1 januari 2026 \u2013 31 december 2026" in invoice_text


def test_full_year_invoice_has_no_prorata_computation(invoice_text: str) -> None:
    """Twelve months: no "n/12 van" computation is printed (R5)."""
    assert "/12" not in invoice_text
    assert "Pro rata" not in invoice_text


def test_prorated_invoice_shows_the_computation() -> None:
    """Fewer than 12 months: "8/12 van € 3.500,00" and its result are printed (R4)."""
    text = text_of(render_pdf(prorated_invoice()))
    assert "Pro rata: 8/12 van € 3.500,00" in text
    assert "Periode: 1 mei 2026 \u2013 31 december 2026" in text
    assert "Totaal te betalen € 2.333,33" in text


def test_invoice_shows_totals_with_zero_vat(invoice_text: str) -> None:
    """Subtotal, VAT € 0,00 and total are printed with Dutch grouping (R10)."""
    assert "Subtotaal € 7.000,00 BTW € 0,00 Totaal te betalen € 7.000,00" in invoice_text


def test_invoice_cites_article_6(invoice_text: str) -> None:
    """The VAT mention cites article 6 of the btw-wetboek (R10)."""
    assert VAT_EXEMPTION_REASON in invoice_text
    assert "artikel 6, eerste lid, btw-wetboek" in invoice_text


def test_invoice_shows_the_payment_block(invoice_text: str) -> None:
    """Amount, due date, IBAN, BIC and structured communication are printed (R11, R12)."""
    assert "Gelieve € 7.000,00 uiterlijk op 1 februari 2026 over te schrijven" in invoice_text
    assert f"IBAN {IBAN_DISPLAY}" in invoice_text
    assert "BIC BBRUBEBB" in invoice_text
    assert "Mededeling +++000/0000/00101+++" in invoice_text


def test_buyer_reference_is_printed() -> None:
    """The buyer's own order reference is printed (Peppol BT-10 on paper)."""
    who = buyer(reference="PO-2026-17")
    assert "Referentie PO-2026-17" in text_of(render_pdf(annual_invoice(party=who)))


# -- Credit notes ---------------------------------------------------------------


def test_credit_note_names_the_invoice_and_reason(credit_note_pdf: bytes) -> None:
    """Title, number, the credited invoice with its date, and the reason (R12)."""
    text = text_of(credit_note_pdf)
    assert "Creditnota C000001" in text
    assert "Datum 15 januari 2026" in text
    assert "Crediteert factuur F000001 van 2 januari 2026" in text
    assert "Reden: Verkeerd bevolkingscijfer" in text
    assert "Totaal gecrediteerd € 7.000,00" in text
    assert "BTW € 0,00" in text and VAT_EXEMPTION_REASON in text


def test_credit_note_has_no_due_date_and_no_payment(credit_note_pdf: bytes) -> None:
    """A credit note asks no payment: no due date, no communication, no QR code."""
    text = text_of(credit_note_pdf)
    assert "Vervaldatum" not in text
    assert "+++" not in text
    assert IBAN_DISPLAY not in text
    assert qr_codes(credit_note_pdf) == []


def test_partial_credit_note_says_so() -> None:
    """A partial credit shows the credited amount and what it is part of."""
    text = text_of(render_pdf(credit_note(amount="1000.00")))
    assert "Gedeeltelijke creditering van € 7.000,00" in text
    assert "Totaal gecrediteerd € 1.000,00" in text


# -- The EPC QR code ------------------------------------------------------------


def test_qr_code_decodes_to_the_payment() -> None:
    """The QR code on the page decodes to IBAN, amount and reference (R11, R12)."""
    invoice = prorated_invoice()
    (payload,) = qr_codes(render_pdf(invoice))
    lines = payload.split("\n")
    assert lines[:4] == ["BCD", "002", "1", "SCT"]
    assert lines[4] == "BBRUBEBB"
    assert lines[5] == "Eigen Vermogen Digitaal Vlaanderen"
    assert lines[6] == "BE86375111750850"
    assert lines[7] == "EUR2333.33"
    assert lines[9] == "000000012326"
    assert ogm_vcs.is_valid(lines[9])
    assert f"+++{ogm_vcs.format(lines[9])}+++" == invoice.structured_communication_display
    assert payload == epc_qr_payload(invoice)


def test_epc_payload_follows_epc069_12() -> None:
    """Ten elements, reference structured, nothing after it, within 331 bytes."""
    payload = epc_qr_payload(annual_invoice())
    assert payload.split("\n") == [
        "BCD", "002", "1", "SCT", "BBRUBEBB", "Eigen Vermogen Digitaal Vlaanderen",
        "BE86375111750850", "EUR7000.00", "", "000000000101",
    ]
    assert len(payload.encode("utf-8")) <= 331


def test_epc_payload_cuts_a_long_beneficiary_name_to_70() -> None:
    """EPC069-12 allows 70 characters for the beneficiary; the rest is cut."""
    seller = attrs.evolve(SELLER, name="Eigen Vermogen Digitaal Vlaanderen " * 4)
    invoice = attrs.evolve(annual_invoice(), seller=seller)
    name = epc_qr_payload(invoice).split("\n")[5]
    assert len(name) == 70
    assert seller.name.startswith(name)


# -- Determinism ------------------------------------------------------------------


def test_render_is_byte_identical() -> None:
    """Rendering the same document twice gives the same bytes (no clock, no state)."""
    invoice = annual_invoice()
    first = render_pdf(invoice)
    render_pdf(prorated_invoice(), locale="fr_BE")  # Other work in between changes nothing.
    assert render_pdf(invoice) == first
    assert render_pdf(credit_note()) == render_pdf(credit_note())


_RENDER_IN_CHILD = """
import hashlib, sys
sys.path.insert(0, sys.argv[1])
from test_render import annual_invoice
from mbp_billing.render import render_pdf
print(hashlib.sha256(render_pdf(annual_invoice())).hexdigest())
"""


def test_render_is_byte_identical_across_processes() -> None:
    """Another interpreter, with another hash seed, writes the same bytes."""
    tests_dir = os.path.dirname(__file__)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    child = subprocess.run([sys.executable, "-c", _RENDER_IN_CHILD, tests_dir],
                           capture_output=True, text=True, check=True, env=env)
    assert child.stdout.strip() == hashlib.sha256(render_pdf(annual_invoice())).hexdigest()


def test_pdf_dates_are_fixed_not_read_from_the_clock() -> None:
    """Creation date is ReportLab's invariant date, and metadata name the document."""
    info = pypdf.PdfReader(io.BytesIO(render_pdf(annual_invoice()))).metadata
    assert info is not None
    assert info["/CreationDate"].startswith("D:20000101000000")
    assert info["/Title"] == "Factuur F000001"


# -- Hostile text -------------------------------------------------------------------


def test_markup_characters_in_names_are_printed_literally() -> None:
    """&, <, >, quotes and accents are escaped, not interpreted, and extractable."""
    name = 'Gemeente "Sint-Jöris" & <Zoon> \'t Ëiland <b>Über</b> &amp; ü'
    who = buyer(name=name, city="Zèlzate & <Co>", reference="PO <1> & \"2\"")
    text = text_of(render_pdf(annual_invoice(party=who)))
    assert name in text
    assert "9999 Zèlzate & <Co>" in text
    assert 'Referentie PO <1> & "2"' in text


def test_long_names_wrap_and_stay_on_one_page() -> None:
    """200-character names and streets wrap inside their block on a single page."""
    name = ("Gemeentebestuur van de fusiegemeente " * 6)[:200].strip()
    street = ("Burgemeester Van Den Broeckestraat " * 6)[:196].strip() + " 12"
    who = buyer(name=name, street=street)
    pdf = render_pdf(annual_invoice(party=who))
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1
    text = text_of(pdf)
    assert name in text and street in text
    assert "Totaal te betalen € 7.000,00" in text
    assert len(qr_codes(pdf)) == 1


def test_longest_word_renders_and_extreme_text_is_refused_at_the_door() -> None:
    """The longest name accepted, one word, renders with the number; a 5,000-character
    name, tabs and newlines are refused when the buyer is read, before any number."""
    who = buyer(name="X" * MAX_NAME_LENGTH, street="Markt plein 1", city="Voor\u202fbeeld")
    text = text_of(render_pdf(annual_invoice(party=who)))
    assert "F000001" in text and "Markt plein 1" in text
    with pytest.raises(InvalidValue, match="longer than 200"):
        buyer(name="X" * 5000)
    with pytest.raises(InvalidValue, match="one line"):
        buyer(street="Markt plein\t1\n")


# -- Locales --------------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "expected"), [
    ("fr_BE", ["Facture F000001", "Date 2 janvier 2026", "Échéance 1 février 2026",
               "Total à payer 7 000,00 €", "TVA 0,00 €", "article 6", "Numéro d'entreprise 0643.634.986"]),
    ("en_GB", ["Invoice F000001", "Date 2 January 2026", "Due date 1 February 2026",
               "Total due €7,000.00", "VAT €0.00", "article 6", "Enterprise number 0207.123.407"]),
    ("nl", ["Factuur F000001", "Datum 2 januari 2026", "Totaal te betalen € 7.000,00"]),
])
def test_other_locales_format_dates_and_amounts(locale: str, expected: list[str]) -> None:
    """Dates, amounts and labels follow the locale asked for, never the environment."""
    text = text_of(render_pdf(annual_invoice(), locale=locale))
    for snippet in expected:
        assert snippet in text


@pytest.mark.parametrize("locale", ["xx_XX", "", "nl-BE-x", "de_BE"])
def test_unknown_or_unlabelled_locale_is_refused(locale: str) -> None:
    """A locale Babel does not know, or without labels, is an InvalidValue naming it."""
    with pytest.raises(InvalidValue, match="locale") as caught:
        render_pdf(annual_invoice(), locale=locale)
    assert caught.value.value == locale


def test_renderer_never_rounds() -> None:
    """An amount with a third decimal is refused, not rounded to the cent."""
    invoice = annual_invoice()
    bad = attrs.evolve(invoice, line=attrs.evolve(invoice.line, amount=Decimal("7000.005")))
    with pytest.raises(InvalidValue, match="whole cents"):
        render_pdf(bad)


# -- Any name, any amount ---------------------------------------------------------------

# Any text a Party accepts: no control characters (refused when the buyer is built).
def _printable(value: str) -> bool:
    try:
        document_text(value, "text")
    except InvalidValue:
        return False
    return True


_NAMES = st.text(st.characters(codec="cp1252", exclude_categories=("Cc",)), min_size=1,
                 max_size=MAX_NAME_LENGTH).filter(_printable)


@settings(deadline=None, max_examples=40)  # Each example renders and parses a PDF.
@given(name=_NAMES, street=_NAMES,
       cents=st.integers(min_value=1, max_value=99_999_999_999),
       counter=st.integers(min_value=1, max_value=999_999))
@example(name="&<>\"'", street="é" * MAX_NAME_LENGTH, cents=1, counter=1)
@example(name="Gemeente Voorbeeld", street="Marktplein 1", cents=99_999_999_999,
         counter=999_999)
def test_any_name_and_amount_renders(name: str, street: str, cents: int, counter: int) -> None:
    """Whatever the names and amount, the PDF renders with the number and amount."""
    amount = Decimal(cents).scaleb(-2)
    line = Line(year=2026, kind="annual", months=12, annual_fee=amount, amount=amount,
                period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
    who = buyer(name=name, street=street)
    invoice = Invoice(number=f"F{counter:06d}", issue_date=date(2026, 1, 2), buyer=who,
                      line=line)
    text = text_of(render_pdf(invoice))
    assert invoice.number in text
    expected = " ".join(format_currency(amount, "EUR", locale="nl_BE").split())
    assert f"Totaal te betalen {expected}" in text
    assert "Vervaldatum 1 februari 2026" in text


def test_bytes_do_not_depend_on_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    """SOURCE_DATE_EPOCH in the environment changes neither date nor ID of the PDF."""
    plain = render_pdf(annual_invoice())
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")
    assert render_pdf(annual_invoice()) == plain
    assert b"D:20000101000000" in plain
