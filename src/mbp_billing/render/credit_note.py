"""The credit note page: which invoice it credits and why, from the shared blocks (R10, R12).

Header, number and date beside the buyer, the reference to the credited
invoice with the reason, the service line (or, for a partial credit, what it
is part of), the totals with VAT 0.00 and the article 6 mention (R10); no
due date and no payment block: a credit note asks no payment.
"""

from __future__ import annotations

from reportlab.lib.units import mm

from ..documents import SERVICE_NAME, CreditNote
from .blocks import footer, header, lines_table, paragraph, parties_and_meta, totals_table
from .formatting import Formatter
from .layout import (
    ACCENT,
    BODY,
    BODY_BOLD,
    CELL_PADDING,
    FRAME_WIDTH,
    GAP,
    LEFT,
    NOTE,
    PANEL,
    PANEL_PADDING,
    Block,
    Box,
    write_pdf,
)

__all__ = ["credit_note_pdf", "credit_reference"]


def credit_note_pdf(note: CreditNote, fmt: Formatter) -> bytes:
    """The PDF of ``note`` in ``fmt``'s locale; see :func:`mbp_billing.render.render_pdf`."""
    labels = fmt.labels
    # Every block is laid out (and every amount formatted, so a bad amount
    # is refused) before the first byte of PDF is written.
    meta = [
        (labels.number, note.number),
        (labels.date, fmt.day(note.issue_date)),
        (labels.reference, note.buyer_reference),
    ]
    blocks = [
        (header(note.seller, labels.credit_note, note.number, fmt), 0.0),
        (parties_and_meta(meta, note.buyer, fmt), GAP),
        (credit_reference(note, fmt), GAP),
        (lines_table(note.line, note.total, fmt, partial=not note.is_full), GAP),
        (totals_table(note.total, note.vat_amount, labels.total_credit_note, fmt), 2 * mm),
        (paragraph(labels.vat_mention, NOTE), 4 * mm),  # R10
    ]
    return write_pdf(blocks, footer(note.seller, note.number, fmt),
                     title=f"{labels.credit_note} {note.number}", author=note.seller.name,
                     subject=SERVICE_NAME, lang=fmt.language_tag)


def credit_reference(note: CreditNote, fmt: Formatter) -> Block:
    """Which invoice is credited, and why.  # R12"""
    block = Block()
    labels = fmt.labels
    credits = labels.credits.format(number=note.invoice_number,
                                    date=fmt.day(note.invoice_issue_date))
    x, width = LEFT + PANEL_PADDING, FRAME_WIDTH - 2 * PANEL_PADDING
    y = CELL_PADDING
    y += block.text(credits, BODY_BOLD, x, width, y)
    y += block.text(f"{labels.reason}: {note.reason}", BODY, x, width, y)
    block.height = y + CELL_PADDING
    block.boxes.append(Box(0.0, block.height, LEFT, FRAME_WIDTH, PANEL))
    block.boxes.append(Box(0.0, block.height, LEFT - 1.25, 2.5, ACCENT))  # accent bar
    return block
