"""The blocks every page is made of: header, parties, lines, totals, payment, footer.

Each function lays out one part of a page as a
:class:`~mbp_billing.render.layout.Block` (or, for the footer, what each page
draws at its foot); a page module (:mod:`~mbp_billing.render.invoice`,
:mod:`~mbp_billing.render.credit_note`) stacks the blocks it needs with
:func:`~mbp_billing.render.layout.write_pdf`.  The blocks take the values
they print, not a document type, so that any letter of the seller to a buyer
(a reminder, a statement) can reuse them.  Every word printed comes from
the formatter's labels, every size from :mod:`~mbp_billing.render.layout`.
"""

from __future__ import annotations

from decimal import Decimal

from reportlab.lib.units import mm
from stdnum import iban as std_iban

from ..documents import SERVICE_NAME, Line
from ..parties import Party
from .epc import EPC_ERROR_CORRECTION, CreditTransfer, transfer_payload
from .formatting import Formatter, clean
from .layout import (
    ACCENT,
    AMOUNT_COLUMN,
    BODY,
    BODY_BOLD,
    CAPTION,
    CELL_PADDING,
    CENTRE,
    COLUMN_GAP,
    COMMUNICATION,
    FOOTER_BASELINE,
    FOOTER_RULE,
    FOOTER_STYLE,
    FRAME_WIDTH,
    HEADER_CELL,
    HEADER_PADDING,
    HEADING,
    LABEL,
    LEFT,
    LINE_CELL_PADDING,
    META_LABEL_COLUMN,
    PANEL,
    PANEL_PADDING,
    PAYMENT_GUTTER,
    PAYMENT_PADDING,
    QR_COLUMN,
    QR_SIZE,
    RIGHT,
    RIGHT_ALIGN,
    ROW_PADDING,
    RULE,
    SELLER_NAME,
    TITLE,
    TITLE_NUMBER,
    TOTAL,
    TOTALS_LABEL_COLUMN,
    TOTALS_PADDING,
    Block,
    Box,
    Footer,
    Para,
    Rule,
    Style,
    Text,
    text_width,
)
from .qr import encode

__all__ = [
    "address_lines",
    "footer",
    "header",
    "label_rows",
    "lines_table",
    "paragraph",
    "parties_and_meta",
    "payment",
    "totals_table",
]


def address_lines(party: Party, fmt: Formatter) -> list[str]:
    """Lines of a party under its name: street, postcode and city, enterprise number."""
    return [
        party.street,
        f"{party.postcode} {party.city}",
        f"{fmt.labels.enterprise_number} {party.enterprise_number_display}",
    ]


def header(seller: Party, title: str, number: str, fmt: Formatter) -> Block:
    """Seller letterhead on the left, document title and number on the right."""
    block = Block()
    left_width = FRAME_WIDTH * 0.6
    y = HEADER_PADDING
    y += block.text(seller.name, SELLER_NAME, LEFT, left_width, y)
    for line in address_lines(seller, fmt):
        y += block.text(line, BODY, LEFT, left_width, y)
    right_x, right_width = LEFT + left_width, FRAME_WIDTH - left_width
    right = HEADER_PADDING
    right += block.text(title, TITLE, right_x, right_width, right, RIGHT_ALIGN)
    right += block.text(number, TITLE_NUMBER, right_x, right_width, right, RIGHT_ALIGN)
    block.height = max(y, right) + 4 * mm
    block.rules.append(Rule(block.height, LEFT, RIGHT, 1.2, ACCENT))
    return block


def label_rows(block: Block, rows: list[tuple[Para, Para]], x: float, top: float,
               *, middle: bool) -> float:
    """Label/value rows, values at ``x`` + the label column; the bottom offset."""
    for label, value in rows:
        height = max(label.height, value.height)
        top += ROW_PADDING
        label_top, value_top = top, top
        if middle:
            label_top += (height - label.height) / 2
            value_top += (height - value.height) / 2
        block.put(label, x, label_top)
        block.put(value, x + META_LABEL_COLUMN, value_top)
        top += height + ROW_PADDING
    return top


