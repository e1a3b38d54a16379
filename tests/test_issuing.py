"""Issuing invoices and credit notes: idempotent, refused without a trace."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from factories import agreement, buyer

from mbp_billing.agreement import Agreement, Amendment
from mbp_billing.documents import Invoice
from mbp_billing.einvoice import to_ubl
from mbp_billing.errors import InvalidValue, NotBillable, RegisterConflict
from mbp_billing.issuing import credit_invoice, issue_invoice, sweep_temporary_files
from mbp_billing.register import Register
from mbp_billing.render import render_pdf
from mbp_billing.schedule import build_schedule


@pytest.fixture
def register(tmp_path: Path) -> Register:
    """A fresh register."""
    reg = Register.open(tmp_path / "register.sqlite3")
    yield reg
    reg.close()


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*")) if p.is_file()}


def test_issue_writes_pdf_and_xml_named_after_the_number(register: Register,
                                                          tmp_path: Path) -> None:
    """A new invoice gets F000001 and two files in the output folder."""
    out = tmp_path / "out"
    issued = issue_invoice(agreement(), 2023, issue_date=date(2023, 7, 10), register=register,
                           out_dir=out)
    assert issued.new and issued.stored.number == "F000001"
    assert sorted(p.name for p in out.iterdir()) == ["F000001.pdf", "F000001.xml"]
    assert (out / "F000001.pdf").read_bytes().startswith(b"%PDF")
    assert issued.stored.amount == Decimal("3500.00")


def test_asking_again_returns_the_same_invoice_and_bytes(register: Register,
                                                         tmp_path: Path) -> None:
    """Re-issuing returns the same number and rewrites byte-identical files."""
    out = tmp_path / "out"
    first = issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 2), register=register,
                          out_dir=out)
    before = _snapshot(out)
    (out / "F000001.pdf").unlink()
    again = issue_invoice(agreement(), 2024, issue_date=date(2024, 3, 1), register=register,
                          out_dir=out)
    assert not again.new and again.stored.number == first.stored.number
    assert again.stored.issue_date == date(2024, 1, 2)
    assert _snapshot(out) == before
    assert register.next_number("F") == "F000002"


def test_the_written_xml_carries_the_written_pdf(register: Register, tmp_path: Path) -> None:
    """The UBL file of a new invoice embeds exactly the bytes of its PDF file (issue 10, 6)."""
    out = tmp_path / "out"
    issue_invoice(agreement(), 2023, issue_date=date(2023, 7, 10), register=register, out_dir=out)
    xml = (out / "F000001.xml").read_bytes()
    pdf = (out / "F000001.pdf").read_bytes()
    assert base64.b64encode(pdf) in xml
    assert b'mimeCode="application/pdf" filename="F000001.pdf"' in xml


def test_a_document_issued_before_keeps_its_stored_xml(register: Register,
                                                       tmp_path: Path) -> None:
    """An invoice recorded with an XML without attachment is rewritten as stored, not re-rendered."""
    charge = build_schedule(agreement(), through=2023).for_year(2023)
    invoice = Invoice.build(charge, buyer(), number="F000001", issue_date=date(2023, 7, 10))
    pdf, old_xml = render_pdf(invoice), to_ubl(invoice)  # as issued before the PDF went inside
    with register.transaction():
        register.insert(invoice, pdf=pdf, xml=old_xml)
    out = tmp_path / "out"
    again = issue_invoice(agreement(), 2023, issue_date=date(2023, 8, 1), register=register,
                          out_dir=out)
    assert not again.new
    assert (out / "F000001.xml").read_bytes() == old_xml
    assert (out / "F000001.pdf").read_bytes() == pdf


def test_amendment_never_changes_an_issued_invoice(register: Register) -> None:
    """After an R9 amendment the issued invoice of that year is returned unchanged."""
    issue_invoice(agreement(), 2025, issue_date=date(2025, 1, 2), register=register)
    amended = agreement(amendments=(Amendment(2025, annual_fee=Decimal("9000.00")),))
    again = issue_invoice(amended, 2025, issue_date=date(2025, 2, 1), register=register)
    assert again.stored.amount == Decimal("7000.00") and not again.new


def _assert_no_trace(register: Register, out: Path) -> None:
    assert register.documents() == []
    assert not out.exists() or _snapshot(out) == {}


@pytest.mark.parametrize(
    ("year", "issue_date", "error"),
    [
        (2022, date(2023, 7, 10), NotBillable),  # before billing starts
        (2031, date(2031, 1, 2), NotBillable),  # after the agreement ended
        (2023, date(2023, 7, 1), NotBillable),  # before go-live on 3 July
        (2024, date(2023, 12, 31), NotBillable),  # renewal dated before 1 January
    ],
)
def test_unbillable_requests_leave_no_trace(register: Register, tmp_path: Path, year: int,
                                            issue_date: date, error: type[Exception]) -> None:
    """A year without a charge or a date before billing is refused, nothing written."""
    ended = agreement(notice_sent_on=date(2029, 6, 1))
    with pytest.raises(error):
        issue_invoice(ended, year, issue_date=issue_date, register=register,
                      out_dir=tmp_path / "out")
    _assert_no_trace(register, tmp_path / "out")


def test_missing_buyer_is_refused(register: Register, tmp_path: Path) -> None:
    """An agreement without [buyer] cannot be invoiced."""
    with pytest.raises(InvalidValue, match=r"\[buyer\]"):
        issue_invoice(agreement(buyer=None), 2024, issue_date=date(2024, 1, 2),
                      register=register, out_dir=tmp_path / "out")
    _assert_no_trace(register, tmp_path / "out")


def test_missing_buyer_field_is_refused_naming_it() -> None:
    """A [buyer] table without city names buyer.city."""
    text = ('signed_on = 2023-02-10\npopulation = 9000\n[buyer]\nname = "X"\n'
            'kbo = "0207.123.407"\nstreet = "S 1"\npostcode = "9000"\n')
    with pytest.raises(InvalidValue, match=r"buyer\.city"):
        Agreement.from_toml_text(text)


def test_invalid_enterprise_number_is_refused() -> None:
    """A KBO number with wrong check digits is refused, naming it."""
    with pytest.raises(InvalidValue, match=r"0207\.123\.408"):
        buyer(kbo="0207.123.408")


def test_backdated_invoice_is_refused_and_consumes_no_number(register: Register,
                                                             tmp_path: Path) -> None:
    """An invoice dated before the latest issued one is refused."""
    issue_invoice(agreement(), 2024, issue_date=date(2024, 2, 1), register=register)
    other = agreement(buyer=buyer(kbo="0207.451.227", name="Gemeente Twee"))
    with pytest.raises(RegisterConflict, match="2024-02-01"):
        issue_invoice(other, 2024, issue_date=date(2024, 1, 15), register=register,
                      out_dir=tmp_path / "out")
    assert register.next_number("F") == "F000002"
    assert not (tmp_path / "out").exists()


def test_foreign_output_file_is_refused_before_numbering(register: Register,
                                                         tmp_path: Path) -> None:
    """An existing F000001.pdf with other content stops the issue; no number used."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "F000001.pdf").write_bytes(b"somebody else's file")
    with pytest.raises(RegisterConflict, match="other content"):
        issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 2), register=register,
                      out_dir=out)
    assert register.documents() == []
    assert _snapshot(out) == {"F000001.pdf": b"somebody else's file"}


