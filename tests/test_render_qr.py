"""The QR code of the PDF is reportlab's QrCodeWidget's, module for module.

:func:`mbp_billing.render.qr.encode` does not go through reportlab's
``QrCodeWidget`` (three quarters of a page's rendering time, issue 4 item 8):
it picks the mask with its own penalty code, and the page draws the dark
modules itself (:func:`mbp_billing.render.qr.pdf_operators`).  These tests hold
it to the widget: same penalty, same mask, same matrix, and the modules read
back from the rendered PDF are the widget's.
"""

from __future__ import annotations

import io
import random
import re
from datetime import date

import pypdf
import pytest
from hypothesis import given
from hypothesis import strategies as st
from reportlab.graphics.barcode import qrencoder
from reportlab.lib.rl_accel import fp_str

from mbp_billing import render
from mbp_billing.documents import CreditNote, Invoice
from mbp_billing.examples import example_portfolio
from mbp_billing.render import qr
from mbp_billing.render.layout import QR_SIZE
from mbp_billing.schedule import build_schedule


def widget_modules(payload: str) -> list[list[bool]]:
    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr.addData(payload)
    qr.make()
    modules: list[list[bool]] = qr.modules
    return modules


def portfolio_documents(count: int) -> list[Invoice | CreditNote]:
    """Invoices of the example portfolio (first-year and renewals), and credit notes."""
    invoices: list[Invoice | CreditNote] = []
    for entry in list(example_portfolio())[:count]:
        assert entry.agreement.buyer is not None
        for charge in build_schedule(entry.agreement, 2026):
            invoices.append(Invoice.build(charge, entry.agreement.buyer,
                                          number=f"F{len(invoices) + 1:06d}",
                                          issue_date=date(2026, 11, 30)))
    first = invoices[0]
    assert isinstance(first, Invoice)
    invoices.append(CreditNote.build(first, number="C000001", issue_date=date(2026, 12, 1),
                                     reason="Verkeerd bevolkingscijfer"))
    return invoices


def drawn_modules(pdf: bytes) -> list[list[bool]]:
    """The QR modules drawn on page 1: the runs of the path in module units."""
    content = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].get_contents()
    assert content is not None
    operators = content.get_data().decode("latin-1")
    (runs,) = re.findall(r"0 0 0 rg\n[\d.]+ 0 0 [\d.]+ [\d.]+ [\d.]+ cm\n(.*?)\nf\nQ",
                         operators, re.S)
    cells = [tuple(int(v) for v in line.removesuffix(" re").split())
             for line in runs.split("\n")]
    count = max(y for _, y, _, _ in cells) + 1
    modules = [[False] * count for _ in range(count)]
    for x, y, width, height in cells:
        assert height == 1
        for column in range(x, x + width):
            assert not modules[count - 1 - y][column]
            modules[count - 1 - y][column] = True
    return modules


@pytest.mark.parametrize("locale", ["nl_BE", "fr_BE", "en_GB"])
def test_drawn_modules_equal_the_widget(locale: str) -> None:
    for document in portfolio_documents(12):
        pdf = render.render_pdf(document, locale=locale)
        if isinstance(document, Invoice):
            assert drawn_modules(pdf) == widget_modules(render.epc_qr_payload(document))
        else:
            assert b" re\nf\nQ" not in pdf  # No QR code on a credit note.


def test_symbol_fills_the_widget_square_with_its_quiet_zone() -> None:
    """Modules of 34 mm / (n + 8): four modules of white around the symbol."""
    modules = [[True] * 25 for _ in range(25)]
    operators = qr.pdf_operators(modules, 100.0, 200.0, QR_SIZE).split("\n")
    assert operators[:4] == ["q", "1 1 1 rg", f"100 200 {fp_str(QR_SIZE)} "
                             f"{fp_str(QR_SIZE)} re f", "0 0 0 rg"]
    box = QR_SIZE / 33
    assert operators[4] == f"{fp_str(box)} 0 0 {fp_str(box)} {fp_str(100 + 4 * box, 200 + 4 * box)} cm"
    assert operators[5:-2] == [f"0 {24 - r} 25 1 re" for r in range(25)]
    assert operators[-2:] == ["f", "Q"]


def test_matrices_equal_the_widget_for_every_portfolio_invoice() -> None:
    for document in portfolio_documents(285):
        if isinstance(document, Invoice):
            payload = render.epc_qr_payload(document)
            assert qr.encode(payload) == widget_modules(payload), payload


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
               max_size=400))
def test_matrices_equal_the_widget_for_any_text(payload: str) -> None:
    assert qr.encode(payload) == widget_modules(payload)


@given(st.from_regex(r"[0-9A-Z $%*+\-./:]{1,300}", fullmatch=True))
def test_matrices_equal_the_widget_for_numeric_and_alphanumeric(payload: str) -> None:
    assert qr.encode(payload) == widget_modules(payload)


def test_penalty_equals_reportlab_lost_point() -> None:
    rnd = random.Random(20261130)

    class Matrix:
        def __init__(self, modules: list[list[bool]]) -> None:
            self.modules = modules

    for _ in range(200):
        n = rnd.choice([21, 25, 29, 37, 41, 57])
        density = rnd.random()
        modules = [[rnd.random() < density for _ in range(n)] for _ in range(n)]
        matrix = int("".join("1" if m else "0" for row in modules for m in row), 2)
        assert qr.penalty(matrix, n) == qrencoder.QRUtil.getLostPoint(Matrix(modules))