def parties_and_meta(meta_rows: list[tuple[str, str]], buyer: Party, fmt: Formatter) -> Block:
    """Label/value rows (number, dates, reference) on the left; the buyer on the right."""
    block = Block()
    labels = fmt.labels
    label_width = META_LABEL_COLUMN - COLUMN_GAP
    value_width = FRAME_WIDTH * 0.45 - META_LABEL_COLUMN - COLUMN_GAP
    meta = label_rows(block, [(Para(k, LABEL, label_width), Para(v, BODY, value_width))
                              for k, v in meta_rows], LEFT, HEADER_PADDING, middle=False)
    meta += HEADER_PADDING
    # The buyer, in a shaded panel on the right half.
    panel_x = LEFT + FRAME_WIDTH / 2
    x, width = panel_x + PANEL_PADDING, FRAME_WIDTH / 2 - 2 * PANEL_PADDING
    padding = PANEL_PADDING * 0.75
    y = padding
    y += block.text(labels.customer.upper(), HEADING, x, width, y)
    y += block.text(buyer.name, BODY_BOLD, x, width, y)
    for line in address_lines(buyer, fmt):
        y += block.text(line, BODY, x, width, y)
    block.height = max(meta, y + padding)
    block.boxes.append(Box(0.0, block.height, panel_x, FRAME_WIDTH / 2, PANEL))
    return block


def lines_table(line: Line, total: Decimal, fmt: Formatter, *, partial: bool = False) -> Block:
    """The one line: service, period, pro-rata computation, amount.  # R4, R12

    ``partial`` says a credit note credits only ``total`` of the line's
    amount: it shows what the credit is part of instead of the computation.
    """
    block = Block()
    labels = fmt.labels
    period = f"{fmt.day(line.period_start)} \u2013 {fmt.day(line.period_end)}"
    details = [f"{labels.period}: {period}"]
    if line.is_prorated and not partial:
        details.append(labels.prorata.format(months=line.months,
                                             fee=fmt.money(line.annual_fee, "annual_fee")))
    if partial:
        details.append(labels.partial_credit.format(amount=fmt.money(line.amount)))
    x = LEFT + CELL_PADDING
    width = FRAME_WIDTH - AMOUNT_COLUMN - 2 * CELL_PADDING
    amount_x = RIGHT - AMOUNT_COLUMN + CELL_PADDING
    amount_width = AMOUNT_COLUMN - 2 * CELL_PADDING
    # The header row: white on the accent colour.
    top = LINE_CELL_PADDING
    height = max(block.text(labels.description, HEADER_CELL, x, width, top),
                 block.text(labels.amount, HEADER_CELL, amount_x, amount_width, top,
                            RIGHT_ALIGN))
    head = height + 2 * LINE_CELL_PADDING
    block.boxes.append(Box(0.0, head, LEFT, FRAME_WIDTH, ACCENT))
    # The service with its period and computation, and the amount.
    top = y = head + LINE_CELL_PADDING
    y += block.text(SERVICE_NAME, BODY_BOLD, x, width, y)
    for detail in details:
        y += block.text(detail, LABEL, x, width, y)
    amount = block.text(fmt.money(total, "total"), BODY, amount_x, amount_width,
                        top, RIGHT_ALIGN)
    block.height = max(y, top + amount) + LINE_CELL_PADDING
    block.rules.append(Rule(block.height, LEFT, RIGHT, 0.6, RULE))
    return block


def totals_table(total: Decimal, vat_amount: Decimal, total_label: str,
                 fmt: Formatter) -> Block:
    """Subtotal, VAT 0.00 and total, amounts aligned under the line amount.  # R10"""
    block = Block()
    labels = fmt.labels
    label_x = RIGHT - AMOUNT_COLUMN - TOTALS_LABEL_COLUMN
    label_width = TOTALS_LABEL_COLUMN - 2 * CELL_PADDING
    amount_x = RIGHT - AMOUNT_COLUMN + CELL_PADDING
    amount_width = AMOUNT_COLUMN - 2 * CELL_PADDING
    rows = [
        (Para(labels.subtotal, LABEL, label_width),
         Para(fmt.money(total, "total"), BODY, amount_width)),
        (Para(labels.vat, LABEL, label_width),
         Para(fmt.money(vat_amount, "vat_amount"), BODY, amount_width)),
        (Para(total_label, TOTAL, label_width),
         Para(fmt.money(total + vat_amount, "total"), TOTAL, amount_width)),
    ]
    y = 0.0
    for k, (label, amount) in enumerate(rows):
        if k == len(rows) - 1:  # The total: a rule above it and more room.
            block.rules.append(Rule(y, label_x, RIGHT, 1.2, ACCENT))
            y += LINE_CELL_PADDING
        else:
            y += TOTALS_PADDING
        height = max(label.height, amount.height)
        block.put(label, label_x + CELL_PADDING, y + (height - label.height) / 2)
        block.put(amount, amount_x, y + (height - amount.height) / 2, RIGHT_ALIGN)
        y += height + TOTALS_PADDING
    block.height = y
    return block


