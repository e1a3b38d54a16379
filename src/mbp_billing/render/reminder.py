"""The reminder letter page: a *herinnering* or *aanmaning*, from the shared blocks.

The letter has the invoices' look: the seller's letterhead and the title,
the date and the day to pay by beside the municipality, a paragraph saying
what the letter is (for an *aanmaning*: the written notice of Art. 10 §3 of
the agreement, with its ten days), the table of overdue invoices with what
is still open of each and the total, and how to pay (R11, R12): with one
invoice open, the invoices' payment block with its EPC QR code for the
amount still open; with more, the account and the instruction to quote each
invoice's own structured communication.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from stdnum import iban as std_iban

from ..documents import DEFAULT_BUYER_REFERENCE
from ..reminders import Reminder
from .blocks import footer, header, label_rows, paragraph, parties_and_meta, payment
from .epc import CreditTransfer
from .formatting import DEFAULT_LOCALE, Formatter
from .labels import REMINDER_LABELS, ReminderLabels
from .layout import (
    ACCENT,
    AMOUNT_COLUMN,
    BODY,
    CELL_PADDING,
    COLUMN_GAP,
    FRAME_WIDTH,
    GAP,
    HEADER_CELL,
    HEADING,
    LABEL,
    LEFT,
    LINE_CELL_PADDING,
    META_LABEL_COLUMN,
    PANEL,
    PANEL_PADDING,
    PAYMENT_PADDING,
    RIGHT,
    RIGHT_ALIGN,
    RULE,
    TOTAL,
    TOTALS_LABEL_COLUMN,
    Block,
    Box,
    Para,
    Rule,
    write_pdf,
)

__all__ = ["reminder_pdf", "render_reminder_pdf"]

# The invoice table's columns, left to right; the amount takes the
# invoices' amount column, so the figures sit where an invoice has them.
_NUMBER_COLUMN = 26 * mm
_DATE_COLUMN = 34 * mm
_COMMUNICATION_COLUMN = FRAME_WIDTH - AMOUNT_COLUMN - _NUMBER_COLUMN - 2 * _DATE_COLUMN


def render_reminder_pdf(reminder: Reminder, *, locale: str = DEFAULT_LOCALE) -> bytes:
    """The PDF of a reminder letter: one A4 page for a few invoices.

    Args:
        reminder: the letter to render.
        locale: a Babel locale identifier such as ``nl_BE`` (default),
            ``fr_BE`` or ``en_GB``.

    Returns:
        The PDF file, byte-identical for equal arguments.

    Raises:
        InvalidValue: an unknown locale, a language without labels, or an
            amount with more than two decimals.

    Examples:
        >>> from datetime import date
        >>> from decimal import Decimal
        >>> from mbp_billing import Reminder, ReminderLine, example_agreement
        >>> line = ReminderLine(number="F000001", issue_date=date(2023, 7, 10),
        ...                     amount=Decimal("3500.00"), open=Decimal("3500.00"))
        >>> letter = Reminder(buyer=example_agreement().buyer, level=1,
        ...                   reminded_on=date(2023, 9, 1), lines=(line,))
        >>> pdf = render_reminder_pdf(letter)
        >>> pdf[:5], pdf == render_reminder_pdf(letter)
        (b'%PDF-', True)
    """
    return reminder_pdf(reminder, Formatter.for_locale(locale))


def reminder_pdf(reminder: Reminder, fmt: Formatter) -> bytes:
    """The PDF of ``reminder`` in ``fmt``'s locale; see :func:`render_reminder_pdf`."""
    labels = fmt.labels
    words = REMINDER_LABELS[fmt.locale.language]
    title = words.titles[reminder.level - 1]
    kbo = reminder.buyer.enterprise_number_display
    reference = f"{kbo} / {reminder.reminded_on.isoformat()}"
    meta = [
        (labels.date, fmt.day(reminder.reminded_on)),
        (words.pay_by, fmt.day(reminder.pay_by)),
        (labels.reference, reminder.buyer.reference or DEFAULT_BUYER_REFERENCE),
    ]
    blocks = [
        (header(reminder.seller, title, reference, fmt), 0.0),
        (parties_and_meta(meta, reminder.buyer, fmt), GAP),
        (paragraph(_letter_text(reminder, words, fmt), BODY), GAP),
        (_invoices_table(reminder, words, fmt), GAP),
        (_total(reminder, words, fmt), 0.0),
    ]
    if len(reminder.lines) == 1:
        line = reminder.lines[0]
        transfer = CreditTransfer(  # R11, R12: what is still open of the one invoice
            amount=line.open, due_date=reminder.pay_by, beneficiary=reminder.seller.name,
            iban=reminder.iban, bic=reminder.bic, communication=line.structured_communication,
            communication_display=line.structured_communication_display)
        blocks.append((payment(transfer, fmt), GAP))
    else:
        blocks.append((_account(reminder, words, fmt), GAP))
    return write_pdf(blocks, footer(reminder.seller, reference, fmt),
                     title=f"{title} {reference}", author=reminder.seller.name,
                     subject=title, lang=fmt.language_tag)


