"""Bank statements: CODA and camt.053 read, matched, and each entry recorded once."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from _portfolios import cli_process, run_cli
from _statements import SHARED_BANK, Move, camt053, coda
from factories import agreement, buyer, kbo
from hypothesis import given
from hypothesis import strategies as st

from mbp_billing.documents import structured_communication
from mbp_billing.errors import InvalidValue
from mbp_billing.issuing import credit_invoice, issue_invoice
from mbp_billing.ledger import build_ledger
from mbp_billing.register import Register
from mbp_billing.statements import (
    find_structured_communication,
    import_statement,
    read_statement,
)

Builder = Callable[..., bytes]
FORMATS = pytest.mark.parametrize("build", [coda, camt053], ids=["coda", "camt053"])


def _ogm(number: str) -> str:
    return structured_communication(number)


def _typed(number: str) -> str:
    digits = _ogm(number)
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


@pytest.fixture
def register(tmp_path: Path) -> Path:
    """Four invoices of 7000.00 dated 2026-03-02; F000004 fully credited."""
    path = tmp_path / "register.sqlite3"
    with Register.open(path) as reg:
        for n in range(4):
            issue_invoice(agreement(buyer=buyer(name=f"Gemeente {n}", kbo=kbo(n))), 2026,
                          issue_date=date(2026, 3, 2), register=reg)
        credit_invoice("F000004", reason="wrong buyer", issue_date=date(2026, 3, 3),
                       register=reg)
    return path


def _mix() -> list[Move]:
    return [
        Move("7000.00", _ogm("F000001"), structured=True, name="Gemeente 0"),
        Move("2000.00", _ogm("F000002"), structured=True, name="Gemeente 1"),
        Move("7000.00", f"factuur {_typed('F000003')} dank u", name="Gemeente 2"),
        Move("990.00", _ogm("F000099"), structured=True, name="Onbekend"),
        Move("-150.00", "bank costs", name="Bank"),
        Move("7000.00", _ogm("F000002"), structured=True, name="Gemeente 1", reversal=True),
        Move("7000.00", _ogm("F000004"), structured=True, name="Gemeente 3"),
        Move("12.00", "no reference at all", name="Someone"),
    ]


@FORMATS
def test_a_statement_paying_a_mix_gives_the_expected_ledger(register: Path, tmp_path: Path,
                                                            build: Builder) -> None:
    """Full, partial and free-text payments recorded; the rest reported or ignored."""
    path = tmp_path / "statement"
    path.write_bytes(build(_mix()))
    code, out, err = run_cli(["pay", "--statement", str(path), "--register", str(register),
                              "--json"])
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["recorded"] == [
        {"number": "F000001", "amount": "7000.00", "paid_on": "2026-04-10"},
        {"number": "F000002", "amount": "2000.00", "paid_on": "2026-04-10"},
        {"number": "F000003", "amount": "7000.00", "paid_on": "2026-04-10"}]
    assert result["already_recorded"] == 0 and result["ignored"] == 2
    assert [(u["amount"], u["communication"], u["name"], u["date"])
            for u in result["unmatched"]] == [
        ("990.00", _typed("F000099"), "Onbekend", "2026-04-10"),
        ("7000.00", _typed("F000004"), "Gemeente 3", "2026-04-10"),
        ("12.00", "no reference at all", "Someone", "2026-04-10")]
    assert "fully credited" in result["unmatched"][1]["why"]
    with Register.open(register, read_only=True) as reg:
        assert result["chain_head"] == reg.chain_head()
        rows = {r.number: (r.status, r.paid, r.open) for r in build_ledger(reg)}
        assert reg.verify() == []
    assert rows["F000001"] == ("paid", Decimal("7000.00"), Decimal("0.00"))
    assert rows["F000002"] == ("open", Decimal("2000.00"), Decimal("5000.00"))
    assert rows["F000003"] == ("paid", Decimal("7000.00"), Decimal("0.00"))
    assert rows["F000004"] == ("credited", Decimal("0.00"), Decimal("0.00"))
    again = json.loads(run_cli(["pay", "--statement", str(path), "--register", str(register),
                                "--json"])[1])
    assert (again["recorded"], again["already_recorded"]) == ([], 3)


@FORMATS
def test_two_identical_transfers_are_two_payments(register: Path, build: Builder) -> None:
    """Two equal credits in one statement are two bank entries, both recorded once."""
    move = Move("1000.00", _ogm("F000001"), structured=True)
    statement = read_statement(build([move, move]))
    with Register.open(register) as reg:
        first = import_statement(reg, statement)
        again = import_statement(reg, statement)
        assert len(first.recorded) == 2 and again.already_recorded == 2
        assert reg.paid_total("F000001") == Decimal("2000.00")


def test_an_overlapping_statement_records_nothing_twice(register: Path) -> None:
    """The same bank entry (same bank reference) in a later statement is already recorded."""
    first = Move("1000.00", _ogm("F000001"), structured=True, reference="BANKREF-1")
    second = Move("500.00", _ogm("F000001"), structured=True, reference="BANKREF-2",
                  booked_on=date(2026, 4, 11))
    with Register.open(register) as reg:
        import_statement(reg, read_statement(camt053([first], statement_id="A")))
        later = import_statement(reg, read_statement(
            camt053([first, second], statement_id="B", day=date(2026, 4, 11))))
        assert later.already_recorded == 1 and len(later.recorded) == 1
        assert reg.paid_total("F000001") == Decimal("1500.00")


def test_an_entry_dated_after_its_statement_is_reported(register: Path) -> None:
    """A credit booked after the statement's date is listed, not recorded."""
    late = Move("100.00", _ogm("F000001"), structured=True, booked_on=date(2026, 4, 20))
    with Register.open(register) as reg:
        result = import_statement(reg, read_statement(camt053([late])))
        assert result.recorded == () and "after the statement" in result.unmatched[0][1]


