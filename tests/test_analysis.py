"""Portfolio analysis: charges table, forecast, re-tiering, tables and charts."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import populations

from mbp_billing import Amendment, Portfolio, PortfolioEntry
from mbp_billing.analysis import (
    charges_table,
    explain_amount,
    forecast,
    merger_effect,
    mergers_table,
    retiering,
    what_if,
    with_go_live,
)
from mbp_billing.errors import InvalidValue
from mbp_billing.examples import example_portfolio
from mbp_billing.money import round_money
from mbp_billing.population import PopulationTable
from mbp_billing.schedule import build_schedule
from mbp_billing.tables import Table
from mbp_billing.tariff import DEFAULT_TARIFF, DEFAULT_TARIFF_BOOK

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
    scenario = forecast(portfolio, [2027], go_live=not_live)
    assert partial.rows == tuple(r[:4] for r in scenario.rows)
    assert scenario.total("difference") == scenario.total("amount") - scenario.total("baseline")


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
    html = t._repr_html_()
    assert "A &amp; B" in html and ">Amount (EUR)</th>" in html


def test_table_to_pandas_keeps_exact_amounts() -> None:
    """to_pandas gives exact decimal amounts under the record keys."""
    pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    df = forecast(example_portfolio(), [2027]).to_pandas()
    assert list(df.columns) == ["year", "tier", "agreements", "amount"]
    assert isinstance(df["amount"].iloc[0], Decimal)
    assert df["amount"].sum() == Decimal("1370000.00")


def test_charts_draw_bars_per_tier(table: PopulationTable) -> None:
    """The revenue chart has one bar series per tier; the bounds chart one panel per bound."""
    pytest.importorskip("matplotlib")
    from mbp_billing.plot import plot_population_vs_bounds, plot_revenue_by_tier

    fig = plot_revenue_by_tier(forecast(example_portfolio(), range(2026, 2028)))
    ax = fig.axes[0]
    assert len(ax.containers) == 4 and len(ax.containers[0]) == 2
    fig.canvas.draw()
    assert "€ 1.200.000" in [t.get_text() for t in ax.get_yticklabels()]
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1
    fig2 = plot_population_vs_bounds(table, 2026, window=500)
    assert len(fig2.axes) == 3
    names = {t.get_text() for t in fig2.axes[0].get_yticklabels()}
    assert "Aartselaar" in names  # 15,085 inhabitants: 85 above the first bound


# -- what-if (R1, R9) --------------------------------------------------------

from factories import agreement as make_agreement  # noqa: E402
from factories import buyer, kbo  # noqa: E402


@st.composite
def _portfolios(draw: st.DrawFn) -> Portfolio:
    entries = []
    for i in range(draw(st.integers(1, 5))):
        go_live = draw(st.dates(date(2022, 6, 1), date(2029, 12, 31)))
        stated = draw(st.booleans()) and draw(st.booleans())
        entries.append(PortfolioEntry(f"p.csv:{i + 2}", make_agreement(
            signed_on=date(2022, 1, 1), population=None if stated else draw(populations()),
            annual_fee="4321.00" if stated else None,
            app_store_live_on=go_live, play_store_live_on=go_live,
            amendments=draw(st.lists(st.builds(Amendment, st.integers(2024, 2030),
                                               population=populations()),
                                     max_size=2, unique_by=lambda a: a.from_year)),
            buyer=buyer(kbo=kbo(i)))))
    return Portfolio(tuple(entries))


@given(portfolio=_portfolios())
def test_ten_percent_from_2027_adds_ten_percent_of_the_affected_charges(
        portfolio: Portfolio) -> None:
    """A 10 % increase from 2027: no difference before 2027; from 2027 every charge priced by
    the tariff grows by 10 % (a pro-rated first year within the cent of its second rounding),
    and a stated fee does not move."""
    book = DEFAULT_TARIFF_BOOK.with_change(percent=10, from_year=2027)
    charges = charges_table(portfolio, 2030, tariff=book)
    for row in charges:
        ten_percent = row["baseline"] / 10
        if row["year"] < 2027 or row["tier"] is None:
            assert row["difference"] == 0
        elif row["months"] == 12:
            assert row["difference"] == ten_percent
        else:
            assert abs(row["difference"] - ten_percent) <= Decimal("0.01")
    table = forecast(portfolio, range(2025, 2031), tariff=book)
    affected = sum((r["baseline"] for r in charges if r["year"] >= 2027 and r["tier"]),
                   Decimal(0))
    prorated = sum(1 for r in charges if r["year"] >= 2027 and r["tier"] and r["months"] < 12)
    assert abs(table.total("difference") - affected / 10) <= Decimal("0.01") * prorated
    assert table.total("baseline") == forecast(portfolio, range(2025, 2031)).total("amount")


def test_a_what_if_tariff_is_an_explicit_amendment() -> None:
    """The what-if adds an R9 amendment with the population in force, and it explains itself."""
    p = Portfolio((PortfolioEntry("a.toml", make_agreement(
        amendments=[Amendment(2028, population=60000)])),))
    book = DEFAULT_TARIFF_BOOK.with_change(percent="-10", from_year=2027)
    a = what_if(p, tariff=book)[0].agreement
    assert [(x.from_year, x.population) for x in a.amendments] == [(2027, 32000), (2028, 60000)]
    assert a.annual_fee_for(2026) == Decimal("7000.00")
    assert a.annual_fee_for(2027) == Decimal("6300.00")
    assert a.annual_fee_for(2028) == Decimal("9000.00")
    text = explain_amount(p, "a.toml", 2028, tariff=book)
    assert "what-if: 2028 annual: 9000.00 EUR" in text and "difference: -1000.00 EUR" in text


def test_an_agreement_signed_after_the_change_gets_the_what_if_table_without_amendment() -> None:
    """Signed in 2028, after a change from 2027: priced under the what-if table, no amendment
    dated before its signing."""
    p = Portfolio((PortfolioEntry("late.toml", make_agreement(
        signed_on=date(2028, 3, 1), population=9000, app_store_live_on=date(2028, 5, 2),
        play_store_live_on=date(2028, 5, 2))),))
    book = DEFAULT_TARIFF_BOOK.with_change(percent=10, from_year=2027)
    a = what_if(p, tariff=book)[0].agreement
    assert a.amendments == ()
    assert charges_table(p, 2029, tariff=book).column("difference") == [
        Decimal("233.34"), Decimal("350.00")]  # 2566.67 - 2333.33, 3850 - 3500


def test_what_if_amendments_and_go_live_combine() -> None:
    """Amendments and go-live dates of a scenario show per year and tier against the baseline."""
    p = example_portfolio()
    late = next(e for e in p if e.agreement.billing_start is None)
    first = p[0]
    table = forecast(p, [2028], go_live={late.buyer_kbo: date(2027, 1, 5)},
                     amendments={first.source: Amendment(2028, annual_fee="1.00")})
    expected = (late.agreement.annual_fee_for(2028) + Decimal("1.00")
                - first.agreement.annual_fee_for(2028))
    assert table.total("difference") == expected
    assert next(r for r in table if r["tier"] is None)["amount"] == Decimal("1.00")


def test_percent_change_rounds_each_fee_once_and_refuses_floats() -> None:
    """Fees change by exact percentages, rounded half-up once; a float is refused."""
    book = DEFAULT_TARIFF_BOOK.with_change(percent="2.5", from_year=2027)
    assert [t.annual_fee for t in book.for_year(2027).tiers] == [
        round_money(Decimal("3587.50")), Decimal("5125.00"), Decimal("7175.00"),
        Decimal("10250.00")]
    assert book.for_year(2026) == DEFAULT_TARIFF_BOOK.for_year(2026)
    with pytest.raises(InvalidValue, match="not a float"):
        DEFAULT_TARIFF_BOOK.with_change(percent=2.5, from_year=2027)  # type: ignore[arg-type]


# -- the 2025 mergers ----------------------------------------------------------


def test_merger_view_lists_every_predecessor_and_its_successor(table: PopulationTable) -> None:
    """Every merged code of the shipped table appears, with each predecessor once."""
    view = mergers_table(table)
    assert sorted(r["nis_code"] for r in view) == sorted(old for old, _ in table.successors)
    lokeren = {r["name"]: r for r in view if r["merged_name"] == "Lokeren"}
    assert set(lokeren) == {"Lokeren", "Moerbeke"}
    assert lokeren["Moerbeke"]["fee"] == Decimal("3500.00")
    assert lokeren["Lokeren"]["merged_fee"] == Decimal("10000.00")
    assert not lokeren["Lokeren"]["tier_kept"]
    kept = {r["merged_name"] for r in view if r["tier_kept"]}
    assert "Wingene" in kept  # tier 2 before and after: the merger still loses Ruiselede's fee


def test_merger_effect_is_the_merged_fee_less_the_fees_apart(table: PopulationTable) -> None:
    """Each year's effect is the merged fee minus the predecessors' fees, same-tier included."""
    effect = merger_effect(table, range(2025, 2027))
    assert len(effect) == 2 * len({new for _, new in table.successors})
    for row in effect:
        assert row["effect"] == row["merged_fee"] - row["fees_apart"]
    wingene = next(r for r in effect if r["merged_name"] == "Wingene" and r["year"] == 2026)
    assert wingene["tier_kept"] and wingene["effect"] == Decimal("-3500.00")
    with pytest.raises(InvalidValue, match="2025"):
        merger_effect(table, [2024])


def test_what_if_and_merger_charts_say_what_they_show() -> None:
    """The what-if chart labels each year's difference; the merger chart has one bar a merger."""
    pytest.importorskip("matplotlib")
    from mbp_billing.plot import plot_merger_effect, plot_what_if

    book = DEFAULT_TARIFF_BOOK.with_change(percent=10, from_year=2027)
    fig = plot_what_if(forecast(example_portfolio(), [2026, 2027], tariff=book))
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert notes == ["+€ 0", "+€ 137.000"]
    with pytest.raises(ValueError, match="scenario"):
        plot_what_if(forecast(example_portfolio(), [2027]))
    fig = plot_merger_effect(merger_effect(years=[2026]))
    assert len(fig.axes[0].patches) == 13
    assert "2026" in fig.axes[0].get_title(loc="left")