def test_full_credit_then_second_credit_refused(register: Register, tmp_path: Path) -> None:
    """A full credit note is issued once; a second full credit is refused."""
    issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 2), register=register)
    note = credit_invoice("F000001", reason="wrong population", issue_date=date(2024, 2, 1),
                          register=register, out_dir=tmp_path / "out")
    assert note.stored.number == "C000001" and note.stored.credits == "F000001"
    assert note.stored.amount == Decimal("7000.00")
    with pytest.raises(RegisterConflict, match="already fully credited"):
        credit_invoice("F000001", reason="again", issue_date=date(2024, 2, 2), register=register)
    assert register.next_number("C") == "C000002"


def test_partial_credit_leaves_the_rest_creditable(register: Register) -> None:
    """Credits add up to at most the invoice total."""
    issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 2), register=register)
    credit_invoice("F000001", reason="R8", issue_date=date(2024, 4, 1), register=register,
                   amount=Decimal("5250.00"))
    with pytest.raises(RegisterConflict, match=r"1750\.00"):
        credit_invoice("F000001", reason="R8", issue_date=date(2024, 4, 1), register=register,
                       amount=Decimal("1750.01"))
    rest = credit_invoice("F000001", reason="rest", issue_date=date(2024, 4, 2),
                          register=register)
    assert rest.stored.amount == Decimal("1750.00")