@FORMATS
def test_a_statement_of_another_account_is_refused(register: Path, tmp_path: Path,
                                                   build: Builder) -> None:
    """Exit 2 naming the account; nothing recorded."""
    path = tmp_path / "other.stmt"
    path.write_bytes(build(_mix(), account="BE68539007547034"))
    code, out, err = run_cli(["pay", "--statement", str(path), "--register", str(register)])
    assert code == 2 and out == "" and "BE68539007547034" in err and err.count("\n") == 1
    with Register.open(register, read_only=True) as reg:
        assert reg.payments() == []


def test_a_statement_dated_after_today_is_refused(register: Path, tmp_path: Path) -> None:
    """A statement from the future is a wrong file or a wrong clock: exit 2."""
    path = tmp_path / "future.xml"
    path.write_bytes(camt053(_mix(), day=date(2027, 1, 5)))
    code, _, err = run_cli(["pay", "--statement", str(path), "--register", str(register)])
    assert code == 2 and "2027-01-05" in err


def test_the_format_comes_from_the_content_not_the_name(register: Path, tmp_path: Path) -> None:
    """A camt.053 named .cod and a CODA named .xml are both read right."""
    (tmp_path / "a.cod").write_bytes(camt053(_mix()[:1]))
    (tmp_path / "b.xml").write_bytes(coda(_mix()[1:2]))
    assert read_statement((tmp_path / "a.cod").read_bytes()).format == "camt.053.001.02"
    assert read_statement((tmp_path / "b.xml").read_bytes()).format == "CODA"


