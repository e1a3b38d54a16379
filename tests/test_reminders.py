"""Reminder letters: who gets which level when, what the PDF says, and how they are kept."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdf
import pypdfium2
import pytest
import zxingcpp
from _portfolios import cli_process, run_cli
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from stdnum.be import ogm_vcs

from mbp_billing import Register, credit_invoice, example_portfolio, run_portfolio
from mbp_billing.dunning import plan_reminders, remind
from mbp_billing.ledger import build_ledger
from mbp_billing.portfolio import Portfolio
from mbp_billing.receivables import account_statement
from mbp_billing.reminders import Reminder, ReminderLine
from mbp_billing.render import render_reminder_pdf

ISSUED = date(2026, 1, 5)  # the catch-up run: every invoice due 2026-02-04 (R11)
FIRST = date(2026, 2, 10)  # six days overdue: the herinnering
SECOND = FIRST + timedelta(days=14)  # the default interval later: the aanmaning

# The first ten municipalities of the example portfolio (by NIS code); eight
# are live and invoiced in the catch-up run.
ANTWERPEN, HEMIKSEM, HOVE = "0211002021", "0211018055", "0211021025"
BOECHOUT, BOOM, BRECHT, EDEGEM, ESSEN = ("0211004001", "0211005088", "0211009048",
                                         "0211013008", "0211016075")


def _portfolio() -> Portfolio:
    return Portfolio._checked(list(example_portfolio())[:10], [])


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The register of the catch-up run on 2026-01-05, with some payments and a credit note.

    Antwerpen pays everything; Hemiksem pays its first invoice and 1000.00 of
    its second; Essen's first invoice is credited and 1000.00 of its second
    paid, leaving one invoice open.
    """
    path = tmp_path_factory.mktemp("register") / "register.sqlite3"
    with Register.open(path) as reg:
        result = run_portfolio(_portfolio(), 2026, issue_date=ISSUED, register=reg, workers=1)
        assert len(result.issued) == 26
        for number in ("F000001", "F000008", "F000012", "F000019", "F000002"):
            reg.record_payment(number, reg.get(number).amount, date(2026, 2, 1))
        reg.record_payment("F000009", Decimal("1000.00"), date(2026, 2, 1))
        credit_invoice("F000011", reason="go-live corrected", issue_date=date(2026, 1, 20),
                       register=reg)
        reg.record_payment("F000024", Decimal("1000.00"), date(2026, 2, 3))
    return path


@pytest.fixture
def register(issued: Path, tmp_path: Path) -> Path:
    """A fresh copy of :func:`issued` for one test."""
    return Path(shutil.copy(issued, tmp_path / "register.sqlite3"))


def _remind(register: Path, as_of: date, *extra: str) -> dict[str, Any]:
    code, out, err = run_cli(["remind", "--as-of", as_of.isoformat(), "--register",
                              str(register), "--out", str(register.parent / "reminders"),
                              "--json", *extra])
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


def _by_buyer(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["buyer_kbo"]: r for r in document["reminders"]}


def text_of(pdf: bytes) -> str:
    """The PDF's text, whitespace (no-break spaces included) collapsed."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def qr_codes(pdf: bytes, dpi: int = 200) -> list[str]:
    """The QR codes decoded from page 1 rendered at ``dpi``, as a phone camera would."""
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=dpi / 72).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image)
            if r.format == zxingcpp.BarcodeFormat.QRCode]


def test_first_run_sends_a_herinnering_to_each_municipality_with_overdue_invoices(
        register: Path) -> None:
    """One level-1 letter per municipality with something open after its due date."""
    document = _remind(register, FIRST)
    letters = _by_buyer(document)
    assert sorted(letters) == sorted([HEMIKSEM, HOVE, BOECHOUT, BOOM, BRECHT, EDEGEM, ESSEN])
    assert {r["level"] for r in document["reminders"]} == {1}
    assert letters[HEMIKSEM]["invoices"] == ["F000009", "F000017", "F000025"]
    assert letters[HEMIKSEM]["amount_open"] == "9500.00"  # 2500.00 + 3500.00 + 3500.00
    assert letters[ESSEN]["invoices"] == ["F000024"] and letters[ESSEN]["amount_open"] == "4000.00"
    for letter in document["reminders"]:
        assert Path(letter["pdf"]).name == f"reminder-{letter['buyer_kbo']}-2026-02-10.pdf"
        assert Path(letter["pdf"]).read_bytes()[:5] == b"%PDF-"
    assert document["after_notice"] == []


def test_letters_match_the_ledger_on_their_day(register: Path) -> None:
    """Each letter lists exactly the buyer's overdue invoices, and their open total."""
    document = _remind(register, FIRST)
    with Register.open(register) as reg:
        ledger = build_ledger(reg, as_of=FIRST)
    overdue: dict[str, list[str]] = {}
    open_: dict[str, Decimal] = {}
    for row in ledger.overdue:
        overdue.setdefault(row.buyer_kbo, []).append(row.number)
        open_[row.buyer_kbo] = open_.get(row.buyer_kbo, Decimal("0.00")) + row.open
    assert {k: r["invoices"] for k, r in _by_buyer(document).items()} == overdue
    assert {k: Decimal(r["amount_open"]) for k, r in _by_buyer(document).items()} == open_


