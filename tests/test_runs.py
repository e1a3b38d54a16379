"""Billing runs over the 285 real Flemish municipalities of 2026, catch-up, workers and R8.

The portfolio is :func:`mbp_billing.examples.example_portfolio`: every
Flemish municipality on 1 January 2026 with its de jure population from
Statbel open data ("Bevolking naar woonplaats", TF_SOC_POP_STRUCT, as shipped
in ``data/flemish_municipalities_population.csv``, the same file as
``../shared/data/flemish_municipalities_population.csv``; source: Statbel),
with generated agreement dates and made-up enterprise numbers.  The
expected invoices are computed here from :func:`build_schedule`, one
agreement at a time, and compared with what the run put in the register.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from _portfolios import (
    expected_charges,
    gapless,
    register_keys,
    run_cli,
    run_json,
    snapshot,
    write_csv,
)
from factories import agreement, buyer, kbo

from mbp_billing.errors import InvalidValue
from mbp_billing.examples import example_portfolio
from mbp_billing.issuing import issue_invoice
from mbp_billing.portfolio import Portfolio, PortfolioEntry
from mbp_billing.register import Register
from mbp_billing.runs import run_portfolio
from mbp_billing.schedule import EndPolicy

RUN_DATE = date(2026, 11, 30)


def _line_keys(lines: list[dict[str, Any]]) -> set[tuple[int, str, str, str]]:
    return {(r["year"], r["kind"], r["buyer_kbo"], r["amount"]) for r in lines}


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One completed CLI run of the 285 municipalities through 2026, dated 2026-11-30."""
    root = tmp_path_factory.mktemp("full")
    csv_path = write_csv([e.agreement for e in example_portfolio()], root / "portfolio.csv")
    register, out = root / "register.sqlite3", root / "invoices"
    # Two rendering processes, one per core of the CI machine; numbering stays serial.
    result = run_json(["run", str(csv_path), "--through", "2026", "--date", RUN_DATE.isoformat(),
                       "--register", str(register), "--out", str(out), "--workers", "2"])
    return {"csv": csv_path, "register": register, "out": out, "result": result}


@pytest.fixture(scope="module")
def expected() -> dict[tuple[str, int, str], Decimal]:
    """What the rules bill for the 285 municipalities through 2026 by 2026-11-30."""
    return expected_charges([e.agreement for e in example_portfolio()], 2026, RUN_DATE)


def test_run_issues_exactly_the_invoices_the_rules_imply(
        full: dict[str, Any], expected: dict[tuple[str, int, str], Decimal]) -> None:
    """Count, total and every (buyer, year, kind, amount) equal the sum of the schedules."""
    result = full["result"]
    assert len(expected) > 285  # renewals as well as first years
    assert len(result["issued"]) == len(expected)
    assert Decimal(result["total_amount"]) == sum(expected.values())
    assert sum(Decimal(r["amount"]) for r in result["issued"]) == sum(expected.values())
    assert {(r["buyer_kbo"], r["year"], r["kind"]): Decimal(r["amount"])
            for r in result["issued"]} == expected
    assert result["already_issued"] == 0
    keys = register_keys(full["register"])
    assert {k: len(v) for k, v in keys.items()} == dict.fromkeys(expected, 1)


def test_run_counts_charges_not_yet_due(full: dict[str, Any]) -> None:
    """Charges whose first invoice date is after the run date are counted, not issued."""
    later = expected_charges([e.agreement for e in example_portfolio()], 2026, date(2026, 12, 31))
    early = expected_charges([e.agreement for e in example_portfolio()], 2026, RUN_DATE)
    assert full["result"]["not_yet_due"] == len(later) - len(early)


def test_run_numbers_are_gapless_and_verify_is_clean(full: dict[str, Any]) -> None:
    """F000001..F00000N in the calendar's order, a clean register and matching files."""
    result = full["result"]
    numbers = [r["number"] for r in result["issued"]]
    assert numbers == gapless("F", len(numbers))
    assert [r["year"] for r in result["issued"]] == sorted(r["year"] for r in result["issued"])
    with Register.open(full["register"], create=False) as reg:
        assert reg.verify() == []
    code, out, _ = run_cli(["verify", "--register", str(full["register"]), "--out",
                            str(full["out"])])
    assert code == 0 and out.startswith(f"OK: {len(numbers)} document(s)")
    assert sorted(snapshot(full["out"])) == sorted(
        f"{n}.{ext}" for n in numbers for ext in ("pdf", "xml"))


