"""The ledger and receivables: export, open and overdue, payments, spreadsheet safety."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from _portfolios import run_cli, write_csv
from factories import agreement, buyer, kbo

from mbp_billing.ledger import build_ledger, spreadsheet_safe
from mbp_billing.register import Register

RUN_DATE = date(2026, 4, 1)
DUE = RUN_DATE + timedelta(days=30)  # R11
NAMES = ("Gemeente Een", "=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "@SUM(A1)",
         "-2+3")
POPULATIONS = (9000, 19000, 29000, 39000, 60000)  # tiers 1, 2, 3, 3 and 4 (R1)


@pytest.fixture
def register(tmp_path: Path) -> Path:
    """Five municipalities live in March 2026, invoiced on 2026-04-01, and one credit note."""
    agreements = [agreement(signed_on=date(2026, 1, 15), app_store_live_on=date(2026, 3, 2),
                            play_store_live_on=date(2026, 3, 9), population=population,
                            buyer=buyer(kbo=kbo(i), name=name))
                  for i, (name, population) in enumerate(zip(NAMES, POPULATIONS, strict=True))]
    path = tmp_path / "r.sqlite3"
    code, _, err = run_cli(["run", str(write_csv(agreements, tmp_path / "p.csv")), "--through",
                            "2026", "--date", RUN_DATE.isoformat(), "--register", str(path),
                            "--out", str(tmp_path / "out")])
    assert code == 0, err
    code, _, err = run_cli(["credit", "F000005", "--reason", "wrong tier", "--date", "2026-04-02",
                            "--register", str(path), "--out", str(tmp_path / "out")])
    assert code == 0, err
    return path


def _ledger(register: Path, *extra: str) -> list[dict[str, Any]]:
    code, out, err = run_cli(["ledger", "--register", str(register), "--format", "json", *extra])
    assert code == 0, err
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


def _by_number(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["number"]: r for r in rows}


def test_json_ledger_has_every_document_with_the_documented_fields(register: Path) -> None:
    """One object per document: number, type, 10-digit KBO, year, kind, amount, dates."""
    rows = _ledger(register)
    assert [r["number"] for r in rows] == ["F000001", "F000002", "F000003", "F000004",
                                           "F000005", "C000001"]
    for row in rows:
        assert re.fullmatch(r"\d{10}", row["buyer_kbo"])
        assert row["year"] == 2026 and row["kind"] == "first"
        assert re.fullmatch(r"\d+\.\d\d", row["amount"])
        assert date.fromisoformat(row["issue_date"])
    invoices = [r for r in rows if r["type"] == "invoice"]
    assert len(invoices) == 5
    assert {r["due_date"] for r in invoices} == {DUE.isoformat()}
    assert [r["buyer_kbo"] for r in invoices] == [kbo(i) for i in range(5)]
    # 10 months (March-December, R4) of 3500, 5000, 7000, 7000 and 10000 a year.
    assert [r["amount"] for r in invoices] == ["2916.67", "4166.67", "5833.33", "5833.33",
                                               "8333.33"]
    note = rows[-1]
    assert (note["type"], note["credits"], note["amount"], note["due_date"]) == (
        "credit_note", "F000005", "8333.33", None)
    assert _by_number(rows)["F000005"]["status"] == "credited"


def test_as_of_the_due_date_is_open_and_the_day_after_overdue(register: Path) -> None:
    """R11: on the due date an unpaid invoice is open; from the next day it is overdue."""
    on_due = _by_number(_ledger(register, "--as-of", DUE.isoformat()))
    after = _by_number(_ledger(register, "--as-of", (DUE + timedelta(days=1)).isoformat()))
    assert on_due["F000001"]["status"] == "open" and on_due["F000001"]["days_overdue"] == 0
    assert after["F000001"]["status"] == "overdue" and after["F000001"]["days_overdue"] == 1
    assert after["F000001"]["open"] == "2916.67"
    assert after["F000005"]["status"] == "credited" and after["F000005"]["open"] == "0.00"


def test_as_of_leaves_out_documents_issued_later(register: Path) -> None:
    """The ledger as of the day before the credit note holds the invoices only."""
    rows = _ledger(register, "--as-of", "2026-04-01")
    assert [r["number"] for r in rows] == [f"F00000{i}" for i in range(1, 6)]
    assert _by_number(rows)["F000005"]["status"] == "open"


def test_pay_command_makes_an_invoice_paid(register: Path) -> None:
    """``pay NUMBER --amount --date``: partly paid stays open, fully paid is paid."""
    base = ["pay", "F000002", "--register", str(register)]
    assert run_cli([*base, "--amount", "1000.00", "--date", "2026-04-20"])[0] == 0
    partly = _by_number(_ledger(register, "--as-of", "2026-06-01"))["F000002"]
    assert (partly["status"], partly["paid"], partly["open"]) == ("overdue", "1000.00", "3166.67")
    code, out, _ = run_cli([*base, "--amount", "3166.67", "--date", "2026-05-01"])
    assert code == 0 and "3166.67 EUR on 2026-05-01" in out and "F000002" in out
    paid = _by_number(_ledger(register, "--as-of", "2026-06-01"))["F000002"]
    assert (paid["status"], paid["open"], paid["days_overdue"]) == ("paid", "0.00", 0)
    early = _by_number(_ledger(register, "--as-of", "2026-04-25"))["F000002"]
    assert early["paid"] == "1000.00"  # the second payment had not happened yet


def test_pay_refuses_a_credit_note_and_an_unknown_number(register: Path) -> None:
    """Payments go against invoices that exist; anything else is exit 2 with one line."""
    for number in ("C000001", "F000099"):
        code, out, err = run_cli(["pay", number, "--amount", "1.00", "--date", "2026-04-20",
                                  "--register", str(register)])
        assert code == 2 and out == "" and err.count("\n") == 1 and number in err


def _bank_csv(path: Path) -> Path:
    path.write_text(
        "date,amount,communication,name\n"
        "2026-04-10,2916.67,+++000/0000/00101+++,Gemeente Een\n"  # F000001
        "2026-04-11,5833.33,000000000303,Gemeente Drie\n"  # F000003, digits only
        "2026-04-12,100.00,+++000/0000/09902+++,Unknown\n"  # valid, no such invoice
        "2026-04-13,50.00,factuur F000004,Somebody\n",  # free text
        encoding="utf-8")
    return path


def test_bank_csv_pays_by_structured_communication(register: Path, tmp_path: Path) -> None:
    """Bank lines are matched by structured communication; the rest is reported by line."""
    code, out, err = run_cli(["pay", "--bank-csv", str(_bank_csv(tmp_path / "bank.csv")),
                              "--register", str(register)])
    assert code == 0, err
    assert out.splitlines()[0] == "2 payment(s) recorded, 0 already recorded, 2 unmatched"
    assert out.splitlines()[1].startswith("  line 4: '+++000/0000/09902+++' matches no")
    assert out.splitlines()[2].startswith("  line 5: 'factuur F000004' is no structured")
    rows = _by_number(_ledger(register, "--as-of", "2026-06-01"))
    assert rows["F000001"]["status"] == rows["F000003"]["status"] == "paid"
    assert rows["F000004"]["status"] == "overdue"


def test_importing_the_same_bank_file_twice_does_not_pay_twice(register: Path,
                                                               tmp_path: Path) -> None:
    """A statement imported again finds its lines already recorded."""
    bank = _bank_csv(tmp_path / "bank.csv")
    run_cli(["pay", "--bank-csv", str(bank), "--register", str(register)])
    code, out, _ = run_cli(["pay", "--bank-csv", str(bank), "--register", str(register),
                            "--json"])
    result = json.loads(out)
    assert code == 0 and result["matched"] == [] and result["already_recorded"] == [2, 3]
    assert [u["line"] for u in result["unmatched"]] == [4, 5]
    with Register.open(register, create=False) as reg:
        assert [(p.number, p.amount) for p in reg.payments()] == [
            ("F000001", Decimal("2916.67")), ("F000003", Decimal("5833.33"))]


def test_bank_csv_without_the_needed_columns_is_refused(register: Path, tmp_path: Path) -> None:
    """A statement lacking the amount column is refused in one line, exit 2, nothing paid."""
    bank = tmp_path / "bank.csv"
    bank.write_text("date,communication\n2026-04-10,+++000/0000/00101+++\n")
    code, _, err = run_cli(["pay", "--bank-csv", str(bank), "--register", str(register)])
    assert code == 2 and "amount" in err and err.count("\n") == 1
    with Register.open(register, create=False) as reg:
        assert reg.payments() == []


def test_csv_export_is_safe_to_open_in_a_spreadsheet(register: Path) -> None:
    """Buyer names starting with =, +, @ or - are exported with a leading quote."""
    code, out, _ = run_cli(["ledger", "--register", str(register), "--format", "csv"])
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    names = [r["buyer_name"] for r in rows if r["type"] == "invoice"]
    assert names == ["Gemeente Een", *(f"'{n}" for n in NAMES[1:])]
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "@", "-", "\t", "\r")), cell
    assert rows[0]["buyer_kbo"] == kbo(0) and rows[0]["amount"] == "2916.67"


def test_spreadsheet_safe_keeps_plain_values() -> None:
    """Numbers, dates and plain text pass unchanged; formulas get a quote."""
    assert spreadsheet_safe("2916.67") == "2916.67"
    assert spreadsheet_safe(None) == ""
    assert spreadsheet_safe("2026-05-01") == "2026-05-01"
    assert spreadsheet_safe("=1+1") == "'=1+1"
    assert spreadsheet_safe("-1+1") == "'-1+1"


def test_ledger_totals_follow_payments_and_credits(register: Path) -> None:
    """The open total is what was invoiced, less credits and payments."""
    with Register.open(register, create=False) as reg:
        reg.record_payment("F000001", Decimal("2916.67"), date(2026, 4, 10))
        ledger = build_ledger(reg, as_of=date(2026, 6, 1))
    invoiced = Decimal("2916.67") + Decimal("4166.67") + 2 * Decimal("5833.33") + Decimal(
        "8333.33")
    assert ledger.open_total == invoiced - Decimal("8333.33") - Decimal("2916.67")
    assert [r.number for r in ledger.overdue] == ["F000002", "F000003", "F000004"]


def test_payment_before_the_invoice_or_not_positive_is_refused(tmp_path: Path) -> None:
    """A payment dated before its invoice, or of zero, is refused naming the value."""
    from datetime import date
    from decimal import Decimal

    from factories import agreement

    from mbp_billing.errors import InvalidValue
    from mbp_billing.issuing import issue_invoice
    from mbp_billing.register import Register

    with Register.open(tmp_path / "r.sqlite3") as reg:
        issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 10), register=reg)
        with pytest.raises(InvalidValue, match="2024-01-09"):
            reg.record_payment("F000001", Decimal("7000.00"), date(2024, 1, 9))
        with pytest.raises(InvalidValue, match="more than zero"):
            reg.record_payment("F000001", Decimal("0.00"), date(2024, 1, 20))
        assert reg.payments() == []


def test_overpayment_shows_as_a_refund_due(tmp_path: Path) -> None:
    """Paying more than is due marks the invoice overpaid with the refund owed."""
    from datetime import date
    from decimal import Decimal

    from factories import agreement

    from mbp_billing.issuing import credit_invoice, issue_invoice
    from mbp_billing.ledger import build_ledger
    from mbp_billing.register import Register

    with Register.open(tmp_path / "r.sqlite3") as reg:
        issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 10), register=reg)
        reg.record_payment("F000001", Decimal("7000.00"), date(2024, 1, 20))
        credit_invoice("F000001", reason="ended", issue_date=date(2024, 2, 1), register=reg,
                       amount=Decimal("1000.00"))
        [row] = [r for r in build_ledger(reg) if r.number == "F000001"]
        assert (row.status, row.open, row.refund_due) == (
            "overpaid", Decimal("0.00"), Decimal("1000.00"))


def test_two_identical_bank_lines_are_two_payments(tmp_path: Path) -> None:
    """Identical transfers in one statement both count; importing it again adds none."""
    from datetime import date

    from factories import agreement

    from mbp_billing.issuing import issue_invoice
    from mbp_billing.ledger import import_bank_lines
    from mbp_billing.register import Register

    with Register.open(tmp_path / "r.sqlite3") as reg:
        issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 10), register=reg)
        text = ("date,amount,communication\n2024-01-20,3500.00,+++000/0000/00101+++\n"
                "2024-01-20,3500.00,+++000/0000/00101+++\n")
        first = import_bank_lines(reg, text)
        again = import_bank_lines(reg, text)
        assert (len(first.matched), len(first.already_recorded)) == (2, 0)
        assert (len(again.matched), len(again.already_recorded)) == (0, 2)
        assert len(reg.payments()) == 2