def test_once_per_level_then_the_aanmaning_after_the_interval(register: Path) -> None:
    """Same day again: none; within 14 days: none; after 14 days: level 2 for the unpaid."""
    first = _remind(register, FIRST)
    assert _remind(register, FIRST) == {**first, "reminders": [], "restored": []}
    with Register.open(register) as reg:
        assert first["reminders_chain_head"] == reg.reminders()[-1].chain
    assert _remind(register, SECOND - timedelta(days=1))["reminders"] == []
    with Register.open(register) as reg:
        for number in ("F000005", "F000014", "F000021"):  # Boom pays everything
            reg.record_payment(number, reg.get(number).amount, SECOND - timedelta(days=2))
    second = _remind(register, SECOND)
    letters = _by_buyer(second)
    assert sorted(letters) == sorted([HEMIKSEM, HOVE, BOECHOUT, BRECHT, EDEGEM, ESSEN])
    assert {r["level"] for r in second["reminders"]} == {2}
    assert letters[HEMIKSEM]["notice_deadline"] == "2026-03-06"
    assert _remind(register, SECOND)["reminders"] == []
    with Register.open(register) as reg:
        levels = [(r.reminded_on, r.level) for r in reg.reminders(HEMIKSEM)]
    assert levels == [(FIRST, 1), (SECOND, 2)]


def test_after_the_aanmaning_no_more_letters_and_the_notice_is_reported(register: Path) -> None:
    """Level 2 is the last letter; invoices still open are reported, expired after ten days."""
    _remind(register, FIRST)
    _remind(register, SECOND)
    running = _remind(register, SECOND + timedelta(days=10))
    later = _remind(register, SECOND + timedelta(days=60))
    assert running["reminders"] == later["reminders"] == []
    notices = {n["buyer_kbo"]: n for n in later["after_notice"]}
    assert sorted(notices) == sorted([HEMIKSEM, HOVE, BOECHOUT, BOOM, BRECHT, EDEGEM, ESSEN])
    assert notices[HEMIKSEM] == {
        "buyer_kbo": HEMIKSEM, "buyer_name": "Gemeente Hemiksem", "notice_on": "2026-02-24",
        "invoices": ["F000009", "F000017", "F000025"], "amount_open": "9500.00",
        "deadline": "2026-03-06", "expired": True}
    assert not any(n["expired"] for n in running["after_notice"])  # the tenth day itself
    code, out, _ = run_cli(["remind", "--as-of", "2026-04-30", "--register", str(register),
                            "--out", str(register.parent / "reminders")])
    assert code == 0
    assert "AFTER NOTICE Gemeente Hemiksem (0211018055): F000009, F000017, F000025" in out
    assert "Art. 10 §3 allows dissolving the agreement" in out


def test_a_new_overdue_invoice_after_the_aanmaning_gets_a_herinnering_of_its_own(
        tmp_path: Path) -> None:
    """An invoice never reminded starts at level 1, even for a municipality under notice."""
    path = tmp_path / "register.sqlite3"
    entries = _portfolio()
    with Register.open(path) as reg:
        run_portfolio(entries, 2025, issue_date=ISSUED, register=reg, workers=1)
        remind(reg, as_of=FIRST)
        remind(reg, as_of=SECOND)
        run_portfolio(entries, 2026, issue_date=date(2026, 3, 2), register=reg, workers=1)
        letters, notices = plan_reminders(reg, as_of=date(2026, 4, 10))
    hove = [letter for letter in letters if letter.buyer.kbo == HOVE]
    assert [(r.level, [line.number for line in r.lines]) for r in hove] == [(1, ["F000026"])]
    assert [n.invoices for n in notices if n.buyer_kbo == HOVE] == [("F000003", "F000010",
                                                                      "F000018")]