def test_json_issued_objects_have_the_documented_fields(full: dict[str, Any]) -> None:
    """``--json``: ``issued`` objects with number, buyer_kbo, year, kind, amount; a count."""
    result = full["result"]
    assert isinstance(result["already_issued"], int)
    for record in result["issued"]:
        assert re.fullmatch(r"F\d{6}", record["number"])
        assert re.fullmatch(r"\d{10}", record["buyer_kbo"])
        assert isinstance(record["year"], int) and record["kind"] in ("first", "annual")
        assert re.fullmatch(r"\d+\.\d\d", record["amount"])
        assert record["type"] == "invoice"
    totals = result["totals"]
    assert sum(t["count"] for t in totals) == len(result["issued"])
    assert sum(Decimal(t["amount"]) for t in totals) == Decimal(result["total_amount"])


def test_second_run_issues_none(full: dict[str, Any]) -> None:
    """Running again issues nothing and counts every invoice as already issued."""
    before = snapshot(full["out"])
    again = run_json(["run", str(full["csv"]), "--through", "2026", "--date",
                      RUN_DATE.isoformat(), "--register", str(full["register"]),
                      "--out", str(full["out"])])
    assert again["issued"] == [] and again["credited"] == []
    assert again["already_issued"] == len(full["result"]["issued"])
    assert snapshot(full["out"]) == before


def test_dry_run_lists_the_same_invoices_without_numbers(full: dict[str, Any],
                                                        tmp_path: Path) -> None:
    """``--dry-run`` on an empty register lists what the real run issued, and writes nothing."""
    register, out = tmp_path / "r.sqlite3", tmp_path / "out"
    dry = run_json(["run", str(full["csv"]), "--through", "2026", "--date", RUN_DATE.isoformat(),
                    "--register", str(register), "--out", str(out), "--dry-run"])
    assert dry["dry_run"] is True
    assert all(r["number"] is None for r in dry["issued"])
    assert _line_keys(dry["issued"]) == _line_keys(full["result"]["issued"])
    assert len(dry["issued"]) == len(full["result"]["issued"])
    assert dry["total_amount"] == full["result"]["total_amount"]
    assert dry["totals"] == full["result"]["totals"]
    assert not register.exists() and not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_dry_run_on_a_complete_register_issues_nothing(full: dict[str, Any]) -> None:
    """A dry run on the completed register would issue nothing and changes nothing."""
    count = len(full["result"]["issued"])
    dry = run_json(["run", str(full["csv"]), "--through", "2026", "--date", "2026-12-01",
                    "--register", str(full["register"]), "--out", str(full["out"]),
                    "--dry-run"])
    assert dry["issued"] == [] and dry["already_issued"] == count
    with Register.open(full["register"], create=False) as reg:
        assert len(reg.documents()) == count


# -- a small slice of the portfolio: catch-up and workers ------------------------

def _slice(n: int = 10) -> Portfolio:
    # Municipalities live in 2023 or 2024 so every slice has several years to bill.
    entries = [e for e in example_portfolio()
               if e.agreement.billing_start is not None
               and e.agreement.billing_start.year in (2023, 2024)]
    return Portfolio(tuple(entries[:n]))


def test_catch_up_issues_only_the_missing_years(tmp_path: Path) -> None:
    """A portfolio run through 2024 and later through 2026 gets just the missing charges."""
    portfolio = _slice()
    agreements = [e.agreement for e in portfolio]
    first_date = date(2024, 12, 2)
    with Register.open(tmp_path / "r.sqlite3") as reg:
        first = run_portfolio(portfolio, 2024, issue_date=first_date, register=reg)
        second = run_portfolio(portfolio, 2026, issue_date=RUN_DATE, register=reg)
        assert reg.verify() == []
        assert [d.number for d in reg.documents()] == gapless(
            "F", len(first.issued) + len(second.issued))
    early = expected_charges(agreements, 2024, first_date)
    full = expected_charges(agreements, 2026, RUN_DATE)
    assert {(x.buyer_kbo, x.year, x.kind): x.amount for x in first.issued} == early
    assert {(x.buyer_kbo, x.year, x.kind): x.amount for x in second.issued} == {
        k: v for k, v in full.items() if k not in early}
    assert {x.year for x in second.issued} >= {2025, 2026}
    assert second.already_issued == len(early)


