"""Every command gives the same results as the library function behind it."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import mbp_billing as mb
from mbp_billing.cli import main
from mbp_billing.examples import example_agreement_text


def cli_json(*argv: str) -> Any:
    """Run a command with --json and parse its output."""
    out, err = io.StringIO(), io.StringIO()
    assert main([*argv, "--json"], stdout=out, stderr=err) == 0, err.getvalue()
    return json.loads(out.getvalue())


def test_quote_matches(tmp_path: Path) -> None:
    """quote --json equals quote()."""
    record = cli_json("quote", "--population", "25001", "--app-store", "2024-03-05",
                      "--play-store", "2024-02-01")
    charge = mb.quote(population=25001, app_store_live_on=date(2024, 3, 5),
                      play_store_live_on=date(2024, 2, 1))
    assert (record["amount"], record["months"], record["billing_start"]) == (
        str(charge.amount), charge.months, charge.period_start.isoformat())


def test_schedule_matches(tmp_path: Path) -> None:
    """schedule --json --explain equals build_schedule().to_records()."""
    path = tmp_path / "a.toml"
    path.write_text(example_agreement_text(), encoding="utf-8")
    records = cli_json("schedule", str(path), "--through", "2027", "--explain")
    expected = mb.build_schedule(mb.Agreement.from_toml(path), 2027).to_records()
    assert records == expected


def test_term_matches() -> None:
    """term --json equals termination()."""
    record = cli_json("term", "--signed-on", "2023-02-10", "--notice-sent-on", "2026-12-02")
    result = mb.termination(date(2023, 2, 10), date(2026, 12, 2))
    assert (record["ends_on"], record["regime"]) == (result.ends_on.isoformat(), result.regime)


def test_invoice_run_and_ledger_match(tmp_path: Path) -> None:
    """invoice, run --dry-run and ledger --format json equal their functions' records."""
    path = tmp_path / "a.toml"
    path.write_text(example_agreement_text(), encoding="utf-8")
    register_path = tmp_path / "r.sqlite3"
    record = cli_json("invoice", str(path), "--year", "2023", "--date", "2023-07-10",
                      "--register", str(register_path), "--out", str(tmp_path / "out"))
    with mb.Register.open(register_path) as reg:
        again = mb.issue_invoice(mb.Agreement.from_toml(path), 2023, issue_date=date(2023, 7, 10),
                                 register=reg, out_dir=tmp_path / "out")
        assert {k: v for k, v in again.to_record().items() if k != "already_issued"} == \
            {k: v for k, v in record.items() if k not in {"already_issued", "chain_head"}}
        assert record["chain_head"] == reg.chain_head()
        portfolio = mb.load_portfolio(tmp_path)
        dry = mb.run_portfolio(portfolio, 2025, issue_date=date(2025, 1, 2), register=reg,
                               dry_run=True).to_record()
        ledger = mb.build_ledger(reg).to_records()
        head = reg.chain_head()
    run_record = cli_json("run", str(tmp_path), "--through", "2025", "--date", "2025-01-02",
                          "--dry-run", "--register", str(register_path))
    assert run_record.pop("chain_head") == head
    # The folder also holds the register, whose SQLite sidecar files come and go
    # with open connections: both name it among the files skipped.
    assert {k: v for k, v in run_record.items() if k != "skipped"} == \
        {k: v for k, v in dry.items() if k != "skipped"}
    assert str(register_path) + ": not a *.toml file, not read" in run_record["skipped"]
    assert [(r["year"], r["kind"], r["amount"]) for r in run_record["issued"]] == [
        (2024, "annual", "7000.00"), (2025, "annual", "7000.00")]
    out = io.StringIO()
    assert main(["ledger", "--register", str(register_path), "--format", "json"],
                stdout=out, stderr=io.StringIO()) == 0
    assert json.loads(out.getvalue()) == ledger
