"""Portfolio analysis: charges table, forecast, re-tiering, tables and charts."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from mbp_billing.analysis import charges_table, forecast, retiering, with_go_live
from mbp_billing.examples import example_portfolio
from mbp_billing.population import PopulationTable
from mbp_billing.schedule import build_schedule
from mbp_billing.tables import Table
from mbp_billing.tariff import DEFAULT_TARIFF

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BOUNDS = (15_000, 25_000, 50_000)


@pytest.fixture(scope="module")
def table() -> PopulationTable:
    """The shipped Statbel figures."""
    return PopulationTable.builtin()


def _tier(population: int) -> int:
    return sum(population > b for b in BOUNDS) + 1  # R1: upper bounds inclusive


def test_forecast_equals_the_sum_of_the_schedules() -> None:
    """Forecast amounts per year are the schedules' charges summed, to the cent."""
    portfolio = example_portfolio()
    result = forecast(portfolio, range(2025, 2028))
    by_year: dict[int, Decimal] = {}
    for row in result:
        by_year[row["year"]] = by_year.get(row["year"], Decimal(0)) + row["amount"]
    for year in (2025, 2026, 2027):
        expected = sum((c.amount for e in portfolio for c in build_schedule(e.agreement, year)
                        if c.year == year), Decimal(0))
        assert by_year[year] == expected


def test_forecast_2027_covers_every_live_municipality_by_tier() -> None:
    """In 2027 every live agreement pays a full year, grouped by its tier."""
    portfolio = example_portfolio()
    live = [e for e in portfolio if e.agreement.billing_start is not None]
    rows = forecast(portfolio, [2027]).to_records()
    assert sum(r["agreements"] for r in rows) == len(live)
    fees = {t.number: t.annual_fee for t in DEFAULT_TARIFF.tiers}
    assert all(r["amount"] == fees[r["tier"]] * r["agreements"] for r in rows)


def test_what_if_go_live_adds_the_agreements_not_yet_live() -> None:
    """Giving the not-yet-live agreements a go-live brings all 285 into 2028."""
    portfolio = example_portfolio()
    not_live = {e.buyer_kbo: date(2027, 5, 10) for e in portfolio
                if e.agreement.billing_start is None}
    assert not_live
    rows = forecast(portfolio, [2028], go_live=not_live)
    assert sum(r["agreements"] for r in rows) == 285
    partial = forecast(with_go_live(portfolio, not_live), [2027])
    assert partial.to_records() == forecast(portfolio, [2027], go_live=not_live).to_records()


def _changes_from_raw_file(old: int, new: int) -> set[str]:
    text = (Path(__file__).resolve().parents[1] / "src" / "mbp_billing" / "data" /
            "flemish_municipalities_population.csv").read_text(encoding="utf-8")
    pops = {(r["nis_code"], int(r["reference_date"][:4])): int(r["population"])
            for r in csv.DictReader(io.StringIO(text))}
    return {code for (code, year), p in pops.items() if year == new
            and (code, old) in pops and _tier(pops[(code, old)]) != _tier(p)}


@pytest.mark.parametrize(("old", "new"), [(2022, 2023), (2023, 2024), (2025, 2026)])
def test_retiering_lists_exactly_the_changes_in_the_data(table: PopulationTable, old: int,
                                                         new: int) -> None:
    """The re-tiering report equals an independent count from the raw figures."""
    reported = {r["nis_code"] for r in retiering(table, old, new)}
    assert reported == _changes_from_raw_file(old, new)


def test_retiering_2025_to_2026_is_empty_and_agrees_with_the_boundary_cases(
        table: PopulationTable) -> None:
    """No municipality crosses a bound from 2025 to 2026; the 2024-2025 crossers are named."""
    assert len(retiering(table, 2025, 2026)) == 0
    names = [r["name"] for r in retiering(table, 2024, 2025)]
    assert names == ["Aartselaar", "Oud-Turnhout", "Opwijk", "Diest", "Buggenhout"]
    if not (SHARED / "tier_boundary_cases.csv").exists():
        pytest.skip("../shared/data/tier_boundary_cases.csv is not beside the checkout")
    rows = list(csv.DictReader((SHARED / "tier_boundary_cases.csv").open(encoding="utf-8")))
    side = {(r["nis_code"], r["threshold"], r["reference_date"][:4]): int(r["distance"]) > 0
            for r in rows}
    crossings = {k[0] for k, above in side.items() if k[2] == "2026"
                 and (k[0], k[1], "2025") in side and side[(k[0], k[1], "2025")] != above}
    assert crossings == set()


def test_retiering_of_a_portfolio_uses_each_agreements_figure(table: PopulationTable) -> None:
    """With a portfolio signed on 2024 figures, the 2025 crossers appear with their delta."""
    report = retiering(table, 2024, 2025, portfolio=example_portfolio(2024))
    by_name = {r["name"]: r for r in report}
    assert by_name["Diest"]["fee_before"] == Decimal("5000.00")
    assert by_name["Diest"]["delta"] == Decimal("2000.00")
    # The merged municipalities have no pre-2025 agreement in a 2024 portfolio here.
    assert all(r["tier_after"] != r["tier_before"] for r in report)


def test_charges_table_has_one_row_per_charge() -> None:
    """The charges table lists every scheduled charge with its buyer."""
    portfolio = example_portfolio()
    t = charges_table(portfolio, 2026)
    assert len(t) == sum(len(build_schedule(e.agreement, 2026)) for e in portfolio)
    assert set(t.columns) >= {"buyer_kbo", "year", "kind", "amount"}


def test_table_exports_round_trip() -> None:
    """Records, CSV and HTML show the same cells; CSV cells are spreadsheet-safe."""
    t = Table(("name", "amount"), (("=cmd()", Decimal("1.50")), ("A & B", Decimal("2.00"))))
    assert t.to_records() == [{"name": "=cmd()", "amount": Decimal("1.50")},
                              {"name": "A & B", "amount": Decimal("2.00")}]
    assert t.to_csv().splitlines() == ["name,amount", "'=cmd(),1.50", "A & B,2.00"]
    assert "A &amp; B" in t._repr_html_() and "<th>amount</th>" in t._repr_html_()


def test_table_to_pandas_keeps_exact_amounts() -> None:
    """to_pandas gives a DataFrame whose amounts are still Decimals."""
    pytest.importorskip("pandas")
    df = forecast(example_portfolio(), [2027]).to_pandas()
    assert list(df.columns) == ["year", "tier", "agreements", "amount"]
    assert isinstance(df["amount"].iloc[0], Decimal)


def test_charts_draw_bars_per_tier(table: PopulationTable) -> None:
    """The revenue chart has one bar series per tier; the bounds chart one panel per bound."""
    pytest.importorskip("matplotlib")
    from mbp_billing.plot import plot_population_vs_bounds, plot_revenue_by_tier

    fig = plot_revenue_by_tier(forecast(example_portfolio(), range(2026, 2028)))
    ax = fig.axes[0]
    assert len(ax.containers) == 4 and len(ax.containers[0]) == 2
    fig2 = plot_population_vs_bounds(table, 2026, window=500)
    assert len(fig2.axes) == 3
    names = {t.get_text() for t in fig2.axes[0].get_yticklabels()}
    assert "Aartselaar" in names  # 15,085 inhabitants: 85 above the first bound
