"""A hypothesis state machine over the register: issue, credit, pay, statements, reverse.

The rules drive the library API the way a year of billing would, with dates
that only move forward, and check after every step that numbers are
gapless per series, that at most one invoice per (buyer, year, kind) is
active, that no invoice is credited beyond its amount, that the ledger
accounts for every euro, and that ``verify()`` finds nothing.

Rendering is replaced by a stub that returns bytes derived from the
document's content: the register treats the renderings as opaque bytes, and
the real renderer (tested in ``test_render.py``) would make each step take
tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

from _statements import Move, camt053
from factories import agreement, buyer, kbo
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from mbp_billing.agreement import Agreement
from mbp_billing.documents import Document, canonical_json, counter_of, structured_communication
from mbp_billing.errors import NotBillable, RegisterConflict
from mbp_billing.issuing import credit_invoice, issue_invoice
from mbp_billing.ledger import build_ledger
from mbp_billing.register import Register
from mbp_billing.schedule import build_schedule
from mbp_billing.statements import Statement, import_statement, read_statement

AGREEMENTS: tuple[Agreement, ...] = (
    agreement(buyer=buyer(kbo=kbo(1), name="Gemeente Een")),  # live July 2023, 7000.00
    agreement(buyer=buyer(kbo=kbo(2), name="Gemeente Twee"), population=12000,
              app_store_live_on=date(2024, 3, 14), play_store_live_on=date(2024, 2, 1)),
    agreement(buyer=buyer(kbo=kbo(3), name="Gemeente Drie"), population=60000,
              notice_sent_on=date(2025, 5, 1)),  # ends 2025-12-31 (R7)
)
YEARS = (2023, 2024, 2025, 2026)


def _stub_render(document: Document, locale: str = "nl_BE") -> tuple[bytes, bytes]:
    content = canonical_json(document.to_record()).encode()
    digest = hashlib.sha256(content + locale.encode()).hexdigest().encode()
    return b"%PDF-stub " + digest, b"<xml>" + digest + b"</xml>"


Key = tuple[str, int, str]


class RegisterMachine(RuleBasedStateMachine):
    """The register against a plain model of what it should hold."""

    def __init__(self) -> None:
        super().__init__()
        self._patch = mock.patch("mbp_billing.issuing.render_files", _stub_render)
        self._patch.start()
        self.register = self.open_register()
        self.today = date(2023, 7, 3)
        self.invoices: dict[str, tuple[Key, Decimal]] = {}
        self.credited: dict[str, Decimal] = {}
        self.paid: dict[str, Decimal] = {}
        self.payments: list[int] = []
        self.statements: list[Statement] = []
        self.entries: set[str] = set()
        self.credit_notes: list[str] = []

    def open_register(self) -> Register:
        """A fresh, empty register for one example (SQLite in memory here)."""
        return Register.open(":memory:")

    def teardown(self) -> None:
        self.register.close()
        self._patch.stop()

    # -- model helpers -----------------------------------------------------------

    def _active(self, key: Key) -> list[str]:
        return [n for n, (k, amount) in self.invoices.items()
                if k == key and self.credited.get(n, Decimal("0.00")) < amount]

    def _remaining(self, number: str) -> Decimal:
        return self.invoices[number][1] - self.credited.get(number, Decimal("0.00"))

    # -- rules -------------------------------------------------------------------

    @rule(days=st.integers(min_value=0, max_value=400))
    def advance(self, days: int) -> None:
        """Time passes; every document is dated today, so dates ascend."""
        self.today = min(self.today + timedelta(days=days), date(2026, 12, 31))

    @rule(index=st.integers(min_value=0, max_value=len(AGREEMENTS) - 1),
          year=st.sampled_from(YEARS))
    def issue(self, index: int, year: int) -> None:
        """Issue (or re-issue) the invoice of a year: new only when none is active."""
        a = AGREEMENTS[index]
        assert a.buyer is not None
        charges = {c.year: c for c in build_schedule(a, 2026)}
        before = self.register.next_number("F")
        charge = charges.get(year)
        if charge is None or charge.earliest_invoice_date > self.today:
            try:
                issue_invoice(a, year, issue_date=self.today, register=self.register)
            except NotBillable:
                assert self.register.next_number("F") == before
                return
            raise AssertionError(f"{year} should not be billable on {self.today}")
        key = (a.buyer.kbo, year, charge.kind)
        active = self._active(key)
        issued = issue_invoice(a, year, issue_date=self.today, register=self.register)
        if active:
            assert not issued.new and [issued.stored.number] == active
        else:
            assert issued.new and issued.stored.number == before
            assert issued.stored.amount == charge.amount
            self.invoices[issued.stored.number] = (key, charge.amount)

    @precondition(lambda self: bool(self.invoices))
    @rule(data=st.data(), full=st.booleans())
    def credit(self, data: st.DataObject, full: bool) -> None:
        """Credit an invoice in full or in part; nothing beyond what remains."""
        number = data.draw(st.sampled_from(sorted(self.invoices)))
        remaining = self._remaining(number)
        if remaining <= 0:
            try:
                credit_invoice(number, reason="again", issue_date=self.today,
                               register=self.register)
            except RegisterConflict:
                return
            raise AssertionError(f"{number} was credited beyond its amount")
        cents = int(remaining * 100)
        amount = None if full else Decimal(data.draw(st.integers(1, cents))) / 100
        note = credit_invoice(number, reason="correction", issue_date=self.today,
                              register=self.register, amount=amount)
        expected = remaining if amount is None else amount
        assert note.stored.amount == expected and note.stored.credits == number
        self.credited[number] = self.credited.get(number, Decimal("0.00")) + expected
        self.credit_notes.append(note.stored.number)

    @precondition(lambda self: bool(self.invoices))
    @rule(data=st.data(), cents=st.integers(min_value=1, max_value=1_000_000))
    def pay(self, data: st.DataObject, cents: int) -> None:
        """Record a payment, possibly more than what is open."""
        number = data.draw(st.sampled_from(sorted(self.invoices)))
        amount = Decimal(cents) / 100
        if self.credited.get(number, Decimal("0.00")) >= self.invoices[number][1]:
            # Nothing is due on a fully credited invoice: refused, nothing recorded.
            try:
                self.register.record_payment(number, amount, self.today)
            except RegisterConflict:
                return
            raise AssertionError(f"a payment on fully credited {number} was recorded")
        payment = self.register.record_payment(number, amount, self.today)
        self.paid[number] = self.paid.get(number, Decimal("0.00")) + amount
        self.payments.append(payment.id)

    @precondition(lambda self: bool(self.invoices))
    @rule(data=st.data(), repeat=st.booleans())
    def statement(self, data: st.DataObject, repeat: bool) -> None:
        """Import a new camt.053 statement, or one imported before: each entry pays once."""
        if repeat and self.statements:
            statement = data.draw(st.sampled_from(self.statements))
        else:
            moves = []
            for _ in range(data.draw(st.integers(1, 3))):
                number = data.draw(st.sampled_from(sorted(self.invoices)))
                cents = data.draw(st.integers(1, 800_000))
                debit = data.draw(st.booleans())
                moves.append(Move(f"{'-' if debit else ''}{cents // 100}.{cents % 100:02d}",
                                  structured_communication(number), structured=True,
                                  booked_on=self.today))
            statement = read_statement(camt053(moves, day=self.today,
                                               statement_id=f"S{len(self.statements)}"))
            self.statements.append(statement)
        result = import_statement(self.register, statement)
        for entry in statement.entries:
            if not entry.can_pay:
                continue
            number = next(n for n in self.invoices if structured_communication(n)
                          == entry.structured)
            if entry.entry in self.entries:
                continue
            if self._remaining(number) <= 0:
                assert any(e.entry == entry.entry for e, _ in result.unmatched)
                continue
            self.entries.add(entry.entry)
            self.paid[number] = self.paid.get(number, Decimal("0.00")) + entry.amount
        assert result.chain_head == self.register.chain_head()

    @precondition(lambda self: bool(self.payments))
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        """Undo a payment with a recorded reversal; a second reversal is refused."""
        pid = data.draw(st.sampled_from(self.payments))
        [original] = [p for p in self.register.payments() if p.id == pid]
        self.register.reverse_payment(pid, reason="booked by mistake", on=self.today)
        self.paid[original.number] -= original.amount
        self.payments.remove(pid)
        try:
            self.register.reverse_payment(pid, reason="again", on=self.today)
        except RegisterConflict:
            pass
        else:
            raise AssertionError("a payment was reversed twice")

    # -- invariants ----------------------------------------------------------------

    @invariant()
    def numbers_are_gapless_per_series(self) -> None:
        """Each series counts 1, 2, 3, ... in order of issue."""
        series: dict[str, list[int]] = {}
        for d in self.register.documents():
            name, counter = counter_of(d.number)
            series.setdefault(name, []).append(counter)
        for counters in series.values():
            assert counters == list(range(1, len(counters) + 1))
        assert len(series.get("F", [])) == len(self.invoices)
        assert len(series.get("C", [])) == len(self.credit_notes)

    @invariant()
    def at_most_one_active_invoice_per_key(self) -> None:
        """Per (buyer, year, kind) at most one invoice is not fully credited."""
        keys = {key for key, _ in self.invoices.values()}
        for key in keys:
            assert len(self._active(key)) <= 1
            found = self.register.active_invoice(*key)
            assert (found.number if found else None) == next(iter(self._active(key)), None)

    @invariant()
    def credits_never_exceed_the_invoice(self) -> None:
        """What is credited on an invoice is at most its amount, as the model says."""
        for number, (_, amount) in self.invoices.items():
            credited = self.register.credited_total(number)
            assert credited == self.credited.get(number, Decimal("0.00")) <= amount

    @invariant()
    def ledger_accounts_for_every_euro(self) -> None:
        """Invoiced - credited = open + paid (paid capped at what was due), per invoice and in total."""
        ledger = build_ledger(self.register)
        rows = {r.number: r for r in ledger}
        invoiced = sum((a for _, a in self.invoices.values()), Decimal("0.00"))
        credits = sum((rows[n].amount for n in self.credit_notes), Decimal("0.00"))
        settled = Decimal("0.00")
        for number, (_, amount) in self.invoices.items():
            row = rows[number]
            net = amount - self.credited.get(number, Decimal("0.00"))
            paid = self.paid.get(number, Decimal("0.00"))
            assert (row.amount, row.credited, row.paid) == (
                amount, amount - net, paid)
            assert row.open == max(net - paid, Decimal("0.00"))
            settled += min(paid, net)
            expected: Any = ("overpaid" if paid > net else "credited" if net == 0
                             else "paid" if paid == net else "open")
            assert row.status == expected
            assert row.refund_due == max(paid - net, Decimal("0.00"))
        assert invoiced - credits == ledger.open_total + settled
        assert sum(r.paid for r in ledger) == sum(self.paid.values(), Decimal("0.00"))

    @invariant()
    def verify_finds_nothing(self) -> None:
        """The hash chain, numbering and stored files check out after every step."""
        assert self.register.verify() == []


RegisterMachine.TestCase.settings = settings(stateful_step_count=25)
TestRegisterMachine = RegisterMachine.TestCase


def test_register_machine_on_postgresql(postgres_server: Any, _postgres_shared_db: str) -> None:
    """The same machine against PostgreSQL: a fresh schema of one database per example."""
    schemas = itertools.count(1)

    class OnPostgres(RegisterMachine):
        def open_register(self) -> Register:
            schema = f"machine_{next(schemas)}"
            with postgres_server.connect(_postgres_shared_db) as admin:
                admin.execute(f"CREATE SCHEMA {schema}")
            return Register.open(postgres_server.database_url(_postgres_shared_db,
                                                              search_path=schema))

    run_state_machine_as_test(OnPostgres, settings=settings(stateful_step_count=25))
