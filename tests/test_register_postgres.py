"""The shared register (issue 10): PostgreSQL roles, moving a register, events, many writers.

The register behaviour itself (numbering, immutability, chain, tamper
detection, the state machine, kill -9 and racing runs) runs on both backends
in test_register.py, test_register_machine.py and test_crash_and_race.py;
this file holds what only a server has or what crosses backends.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from _portfolios import cli_process, gapless, run_cli, write_csv
from _registers import as_user, raw_connection
from factories import ISSUE_EXAMPLE_TOML, agreement, buyer, kbo

from mbp_billing.documents import Document, canonical_json
from mbp_billing.errors import AccessDenied, InvalidValue, RegisterConflict
from mbp_billing.issuing import credit_invoice, issue_invoice
from mbp_billing.register import SCHEMA_VERSION, Register, copy_register, init_register
from mbp_billing.register_backends import EVENTS_CHANNEL, ISSUER_ROLE, READER_ROLE

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (the postgres extra)")


def _stub_render(document: Document, locale: str = "nl_BE") -> tuple[bytes, bytes]:
    digest = hashlib.sha256(canonical_json(document.to_record()).encode()).hexdigest().encode()
    return b"%PDF-stub " + digest, b"<xml>" + digest + b"</xml>"


@pytest.fixture
def stub_render() -> Iterator[None]:
    """Renderings replaced by bytes derived from the content (the register stores them opaque)."""
    with mock.patch("mbp_billing.issuing.render_files", _stub_render):
        yield


def _user(url: str, name: str, group: str) -> str:
    """A login role ``name`` in ``group``, and the URL of the same register as it."""
    with raw_connection(url) as admin:
        exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        if not exists:
            admin.execute(f"CREATE ROLE {name} LOGIN IN ROLE {group}")
    return as_user(url, name)


def _schema(url: str) -> str:
    return url.rsplit("%3D", 1)[-1] if "search_path" in url else "public"


# -- roles ----------------------------------------------------------------------------


def test_init_creates_the_schema_and_two_group_roles(postgres_url: str) -> None:
    """register init: tables, and NOLOGIN roles with exactly their privileges (reused later)."""
    init_register(postgres_url)
    assert init_register(postgres_url) == []  # a second time: nothing new, no error
    with raw_connection(postgres_url) as admin:
        roles = dict(admin.execute("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname "
                                   "IN (%s, %s)", (ISSUER_ROLE, READER_ROLE)).fetchall())
        privileges = {
            (role, table): sorted(p for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
                                  if admin.execute("SELECT has_table_privilege(%s, %s, %s)",
                                                   (role, table, p)).fetchone()[0])
            for role in (ISSUER_ROLE, READER_ROLE)
            for table in ("documents", "files", "payments", "events")}
        may_create = admin.execute("SELECT has_schema_privilege(%s, current_schema(), "
                                   "'CREATE')", (ISSUER_ROLE,)).fetchone()[0]
    assert roles == {ISSUER_ROLE: False, READER_ROLE: False}
    for (role, _), granted in privileges.items():
        assert granted == (["INSERT", "SELECT"] if role == ISSUER_ROLE else ["SELECT"])
    assert not may_create


def test_a_reader_is_refused_invoice_with_a_clear_message(postgres_url: str,
                                                          tmp_path: Path) -> None:
    """The reader role may read the ledger and events but `invoice` exits 2, writing nothing."""
    init_register(postgres_url)
    issuer = _user(postgres_url, "clerk", ISSUER_ROLE)
    reader = _user(postgres_url, "auditor", READER_ROLE)
    code, _, err = run_cli(["invoice", "--example", "--year", "2024", "--date", "2024-07-10",
                            "--register", issuer, "--out", str(tmp_path / "a")])
    assert code == 0, err

    code, out, err = run_cli(["invoice", "--example", "--year", "2025", "--date", "2025-07-10",
                              "--register", reader, "--out", str(tmp_path / "b")])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "role auditor may not INSERT into table documents" in err
    assert f"grant it {ISSUER_ROLE}" in err
    assert not (tmp_path / "b").exists()

    code, out, err = run_cli(["ledger", "--register", reader, "--format", "json"])
    assert code == 0, err
    assert [r["number"] for r in json.loads(out)] == ["F000001"]
    code, _, err = run_cli(["pay", "F000001", "--amount", "1.00", "--date", "2024-08-01",
                            "--register", reader])
    assert code == 2 and "may not INSERT into table payments" in err
    with Register.open(issuer) as reg:
        assert reg.next_number("F") == "F000002"  # no number used by the refusals
        assert [e.number for e in reg.events()] == ["F000001"]


def test_the_issuer_cannot_alter_history(postgres_url: str) -> None:
    """UPDATE, DELETE, TRUNCATE and DDL are refused to the issuer by privilege."""
    init_register(postgres_url)
    issuer = _user(postgres_url, "clerk", ISSUER_ROLE)
    with Register.open(issuer) as reg:
        issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 5), register=reg)
        reg.record_payment("F000001", Decimal("10.00"), date(2024, 2, 1))
    with raw_connection(issuer) as raw:
        for sql in ("UPDATE documents SET amount = '1.00'", "DELETE FROM payments",
                    "UPDATE events SET amount = '0.00'", "TRUNCATE files",
                    "ALTER TABLE documents DISABLE TRIGGER USER", "DROP TABLE events",
                    "CREATE TABLE shadow (x int)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                raw.execute(sql)
    with Register.open(postgres_url) as reg:
        assert reg.verify() == [] and len(reg.events()) == 2


def test_an_issuer_cannot_create_the_schema(postgres_url: str) -> None:
    """On an empty database the issuer is told to run `register init` as the owner."""
    with raw_connection(postgres_url) as admin:
        admin.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                      f"'{ISSUER_ROLE}') THEN CREATE ROLE {ISSUER_ROLE} NOLOGIN; END IF; END $$")
    with raw_connection(postgres_url) as admin:  # as on the public schema
        admin.execute(f"GRANT USAGE ON SCHEMA {_schema(postgres_url)} TO {ISSUER_ROLE}")
    issuer = _user(postgres_url, "clerk", ISSUER_ROLE)
    with pytest.raises(AccessDenied, match="register init URL"):
        Register.open(issuer)
    with pytest.raises(InvalidValue, match="holds no register yet"):
        Register.open(postgres_url, create=False)


# -- moving a register ------------------------------------------------------------------


def _ten_year_register(location: Path | str) -> None:
    """Ten years of billing for twelve buyers: invoices, credit notes, payments."""
    buyers = [agreement(buyer=buyer(kbo=kbo(n), name=f"Gemeente {n}"), signed_on=date(2023, 1, 5),
                        app_store_live_on=date(2023, 3, 1), play_store_live_on=date(2023, 3, 1))
              for n in range(12)]
    with Register.open(location) as reg:
        for year in range(2023, 2033):
            for a in buyers:
                issued = issue_invoice(a, year, issue_date=date(year, 3, 10), register=reg)
                reg.record_payment(issued.document.number, Decimal("100.00"),
                                   date(year, 4, 1), reference=f"r{year}")
            credit_invoice(reg.documents()[-1].number, reason="correction",
                           issue_date=date(year, 6, 1), register=reg, amount=Decimal("10.00"))


def _rows(location: Path | str) -> dict[str, list[tuple[Any, ...]]]:
    with raw_connection(location) as raw:
        return {t: [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                    for row in raw.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()]
                for t in ("documents", "files", "payments", "outputs", "events", "reminders")}


def test_copy_round_trips_a_ten_year_register(stub_render: None, postgres_url: str,
                                              tmp_path: Path) -> None:
    """SQLite -> PostgreSQL -> SQLite: every row and byte, the same chain head, verify clean."""
    source, back = tmp_path / "source.sqlite3", tmp_path / "back.sqlite3"
    _ten_year_register(source)
    there = copy_register(source, postgres_url)
    again = copy_register(postgres_url, back)
    with Register.open(source) as a, Register.open(postgres_url) as b, Register.open(back) as c:
        heads = {a.last_chain(), b.last_chain(), c.last_chain()}
        assert heads == {there.chain_head} == {again.chain_head}
        assert a.verify() == b.verify() == c.verify() == []
        assert len(a.documents()) == 130 and there.rows["payments"] == 120
        # The copy goes on numbering where the source stopped, on both.
        assert b.next_number("F") == a.next_number("F") == "F000121"
        b.record_payment("F000001", Decimal("1.00"), date(2033, 1, 5))
        assert [e.sequence for e in b.events()] == list(range(1, 252))
    original, returned = _rows(source), _rows(back)
    for table in original:
        assert original[table] == returned[table], table
    assert there.rows == again.rows == {"documents": 130, "files": 260, "payments": 120,
                                        "events": 250, "reminders": 0, "outputs": 0}


def test_copy_refuses_a_non_empty_target(stub_render: None, postgres_url: str,
                                         tmp_path: Path) -> None:
    """A target that holds anything is refused with exit 2 and left as it was."""
    source = tmp_path / "s.sqlite3"
    with Register.open(source) as reg:
        issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 5), register=reg)
    with Register.open(postgres_url) as reg:
        issue_invoice(agreement(), 2023, issue_date=date(2023, 7, 10), register=reg)
    code, out, err = run_cli(["register", "copy", str(source), postgres_url])
    assert (code, out) == (2, "") and "already holds 1 documents" in err
    with pytest.raises(RegisterConflict, match="already holds"):
        copy_register(postgres_url, source)
    with Register.open(postgres_url) as reg:
        assert [d.year for d in reg.documents()] == [2023]


def test_copy_to_an_empty_database_reuses_the_roles(stub_render: None, postgres_db: str,
                                                    postgres_url: str, tmp_path: Path) -> None:
    """`register copy` creates the schema and grants the existing roles: the issuer goes on."""
    init_register(postgres_db)  # the roles exist on the server
    source = tmp_path / "s.sqlite3"
    with Register.open(source) as reg:
        issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 5), register=reg)
    code, out, err = run_cli(["register", "copy", str(source), postgres_url, "--json"])
    assert code == 0, err
    assert json.loads(out)["rows"]["documents"] == 1
    issuer = _user(postgres_url, "clerk", ISSUER_ROLE)
    with Register.open(issuer) as reg:
        issue_invoice(agreement(), 2025, issue_date=date(2025, 1, 5), register=reg)
        assert [d.number for d in reg.documents()] == ["F000001", "F000002"]
        assert reg.verify() == []


# -- events -----------------------------------------------------------------------------


def test_events_are_gapless_and_only_committed_facts(register_location: Any,
                                                     stub_render: None) -> None:
    """A rolled-back issue leaves no event and no gap; --since is the cursor."""
    with Register.open(register_location) as reg:
        issue_invoice(agreement(), 2023, issue_date=date(2023, 7, 10), register=reg)
        with pytest.raises(ZeroDivisionError), reg.transaction():
            issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 5), register=reg)
            _ = 1 / 0
        issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 5), register=reg)
        reg.record_payment("F000002", Decimal("7000.00"), date(2024, 2, 1))
        events = reg.events()
        assert [(e.sequence, e.type, e.number) for e in events] == [
            (1, "invoice", "F000001"), (2, "invoice", "F000002"), (3, "payment", "F000002")]
        assert reg.events(since=1) == events[1:] and reg.events(since=3) == []
        assert all(e.time.endswith("Z") and len(e.time) == 20 for e in events)
    code, out, err = run_cli(["events", "--since", "1", "--json", "--register",
                              str(register_location)])
    assert code == 0, err
    assert [(r["sequence"], r["type"], r["amount"]) for r in json.loads(out)] == [
        (2, "invoice", "7000.00"), (3, "payment", "7000.00")]
    assert set(json.loads(out)[0]) == {"sequence", "type", "number", "buyer_kbo", "amount",
                                       "time"}


def test_notify_wakes_a_listener_at_commit(postgres_url: str, stub_render: None) -> None:
    """A LISTEN on the documented channel gets the sequence when the fact commits."""
    with psycopg.connect(postgres_url, autocommit=True) as listener, \
            Register.open(postgres_url) as reg:
        listener.execute(f"LISTEN {EVENTS_CHANNEL}")
        with reg.transaction():
            issue_invoice(agreement(), 2023, issue_date=date(2023, 7, 10), register=reg)
            assert list(listener.notifies(timeout=0.2, stop_after=1)) == []  # not before commit
        reg.record_payment("F000001", Decimal("5.00"), date(2023, 8, 1))
        got = [n.payload for n in listener.notifies(timeout=5, stop_after=2)]
    assert got == ["1", "2"]


def test_the_documented_consumer_runs(register_location: Any, stub_render: None) -> None:
    """docs/examples/events_consumer.py delivers every event once, resuming from its cursor."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "docs" / "examples"))
    try:
        import events_consumer
    finally:
        sys.path.pop(0)
    seen: list[tuple[int, str]] = []
    with Register.open(register_location) as reg:
        issue_invoice(agreement(), 2023, issue_date=date(2023, 7, 10), register=reg)
        cursor = events_consumer.consume(register_location, 0,
                                         lambda e: seen.append((e.sequence, e.type)),
                                         wait_seconds=0)
        reg.record_payment("F000001", Decimal("5.00"), date(2023, 8, 1))
        cursor = events_consumer.consume(register_location, cursor,
                                         lambda e: seen.append((e.sequence, e.type)),
                                         wait_seconds=0.1)
    assert cursor == 2 and seen == [(1, "invoice"), (2, "payment")]


