"""The invoice page: what an invoice shows, from the shared blocks (R4, R10, R11, R12).

Header, number and dates with the due date (R11) beside the buyer, the
service line with its pro-rata computation (R4), the totals with VAT 0.00
and the article 6 mention (R10), and the payment block with the EPC QR code
(R11, R12); the footer on every page.
"""

from __future__ import annotations

from reportlab.lib.units import mm

from ..documents import SERVICE_NAME, Invoice
from .blocks import footer, header, lines_table, paragraph, parties_and_meta, payment, totals_table
from .epc import CreditTransfer
from .formatting import Formatter
from .layout import GAP, NOTE, write_pdf

__all__ = ["invoice_pdf"]


def invoice_pdf(invoice: Invoice, fmt: Formatter) -> bytes:
    """The PDF of ``invoice`` in ``fmt``'s locale; see :func:`mbp_billing.render.render_pdf`."""
    labels = fmt.labels
    # Every block is laid out (and every amount formatted, so a bad amount
    # is refused) before the first byte of PDF is written.
    meta = [
        (labels.number, invoice.number),
        (labels.date, fmt.day(invoice.issue_date)),
        (labels.due_date, fmt.day(invoice.due_date)),  # R11
        (labels.reference, invoice.buyer_reference),
    ]
    blocks = [
        (header(invoice.seller, labels.invoice, invoice.number, fmt), 0.0),
        (parties_and_meta(meta, invoice.buyer, fmt), GAP),
        (lines_table(invoice.line, invoice.total, fmt), GAP),
        (totals_table(invoice.total, invoice.vat_amount, labels.total_invoice, fmt), 2 * mm),
        (paragraph(labels.vat_mention, NOTE), 4 * mm),  # R10
        (payment(CreditTransfer.of_invoice(invoice), fmt), GAP),  # R11, R12
    ]
    return write_pdf(blocks, footer(invoice.seller, invoice.number, fmt),
                     title=f"{labels.invoice} {invoice.number}", author=invoice.seller.name,
                     subject=SERVICE_NAME, lang=fmt.language_tag)