def test_an_invoice_overdue_since_the_herinnering_gets_its_own_before_any_notice(
        tmp_path: Path) -> None:
    """The aanmaning lists only invoices reminded before; the newer one gets a herinnering next."""
    from factories import agreement

    from mbp_billing import issue_invoice

    with Register.open(tmp_path / "register.sqlite3") as reg:
        issue_invoice(agreement(), 2023, issue_date=date(2023, 7, 10), register=reg)
        first = remind(reg, as_of=date(2023, 8, 20))
        issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 2), register=reg)
        notice = remind(reg, as_of=date(2024, 2, 10))
        own = remind(reg, as_of=date(2024, 2, 24))
    assert [(s.reminder.level, [line.number for line in s.reminder.lines])
            for result in (first, notice, own) for s in result.sent] == [
        (1, ["F000001"]), (2, ["F000001"]), (1, ["F000002"])]
    assert [n.invoices for n in own.after_notice] == [("F000001",)]
    assert notice.sent[0].reminder.previous_on == date(2023, 8, 20)


def test_the_letter_says_what_is_open_and_how_to_pay(register: Path) -> None:
    """Numbers, dates, due dates, open amounts, total, IBAN and each OGM, read back from the PDF."""
    letter = _by_buyer(_remind(register, FIRST))[HEMIKSEM]
    text = text_of(Path(letter["pdf"]).read_bytes())
    assert text.startswith("Eigen Vermogen Digitaal Vlaanderen")
    assert "Herinnering" in text and "Aanmaning" not in text
    assert "Gemeente Hemiksem" in text and "0211.018.055" in text
    for number, communication, open_ in (
            ("F000009", "+++000/0000/00909+++", "€ 2.500,00"),
            ("F000017", "+++000/0000/01717+++", "€ 3.500,00"),
            ("F000025", "+++000/0000/02525+++", "€ 3.500,00")):
        assert ogm_vcs.is_valid(communication)
        assert f"{number} 5 januari 2026 4 februari 2026 {communication} {open_}" in text
    assert "Totaal openstaand € 9.500,00" in text
    assert "BE86 3751 1175 0850" in text and "BBRUBEBB" in text
    assert "per factuur met haar eigen gestructureerde mededeling" in text
    assert "uiterlijk op 20 februari 2026" in text
    assert qr_codes(Path(letter["pdf"]).read_bytes()) == []  # three invoices: no one payment


def test_a_single_open_invoice_gets_an_epc_qr_code_for_what_is_still_open(
        register: Path) -> None:
    """The QR code pays the open 4000.00 of F000024 with its structured communication."""
    letter = _by_buyer(_remind(register, FIRST))[ESSEN]
    pdf = Path(letter["pdf"]).read_bytes()
    assert qr_codes(pdf) == ["\n".join([
        "BCD", "002", "1", "SCT", "BBRUBEBB", "Eigen Vermogen Digitaal Vlaanderen",
        "BE86375111750850", "EUR4000.00", "", "000000002424"])]
    text = text_of(pdf)
    assert "+++000/0000/02424+++" in text and "Totaal openstaand € 4.000,00" in text
    assert "F000011" not in text  # credited in full: nothing to remind


def test_the_aanmaning_is_the_written_notice_of_article_10(register: Path) -> None:
    """Level 2 names itself the written notice of Art. 10 §3 with its ten days and consequence."""
    _remind(register, FIRST)
    letter = _by_buyer(_remind(register, SECOND))[HOVE]
    text = text_of(Path(letter["pdf"]).read_bytes())
    assert "Aanmaning" in text and "Herinnering" not in text
    assert "Ondanks onze herinnering van 10 februari 2026" in text
    assert "schriftelijke aanmaning bedoeld in artikel 10, §3, van de samenwerkingsovereenkomst" \
        in text
    assert "uiterlijk op 6 maart 2026" in text
    assert "tien dagen na deze aanmaning" in text and "te ontbinden" in text


@pytest.mark.parametrize(("locale", "title", "total"), [
    ("fr_BE", "Rappel", "Total ouvert 4\u00a0000,00\u00a0€"),
    ("en_GB", "Reminder", "Total open €4,000.00"),
])
def test_letters_in_french_and_english(register: Path, locale: str, title: str,
                                       total: str) -> None:
    """--locale gives the letter in another language, like the invoices."""
    letter = _by_buyer(_remind(register, FIRST, "--locale", locale))[ESSEN]
    text = text_of(Path(letter["pdf"]).read_bytes())
    assert title in text and " ".join(total.split()) in text


