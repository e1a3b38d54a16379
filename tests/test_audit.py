"""The audit: payments in the hash chain, kept heads, read-only opening, old registers."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from _portfolios import run_cli
from factories import agreement, buyer, kbo

from mbp_billing.errors import InvalidValue, RegisterConflict
from mbp_billing.issuing import issue_invoice
from mbp_billing.register import SCHEMA_VERSION, Register

V1_REGISTER = Path(__file__).parent / "data" / "v1-register.sqlite3"
TRIGGERS = ("documents_never_updated", "documents_never_deleted", "files_never_deleted",
            "payments_never_updated", "payments_never_deleted")


@pytest.fixture
def paid(tmp_path: Path) -> tuple[Path, Path, str]:
    """Three invoices with files in out/, then three payments; and the head after them."""
    register, out = tmp_path / "r.sqlite3", tmp_path / "out"
    for n in range(3):
        path = tmp_path / f"a{n}.toml"
        path.write_text(
            f'signed_on = 2023-02-10\npopulation = 32000\napp_store_live_on = 2023-06-20\n'
            f'play_store_live_on = 2023-07-03\n[buyer]\nname = "Gemeente {n}"\n'
            f'kbo = "{kbo(n)}"\nstreet = "Markt 1"\npostcode = "9999"\ncity = "Ergens"\n')
        code, _, err = run_cli(["invoice", str(path), "--year", "2026", "--date", "2026-03-02",
                                "--register", str(register), "--out", str(out)])
        assert code == 0, err
    head = ""
    for number in ("F000001", "F000002", "F000003"):
        code, stdout, err = run_cli(["pay", number, "--amount", "1000.00", "--date",
                                     "2026-04-01", "--register", str(register), "--json"])
        assert code == 0, err
        head = json.loads(stdout)["chain_head"]
    return register, out, head


def _tamper(register: Path, *sql: str) -> None:
    db = sqlite3.connect(register)
    for trigger in TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for statement in sql:
        db.execute(statement)
    db.commit()
    db.close()


def _verify_json(register: Path, *extra: str) -> tuple[int, dict[str, object]]:
    code, out, err = run_cli(["verify", "--register", str(register), "--json", *extra])
    assert err == ""
    return code, json.loads(out)


def test_verify_json_reports_ok_documents_head_and_problems(paid: tuple[Path, Path, str]) -> None:
    """verify --json: the four keys; the head is the one the last pay printed."""
    register, _, head = paid
    code, result = _verify_json(register)
    assert code == 0
    assert result == {"ok": True, "documents": 3, "chain_head": head, "problems": []}


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        (["UPDATE payments SET amount = '10.00' WHERE id = 2"],
         "payment 2: content does not match its hash"),
        (["DELETE FROM payments WHERE id = 2"],
         "payment 3: hash chain broken: previous link does not match"),
        (["INSERT INTO payments (number, amount, paid_on, source) "
          "VALUES ('F000002', '5000.00', '2026-04-02', 'manual')"],
         "payment 4: is not sealed in the hash chain"),
        (["INSERT INTO payments (id, number, amount, paid_on, source, content_hash, "
          "prev_chain, chain) SELECT 9, number, amount, paid_on, source, content_hash, "
          "prev_chain, chain FROM payments WHERE id = 1"],
         "payment 9: content does not match its hash"),
        (["UPDATE documents SET amount = '1.00' WHERE number = 'F000002'"],
         "F000002: column amount was altered"),
        (["DELETE FROM files WHERE number = 'F000002'",
          "DELETE FROM documents WHERE number = 'F000002'"],
         "F000003: hash chain broken: previous link does not match"),
        (["INSERT INTO documents (number, series, counter, type, buyer_kbo, year, kind, amount, "
          "issue_date, due_date, credits, content, content_hash, pdf_sha256, xml_sha256, "
          "prev_chain, chain) SELECT 'F000004', series, 4, type, buyer_kbo, year, kind, amount, "
          "issue_date, due_date, credits, content, content_hash, pdf_sha256, xml_sha256, "
          "prev_chain, chain FROM documents WHERE number = 'F000003'"],
         "F000004: hash chain forks"),
        (["DELETE FROM schema_version", "UPDATE payments SET amount = '10.00' WHERE id = 2"],
         "payment 2: content does not match its hash"),
    ],
    ids=["payment-changed", "payment-deleted", "payment-inserted", "payment-copied",
         "document-changed", "document-deleted", "document-inserted", "version-removed"],
)
def test_verify_names_rows_changed_deleted_or_inserted_behind_the_tools_back(
        paid: tuple[Path, Path, str], sql: list[str], named: str) -> None:
    """Dropping the triggers and editing the database by hand is found and named: exit 1."""
    register, out, _ = paid
    _tamper(register, *sql)
    code, stdout, _ = run_cli(["verify", "--register", str(register), "--out", str(out)])
    assert code == 1
    assert any(line.startswith(f"PROBLEM {named}") for line in stdout.splitlines()), stdout


def test_a_register_truncated_after_a_kept_head_fails_verify(
        paid: tuple[Path, Path, str]) -> None:
    """Removing the newest rows leaves a clean-looking chain; the kept head shows it."""
    register, _, head = paid
    # The newest payment and its event (the last in the outbox, so no gap) removed:
    _tamper(register, "DELETE FROM payments WHERE id = 3", "DROP TRIGGER events_never_deleted",
            "DELETE FROM events WHERE sequence = (SELECT MAX(sequence) FROM events)")
    assert _verify_json(register)[0] == 0  # a shorter chain is still a chain ...
    code, result = _verify_json(register, "--expect-head", head)
    assert code == 1 and result["ok"] is False  # ... but not the one kept
    assert any(f"kept chain head {head} is not in the register" in str(p)
               for p in result["problems"])  # type: ignore[attr-defined]


def test_an_empty_register_in_place_of_the_real_one_fails_verify(
        paid: tuple[Path, Path, str], tmp_path: Path) -> None:
    """A new empty register does not contain the kept head: exit 1."""
    _, _, head = paid
    empty = tmp_path / "empty.sqlite3"
    Register.open(empty).close()
    assert _verify_json(empty)[0] == 0
    assert _verify_json(empty, "--expect-head", head)[0] == 1


def test_an_earlier_head_is_still_in_the_chain(paid: tuple[Path, Path, str]) -> None:
    """Every head printed along the way stays valid as the register grows."""
    register, _, head = paid
    code, stdout, _ = run_cli(["pay", "F000001", "--amount", "1.00", "--date", "2026-04-02",
                               "--register", str(register), "--json"])
    assert code == 0 and json.loads(stdout)["chain_head"] != head
    assert _verify_json(register, "--expect-head", head)[0] == 0
    with Register.open(register, read_only=True) as reg:
        assert reg.chain_contains(head) and not reg.chain_contains("f" * 64)


def test_verify_without_out_checks_the_remembered_folder(paid: tuple[Path, Path, str],
                                                         tmp_path: Path) -> None:
    """The register knows where it wrote; a stray document-named file there is reported."""
    register, out, _ = paid
    os.chdir(tmp_path)  # no ./invoices here: only the remembered folder can be checked
    assert _verify_json(register)[0] == 0
    (out / "F000002.xml").write_bytes(b"<changed/>")
    (out / "F000007.pdf").write_bytes(b"%PDF-1.4 not ours")
    code, result = _verify_json(register)
    problems = [str(p) for p in result["problems"]]  # type: ignore[attr-defined]
    assert code == 1 and len(problems) == 2
    assert problems[0].startswith(f"F000002 {out.absolute() / 'F000002.xml'}: file does not match")
    assert problems[1].startswith(f"{out.absolute() / 'F000007.pdf'}: is named like a document")


def test_every_issuing_command_prints_the_chain_head(tmp_path: Path) -> None:
    """invoice, credit, run and pay --json each end with the head after them."""
    register = tmp_path / "r.sqlite3"
    path = tmp_path / "a.toml"
    path.write_text('signed_on = 2023-02-10\npopulation = 32000\napp_store_live_on = '
                    '2023-06-20\nplay_store_live_on = 2023-07-03\n[buyer]\nname = "G"\n'
                    f'kbo = "{kbo(1)}"\nstreet = "M 1"\npostcode = "9999"\ncity = "E"\n')
    heads = []
    for argv in (["invoice", str(path), "--year", "2023", "--date", "2023-07-10"],
                 ["credit", "F000001", "--reason", "test", "--amount", "100.00", "--date",
                  "2023-07-11"],
                 ["run", str(tmp_path), "--through", "2024", "--date", "2024-01-02"],
                 ["pay", "F000001", "--amount", "100.00", "--date", "2024-01-03"]):
        code, out, err = run_cli([*argv, "--register", str(register), "--out",
                                  str(tmp_path / "out"), "--json"] if argv[0] != "pay" else
                                 [*argv, "--register", str(register), "--json"])
        assert code == 0, err
        heads.append(json.loads(out)["chain_head"])
        with Register.open(register, read_only=True) as reg:
            assert heads[-1] == reg.chain_head()
    assert len(set(heads)) == 4


# -- read-only ---------------------------------------------------------------------------

def test_verify_and_ledger_never_create_a_register(tmp_path: Path) -> None:
    """A wrong path is an error (exit 2), and no file appears."""
    missing = tmp_path / "nope.sqlite3"
    for command in ("verify", "ledger"):
        code, _, err = run_cli([command, "--register", str(missing)])
        assert code == 2 and "does not exist" in err
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_copy_verifies(paid: tuple[Path, Path, str], tmp_path: Path) -> None:
    """A copy on read-only storage (file and folder without write permission) verifies,
    and its ledger is read; the copy stays byte for byte the same."""
    register, _, head = paid
    folder = tmp_path / "archive"
    folder.mkdir()
    copy = folder / "register.sqlite3"
    shutil.copy(register, copy)
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    copy.chmod(stat.S_IRUSR | stat.S_IRGRP)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        code, result = _verify_json(copy, "--expect-head", head)
        assert code == 0 and result["documents"] == 3
        code, ledger, err = run_cli(["ledger", "--register", str(copy), "--format", "json"])
        assert code == 0 and len(json.loads(ledger)) == 3, err
        with pytest.raises(InvalidValue, match="read-only"), \
                Register.open(copy, read_only=True) as reg, reg.transaction():
            pass
    finally:
        folder.chmod(stat.S_IRWXU)
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before


def _copy_with_unmerged_wal(register: Path, folder: Path) -> Path:
    """A copy of ``register`` and its -wal file, taken while a payment is only in the log."""
    keeper = sqlite3.connect(register)  # keeps the log from being merged at close
    keeper.execute("PRAGMA wal_autocheckpoint = 0")
    keeper.execute("SELECT COUNT(*) FROM documents").fetchone()
    with Register.open(register) as reg:
        reg.record_payment("F000001", Decimal("5.00"), date(2026, 4, 2))
    wal = register.with_name(register.name + "-wal")
    assert wal.stat().st_size > 0
    folder.mkdir()
    copy = folder / "register.sqlite3"
    shutil.copy(register, copy)
    shutil.copy(wal, folder / "register.sqlite3-wal")
    keeper.close()
    return copy


def test_read_only_fallback_refuses_a_register_with_an_unmerged_wal(
        paid: tuple[Path, Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On read-only storage the register is opened immutable, which ignores the -wal file:
    a non-empty one is refused, naming the file and the fix, instead of verifying stale
    data (a payment only in the log would be missing)."""
    register, _, _ = paid
    copy = _copy_with_unmerged_wal(register, tmp_path / "archive")
    real = sqlite3.connect

    class Unreadable(sqlite3.Connection):
        # What mode=ro gives where SQLite cannot make its -shm file: the first read fails.
        def execute(self, *args: object, **kwargs: object) -> sqlite3.Cursor:
            raise sqlite3.OperationalError("unable to open database file")

    def fail_plain(database: str, *args: object, **kwargs: object) -> sqlite3.Connection:
        if "mode=ro" in database and "immutable=1" not in database:
            return real(":memory:", factory=Unreadable)
        return real(database, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", fail_plain)
    with pytest.raises(InvalidValue) as caught:
        Register.open(copy, read_only=True)
    message = str(caught.value)
    assert f"{copy}-wal" in message and "writable" in message and "checkpointed" in message
    # An empty log holds nothing to miss: the immutable open goes ahead.
    (tmp_path / "archive" / "register.sqlite3-wal").write_bytes(b"")
    with Register.open(copy, read_only=True) as reg:
        assert len(reg.payments()) == 3


# -- registers of the previous version -------------------------------------------------

def test_verify_reads_the_events_of_a_migrated_register_from_the_upgrade_on(
        tmp_path: Path) -> None:
    """Facts from before the upgrade have no event and are not reported; those after it
    are, even a payment of the same invoice and amount as one from before."""
    copy = tmp_path / "old.sqlite3"
    shutil.copy(V1_REGISTER, copy)
    with Register.open(copy) as reg:
        reg.record_payment("F000001", Decimal("1500.00"), date(2023, 9, 1))  # as payment 1
        reg.record_payment("F000002", Decimal("100.00"), date(2024, 2, 1))
        assert [e.number for e in reg.events()] == ["F000001", "F000002"]
        assert reg.verify() == []
    _tamper(copy, "DROP TRIGGER events_never_deleted", "DELETE FROM events WHERE sequence = 2")
    with Register.open(copy, read_only=True) as reg:
        assert [str(p) for p in reg.verify()] == [
            "payment 4: has no event in the outbox (its event was deleted or never written)"]


def _documents_rows(path: Path) -> list[tuple[object, ...]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = db.execute("SELECT * FROM documents ORDER BY seq").fetchall()
    db.close()
    return rows


def test_a_register_of_the_previous_version_opens_and_verifies_unchanged(
        tmp_path: Path) -> None:
    """verify and ledger read a version-1 register without touching it."""
    copy = tmp_path / "old.sqlite3"
    shutil.copy(V1_REGISTER, copy)
    before = copy.read_bytes()
    with Register.open(copy, read_only=True) as reg:
        assert reg.schema_version == 1 and reg.verify() == []
        assert [(p.number, p.amount) for p in reg.payments()] == [
            ("F000001", Decimal("1500.00")), ("F000001", Decimal("2000.00"))]
        out = tmp_path / "invoices"
        out.mkdir()
        for d in reg.documents():
            for fmt in ("pdf", "xml"):
                (out / f"{d.number}.{fmt}").write_bytes(reg.file_bytes(d.number, fmt))
    os.chdir(tmp_path)  # the old default folder ./invoices
    code, result = _verify_json(copy)
    assert code == 0 and result["documents"] == 3
    code, ledger, _ = run_cli(["ledger", "--register", str(copy), "--format", "json"])
    assert code == 0 and json.loads(ledger)[0]["status"] == "paid"
    assert copy.read_bytes() == before


def test_the_read_commands_of_later_issues_read_a_previous_version_register(
        tmp_path: Path) -> None:
    """events, ledger --aging and ledger --buyer on a version-1 register: answers, unchanged."""
    copy = tmp_path / "old.sqlite3"
    shutil.copy(V1_REGISTER, copy)
    before = copy.read_bytes()
    code, out, err = run_cli(["events", "--register", str(copy), "--json"])
    assert (code, json.loads(out), err) == (0, [], "")
    for extra in (["--aging"], ["--buyer", "0207.123.407"]):
        code, out, err = run_cli(["ledger", "--register", str(copy), "--as-of", "2024-03-01",
                                  "--json", *extra])
        assert code == 0 and err == "" and json.loads(out)
    assert copy.read_bytes() == before


def test_the_first_write_migrates_forward_without_rewriting_history(tmp_path: Path) -> None:
    """A payment on an old register migrates it: documents untouched, old payments sealed,
    the old CSV import still recognised, verify clean."""
    copy = tmp_path / "old.sqlite3"
    shutil.copy(V1_REGISTER, copy)
    documents = _documents_rows(copy)
    csv = tmp_path / "bank.csv"
    csv.write_text("date,amount,communication\n2023-08-05,2000.00,+++000/0000/00101+++\n")
    code, out, err = run_cli(["pay", "--bank-csv", str(csv), "--register", str(copy),
                              "--json"])
    assert code == 0, err
    assert json.loads(out)["already_recorded"] == [2]
    with Register.open(copy) as reg:
        assert reg.schema_version == SCHEMA_VERSION
        payment = reg.record_payment("F000002", Decimal("100.00"), date(2024, 2, 1))
        assert payment.id == 3 and reg.verify() == []
    assert _documents_rows(copy)[:3] == documents
    _tamper(copy, "UPDATE payments SET amount = '1.00' WHERE id = 1")
    assert _verify_json(copy)[0] == 1  # the old payments are sealed now


# -- payments: exact, append-only, reversed not deleted --------------------------------

@pytest.fixture
def reg(tmp_path: Path) -> Iterator[Register]:
    with Register.open(tmp_path / "r.sqlite3") as register:
        issue_invoice(agreement(buyer=buyer(kbo=kbo(1))), 2024, issue_date=date(2024, 1, 10),
                      register=register)
        yield register


@pytest.mark.parametrize("amount", [Decimal("1.005"), "7000.001", 7000.0],
                         ids=["decimal", "text", "float"])
def test_a_payment_not_exact_to_the_cent_is_refused(reg: Register, amount: object) -> None:
    """1.005 is refused, not rounded, through the API as through the CLI."""
    with pytest.raises(InvalidValue, match="amount"):
        reg.record_payment("F000001", amount, date(2024, 1, 20))  # type: ignore[arg-type]
    assert reg.payments() == []


def test_a_payment_in_the_future_is_refused(reg: Register, tmp_path: Path) -> None:
    """After as_of (today, or the statement's date): refused by the API and the CLI."""
    with pytest.raises(InvalidValue, match="2024-02-02"):
        reg.record_payment("F000001", Decimal("10.00"), date(2024, 2, 2), as_of=date(2024, 2, 1))
    code, _, err = run_cli(["pay", "F000001", "--amount", "10.00", "--date", "2026-12-01",
                            "--register", str(reg.path)])
    assert code == 2 and "2026-12-01" in err and err.count("\n") == 1
    assert reg.payments() == []


def test_payments_are_never_updated_or_deleted(reg: Register) -> None:
    """The database itself refuses to change a recorded payment."""
    reg.record_payment("F000001", Decimal("10.00"), date(2024, 1, 20))
    db = sqlite3.connect(reg.path)
    for sql in ("UPDATE payments SET amount = '1.00'", "DELETE FROM payments"):
        with pytest.raises(sqlite3.IntegrityError, match="reversal"):
            db.execute(sql)
    db.close()


def test_a_mistaken_payment_is_undone_by_a_recorded_reversal(reg: Register) -> None:
    """pay --reverse keeps the payment, adds its opposite, and refuses a second time."""
    reg.record_payment("F000001", Decimal("7000.00"), date(2024, 1, 20))
    argv = ["pay", "--reverse", "1", "--date", "2024-01-21", "--register", str(reg.path)]
    code, _, err = run_cli(argv)
    assert code == 2 and "--reason" in err
    code, out, err = run_cli([*argv, "--reason", "paid by another municipality", "--json"])
    assert code == 0, err
    record = json.loads(out)
    assert (record["id"], record["amount"], record["reverses"], record["reason"]) == (
        2, "-7000.00", 1, "paid by another municipality")
    assert [p.amount for p in reg.payments()] == [Decimal("7000.00"), Decimal("-7000.00")]
    assert reg.paid_total("F000001") == Decimal("0.00") and reg.verify() == []
    code, _, err = run_cli([*argv, "--reason", "again"])
    assert code == 2 and "already reversed" in err
    with pytest.raises(InvalidValue, match="itself the reversal"):
        reg.reverse_payment(2, reason="x", on=date(2024, 1, 22))


def test_an_entry_recorded_before_is_refused_by_the_api(reg: Register) -> None:
    """record_payment with an entry identity already recorded raises, records nothing."""
    reg.record_payment("F000001", Decimal("10.00"), date(2024, 1, 20), entry="bank-1")
    with pytest.raises(RegisterConflict, match="already recorded"):
        reg.record_payment("F000001", Decimal("10.00"), date(2024, 1, 20), entry="bank-1")
    assert len(reg.payments()) == 1


def test_verify_checks_old_documents_in_the_default_folder_and_new_ones_where_written(
        tmp_path: Path) -> None:
    """After migration, documents of the previous version (no folder remembered) are
    checked in ./invoices, new ones in the folder they were written to."""
    copy = tmp_path / "old.sqlite3"
    shutil.copy(V1_REGISTER, copy)
    old_out = tmp_path / "invoices"
    old_out.mkdir()
    with Register.open(copy, read_only=True) as reg:
        for d in reg.documents():
            for fmt in ("pdf", "xml"):
                (old_out / f"{d.number}.{fmt}").write_bytes(reg.file_bytes(d.number, fmt))
    os.chdir(tmp_path)
    toml = tmp_path / "een.toml"
    toml.write_text('signed_on = 2023-02-10\npopulation = 32000\napp_store_live_on = '
                    '2023-06-20\nplay_store_live_on = 2023-07-03\n[buyer]\nname = "Gemeente '
                    'Een"\nkbo = "0207123407"\nstreet = "Markt 1"\npostcode = "9999"\n'
                    'city = "Een"\n')
    code, _, err = run_cli(["invoice", str(toml), "--year", "2025", "--date", "2025-01-02",
                            "--register", str(copy), "--out", str(tmp_path / "new")])
    assert code == 0, err
    assert _verify_json(copy) == (0, {"ok": True, "documents": 4, "chain_head": _head(copy),
                                      "problems": []})
    (old_out / "F000001.pdf").write_bytes(b"%PDF changed")
    (tmp_path / "new" / "F000003.xml").unlink()
    code, result = _verify_json(copy)
    assert code == 1 and [p.split(":")[0] for p in result["problems"]] == [  # type: ignore[attr-defined]
        f"F000003 {tmp_path / 'new' / 'F000003.xml'}", f"F000001 {Path('invoices/F000001.pdf')}"]


def _head(register: Path) -> str:
    with Register.open(register, read_only=True) as reg:
        return reg.chain_head()