def test_other_messages_and_dtds_are_refused() -> None:
    """A camt.054, a DTD, and text that is neither format: one clear error each."""
    notification = camt053([]).replace(b"camt.053.001.02", b"camt.054.001.02")
    with pytest.raises(InvalidValue, match=r"camt\.054"):
        read_statement(notification)
    with pytest.raises(InvalidValue, match="DTD"):
        read_statement(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>')
    with pytest.raises(InvalidValue, match="neither a CODA"):
        read_statement(b"hello")


# -- the shared real statements -------------------------------------------------------

def _shared(name: str) -> Path:
    path = SHARED_BANK / name
    if not path.is_file():
        pytest.skip(f"../shared/data/bank/{name} is not beside the checkout")
    return path


def test_the_febelfin_coda_sample_parses_and_pays_nothing_of_ours(register: Path) -> None:
    """Tryton's sample: 59 movements of a KBC account; refused for the account, and
    even read as ours nothing in it matches an invoice."""
    path = _shared("febelfin-coda-sample.cod")
    statement = read_statement(path.read_bytes(), path.name)
    assert (statement.format, statement.account, len(statement.entries)) == (
        "CODA", "BE47435000000080", 59)
    code, _, err = run_cli(["pay", "--statement", str(path), "--register", str(register)])
    assert code == 2 and "BE47435000000080" in err and err.count("\n") == 1
    with Register.open(register) as reg:
        ours = attrs.evolve(statement, account="BE86375111750850")
        result = import_statement(reg, ours)
        credits = [e for e in statement.entries if e.can_pay]
        assert result.recorded == () and len(result.unmatched) == len(credits) == 29
        assert result.ignored == 59 - 29 and reg.payments() == []
        names = {e.name for e, _ in result.unmatched}
        assert "Olgerdin Egill Skallagrims" in names


def test_the_oca_camt053_sample_parses_and_is_refused_for_its_account(register: Path) -> None:
    """OCA's sample: a debit, a reversed batch and a credit without reference."""
    path = _shared("oca-camt053-sample.xml")
    statement = read_statement(path.read_bytes(), path.name)
    assert statement.account == "NL77ABNA0574908765" and len(statement.entries) == 3
    code, _, err = run_cli(["pay", "--statement", str(path), "--register", str(register)])
    assert code == 2 and "NL77ABNA0574908765" in err
    with Register.open(register) as reg:
        result = import_statement(reg, attrs.evolve(statement, account="BE86375111750850"))
        assert result.ignored == 2 and result.recorded == ()
        [(entry, why)] = result.unmatched
        assert (entry.amount, entry.name, why) == (
            Decimal("1405.31"), "3rd party Media", "no structured communication")


def test_the_odoo_coda_sample_is_refused_as_inconsistent(register: Path) -> None:
    """Its balance records name different accounts: one clear line, exit 2."""
    path = _shared("odoo-l10n_be_coda-sample.cod")
    code, out, err = run_cli(["pay", "--statement", str(path), "--register", str(register)])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "inconsistent CODA" in err and "BE33737018595246" in err and "Traceback" not in err


# -- concurrency -----------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["coda", "camt053", "csv"])
def test_two_processes_importing_the_same_statement_record_each_payment_once(
        register: Path, tmp_path: Path, kind: str) -> None:
    """Started together, again and again: every entry is recorded exactly once."""
    moves = [*_mix()[:3], Move("7000.00", _ogm("F000001"), structured=True)]
    if kind == "csv":
        path = tmp_path / "bank.csv"
        path.write_text("date,amount,communication\n" + "".join(
            f"2026-04-10,{m.amount},{_typed('F000001')}\n" for m in moves[:2]) + "".join(
            f"2026-04-10,{m.amount},{_typed('F000002')}\n" for m in moves[:2]))
        option, expected = "--bank-csv", 4
    else:
        path = tmp_path / f"statement.{kind}"
        path.write_bytes((coda if kind == "coda" else camt053)(moves))
        option, expected = "--statement", 4
    for attempt in range(4):
        copy = tmp_path / f"r{attempt}.sqlite3"
        shutil.copy(register, copy)
        processes = [cli_process(["pay", option, str(path), "--register", str(copy), "--json"])
                     for _ in range(2)]
        results = [p.communicate(timeout=120) for p in processes]
        assert [p.returncode for p in processes] == [0, 0], results
        with Register.open(copy, read_only=True) as reg:
            assert len(reg.payments()) == expected
            assert reg.verify() == []


# -- properties ------------------------------------------------------------------------

@given(st.integers(min_value=1, max_value=999_999))
def test_a_typed_structured_communication_is_found_with_its_check_digits(counter: int) -> None:
    """+++ddd/dddd/ddddd+++ in any free text is found; a wrong check digit is not."""
    number = f"F{counter:06d}"
    digits = _ogm(number)
    assert find_structured_communication(f"betaling {_typed(number)} gemeente") == digits
    wrong = digits[:10] + f"{(int(digits[10:]) % 97) + 1:02d}"
    assert find_structured_communication(
        f"+++{wrong[:3]}/{wrong[3:7]}/{wrong[7:]}+++") is None


def test_a_coda_file_of_several_statements_reads_each(register: Path) -> None:
    """Two daily statements of our account in one file: every movement read, each
    identity distinct; two accounts in one file are refused."""
    first = coda(_mix()[:2], sequence=1, day=date(2026, 4, 9))
    second = coda(_mix()[2:3], sequence=2, day=date(2026, 4, 10))
    statement = read_statement(first + second)
    assert (statement.number, statement.date, len(statement.entries)) == (
        "001,002", date(2026, 4, 10), 3)
    assert len({e.entry for e in statement.entries}) == 3
    with pytest.raises(InvalidValue, match="several accounts"):
        read_statement(first + coda(_mix()[2:3], account="BE68539007547034"))
