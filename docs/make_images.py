"""Regenerate the example pictures of docs/invoice.md, credit-note.md and reminder.md.

Renders the built-in example agreement's first invoice and a credit note of it
with :func:`mbp_billing.render.render_pdf`, then page 1 of each as a PNG with
pypdfium2 (a test extra).  Run from the project root::

    .venv/bin/python docs/make_images.py

The documents are built directly, with fixed numbers and dates, so no register
is touched and the pictures only change when the rendering does.
"""

from __future__ import annotations

from datetime import date
from importlib.resources import files
from pathlib import Path

import pypdfium2  # type: ignore[import-untyped]

from mbp_billing.agreement import Agreement
from mbp_billing.documents import CreditNote, Invoice
from mbp_billing.reminders import Reminder, ReminderLine
from mbp_billing.render import render_pdf, render_reminder_pdf
from mbp_billing.schedule import build_schedule

#: Resolution of the pictures: readable on screen, well under 300 KB.
DPI = 100
#: Where the pictures go.
OUT = Path(__file__).resolve().parent / "img"


def example_documents() -> tuple[Invoice, CreditNote]:
    """The example agreement's 2023 invoice (6/12 of EUR 7,000) and its credit note."""
    text = (files("mbp_billing") / "data" / "example_agreement.toml").read_text(encoding="utf-8")
    agreement = Agreement.from_toml_text(text, name="example_agreement.toml")
    if agreement.buyer is None:  # pragma: no cover - the example always has a buyer
        raise SystemExit("the example agreement has no [buyer]")
    charge = build_schedule(agreement, through=2023).for_year(2023)
    invoice = Invoice.build(charge, agreement.buyer, number="F000001",
                            issue_date=date(2023, 7, 10))
    credit = CreditNote.build(invoice, number="C000001", issue_date=date(2023, 7, 24),
                              reason="Factuur opgemaakt met een verkeerd inwonersaantal")
    return invoice, credit


def example_reminder() -> Reminder:
    """An aanmaning of the example's 2023 invoice and (part of) its 2024 invoice."""
    invoice, _ = example_documents()
    lines = (ReminderLine(number="F000001", issue_date=date(2023, 7, 10),
                          amount=invoice.total, open=invoice.total),
             ReminderLine(number="F000002", issue_date=date(2024, 1, 2),
                          amount=invoice.line.annual_fee, open=invoice.line.annual_fee))
    return Reminder(buyer=invoice.buyer, level=2, reminded_on=date(2024, 3, 1), lines=lines,
                    previous_on=date(2024, 2, 15))


def write_png(pdf: bytes, path: Path) -> None:
    """Page 1 of ``pdf`` as a palette PNG at :data:`DPI`."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=DPI / 72).to_pil().convert("RGB")
    # A palette of 64 colours keeps text and QR code crisp and the file small.
    image.quantize(colors=64).save(path, optimize=True)


def main() -> None:
    """Write docs/img/invoice-example.png, credit-note-example.png and reminder-example.png."""
    OUT.mkdir(exist_ok=True)
    invoice, credit = example_documents()
    for document, name in ((invoice, "invoice-example.png"),
                           (credit, "credit-note-example.png")):
        path = OUT / name
        write_png(render_pdf(document), path)
        print(f"wrote {path} ({path.stat().st_size // 1024} KB)")
    path = OUT / "reminder-example.png"
    write_png(render_reminder_pdf(example_reminder()), path)
    print(f"wrote {path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