# -- the PostgreSQL door ------------------------------------------------------------------


def test_a_url_without_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without psycopg a URL gives one clear line naming the postgres extra, exit 2."""
    monkeypatch.setitem(sys.modules, "psycopg", None)
    code, out, err = run_cli(["ledger", "--register", "postgresql://u:secret@db.invalid/x"])
    assert (code, out) == (2, "")
    assert "mbp_billing[postgres]" in err and "secret" not in err and err.count("\n") == 1


def test_the_environment_may_name_a_postgresql_register(postgres_url: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """$MBP_BILLING_REGISTER holding a URL selects PostgreSQL like --register does."""
    monkeypatch.setenv("MBP_BILLING_REGISTER", postgres_url)
    (tmp_path / "a.toml").write_text(ISSUE_EXAMPLE_TOML, encoding="utf-8")
    code, _, err = run_cli(["invoice", str(tmp_path / "a.toml"), "--year", "2024", "--date",
                            "2024-07-10", "--out", str(tmp_path)])
    assert code == 0, err
    with Register.open(postgres_url) as reg:
        assert reg.backend == "postgresql" and reg.next_number("F") == "F000002"
    assert not list(Path.cwd().glob("*.sqlite3"))


def test_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    """A server that does not answer: exit 2, one line, no password shown."""
    url = f"postgresql://u:secret@/x?host={tmp_path}&port=1"
    code, _, err = run_cli(["verify", "--register", url])
    assert code == 2 and err.count("\n") == 1 and "secret" not in err and "cannot be opened" in err


@pytest.mark.parametrize("command", [["register", "init"], ["verify", "--register"]])
def test_a_malformed_url_is_one_line_without_its_password(command: list[str]) -> None:
    """An unclosed IPv6 bracket: exit 2, one line, no traceback, the password hidden."""
    code, out, err = run_cli([*command, "postgresql://u:secret@[::1/x"])
    assert code == 2 and err.count("\n") == 1 and out == "", err
    assert "secret" not in err and "Traceback" not in err


# -- many writers ---------------------------------------------------------------------------


def test_ten_processes_issue_and_import_at_once(postgres_url: str, tmp_path: Path) -> None:
    """Six runs and four bank imports (two statements, each twice) at once: gapless numbers,
    each bank line recorded once, verify clean."""
    agreements = [agreement(buyer=buyer(kbo=kbo(n), name=f"Gemeente {n}")) for n in range(8)]
    csv_path = write_csv(agreements, tmp_path / "portfolio.csv")
    out = tmp_path / "out"
    base = ["--register", postgres_url, "--out", str(out), "--json"]
    first = cli_process(["run", str(csv_path), "--through", "2024", "--date", "2024-03-01",
                         *base])
    assert first.wait(timeout=120) == 0, first.communicate()[1]
    with Register.open(postgres_url) as reg:
        communications = {d.number: d.document.structured_communication  # type: ignore[attr-defined]
                          for d in reg.documents()}
    assert len(communications) == 16
    statements = []
    for i, chunk in enumerate(list(communications.items())[j::2] for j in range(2)):
        path = tmp_path / f"bank{i}.csv"
        path.write_text("date,amount,communication\n" + "".join(
            f"2024-03-{10 + i},100.00,{ogm}\n" for _, ogm in chunk), encoding="utf-8")
        statements.append(path)
    runs = [["run", str(csv_path), "--through", "2026", "--date", "2026-01-05", *base]
            for _ in range(6)]
    # Each statement imported twice at once: each bank line is recorded once.
    imports = [["pay", "--bank-csv", str(p), "--register", postgres_url, "--json"]
               for p in statements * 2]
    processes = [cli_process(argv) for argv in runs + imports]
    results = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0] * 10, [e for _, e in results]
    issued = [r["number"] for out_, _ in results[:6] for r in json.loads(out_)["issued"]]
    assert sorted(issued) == gapless("F", 32)[16:]  # each once, between all six
    assert sum(len(json.loads(o)["matched"]) for o, _ in results[6:]) == 16
    assert sum(len(json.loads(o)["already_recorded"]) for o, _ in results[6:]) == 16
    with Register.open(postgres_url) as reg:
        documents = reg.documents()
        assert [d.number for d in documents] == gapless("F", 32)
        assert len({(d.buyer_kbo, d.year, d.kind) for d in documents}) == 32
        assert len(reg.payments()) == 16
        assert [e.sequence for e in reg.events()] == list(range(1, 49))
        assert reg.verify() == []
    assert subprocess.run([sys.executable, "-m", "mbp_billing", "verify", "--register",
                           postgres_url, "--out", str(out)], capture_output=True,
                          check=False).returncode == 0


def test_reminders_on_postgresql_are_chained_announced_and_copied(postgres_url: str,
                                                                  tmp_path: Path) -> None:
    """remind on PostgreSQL: the letter is recorded, announced as an event, copied back intact."""
    with Register.open(postgres_url) as reg:
        issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 5), register=reg)
    code, out, err = run_cli(["remind", "--as-of", "2024-03-01", "--register", postgres_url,
                              "--out", str(tmp_path / "letters"), "--json"])
    assert code == 0, err
    assert [r["level"] for r in json.loads(out)["reminders"]] == [1]
    with Register.open(postgres_url) as reg:
        [letter] = reg.reminders()
        assert reg.reminder_pdf(letter.id)[:5] == b"%PDF-"
        assert [(e.type, e.number, str(e.amount)) for e in reg.events()][-1] == (
            "reminder", f"R{letter.id:06d}", str(letter.amount_open))
        assert reg.verify() == []
    back = tmp_path / "back.sqlite3"
    assert copy_register(postgres_url, back).rows["reminders"] == 1
    assert _rows(back) == _rows(postgres_url)
    with Register.open(back) as reg:
        assert reg.verify() == [] and reg.reminders()[0].chain == letter.chain


def test_a_rolled_back_reminder_leaves_no_hole_in_the_letters(register_location: Any,
                                                              stub_render: None) -> None:
    """A remind rolled back (crash, refused write) is no "deleted letter" on either backend:
    ids stay gapless like the event sequence (PostgreSQL's identity would skip one)."""
    from mbp_billing.dunning import remind

    with Register.open(register_location) as reg:
        issue_invoice(agreement(), 2024, issue_date=date(2024, 1, 5), register=reg)
        with pytest.raises(ZeroDivisionError), reg.transaction():
            assert len(remind(reg, as_of=date(2024, 3, 1)).sent) == 1
            _ = 1 / 0
        assert reg.reminders() == []
        [sent] = remind(reg, as_of=date(2024, 3, 1)).sent
        assert sent.id == 1 and [r.id for r in reg.reminders()] == [1]
        assert reg.events()[-1].number == "R000001"
        assert reg.verify() == []


def test_a_register_of_the_previous_release_moves_to_postgresql(postgres_url: str,
                                                                tmp_path: Path) -> None:
    """A first-release register is migrated forward (events table added) and copied intact."""
    old = Path(shutil.copy(Path(__file__).parent / "data" / "v1-register.sqlite3",
                           tmp_path / "old.sqlite3"))
    with Register.open(old, read_only=True) as reg:
        head, numbers = reg.last_chain(), [d.number for d in reg.documents()]
    assert numbers
    result = copy_register(old, postgres_url)
    with Register.open(old) as source, Register.open(postgres_url) as target:
        assert source.schema_version == target.schema_version == SCHEMA_VERSION
        assert [d.number for d in target.documents()] == numbers
        assert source.verify() == target.verify() == []
        assert source.last_chain() == target.last_chain() == result.chain_head
        assert source.events() == target.events() == []  # events start after the upgrade
        assert target.chain_contains(head)  # history not rewritten: the old head is in it
