"""The fast QR code of the PDF is reportlab's QrCodeWidget, byte for byte.

:func:`mbp_billing.render._qr_drawing` does not go through reportlab's
``QrCodeWidget`` (three quarters of a page's rendering time, issue 4 item 8):
it picks the mask with its own penalty code and writes the operators of the
dark runs itself.  These tests hold it to the widget: same mask, same matrix,
and the same PDF bytes as a renderer that uses the widget.
"""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors

from mbp_billing import render
from mbp_billing.documents import CreditNote, Invoice
from mbp_billing.examples import example_portfolio
from mbp_billing.schedule import build_schedule


def widget_drawing(payload: str) -> Drawing:
    """The QR drawing as it was made with reportlab's widget (the reference)."""
    widget = QrCodeWidget(payload, barLevel="M", barWidth=render._QR_SIZE,
                          barHeight=render._QR_SIZE, barBorder=4)
    drawing = Drawing(render._QR_SIZE, render._QR_SIZE)
    background = Rect(0, 0, render._QR_SIZE, render._QR_SIZE)
    background.fillColor = colors.white
    background.strokeColor = None
    drawing.add(background)
    drawing.add(widget)
    return drawing


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


@pytest.mark.parametrize("locale", ["nl_BE", "fr_BE", "en_GB"])
def test_pdf_bytes_equal_the_widget_rendering(monkeypatch: pytest.MonkeyPatch,
                                              locale: str) -> None:
    documents = portfolio_documents(12)
    fast = [render.render_pdf(d, locale=locale) for d in documents]
    monkeypatch.setattr(render, "_qr_drawing", widget_drawing)
    slow = [render.render_pdf(d, locale=locale) for d in documents]
    assert [i for i, (a, b) in enumerate(zip(fast, slow, strict=True)) if a != b] == []


def test_matrices_equal_the_widget_for_every_portfolio_invoice() -> None:
    for document in portfolio_documents(285):
        if isinstance(document, Invoice):
            payload = render.epc_qr_payload(document)
            assert render._qr_modules(payload) == widget_modules(payload), payload


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
               max_size=400))
def test_matrices_equal_the_widget_for_any_text(payload: str) -> None:
    assert render._qr_modules(payload) == widget_modules(payload)


@given(st.from_regex(r"[0-9A-Z $%*+\-./:]{1,300}", fullmatch=True))
def test_matrices_equal_the_widget_for_numeric_and_alphanumeric(payload: str) -> None:
    assert render._qr_modules(payload) == widget_modules(payload)


def test_penalty_equals_reportlab_lost_point() -> None:
    rnd = random.Random(20261130)

    class Matrix:
        def __init__(self, modules: list[list[bool]]) -> None:
            self.modules = modules

    for _ in range(200):
        n = rnd.choice([21, 25, 29, 37, 41, 57])
        density = rnd.random()
        modules = [[rnd.random() < density for _ in range(n)] for _ in range(n)]
        rows = [int("".join("1" if m else "0" for m in row), 2) for row in modules]
        assert render._qr_penalty(rows, n) == qrencoder.QRUtil.getLostPoint(Matrix(modules))