def test_workers_give_the_same_numbers_and_bytes(tmp_path: Path) -> None:
    """Rendering in two processes numbers and renders exactly as one process does."""
    portfolio = _slice(8)
    results = {}
    for workers in (1, 2):
        with Register.open(tmp_path / f"r{workers}.sqlite3") as reg:
            result = run_portfolio(portfolio, 2026, issue_date=RUN_DATE, register=reg,
                                   out_dir=tmp_path / f"out{workers}", workers=workers,
                                   batch_size=7)
            assert reg.verify() == []
        results[workers] = {(x.buyer_kbo, x.year, x.kind): x.number for x in result.issued}
    assert results[1] == results[2] and len(results[1]) > 8
    files = snapshot(tmp_path / "out1")
    assert files == snapshot(tmp_path / "out2") and len(files) == 2 * len(results[1])


def test_workers_must_be_a_positive_whole_number(tmp_path: Path) -> None:
    """``workers`` of 0 is refused before anything happens; the CLI says so in one line."""
    with Register.open(tmp_path / "r.sqlite3") as reg, pytest.raises(InvalidValue, match="workers"):
        run_portfolio(_slice(1), 2026, issue_date=RUN_DATE, register=reg, workers=0)
    code, _, err = run_cli(["run", "x.csv", "--through", "2026", "--workers", "0"])
    assert code == 2 and err.count("\n") == 1 and "--workers" in err


# -- R8: pro-rata credit of the final year ----------------------------------------

def _ending() -> Portfolio:
    # Signed 2023-02-10, notice 2025-12-20: ends 2026-02-09, the last day of the
    # third renewal term (R7), so it is in force on 1 January 2026 (R5).
    ends = agreement(notice_sent_on=date(2025, 12, 20))
    other = agreement(buyer=buyer(kbo=kbo(7), name="Gemeente Zeven"))
    return Portfolio((PortfolioEntry("ends.toml", ends), PortfolioEntry("other.toml", other)))


def test_pro_rata_run_credits_the_final_year_down(tmp_path: Path) -> None:
    """R8 pro-rata: the full 2026 invoice gets a linked credit note for 10 of 12 months."""
    portfolio = _ending()
    assert portfolio[0].agreement.ends_on == date(2026, 2, 9)
    with Register.open(tmp_path / "r.sqlite3") as reg:
        billed = run_portfolio(portfolio, 2026, issue_date=date(2026, 1, 5), register=reg)
        final = next(x for x in billed.issued if x.buyer_kbo == portfolio[0].buyer_kbo
                     and x.year == 2026)
        assert final.amount == Decimal("7000.00")
        result = run_portfolio(portfolio, 2026, issue_date=date(2026, 3, 2), register=reg,
                               policy=EndPolicy.PRO_RATA, out_dir=tmp_path / "out")
        assert result.issued == ()
        [credit] = result.credited
        assert credit.type == "credit_note" and credit.number == "C000001"
        assert credit.credits == final.number
        # 7000.00 - 7000.00 x 2/12 (January and February 2026, R8) = 5833.33
        assert credit.amount == Decimal("7000.00") - Decimal("1166.67") == Decimal("5833.33")
        note = reg.get("C000001")
        assert (note.credits, note.amount, note.buyer_kbo) == (
            final.number, Decimal("5833.33"), portfolio[0].buyer_kbo)
        assert reg.credited_total(final.number) == Decimal("5833.33")
        # The credit note's files, and those of the invoices found (the first run kept none).
        assert sorted(snapshot(tmp_path / "out")) == sorted(
            f"{n}.{ext}" for n in ["C000001", *gapless("F", 8)] for ext in ("pdf", "xml"))
        again = run_portfolio(portfolio, 2026, issue_date=date(2026, 3, 3), register=reg,
                              policy=EndPolicy.PRO_RATA)
        assert again.credited == () and again.issued == ()
        assert reg.verify() == []
        assert [d.number for d in reg.documents() if d.type == "credit_note"] == ["C000001"]


def test_pro_rata_dry_run_lists_the_credit_without_issuing(tmp_path: Path) -> None:
    """A pro-rata dry run shows the credit note it would issue, linked, without a number."""
    portfolio = _ending()
    with Register.open(tmp_path / "r.sqlite3") as reg:
        issue_invoice(portfolio[0].agreement, 2026, issue_date=date(2026, 1, 5), register=reg)
        dry = run_portfolio(portfolio, 2026, issue_date=date(2026, 3, 2), register=reg,
                            policy=EndPolicy.PRO_RATA, dry_run=True)
        [credit] = dry.credited
        assert (credit.number, credit.credits, credit.amount) == (
            None, "F000001", Decimal("5833.33"))
        assert [d.number for d in reg.documents()] == ["F000001"]


