"""The register: gapless numbering, immutability, hash chain, payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from _registers import raw_connection, tamper
from factories import agreement, buyer, kbo

from mbp_billing.documents import Invoice
from mbp_billing.errors import RegisterConflict
from mbp_billing.issuing import credit_invoice, issue_invoice
from mbp_billing.register import GENESIS, Register, chain_hash, default_register_path
from mbp_billing.schedule import build_schedule


@pytest.fixture
def register(register_location: Any) -> Register:
    """A fresh register: an SQLite file, then a PostgreSQL database."""
    reg = Register.open(register_location)
    yield reg
    reg.close()


def _invoice(number: str, issue_date: date = date(2024, 1, 5)) -> Invoice:
    charge = build_schedule(agreement(), through=2024).for_year(2024)
    return Invoice.build(charge, buyer(), number=number, issue_date=issue_date)


def test_first_number_is_one(register: Register) -> None:
    """An empty register numbers from F000001."""
    assert register.next_number("F") == "F000001"
    assert register.next_number("C") == "C000001"


def test_insert_outside_transaction_is_refused(register: Register) -> None:
    """Writes happen only inside a transaction."""
    with pytest.raises(RuntimeError):
        register.insert(_invoice("F000001"), pdf=b"p", xml=b"x")


def test_insert_refuses_a_skipped_number(register: Register) -> None:
    """A number that is not the next one of its series is refused."""
    with pytest.raises(RegisterConflict, match="F000001"), register.transaction():
        register.insert(_invoice("F000002"), pdf=b"p", xml=b"x")
    assert register.documents() == []


def test_insert_refuses_a_backdated_document(register: Register) -> None:
    """A document dated before the latest of its series is refused."""
    with register.transaction():
        register.insert(_invoice("F000001", date(2024, 3, 1)), pdf=b"p", xml=b"x")
    with pytest.raises(RegisterConflict, match="2024-03-01"), register.transaction():
        register.insert(_invoice("F000002", date(2024, 2, 1)), pdf=b"p", xml=b"x")
    assert [d.number for d in register.documents()] == ["F000001"]


def test_failed_transaction_leaves_nothing(register: Register) -> None:
    """An error inside a transaction rolls back every write of it."""
    with pytest.raises(ZeroDivisionError), register.transaction():
        register.insert(_invoice("F000001"), pdf=b"p", xml=b"x")
        _ = 1 / 0
    assert register.documents() == []
    assert register.next_number("F") == "F000001"


def test_documents_are_never_updated_or_deleted(register: Register,
                                                register_location: Any) -> None:
    """The database itself refuses to update or delete an issued document, even for its owner."""
    with register.transaction():
        register.insert(_invoice("F000001"), pdf=b"p", xml=b"x")
    register.record_payment("F000001", Decimal("1.00"), date(2024, 1, 20))
    blob = "x'00'" if register.backend == "sqlite" else "'\\x00'::bytea"
    with raw_connection(register_location) as raw:
        for sql, refusal in (("UPDATE documents SET amount = '1.00'", "never updated"),
                             ("DELETE FROM documents", "never deleted"),
                             (f"UPDATE files SET data = {blob}", "never updated"),
                             ("DELETE FROM files", "never deleted"),
                             ("UPDATE payments SET amount = '0.01'", "never updated"),
                             ("DELETE FROM payments", "never deleted"),
                             ("UPDATE events SET amount = '0.00'", "never updated"),
                             ("DELETE FROM events", "never deleted")):
            with pytest.raises(Exception, match=refusal):
                raw.execute(sql)
        if register.backend == "postgresql":
            with pytest.raises(Exception, match="never deleted"):
                raw.execute("TRUNCATE events")
    assert register.verify() == []
    assert len(register.events()) == 2


def test_chain_links_each_document_to_the_previous(register: Register) -> None:
    """Each chain value seals the previous one, the content and both files."""
    with register.transaction():
        register.insert(_invoice("F000001"), pdf=b"p1", xml=b"x1")
        register.insert(_invoice("F000002"), pdf=b"p2", xml=b"x2")
    first, second = register.documents()
    assert first.prev_chain == GENESIS
    assert second.prev_chain == first.chain
    assert second.chain == chain_hash(first.chain, second.content_hash,
                                      second.pdf_sha256, second.xml_sha256)
    assert register.verify() == []


def test_verify_names_a_tampered_amount(register: Register, register_location: Any) -> None:
    """Changing a stored document's content breaks its hash and is named."""
    with register.transaction():
        register.insert(_invoice("F000001"), pdf=b"p", xml=b"x")
    tamper(register_location,
           "UPDATE documents SET content = replace(content, '7000.00', '700.00')")
    problems = register.verify()
    assert problems and all(p.number == "F000001" for p in problems)


def test_verify_names_a_tampered_file(register: Register, register_location: Any) -> None:
    """A flipped byte in a stored PDF is reported with its file name."""
    with register.transaction():
        register.insert(_invoice("F000001"), pdf=b"pdf-bytes", xml=b"x")
    tamper(register_location, "UPDATE files SET data = x'00' WHERE format = 'pdf'")
    assert [p.file for p in register.verify()] == ["F000001.pdf"]


def test_default_register_path_follows_the_environment() -> None:
    """The environment variable overrides the default register path."""
    assert default_register_path({}) == Path("mbp-billing-register.sqlite3")
    assert default_register_path({"MBP_BILLING_REGISTER": "/x/r.db"}) == Path("/x/r.db")


