"""Receivables: the aging view and the statement of account, in the API and on the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from _portfolios import run_cli
from factories import agreement, buyer, kbo

from mbp_billing import Register, Table, credit_invoice, issue_invoice
from mbp_billing.ledger import build_ledger
from mbp_billing.receivables import AGING_BUCKETS, account_statement, aging

ISSUED = date(2026, 4, 1)
DUE = ISSUED + timedelta(days=30)  # R11


def _first_year(n: int, name: str, population: int = 32000) -> object:
    """An agreement live in March 2026 (first year: 10/12 of the tier's fee)."""
    return agreement(signed_on=date(2026, 1, 15), app_store_live_on=date(2026, 3, 2),
                     play_store_live_on=date(2026, 3, 9), population=population,
                     buyer=buyer(kbo=kbo(n), name=name))


@pytest.fixture
def register(tmp_path: Path) -> Path:
    """Three municipalities invoiced on 2026-04-01: one paid in part, one credited in part."""
    path = tmp_path / "register.sqlite3"
    with Register.open(path) as reg:
        for n, name in enumerate(("Gemeente Aa", "Gemeente Bee", "Gemeente Cee")):
            issue_invoice(_first_year(n, name), 2026, issue_date=ISSUED,  # type: ignore[arg-type]
                          register=reg)
        reg.record_payment("F000001", Decimal("1000.00"), date(2026, 5, 10))
        credit_invoice("F000002", reason="wrong tier", issue_date=date(2026, 4, 2),
                       register=reg, amount=Decimal("833.33"))
    return path


@pytest.mark.parametrize(("days_after_due", "bucket"), [
    (-29, "not_due"), (0, "not_due"), (1, "days_1_30"), (30, "days_1_30"),
    (31, "days_31_60"), (60, "days_31_60"), (61, "days_61_90"), (90, "days_61_90"),
    (91, "over_90"), (2000, "over_90"),
])
def test_an_open_amount_falls_in_the_bucket_of_its_days_past_due(
        register: Path, days_after_due: int, bucket: str) -> None:
    """Not yet due through the due date (R11), then 1-30, 31-60, 61-90, over 90 days."""
    with Register.open(register) as reg:
        report = aging(reg, as_of=DUE + timedelta(days=days_after_due))
        ledger = build_ledger(reg, as_of=DUE + timedelta(days=days_after_due))
    totals = report.totals()
    assert totals[bucket] == ledger.open_total > 0
    assert [k for k, v in totals.items() if v] == [bucket]
    assert sum(report.by_bucket.column("invoices")) == 3


def test_aging_per_municipality_shows_what_is_open_after_payments_and_credits(
        register: Path) -> None:
    """Per municipality: invoice less credit notes and payments up to the day, named and summed."""
    with Register.open(register) as reg:
        before_payment = aging(reg, as_of=date(2026, 5, 9))
        after_payment = aging(reg, as_of=date(2026, 5, 10))
    rows = {r["buyer_name"]: r for r in after_payment.by_buyer}
    assert list(rows) == ["Gemeente Aa", "Gemeente Bee", "Gemeente Cee"]
    assert rows["Gemeente Aa"]["days_1_30"] == Decimal("5833.33") - Decimal("1000.00")
    assert rows["Gemeente Bee"]["total"] == Decimal("5833.33") - Decimal("833.33")
    assert rows["Gemeente Cee"]["overdue"] == Decimal("5833.33")
    assert rows["Gemeente Aa"]["buyer_kbo"] == kbo(0)
    assert before_payment.total - after_payment.total == Decimal("1000.00")
    assert after_payment.total == after_payment.overdue == sum(
        after_payment.by_buyer.column("total"), Decimal("0.00"))


def test_paid_credited_and_later_invoices_are_not_in_the_aging(register: Path) -> None:
    """Fully paid, fully credited and not-yet-issued invoices leave nothing open."""
    with Register.open(register) as reg:
        reg.record_payment("F000001", Decimal("4833.33"), date(2026, 6, 1))
        credit_invoice("F000003", reason="dissolved", issue_date=date(2026, 6, 2), register=reg)
        before = aging(reg, as_of=date(2026, 3, 31))
        report = aging(reg, as_of=date(2026, 6, 2))
    assert before.total == 0 and len(before.by_buyer) == 0
    assert [r["buyer_name"] for r in report.by_buyer] == ["Gemeente Bee"]
    assert report.total == Decimal("5000.00")


def test_an_overpaid_invoice_owes_nothing_in_the_aging(register: Path) -> None:
    """An overpayment is a refund due, not a negative receivable."""
    with Register.open(register) as reg:
        reg.record_payment("F000003", Decimal("6000.00"), date(2026, 5, 2))
        report = aging(reg, as_of=date(2026, 7, 1))
    assert "Gemeente Cee" not in report.by_buyer.column("buyer_name")
    assert min(report.by_buyer.column("total")) > 0


def test_aging_tables_are_table_values_for_notebooks(register: Path) -> None:
    """Both views are `Table`s: CSV, records and HTML; amounts stay Decimal."""
    with Register.open(register) as reg:
        report = aging(reg, as_of=date(2026, 7, 1))
    assert isinstance(report.by_buyer, Table) and isinstance(report.by_bucket, Table)
    assert report.by_bucket.column("bucket") == [key for key, *_ in AGING_BUCKETS]
    assert all(isinstance(v, Decimal) for v in report.by_buyer.column("over_90"))
    rows = list(csv.DictReader(io.StringIO(report.by_buyer.to_csv())))
    assert rows[0]["days_61_90"] == "4833.33"
    assert "<table" in report._repr_html_()


def test_cli_aging_json_has_buckets_totals_and_buyers(register: Path) -> None:
    """`ledger --aging --json`: buckets, a total per bucket and one row per municipality."""
    code, out, err = run_cli(["ledger", "--register", str(register), "--aging", "--as-of",
                              "2026-06-15", "--json"])
    assert code == 0, err
    report = json.loads(out)
    assert report["as_of"] == "2026-06-15"
    assert [b["bucket"] for b in report["buckets"]] == [key for key, *_ in AGING_BUCKETS]
    assert report["total"]["days_31_60"] == "15666.66"  # 45 days past 2026-05-01
    assert report["total"]["total"] == report["total"]["overdue"] == "15666.66"
    assert [b["buyer_kbo"] for b in report["buyers"]] == [kbo(0), kbo(1), kbo(2)]
    assert report["buyers"][0]["days_31_60"] == "4833.33"


def test_cli_aging_defaults_to_today_and_prints_a_readable_table(register: Path) -> None:
    """Without --as-of the aging is for today (the CLI's clock: 2026-11-30 in tests)."""
    code, out, err = run_cli(["ledger", "--register", str(register), "--aging"])
    assert code == 0, err
    assert out.startswith("Aging of receivables as of 2026-11-30 (EUR)")
    assert "over 90 days overdue" in out and "Gemeente Bee" in out
    code, csv_out, _ = run_cli(["ledger", "--register", str(register), "--aging",
                                "--format", "csv"])
    assert code == 0 and csv_out.splitlines()[0].startswith("buyer_kbo,buyer_name,not_due")


def test_ledger_json_is_short_for_format_json(register: Path) -> None:
    """`ledger --json` prints exactly what `ledger --format json` prints."""
    short = run_cli(["ledger", "--register", str(register), "--json"])
    long = run_cli(["ledger", "--register", str(register), "--format", "json"])
    assert short == long and short[0] == 0
    code, _, err = run_cli(["ledger", "--register", str(register), "--json", "--format", "csv"])
    assert code == 2 and err.count("\n") == 1 and "--format" in err


@pytest.mark.parametrize("form", ["0207.000.176", "BE0207000176", "BE 0207 000 176",
                                  "0207000176", "be0207.000.176"])
def test_statement_accepts_the_usual_forms_of_an_enterprise_number(register: Path,
                                                                   form: str) -> None:
    """Dots, spaces and the BE prefix are all one enterprise number (python-stdnum)."""
    assert kbo(1) == "0207000176"
    code, out, err = run_cli(["ledger", "--register", str(register), "--buyer", form, "--json"])
    assert code == 0, err
    assert json.loads(out)["buyer_kbo"] == "0207000176"


def test_statement_lists_documents_and_payments_with_a_running_balance(register: Path) -> None:
    """Invoice, then payment: debit, credit and the balance after each; balance = ledger open."""
    with Register.open(register) as reg:
        reg.record_payment("F000001", Decimal("500.00"), date(2026, 5, 10))
        statement = account_statement(reg, kbo(0))
        ledger = build_ledger(reg)
    entries = list(statement.entries)
    assert [(e["date"], e["type"], e["number"], e["debit"], e["credit"], e["balance"])
            for e in entries] == [
        (ISSUED, "invoice", "F000001", Decimal("5833.33"), None, Decimal("5833.33")),
        (date(2026, 5, 10), "payment", "F000001", None, Decimal("1000.00"), Decimal("4833.33")),
        (date(2026, 5, 10), "payment", "F000001", None, Decimal("500.00"), Decimal("4333.33")),
    ]
    assert statement.balance == ledger[0].open == Decimal("4333.33")
    assert statement.buyer_name == "Gemeente Aa"


def test_statement_shows_credit_notes_and_stops_at_as_of(register: Path) -> None:
    """A credit note is a credit; --as-of leaves out what came later."""
    code, out, err = run_cli(["ledger", "--register", str(register), "--buyer", kbo(1),
                              "--json"])
    assert code == 0, err
    statement = json.loads(out)
    assert [(e["type"], e["number"], e["credit"], e["balance"]) for e in statement["entries"]] \
        == [("invoice", "F000002", None, "5833.33"), ("credit_note", "C000001", "833.33",
                                                      "5000.00")]
    code, out, _ = run_cli(["ledger", "--register", str(register), "--buyer", kbo(1),
                            "--as-of", "2026-04-01", "--json"])
    assert json.loads(out)["balance"] == "5833.33"
    assert json.loads(out)["as_of"] == "2026-04-01"


def test_statement_text_names_the_municipality_and_the_balance(register: Path) -> None:
    """The readable form: who, every entry, and the balance."""
    code, out, err = run_cli(["ledger", "--register", str(register), "--buyer", "0207.000.176"])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Statement of account of Gemeente Bee (0207.000.176)"
    assert lines[-1] == "balance 5000.00 EUR"
    assert any(line.startswith("2026-04-02  credit_note  C000001") for line in lines)


@pytest.mark.parametrize(("value", "why"), [
    ("0207.000.177", "check digits do not match"),
    ("12345", "wrong number of digits"),
    ("0643.634.986", "no document in the register"),
])
def test_statement_refuses_a_bad_or_unknown_enterprise_number(register: Path, value: str,
                                                              why: str) -> None:
    """Exit 2, one line naming the number and the fix, no traceback."""
    code, out, err = run_cli(["ledger", "--register", str(register), "--buyer", value])
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and value in err and why in err


def test_aging_and_buyer_together_are_refused(register: Path) -> None:
    """One view at a time: exit 2 naming --buyer."""
    code, _, err = run_cli(["ledger", "--register", str(register), "--aging", "--buyer",
                            kbo(0)])
    assert code == 2 and "--buyer" in err and err.count("\n") == 1


def test_cli_matches_the_api(register: Path) -> None:
    """`ledger --aging --json` is `aging().to_record()`; `--buyer` is `account_statement()`'s."""
    code, out, err = run_cli(["ledger", "--register", str(register), "--aging", "--as-of",
                              "2026-07-01", "--json"])
    assert code == 0, err
    with Register.open(register) as reg:
        assert json.loads(out) == aging(reg, as_of=date(2026, 7, 1)).to_record()
        statement = account_statement(reg, "0207 000 077", as_of=date(2026, 6, 1)).to_record()
    code, out, err = run_cli(["ledger", "--register", str(register), "--buyer", kbo(0),
                              "--as-of", "2026-06-01", "--json"])
    assert code == 0, err
    assert json.loads(out) == statement