def test_after_a_full_credit_a_corrected_invoice_can_be_issued(register: Register) -> None:
    """R12: credit note, then a new invoice for the same year."""
    issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 2), register=register)
    credit_invoice("F000001", reason="wrong tier", issue_date=date(2024, 2, 1),
                   register=register)
    corrected = agreement(population=12000)
    again = issue_invoice(corrected, 2024, issue_date=date(2024, 2, 1), register=register)
    assert again.new and again.stored.number == "F000002"
    assert again.stored.amount == Decimal("3500.00")


def test_credit_of_unknown_or_credit_note_number_is_refused(register: Register) -> None:
    """Only issued invoices can be credited."""
    with pytest.raises(InvalidValue, match="F000009"):
        credit_invoice("F000009", reason="x", issue_date=date(2024, 1, 2), register=register)
    issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 2), register=register)
    credit_invoice("F000001", reason="x", issue_date=date(2024, 1, 3), register=register)
    with pytest.raises(InvalidValue, match="credit note"):
        credit_invoice("C000001", reason="x", issue_date=date(2024, 1, 3), register=register)


def test_issued_document_round_trips_through_the_register(register: Register) -> None:
    """The stored content rebuilds the same invoice value."""
    issued = issue_invoice(agreement(), 2023, issue_date=date(2023, 7, 10), register=register)
    doc = issued.document
    assert isinstance(doc, Invoice)
    assert doc.due_date == date(2023, 8, 9)
    assert doc.content_hash() == issued.stored.content_hash


def test_sweep_removes_temporary_files(tmp_path: Path) -> None:
    """Leftover temporary files of a killed writer are removed."""
    (tmp_path / ".F000001.pdf.123.tmp").write_bytes(b"half")
    (tmp_path / "F000001.xml").write_bytes(b"keep")
    assert sweep_temporary_files(tmp_path) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["F000001.xml"]


def test_a_year_is_never_invoiced_twice_under_another_kind(register: Register) -> None:
    """A corrected go-live that turns 2024 from renewal into first year is refused."""
    issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 2), register=register)
    later = agreement(app_store_live_on=date(2024, 3, 1), play_store_live_on=date(2024, 3, 4))
    with pytest.raises(RegisterConflict, match="credit F000001 first"):
        issue_invoice(later, 2024, issue_date=date(2024, 3, 10), register=register)
    assert register.next_number("F") == "F000002"


def test_a_run_reports_a_kind_conflict_instead_of_billing_twice(register: Register) -> None:
    """run_portfolio lists the conflict and issues nothing for that year."""
    from mbp_billing.portfolio import Portfolio, PortfolioEntry
    from mbp_billing.runs import run_portfolio

    issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 2), register=register)
    later = agreement(app_store_live_on=date(2024, 3, 1), play_store_live_on=date(2024, 3, 4))
    portfolio = Portfolio((PortfolioEntry("later.toml", later),))
    result = run_portfolio(portfolio, 2024, issue_date=date(2024, 3, 10), register=register)
    assert result.issued == () and len(result.conflicts) == 1
    assert "F000001" in result.conflicts[0]


def test_a_file_cut_short_is_rewritten_but_an_altered_one_is_refused(register: Register,
                                                                       tmp_path: Path) -> None:
    """An empty or truncated file (power cut) is repaired; changed content is not."""
    out = tmp_path / "out"
    issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 2), register=register, out_dir=out)
    whole = (out / "F000001.pdf").read_bytes()
    (out / "F000001.pdf").write_bytes(whole[:100])
    issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 2), register=register, out_dir=out)
    assert (out / "F000001.pdf").read_bytes() == whole
    (out / "F000001.pdf").write_bytes(whole[:100] + b"X")
    with pytest.raises(RegisterConflict, match="other content"):
        issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 2), register=register,
                      out_dir=out)


def test_write_files_without_sync_gives_the_same_bytes(register: Register, tmp_path: Path) -> None:
    """Files written without fsync are byte-identical to synced ones."""
    from mbp_billing.issuing import write_files

    issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 2), register=register)
    synced = write_files(register, "F000001", tmp_path / "a", sync=True)
    unsynced = write_files(register, "F000001", tmp_path / "b", sync=False)
    assert [p.read_bytes() for p in synced] == [p.read_bytes() for p in unsynced]
