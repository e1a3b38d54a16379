"""The register for analysts: documents, payments, revenue and cash per month."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from factories import agreement, buyer, kbo
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import populations

from mbp_billing import (
    InvalidValue,
    Register,
    documents_table,
    monthly_cash,
    monthly_revenue,
    payments_table,
    spread_over_months,
)
from mbp_billing.documents import CreditNote, Invoice
from mbp_billing.schedule import build_schedule


def _issue(reg: Register, doc: Invoice | CreditNote) -> None:
    # Renderings are not what these tests are about: store empty files.
    with reg.transaction():
        reg.insert(doc, pdf=b"", xml=b"")


@given(cents=st.integers(0, 10**12), months=st.integers(1, 12))
@example(cents=1, months=12).via("less than a cent a month")
@example(cents=350000, months=6).via("a first year of six months")
def test_spread_sums_exactly_and_differs_by_a_cent_at_most(cents: int, months: int) -> None:
    """Monthly shares add up to the amount, and no two differ by more than a cent."""
    amount = Decimal(cents) / 100
    shares = spread_over_months(amount, months)
    assert len(shares) == months and sum(shares) == amount
    assert max(shares) - min(shares) <= Decimal("0.01")
    assert shares == sorted(shares, reverse=True)  # the leftover cents come first


@pytest.mark.parametrize("amount", [Decimal("1.005"), Decimal("1E+40"), Decimal("NaN"),
                                    "7_000", 3500.0])
def test_spread_refuses_what_is_no_amount_in_cents(amount: object) -> None:
    """A fraction of a cent is refused, never dropped; a huge or float amount too."""
    with pytest.raises(InvalidValue, match="amount"):
        spread_over_months(amount, 1)  # type: ignore[arg-type]


@given(
    year=st.integers(2024, 2027),
    live=st.lists(st.tuples(populations(200_000), st.integers(0, 800)), min_size=1, max_size=4),
    credits=st.lists(st.integers(0, 100), max_size=4),
)
@example(year=2024, live=[(32000, 400)], credits=[100]).via("a full credit note of a first year")
def test_monthly_revenue_of_a_year_is_its_invoices_minus_its_credit_notes(
        year: int, live: list[tuple[int, int]], credits: list[int]) -> None:
    """The twelve months of a year sum to the year's invoices less its credit notes,
    and the months outside the service period stay zero."""
    with tempfile.TemporaryDirectory() as folder, Register.open(Path(folder) / "r.db") as reg:
        invoiced = credited = Decimal("0.00")
        issue = date(year, 12, 31)
        invoices = []
        for i, (population, days) in enumerate(live):
            go_live = date(year - 1, 6, 1) + timedelta(days=days)
            a = agreement(signed_on=date(year - 2, 1, 1), population=population,
                          app_store_live_on=go_live, play_store_live_on=go_live,
                          buyer=buyer(kbo=kbo(i)))
            charges = [c for c in build_schedule(a, year) if c.year == year]
            if not charges:
                continue
            inv = Invoice.build(charges[0], a.buyer, number=reg.next_number("F"),
                                issue_date=issue)
            _issue(reg, inv)
            invoices.append(inv)
            invoiced += inv.total
        for inv, percent in zip(invoices, credits, strict=False):
            amount = (inv.total * percent / 100).quantize(Decimal("0.01"))
            if amount == 0:
                continue
            note = CreditNote.build(inv, number=reg.next_number("C"), issue_date=issue,
                                    reason="test", amount=amount)
            _issue(reg, note)
            credited += amount
        table = monthly_revenue(reg, [year])
        assert table.total("revenue") == invoiced - credited
        assert table.total("invoiced") == invoiced and table.total("credited") == -credited
        first = min((inv.line.period_start for inv in invoices), default=date(year, 1, 1))
        assert all(r["revenue"] == 0 for r in table if r["month"] < first.replace(day=1))


def _small_register(folder: Path) -> Path:
    path = folder / "register.sqlite3"
    a = agreement(buyer=buyer(kbo=kbo(1)))
    with Register.open(path) as reg:
        charges = build_schedule(a, 2024)
        first = Invoice.build(charges[0], a.buyer, number="F000001", issue_date=date(2023, 7, 10))
        second = Invoice.build(charges[1], a.buyer, number="F000002", issue_date=date(2024, 1, 5))
        _issue(reg, first)
        _issue(reg, second)
        _issue(reg, CreditNote.build(second, number="C000001", issue_date=date(2024, 1, 20),
                                     reason="wrong figure", amount="2000.00"))
        reg.record_payment("F000001", Decimal("3500.00"), date(2023, 8, 1))
        reg.record_payment("F000002", Decimal("1000.00"), date(2024, 2, 10))
    return path


def test_documents_and_payments_tables_read_without_writing(tmp_path: Path) -> None:
    """Both tables list the register's rows; the register file is not changed (SQLite
    may add its empty WAL companion files, which reading a WAL database needs)."""
    path = _small_register(tmp_path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    docs = documents_table(path)
    assert [r["number"] for r in docs] == ["F000001", "F000002", "C000001"]
    assert docs.total("signed_amount") == Decimal("3500.00") + Decimal("7000.00") - 2000
    assert docs[2]["credits"] == "F000002" and docs[2]["period_start"] == date(2024, 1, 1)
    pays = payments_table(f"sqlite:///{path}")
    assert [(r["number"], r["amount"], r["buyer_kbo"]) for r in pays] == [
        ("F000001", Decimal("3500.00"), kbo(1).replace(".", "")),
        ("F000002", Decimal("1000.00"), kbo(1).replace(".", ""))]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_payments_table_shows_reversals_and_nets_them_out(tmp_path: Path) -> None:
    """A reversal is a row with a negative amount, the id of the payment it undoes in
    ``reverses`` and its ``reason``; the amount total is net of it."""
    path = _small_register(tmp_path)
    with Register.open(path) as reg:
        reg.reverse_payment(2, reason="booked on the wrong invoice", on=date(2024, 2, 11))
    pays = payments_table(path)
    assert pays.columns[-2:] == ("reverses", "reason")
    assert [(r["id"], r["amount"], r["reverses"], r["reason"]) for r in pays] == [
        (1, Decimal("3500.00"), None, None), (2, Decimal("1000.00"), None, None),
        (3, Decimal("-1000.00"), 2, "booked on the wrong invoice")]
    assert pays.total("amount") == Decimal("3500.00")


def test_an_open_register_stays_open(tmp_path: Path) -> None:
    """Given an open Register, the tables read it and leave it open for the caller."""
    with Register.open(_small_register(tmp_path)) as reg:
        assert len(documents_table(reg)) == 3
        assert reg.next_number("F") == "F000003"


@pytest.mark.parametrize(("location", "words"), [
    # A PostgreSQL URL whose server is not there (a socket folder that does not
    # exist, so nothing is looked up on the network).
    ("postgresql:///billing?host=/nonexistent-mbp-billing", "cannot be opened"),
    ("no/such/register.sqlite3", "does not exist"),
])
def test_registers_that_cannot_be_read_are_refused(location: str, words: str) -> None:
    """A register whose database cannot be reached, or a missing file, is refused by name."""
    with pytest.raises(InvalidValue, match=words):
        documents_table(location)


def test_cash_per_month_follows_due_dates_and_payments(tmp_path: Path) -> None:
    """Expected by due month (less credit notes), received by payment month, open as of."""
    path = _small_register(tmp_path)
    cash = {r["month"]: r for r in monthly_cash(path, [2023, 2024], as_of=date(2024, 3, 1))}
    assert cash[date(2023, 8, 1)]["expected"] == Decimal("3500.00")
    assert cash[date(2023, 8, 1)]["received"] == Decimal("3500.00")
    assert cash[date(2023, 8, 1)]["open"] == 0
    # F000002 is due 2024-02-04: 7000 less the 2000 credited, 1000 paid.
    assert cash[date(2024, 2, 1)]["expected"] == Decimal("5000.00")
    assert cash[date(2024, 2, 1)]["received"] == Decimal("1000.00")
    assert cash[date(2024, 2, 1)]["open"] == Decimal("4000.00")
    earlier = {r["month"]: r for r in monthly_cash(path, [2024], as_of=date(2024, 1, 10))}
    assert earlier[date(2024, 2, 1)]["expected"] == Decimal("7000.00")  # no credit note yet
    assert earlier[date(2024, 2, 1)]["received"] == 0


def test_revenue_reverses_the_credited_months(tmp_path: Path) -> None:
    """A credit note of 2000 on a 2024 annual invoice lowers each 2024 month by 166.66-166.67."""
    table = monthly_revenue(_small_register(tmp_path), [2023, 2024])
    months = {r["month"]: r for r in table}
    assert months[date(2023, 6, 1)]["revenue"] == 0
    assert months[date(2023, 7, 1)]["revenue"] == Decimal("583.34")
    assert {months[date(2024, m, 1)]["credited"] for m in range(1, 13)} == {
        Decimal("-166.67"), Decimal("-166.66")}
    assert table.total("revenue") == Decimal("3500.00") + Decimal("5000.00")


def test_monthly_charts_read_in_euros_with_the_legend_beside(tmp_path: Path) -> None:
    """Monthly charts: euro tick labels (no 1e6 offset), the table's title, legend off the bars."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mbp_billing.plot import plot_monthly_cash, plot_monthly_revenue

    path = _small_register(tmp_path)
    for fig, table in (
            (plot_monthly_revenue(t := monthly_revenue(path, [2024])), t),
            (plot_monthly_cash(t := monthly_cash(path, [2024], as_of=date(2024, 3, 1))), t)):
        fig.canvas.draw()
        ax = fig.axes[0]
        assert ax.get_title(loc="left") == table.title and "2024" in table.title
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert all(text.startswith(("€", "-€")) for text in labels if text)
        assert ax.yaxis.get_offset_text().get_text() == ""
        legend = ax.get_legend().get_window_extent()
        assert legend.x0 >= ax.get_window_extent().x1  # beside the plot, not over the bars
        assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["Jan", "Feb"]
        plt.close(fig)