def test_the_register_keeps_each_letter_and_its_exact_bytes(register: Path) -> None:
    """The file written is the PDF recorded; rendering the recorded letter again gives it."""
    document = _remind(register, FIRST)
    with Register.open(register) as reg:
        stored = reg.reminders()
        assert [s.id for s in stored] == [r["id"] for r in document["reminders"]]
        for s, letter in zip(stored, document["reminders"], strict=True):
            pdf = reg.reminder_pdf(s.id)
            assert Path(letter["pdf"]).read_bytes() == pdf
            record = s.record
            assert record["locale"] == "nl_BE"
            assert render_reminder_pdf(Reminder.from_record(record)) == pdf
        assert reg.verify() == []


def test_a_lost_letter_file_is_written_again_from_the_register(register: Path) -> None:
    """Running the same day again restores a missing or cut file, and sends nothing new."""
    letter = _by_buyer(_remind(register, FIRST))[BOOM]
    path = Path(letter["pdf"])
    whole = path.read_bytes()
    path.write_bytes(whole[:100])  # a write cut short
    again = _remind(register, FIRST)
    assert again["reminders"] == [] and again["restored"] == [str(path)]
    assert path.read_bytes() == whole
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


def test_letters_recorded_but_not_written_exit_3_with_the_repair(
        register: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk after the letters are recorded: exit 3 (not 2, "nothing written"), the
    letters named, and the repair command (remind again that day) writes them."""
    import mbp_billing.dunning as dunning

    real = os.fsync

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dunning.os, "fsync", full)
    out_dir = register.parent / "letters"
    err = io.StringIO()
    from mbp_billing.cli import main

    code = main(["remind", "--as-of", FIRST.isoformat(), "--register", str(register), "--out",
                 str(out_dir)], stdout=io.StringIO(), stderr=err, today=FIRST)
    line = err.getvalue()
    assert code == 3 and line.count("\n") == 1 and "No space left" in line, line
    with Register.open(register) as reg:
        sent = reg.reminders()
    assert sent and all(f"R{r.id:06d}" in line for r in sent)
    assert sorted(p.name for p in out_dir.iterdir()) == []  # no half-written file
    monkeypatch.setattr(dunning.os, "fsync", real)
    repair = line.split("repair with: ")[1].split()
    assert repair[3:6] == ["remind", "--as-of", FIRST.isoformat()]
    assert main(repair[3:], stdout=io.StringIO(), stderr=io.StringIO(), today=FIRST) == 0
    assert len(list(out_dir.glob("reminder-*.pdf"))) == len(sent)


def test_a_foreign_file_under_a_letter_name_refuses_the_run_and_records_nothing(
        register: Path) -> None:
    """Exit 2 naming the file; no letter is recorded, no file written."""
    out = register.parent / "reminders"
    out.mkdir()
    foreign = out / f"reminder-{HOVE}-2026-02-10.pdf"
    foreign.write_bytes(b"somebody else's letter")
    code, stdout, err = run_cli(["remind", "--as-of", "2026-02-10", "--register", str(register),
                                 "--out", str(out)])
    assert (code, stdout) == (2, "") and str(foreign) in err and err.count("\n") == 1
    assert sorted(p.name for p in out.iterdir()) == [foreign.name]
    with Register.open(register) as reg:
        assert reg.reminders() == []


@pytest.mark.parametrize(("argv", "named"), [
    (["--as-of", "2026-12-01"], "--as-of"),  # after today (2026-11-30 in the tests)
    (["--as-of", "2026-02-30"], "--as-of"),
    (["--as-of", "2026-02-10", "--interval", "0"], "--interval"),
    (["--as-of", "2026-02-10", "--locale", "xx_YY"], "locale"),
    ([], "--as-of"),
])
def test_bad_input_is_refused_in_one_line_and_nothing_is_written(
        register: Path, argv: list[str], named: str) -> None:
    """Exit 2, one line on stderr naming the input, no letter recorded, no file."""
    out = register.parent / "reminders"
    code, stdout, err = run_cli(["remind", *argv, "--register", str(register), "--out",
                                 str(out)])
    assert (code, stdout) == (2, "") and named in err and err.count("\n") == 1
    assert "Traceback" not in err and not out.exists()
    with Register.open(register) as reg:
        assert reg.reminders() == []


def test_a_bad_locale_is_refused_even_with_nothing_to_remind(register: Path) -> None:
    """The locale is checked before anything else, not only when a letter is drawn."""
    code, _, err = run_cli(["remind", "--as-of", "2026-02-04", "--register", str(register),
                            "--locale", "xx_YY"])
    assert code == 2 and "xx_YY" in err


def test_two_concurrent_runs_send_each_letter_once(register: Path) -> None:
    """Two processes reminding the same day: the letters are recorded once, both exit 0."""
    out = register.parent / "reminders"
    argv = ["remind", "--as-of", FIRST.isoformat(), "--register", str(register), "--out",
            str(out), "--json"]
    runs = [cli_process(argv) for _ in range(2)]
    results = [(*p.communicate(timeout=120), p.returncode) for p in runs]
    results = [(code, stdout, stderr) for stdout, stderr, code in results]
    assert [code for code, _, _ in results] == [0, 0], results
    counts = sorted(len(json.loads(stdout)["reminders"]) for _, stdout, _ in results)
    assert counts == [0, 7]
    with Register.open(register) as reg:
        assert len(reg.reminders()) == 7 and reg.verify() == []
    assert len(list(out.iterdir())) == 7


def test_a_date_before_the_latest_reminder_is_refused(register: Path) -> None:
    """Reminders are recorded in date order: an earlier --as-of exits 2 naming the latest."""
    _remind(register, SECOND)
    code, _, err = run_cli(["remind", "--as-of", FIRST.isoformat(), "--register",
                            str(register), "--out", str(register.parent / "reminders")])
    assert code == 2 and "2026-02-24" in err and err.count("\n") == 1


def test_a_missing_register_is_refused_and_not_created(tmp_path: Path) -> None:
    """remind never creates a register."""
    code, _, err = run_cli(["remind", "--as-of", "2026-02-10", "--register",
                            str(tmp_path / "none.sqlite3")])
    assert code == 2 and "does not exist" in err
    assert list(tmp_path.iterdir()) == []


def test_a_day_with_nothing_to_remind_prints_an_empty_list(register: Path) -> None:
    """Before any due date: `{"reminders": []}` and no folder."""
    document = _remind(register, date(2026, 2, 4))
    assert document["reminders"] == [] and document["after_notice"] == []
    assert not (register.parent / "reminders").exists()
    code, out, _ = run_cli(["remind", "--as-of", "2026-02-04", "--register", str(register)])
    assert (code, out) == (0, "No reminder due on 2026-02-04.\n")


def test_the_statement_of_account_shows_the_letters(register: Path) -> None:
    """Each letter is an entry of the statement; it moves no money."""
    _remind(register, FIRST)
    _remind(register, SECOND)
    with Register.open(register) as reg:
        statement = account_statement(reg, HOVE)
        open_ = sum((r.open for r in build_ledger(reg) if r.buyer_kbo == HOVE), Decimal("0.00"))
    letters = [e for e in statement.entries if e["type"] == "reminder"]
    assert [(e["date"], e["number"], e["debit"], e["credit"]) for e in letters] == [
        (FIRST, "F000003 F000010 F000018 F000026", None, None),
        (SECOND, "F000003 F000010 F000018 F000026", None, None)]
    assert "herinnering" in letters[0]["description"]
    assert "aanmaning" in letters[1]["description"]
    assert statement.balance == open_


def test_reminder_values_refuse_what_no_letter_can_say() -> None:
    """No line, a line not yet overdue, a credit note number, a level 3: refused by name."""
    from mbp_billing.errors import InvalidValue
    from mbp_billing.examples import example_agreement

    buyer = example_agreement().buyer
    assert buyer is not None
    line = ReminderLine(number="F000001", issue_date=date(2026, 1, 5),
                        amount=Decimal("100.00"), open=Decimal("50.00"))
    with pytest.raises(InvalidValue, match="lines"):
        Reminder(buyer=buyer, level=1, reminded_on=FIRST, lines=())
    with pytest.raises(InvalidValue, match="not overdue"):
        Reminder(buyer=buyer, level=1, reminded_on=date(2026, 2, 4), lines=(line,))
    with pytest.raises(InvalidValue, match="level"):
        Reminder(buyer=buyer, level=3, reminded_on=FIRST, lines=(line,))
    with pytest.raises(InvalidValue, match="invoice number"):
        ReminderLine(number="C000001", issue_date=date(2026, 1, 5), amount=Decimal("1.00"),
                     open=Decimal("1.00"))
    with pytest.raises(InvalidValue, match="exceeds"):
        ReminderLine(number="F000001", issue_date=date(2026, 1, 5), amount=Decimal("1.00"),
                     open=Decimal("2.00"))


@pytest.mark.parametrize("amount", [Decimal("1E+30"), Decimal("1E+99999999"),
                                    Decimal("12345678901234567890123456789.00"),
                                    Decimal("1.005"), Decimal("NaN"), Decimal("0.00"), "1.00"])
def test_reminder_amounts_are_read_as_money(amount: object) -> None:
    """A reminder line's amount goes through the money reader: refused by name, never a bare
    decimal error (quantize gave InvalidOperation beyond 28 digits)."""
    from mbp_billing.errors import InvalidValue

    with pytest.raises(InvalidValue, match="whole cents"):
        ReminderLine(number="F000001", issue_date=date(2026, 1, 5),
                     amount=amount, open=Decimal("1.00"))  # type: ignore[arg-type]


def test_reminder_pdfs_are_deterministic() -> None:
    """Equal letters give byte-identical PDFs."""
    from mbp_billing.examples import example_agreement

    buyer = example_agreement().buyer
    assert buyer is not None
    letter = Reminder(buyer=buyer, level=2, reminded_on=FIRST, previous_on=date(2026, 1, 27),
                      lines=(ReminderLine(number="F000001", issue_date=date(2026, 1, 5),
                                          amount=Decimal("100.00"), open=Decimal("50.00")),))
    assert render_reminder_pdf(letter) == render_reminder_pdf(letter)


# -- the reminders table: append-only, chained, verified ---------------------------------


def _raw(register: Path) -> sqlite3.Connection:
    return sqlite3.connect(register, isolation_level=None)


def test_recorded_reminders_are_never_updated_or_deleted(register: Path) -> None:
    """Triggers refuse UPDATE and DELETE on the reminders table."""
    _remind(register, FIRST)
    db = _raw(register)
    with pytest.raises(sqlite3.IntegrityError, match="never updated"):
        db.execute("UPDATE reminders SET level = 2 WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        db.execute("DELETE FROM reminders WHERE id = 1")
    db.close()


def _tamper(register: Path, *statements: str) -> list[str]:
    """Run SQL behind the tool's back (triggers dropped), then verify the register."""
    db = _raw(register)
    db.execute("DROP TRIGGER reminders_never_updated")
    db.execute("DROP TRIGGER reminders_never_deleted")
    for statement in statements:
        db.execute(statement)
    db.close()
    with Register.open(register) as reg:
        return [f"PROBLEM {p}" for p in reg.verify()]


def test_verify_names_a_changed_reminder(register: Path) -> None:
    """A changed column, content or PDF is named with the reminder's id."""
    _remind(register, FIRST)
    assert _tamper(register, "UPDATE reminders SET level = 2 WHERE id = 2") == [
        "PROBLEM reminder 2: column level was altered: it does not match the recorded content"]


def test_verify_names_changed_content_and_pdf(register: Path) -> None:
    """Content rewritten (chain broken) and PDF bytes swapped are each named."""
    _remind(register, FIRST)
    problems = _tamper(register,
                       "UPDATE reminders SET content = replace(content, '9500.00', '1.00') "
                       "WHERE id = 6",
                       "UPDATE reminders SET pdf = X'25504446' WHERE id = 4")
    assert "PROBLEM reminder 6: reminder chain broken: content or link altered" in problems
    assert "PROBLEM reminder 6: column amount_open was altered: it does not match the " \
        "recorded content" in problems
    assert "PROBLEM reminder 4 pdf: stored PDF does not match its recorded hash" in problems


def test_verify_names_a_deleted_reminder(register: Path) -> None:
    """A row deleted from the middle breaks the next row's link."""
    _remind(register, FIRST)
    problems = _tamper(register, "DELETE FROM reminders WHERE id = 2")
    assert problems == [
        "PROBLEM event 36: announces a reminder of R000002 that is not in the register",
        "PROBLEM reminder 3: reminder 2 is missing (deleted behind the tool's back)",
        "PROBLEM reminder 3: reminder chain broken: previous link does not match"]


def test_a_kept_reminders_head_verifies_and_catches_the_newest_letters_removed(
        register: Path) -> None:
    """verify --expect-head with remind's reminders_chain_head: 0 intact, 1 once letters go."""
    head = _remind(register, FIRST)["reminders_chain_head"]
    with Register.open(register) as reg:
        assert reg.verify(expect_head=head) == [] and reg.chain_contains(head)
    assert _remind(register, SECOND)["reminders"]  # the head stays valid as letters follow
    with Register.open(register) as reg:
        assert reg.verify(expect_head=head) == []
    db = _raw(register)
    db.execute("DROP TRIGGER reminders_never_deleted")
    db.execute("DELETE FROM reminders WHERE reminded_on = ?", (SECOND.isoformat(),))
    db.execute(f"DELETE FROM reminders WHERE chain = '{head}'")
    # Their events go too (the newest ones), so the outbox shows no gap either.
    db.execute("DROP TRIGGER events_never_deleted")
    db.execute("DELETE FROM events WHERE type = 'reminder' AND CAST(substr(number, 2) AS "
               "INTEGER) > (SELECT COALESCE(MAX(id), 0) FROM reminders)")
    db.close()
    with Register.open(register) as reg:
        problems = [str(p) for p in reg.verify(expect_head=head)]
    assert problems == [f"the kept chain head {head} is not in the register: rows written "
                        "up to it were removed, or the register was replaced"]
    code, out, _ = run_cli(["verify", "--register", str(register), "--expect-head", head,
                            "--json"])
    assert code == 1 and any(head in p for p in json.loads(out)["problems"])


def test_remind_prints_the_head_to_keep(register: Path) -> None:
    """Without --json too, remind prints the reminders' chain head after sending letters."""
    letters = ["--out", str(register.parent / "letters")]
    code, out, err = run_cli(["remind", "--as-of", FIRST.isoformat(), "--register",
                              str(register), *letters])
    with Register.open(register) as reg:
        head = reg.last_reminder_chain()
    assert code == 0 and f"Reminders chain head {head}" in out, err
    code, out, _ = run_cli(["remind", "--as-of", FIRST.isoformat(), "--register",
                            str(register), *letters])
    assert code == 0 and "chain head" not in out  # nothing sent, nothing new to keep


def test_verify_names_an_inserted_reminder(register: Path) -> None:
    """A row copied in with a made-up link is named."""
    _remind(register, FIRST)
    problems = _tamper(register,
                       "INSERT INTO reminders (buyer_kbo, level, reminded_on, invoices, "
                       "amount_open, content, pdf, pdf_sha256, prev_chain, chain) "
                       "SELECT buyer_kbo, level, reminded_on, invoices, amount_open, content, "
                       "pdf, pdf_sha256, prev_chain, chain FROM reminders WHERE id = 1")
    assert problems == ["PROBLEM R000008: has no event in the outbox (its event was deleted "
                        "or never written)",
                        "PROBLEM reminder 8: reminder chain broken: previous link does not "
                        "match"]


def test_a_register_without_the_reminders_table_reads_as_no_reminders(register: Path) -> None:
    """An older register (before the table existed) opened as it is: no letters, verify clean."""
    db = _raw(register)
    db.execute("DROP TABLE reminders")
    db.close()
    db = sqlite3.connect(f"file:{register}?mode=ro", uri=True)
    reg = Register(db, register)
    assert reg.reminders() == [] and reg.latest_reminder_date() is None
    assert reg.verify_reminders() == []
    db.close()


# -- property: money always adds up, whatever happens in whatever order --------------------

_OPERATION = st.one_of(
    st.tuples(st.just("issue"), st.integers(0, 2), st.integers(2023, 2026)),
    st.tuples(st.just("credit"), st.integers(0, 50), st.one_of(st.none(), st.integers(1, 9000))),
    st.tuples(st.just("pay"), st.integers(0, 50), st.integers(1, 1_200_000)),
    st.tuples(st.just("remind"), st.integers(1, 30), st.none()),
    st.tuples(st.just("remind"), st.integers(1, 30), st.none()),  # twice as likely
)


@settings(max_examples=30 if os.environ.get("CI") else 100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(_OPERATION, st.integers(0, 40)), min_size=1, max_size=25))
def test_any_sequence_of_issue_credit_pay_and_remind_adds_up(
        tmp_path_factory: pytest.TempPathFactory,
        steps: list[tuple[tuple[str, int, int | None], int]]) -> None:
    """paid + credited + open - refund due = amount for every invoice; letters follow the rules.

    Also: each letter asks exactly what the ledger has open on its day for
    invoices overdue then; its level is one more than its invoices' highest;
    no invoice is listed after its aanmaning; two letters to one municipality
    are at least the interval apart; aging, statements and verify agree.
    """
    from factories import agreement, buyer, kbo

    from mbp_billing import issue_invoice
    from mbp_billing.errors import BillingError, RegisterConflict
    from mbp_billing.receivables import aging

    agreements = [agreement(buyer=buyer(kbo=kbo(i), name=f"Gemeente {i}")) for i in range(3)]
    path = tmp_path_factory.mktemp("prop") / "register.sqlite3"
    clock = date(2026, 1, 5)
    paid: dict[str, Decimal] = {}
    credited: dict[str, Decimal] = {}
    levels: dict[str, int] = {}
    last_letter: dict[str, tuple[date, int]] = {}
    with Register.open(path) as reg:
        for (op, pick, value), days in steps:
            clock += timedelta(days=days)
            invoices = [d for d in reg.documents() if d.type == "invoice"]
            if op == "issue":
                issue_invoice(agreements[pick], value or 2023, issue_date=clock, register=reg)
            elif op == "credit" and invoices:
                number = invoices[pick % len(invoices)].number
                amount = None if value is None else Decimal(value).scaleb(-2)
                try:
                    note = credit_invoice(number, reason="test", issue_date=clock, register=reg,
                                          amount=amount)
                except BillingError:
                    continue  # fully credited, or more than remains: refused, nothing recorded
                credited[number] = credited.get(number, Decimal("0.00")) + note.document.total
            elif op == "pay" and invoices:
                number = invoices[pick % len(invoices)].number
                amount = Decimal(value or 1).scaleb(-2)
                try:
                    reg.record_payment(number, amount, clock)
                except RegisterConflict:
                    # A fully credited invoice takes no payment (issue 8, part 1).
                    assert credited.get(number, Decimal("0.00")) >= reg.get(number).amount
                    continue
                paid[number] = paid.get(number, Decimal("0.00")) + amount
            elif op == "remind":
                interval = pick
                result = remind(reg, as_of=clock, interval_days=interval)
                event(f"letters {sorted(s.reminder.level for s in result.sent)[-1:]}")
                event(f"after notice {bool(result.after_notice)}")
                ledger = {r.number: r for r in build_ledger(reg, as_of=clock)}
                for sent in result.sent:
                    letter = sent.reminder
                    kbo_ = letter.buyer.kbo
                    assert all(ledger[line.number].status == "overdue" for line in letter.lines)
                    assert all(line.open == ledger[line.number].open for line in letter.lines)
                    assert letter.level == 1 + max(levels.get(line.number, 0)
                                                   for line in letter.lines)
                    assert all(levels.get(line.number, 0) == letter.level - 1
                               for line in letter.lines)  # never a level skipped
                    if kbo_ in last_letter:
                        assert (clock - last_letter[kbo_][0]).days >= interval
                    last_letter[kbo_] = (clock, interval)
                    for line in letter.lines:
                        levels[line.number] = letter.level
                waiting = {r.buyer_kbo for r in ledger.values() if r.status == "overdue"
                           and levels.get(r.number, 0) < 2}
                for kbo_ in waiting - {s.reminder.buyer.kbo for s in result.sent}:
                    assert (clock - last_letter[kbo_][0]).days < interval
        ledger_rows = build_ledger(reg)
        for row in ledger_rows:
            if row.type != "invoice":
                continue
            assert row.paid == paid.get(row.number, Decimal("0.00"))
            assert row.credited == credited.get(row.number, Decimal("0.00"))
            assert row.paid + row.credited + row.open - row.refund_due == row.amount
            assert row.open >= 0 and row.refund_due >= 0 and min(row.open, row.refund_due) == 0
        assert aging(reg, as_of=clock).total == sum((r.open for r in ledger_rows),
                                                   Decimal("0.00"))
        for kbo_ in {r.buyer_kbo for r in ledger_rows}:
            owed = sum((r.open - r.refund_due for r in ledger_rows if r.buyer_kbo == kbo_),
                       Decimal("0.00"))
            assert account_statement(reg, kbo_).balance == owed
        assert reg.verify() == []