def paragraph(text: str, style: Style) -> Block:
    """One paragraph across the page."""
    block = Block()
    block.height = block.text(text, style, LEFT, FRAME_WIDTH, 0.0)
    return block


def payment(transfer: CreditTransfer, fmt: Formatter) -> Block:
    """How to pay: amount, due date, IBAN, BIC, communication and the QR code.  # R11, R12"""
    block = Block(keep_together=True)
    labels = fmt.labels
    instruction = labels.pay_instruction.format(amount=fmt.money(transfer.amount, "total"),
                                                due=fmt.day(transfer.due_date))
    # The text column: the frame less the QR column and the panel's paddings.
    x = LEFT + PANEL_PADDING
    column = FRAME_WIDTH - QR_COLUMN - PANEL_PADDING - PAYMENT_GUTTER
    label_width = META_LABEL_COLUMN - COLUMN_GAP
    value_width = column - META_LABEL_COLUMN - COLUMN_GAP
    heading = Para(labels.payment.upper(), HEADING, column)
    pay = Para(instruction, BODY, column)
    rows = [
        (Para(labels.beneficiary, LABEL, label_width),
         Para(transfer.beneficiary, BODY, value_width)),
        (Para("IBAN", LABEL, label_width),
         Para(std_iban.format(transfer.iban), BODY, value_width)),
        (Para("BIC", LABEL, label_width), Para(transfer.bic, BODY, value_width)),
        (Para(labels.communication, LABEL, label_width),
         Para(transfer.communication_display, COMMUNICATION, value_width)),
    ]
    rows_height = sum(max(k.height, v.height) + 2 * ROW_PADDING for k, v in rows)
    left = heading.height + 1 * mm + pay.height + 2 * mm + rows_height
    qr_x = RIGHT - QR_COLUMN
    caption = Para(labels.qr_caption, CAPTION, QR_COLUMN - PAYMENT_GUTTER)
    right = QR_SIZE + caption.height
    content = max(left, right)
    # Both columns are centred in the panel's height.
    y = PAYMENT_PADDING + (content - left) / 2
    y += block.put(heading, x, y) + 1 * mm
    y += block.put(pay, x, y) + 2 * mm
    label_rows(block, rows, x, y, middle=True)
    y = PAYMENT_PADDING + (content - right) / 2
    block.qr = (y, qr_x, encode(transfer_payload(transfer), EPC_ERROR_CORRECTION))
    block.put(caption, qr_x, y + QR_SIZE, CENTRE)
    block.height = content + 2 * PAYMENT_PADDING
    block.boxes.append(Box(0.0, block.height, LEFT, FRAME_WIDTH, PANEL, RULE, 0.8))
    return block


def footer(seller: Party, number: str, fmt: Formatter) -> Footer:
    """Seller identification, and the number and page, at the foot of every page."""
    left = " \u00b7 ".join([
        clean(seller.name),
        clean(f"{seller.street}, {seller.postcode} {seller.city}"),
        f"{fmt.labels.enterprise_number} {seller.enterprise_number_display}",
    ])
    style = FOOTER_STYLE
    top = -FOOTER_BASELINE - style.size  # Offsets below the page's foot.

    def draw(page: int) -> tuple[list[Text], list[Rule]]:
        right = f"{number} \u00b7 {fmt.labels.page.format(page=page)}"
        texts = [(top, style.leading, LEFT, style, left),
                 (top, style.leading, RIGHT - text_width(right, style), style, right)]
        return texts, [Rule(FOOTER_RULE, LEFT, RIGHT, 0.5, RULE)]

    return draw