def _letter_text(reminder: Reminder, words: ReminderLabels, fmt: Formatter) -> str:
    """What the letter is: a reminder, or the written notice of Art. 10 §3."""
    values = {"date": fmt.day(reminder.reminded_on), "amount": fmt.money(reminder.amount_open),
              "pay_by": fmt.day(reminder.pay_by), "seller": reminder.seller.name,
              "invoices": words.invoices[len(reminder.lines) > 1]}
    if reminder.level == 1:
        return words.reminder_text.format(**values)
    opening = (words.notice_after.format(previous=fmt.day(reminder.previous_on), **values)
               if reminder.previous_on is not None else words.notice_open.format(**values))
    return f"{opening} {words.notice_text.format(**values)}"


def _invoices_table(reminder: Reminder, words: ReminderLabels, fmt: Formatter) -> Block:
    """The overdue invoices: number, date, due date, communication, open.  # R11, R12"""
    block = Block()
    widths = (_NUMBER_COLUMN, _DATE_COLUMN, _DATE_COLUMN, _COMMUNICATION_COLUMN, AMOUNT_COLUMN)
    lefts = [LEFT + sum(widths[:k]) for k in range(len(widths))]
    heads = (words.invoice, fmt.labels.date, fmt.labels.due_date, fmt.labels.communication,
             words.open)
    top = LINE_CELL_PADDING
    height = 0.0
    for k, text in enumerate(heads):
        align = RIGHT_ALIGN if k == len(heads) - 1 else 0
        height = max(height, block.text(text, HEADER_CELL, lefts[k] + CELL_PADDING,
                                        widths[k] - 2 * CELL_PADDING, top, align))
    y = height + 2 * LINE_CELL_PADDING
    block.boxes.append(Box(0.0, y, LEFT, FRAME_WIDTH, ACCENT))
    for line in reminder.lines:
        cells = (line.number, fmt.day(line.issue_date), fmt.day(line.due_date),
                 line.structured_communication_display, fmt.money(line.open, "open"))
        top = y + LINE_CELL_PADDING
        height = 0.0
        for k, text in enumerate(cells):
            align = RIGHT_ALIGN if k == len(cells) - 1 else 0
            height = max(height, block.text(text, BODY, lefts[k] + CELL_PADDING,
                                            widths[k] - 2 * CELL_PADDING, top, align))
        y = top + height + LINE_CELL_PADDING
        block.rules.append(Rule(y, LEFT, RIGHT, 0.6, RULE))
    block.height = y
    return block


def _total(reminder: Reminder, words: ReminderLabels, fmt: Formatter) -> Block:
    """The letter's total still open, under the amounts.  # R12"""
    block = Block()
    label_x = RIGHT - AMOUNT_COLUMN - TOTALS_LABEL_COLUMN
    amount_x = RIGHT - AMOUNT_COLUMN + CELL_PADDING
    y = LINE_CELL_PADDING
    height = max(
        block.text(words.total_open, TOTAL, label_x + CELL_PADDING,
                   TOTALS_LABEL_COLUMN - 2 * CELL_PADDING, y),
        block.text(fmt.money(reminder.amount_open, "amount_open"), TOTAL, amount_x,
                   AMOUNT_COLUMN - 2 * CELL_PADDING, y, RIGHT_ALIGN))
    block.rules.append(Rule(0.0, label_x, RIGHT, 1.2, ACCENT))
    block.height = y + height + LINE_CELL_PADDING
    return block


def _account(reminder: Reminder, words: ReminderLabels, fmt: Formatter) -> Block:
    """How to pay several invoices: the account, each with its own communication.  # R11"""
    block = Block(keep_together=True)
    labels = fmt.labels
    x = LEFT + PANEL_PADDING
    column = FRAME_WIDTH - 2 * PANEL_PADDING
    label_width = META_LABEL_COLUMN - COLUMN_GAP
    value_width = column - META_LABEL_COLUMN - COLUMN_GAP
    y = PAYMENT_PADDING
    y += block.text(labels.payment.upper(), HEADING, x, column, y) + 1 * mm
    y += block.text(words.pay_each.format(amount=fmt.money(reminder.amount_open),
                                          due=fmt.day(reminder.pay_by)),
                    BODY, x, column, y) + 2 * mm
    rows = [
        (Para(labels.beneficiary, LABEL, label_width),
         Para(reminder.seller.name, BODY, value_width)),
        (Para("IBAN", LABEL, label_width),
         Para(std_iban.format(reminder.iban), BODY, value_width)),
        (Para("BIC", LABEL, label_width), Para(reminder.bic, BODY, value_width)),
    ]
    y = label_rows(block, rows, x, y, middle=True)
    block.height = y + PAYMENT_PADDING
    block.boxes.append(Box(0.0, block.height, LEFT, FRAME_WIDTH, PANEL, RULE, 0.8))
    return block