def test_payments_are_recorded_against_invoices(register: Register) -> None:
    """A payment is stored with its amount and date and read back."""
    with register.transaction():
        register.insert(_invoice("F000001"), pdf=b"p", xml=b"x")
    register.record_payment("F000001", Decimal("7000.00"), date(2024, 1, 20), reference="r")
    [payment] = register.payments("F000001")
    assert (payment.amount, payment.paid_on) == (Decimal("7000.00"), date(2024, 1, 20))


def test_many_issues_are_gapless(register_location: Any) -> None:
    """Forty buyers over three years give F000001..F000120 without a gap."""
    with Register.open(register_location) as reg:
        for year in (2023, 2024, 2025):
            for n in range(40):
                a = agreement(buyer=buyer(kbo=kbo(n), name=f"Gemeente {n}"))
                issue_invoice(a, year, issue_date=date(year, 7, 10), register=reg)
        numbers = [d.number for d in reg.documents()]
        assert numbers == [f"F{i:06d}" for i in range(1, 121)]
        credit_invoice("F000005", reason="test", issue_date=date(2025, 8, 1), register=reg)
        assert reg.verify() == []


def test_verify_names_a_tampered_or_deleted_payment(register: Register,
                                                    register_location: Any) -> None:
    """Payments are in the chain on both backends: a changed or removed one is named."""
    with register.transaction():
        register.insert(_invoice("F000001"), pdf=b"p", xml=b"x")
    register.record_payment("F000001", Decimal("100.00"), date(2024, 1, 20))
    register.record_payment("F000001", Decimal("200.00"), date(2024, 1, 21))
    head = register.last_chain()
    tamper(register_location, "UPDATE payments SET amount = '1000.00' WHERE id = 1", "payments")
    # ... and its event (the outbox) no longer agrees with it.
    assert [p.number for p in register.verify()] == ["payment 1", "event 2"]
    tamper(register_location, "DELETE FROM payments WHERE id = 2", "payments")
    problems = register.verify(expect_head=head)
    assert any(p.number is None and head in p.message for p in problems)


# -- verify reads the outbox (events) -------------------------------------------------

def _announced(register: Register) -> None:
    """Two invoices, a payment and its reversal, a reminder: events 1 to 5, verify clean."""
    with register.transaction():
        register.insert(_invoice("F000001"), pdf=b"p", xml=b"x")
        register.insert(_invoice("F000002"), pdf=b"p", xml=b"x")
    paid = register.record_payment("F000001", Decimal("100.00"), date(2024, 1, 20))
    register.reverse_payment(paid.id, reason="wrong invoice", on=date(2024, 1, 21))
    with register.transaction():
        register.insert_reminder({"buyer_kbo": register.documents()[1].buyer_kbo, "level": 1,
                                  "reminded_on": "2024-03-01", "invoices": ["F000002"],
                                  "amount_open": "7000.00"}, pdf=b"%PDF-")
    assert [(e.type, e.number, str(e.amount)) for e in register.events()] == [
        ("invoice", "F000001", "7000.00"), ("invoice", "F000002", "7000.00"),
        ("payment", "F000001", "100.00"), ("payment", "F000001", "-100.00"),
        ("reminder", "R000001", "7000.00")]
    assert register.verify() == []


@pytest.mark.parametrize(("sql", "expected"), [
    ("DELETE FROM events WHERE sequence = 2",
     ["event 2 is missing", "F000002: has no event"]),
    ("DELETE FROM events WHERE sequence = 4",
     ["event 4 is missing", "payment 2: has no event"]),
    ("DELETE FROM events WHERE sequence = 5", ["R000001: has no event"]),  # the last: no gap
    ("UPDATE events SET amount = '1.00' WHERE sequence = 1",
     ["event 1: disagrees with F000001: amount '1.00', recorded '7000.00'"]),
    ("UPDATE events SET type = 'credit_note' WHERE sequence = 2",
     ["event 2: disagrees with F000002: type 'credit_note', recorded 'invoice'"]),
    ("UPDATE events SET number = 'F000009' WHERE sequence = 2",
     ["event 2: announces a invoice of F000009 that is not in the register",
      "F000002: has no event"]),
    ("UPDATE events SET amount = '100.00' WHERE sequence = 4",  # a reversal is negative
     ["event 4: disagrees with payment 2: amount '100.00', recorded '-100.00'"]),
    ("UPDATE events SET buyer_kbo = '0000000000' WHERE sequence = 5",
     ["event 5: disagrees with R000001: buyer_kbo '0000000000'"]),
])
def test_verify_names_a_deleted_or_altered_event(register: Register, register_location: Any,
                                                 sql: str, expected: list[str]) -> None:
    """On both backends the outbox must match the facts one for one: a gap in the sequence,
    an event that disagrees with its fact or names none, a fact without its event."""
    _announced(register)
    tamper(register_location, sql, "events")
    problems = [str(p) for p in register.verify()]
    assert len(problems) == len(expected), problems
    for problem, words in zip(problems, expected, strict=True):
        assert words in problem


def test_verify_names_facts_whose_newest_events_were_removed(register: Register,
                                                       register_location: Any) -> None:
    """The newest events removed (no gap left): the facts they announced are named."""
    _announced(register)
    tamper(register_location, "DELETE FROM events WHERE sequence >= 3", "events")
    assert [str(p) for p in register.verify()] == [
        "payment 1: has no event in the outbox (its event was deleted or never written)",
        "payment 2: has no event in the outbox (its event was deleted or never written)",
        "R000001: has no event in the outbox (its event was deleted or never written)"]
