"""The PDF of an invoice or credit note, for people (R10, R11, R12).

:func:`render_pdf` is a pure function of (document, locale) -> bytes: A4,
ReportLab in invariant mode, no clock read, no global state, so the same
document always gives byte-identical bytes.  Dates and amounts are formatted
by Babel in the locale asked for (Dutch, ``nl_BE``, by default; never from the
environment); labels come from a small table per language.  The renderer
formats, it never rounds: an amount with more than two decimals is refused.

Invoices carry an EPC QR code (:func:`epc_qr_payload`) that a banking app
scans to prefill the credit transfer.  This package is the only part of
mbp_billing that imports reportlab.  Its modules, each named after what it
holds:

=============== ==============================================================
module          what it holds
=============== ==============================================================
``pdf``         :func:`render_pdf`: the page of each kind of document
``invoice``     the invoice page (R4, R10, R11, R12)
``credit_note`` the credit note page (R10, R12)
``reminder``    the reminder letter page: *herinnering* or *aanmaning* (R11, R12)
``blocks``      blocks every page shares: header, parties, lines, totals,
                payment with the QR code, footer
``layout``      the canvas layout engine: sizes, fonts, colours, styles,
                wrapping, blocks, pages, the PDF file
``qr``          the QR code matrix encoder (reportlab's, module for module)
``epc``         the EPC069-12 payload of a credit transfer (R11, R12)
``labels``      the words printed, per language, as data
``formatting``  dates, amounts and text as printed, per locale
=============== ==============================================================

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

from .epc import epc_qr_payload
from .formatting import DEFAULT_LOCALE
from .pdf import render_pdf
from .reminder import render_reminder_pdf

__all__ = ["DEFAULT_LOCALE", "epc_qr_payload", "render_pdf", "render_reminder_pdf"]