def test_the_chasing_howto_runs_as_written(tmp_path: Path) -> None:
    """Every `$` line of docs/howto/chase-unpaid.md exits 0, and its printed lines are true."""
    from test_docs import DOCS, _run_console_blocks

    page = DOCS / "howto" / "chase-unpaid.md"
    assert _run_console_blocks(page, tmp_path) == []
    assert sorted(p.name for p in (tmp_path / "reminders").iterdir()) == [
        "reminder-0207123407-2023-08-20.pdf", "reminder-0207123407-2023-09-04.pdf"]
    code, out, err = run_cli(["remind", "--as-of", "2023-09-20", "--register",
                              str(tmp_path / "register.sqlite3"), "--out",
                              str(tmp_path / "reminders")])
    assert code == 0, err
    shown = page.read_text(encoding="utf-8").split("```text\n", 1)[1].split("```", 1)[0]
    assert out == shown


def test_cli_matches_the_api(register: Path, tmp_path: Path) -> None:
    """`remind --json` is `remind().to_record()` on the same register, same letters and bytes."""
    twin = Path(shutil.copy(register, tmp_path / "twin.sqlite3"))
    document = _remind(register, FIRST)
    with Register.open(twin) as reg:
        result = remind(reg, as_of=FIRST, out_dir=tmp_path / "api")
        head = reg.chain_head()
    expected = {**result.to_record(), "chain_head": head}
    for letter in expected["reminders"]:
        letter["pdf"] = str(register.parent / "reminders" / Path(letter["pdf"]).name)
    assert document == expected
    for sent in result.sent:
        assert sent.pdf_path is not None
        assert sent.pdf_path.read_bytes() == (register.parent / "reminders" /
                                              sent.pdf_path.name).read_bytes()