def test_pro_rata_run_from_the_cli(tmp_path: Path) -> None:
    """``run --end-policy pro-rata`` issues the credit note and reports it in the JSON."""
    portfolio = _ending()
    path = write_csv([e.agreement for e in portfolio], tmp_path / "p.csv")
    common = ["run", str(path), "--through", "2026", "--register", str(tmp_path / "r.sqlite3"),
              "--out", str(tmp_path / "out")]
    run_json([*common, "--date", "2026-01-05"])
    result = run_json([*common, "--date", "2026-03-02", "--end-policy", "pro-rata"])
    [credit] = result["credited"]
    assert credit["type"] == "credit_note" and credit["amount"] == "5833.33"
    code, out, _ = run_cli([*common, "--date", "2026-03-02", "--end-policy", "pro-rata"])
    assert code == 0 and "credit note" not in out
    assert json.loads(run_cli(["ledger", "--register", str(tmp_path / "r.sqlite3"),
                               "--format", "json"])[1])[-1]["credits"] == credit["credits"]


def test_batches_rendered_ahead_are_dropped_when_another_run_took_their_numbers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a pool the next batch renders while one is recorded; a competing run between
    batches takes numbers and invoices, the guess is dropped and the bytes still match."""
    from mbp_billing import runs
    from mbp_billing.audit import verify
    from mbp_billing.issuing import render_files

    portfolio, path, out = _slice(8), tmp_path / "r.sqlite3", tmp_path / "out"
    real, ahead = runs._issue_batch, []

    def compete_after_the_first(*args: Any, **kwargs: Any) -> Any:
        done = real(*args, **kwargs)
        ahead.append(done[2])
        if len(ahead) == 1:  # the second batch is being rendered ahead now
            with Register.open(path) as other:
                run_portfolio(portfolio, 2025, issue_date=RUN_DATE, register=other, out_dir=out)
        return done

    monkeypatch.setattr(runs, "_issue_batch", compete_after_the_first)
    with Register.open(path) as reg:
        result = run_portfolio(portfolio, 2026, issue_date=RUN_DATE, register=reg,
                               out_dir=out, workers=2, batch_size=3)
        stored = reg.documents()
        assert reg.verify() == [] and verify(reg, out) == []
        for doc in stored:  # every recorded rendering is that of the document numbered so
            assert (reg.file_bytes(doc.number, "pdf"),
                    reg.file_bytes(doc.number, "xml")) == render_files(doc.document)
    assert ahead[0] is not None and len(ahead) > 2  # the second batch was rendered ahead
    assert [d.number for d in stored] == gapless("F", len(stored))
    assert len({(d.buyer_kbo, d.year, d.kind) for d in stored}) == len(stored)
    assert result.already_issued > 0 and result.issued


def test_files_that_fail_in_the_writer_thread_stop_the_run_after_their_batch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files are written in the background one batch behind; when those of the second
    batch fail, nothing after that batch is issued and every number without files is named."""
    import errno

    from mbp_billing import issuing
    from mbp_billing.errors import FilesNotWritten

    real, calls = issuing._atomic_write, []

    def full_at_the_fifth_document(path: Path, data: bytes, *, sync: bool = True) -> None:
        calls.append(path)
        if len(calls) > 8:  # 4 documents of 2 files each are written, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data, sync=sync)

    monkeypatch.setattr(issuing, "_atomic_write", full_at_the_fifth_document)
    out = tmp_path / "out"
    with Register.open(tmp_path / "r.sqlite3") as reg:
        with pytest.raises(FilesNotWritten) as caught:
            run_portfolio(_slice(8), 2026, issue_date=RUN_DATE, register=reg, out_dir=out,
                          batch_size=3)
        numbers = [d.number for d in reg.documents()]
        outputs = reg.outputs()
    assert caught.value.numbers == ("F000005", "F000006")  # the rest of the second batch
    assert numbers == gapless("F", 6)  # the third batch was rolled back, no number used
    assert outputs == {str(out.absolute()): gapless("F", 4)}
    assert sorted(snapshot(out)) == sorted(f"{n}.{e}" for n in gapless("F", 4)
                                           for e in ("pdf", "xml"))
