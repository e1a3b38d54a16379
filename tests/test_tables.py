"""Table values: typed DataFrames, nl_BE HTML display, slicing."""

from __future__ import annotations

import warnings
from datetime import date
from decimal import Decimal

import pytest

from mbp_billing import charges_table, example_portfolio, forecast
from mbp_billing.tables import Table


def test_forecast_pivots_and_plots_with_totals_equal_to_the_decimal_totals() -> None:
    """forecast(...).to_pandas().pivot_table(...).plot() works; totals match to the cent."""
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = forecast(example_portfolio(), range(2026, 2031))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pivot = table.to_pandas().pivot_table(index="year", columns="tier", values="amount",
                                              aggfunc="sum")
        ax = pivot.plot()
    assert len(ax.get_lines()) == 4
    plt.close(ax.figure)
    by_year = pivot.sum(axis=1)
    for year in range(2026, 2031):
        exact = sum((r["amount"] for r in table if r["year"] == year), Decimal(0))
        assert by_year[year] == exact and isinstance(by_year[year], Decimal)
    assert pivot.to_numpy().sum() == table.total("amount")
    assert pd.api.types.is_numeric_dtype(table.to_pandas()["amount"])


def test_dataframes_type_money_dates_and_categories() -> None:
    """Money exact and numeric, dates as dates, categories as categoricals, keys as names."""
    pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    charges = charges_table(example_portfolio(), 2026)
    df = charges.to_pandas()
    assert list(df.columns) == list(charges.columns)
    assert pd.api.types.is_datetime64_any_dtype(df["period_start"])
    assert isinstance(df["kind"].dtype, pd.CategoricalDtype)
    assert isinstance(df["tier"].dtype, pd.CategoricalDtype) and df["tier"].cat.ordered
    assert df["amount"].sum() == charges.total("amount")
    pl = pytest.importorskip("polars")
    frame = charges.to_polars()
    assert frame.schema["period_start"] == pl.Date and frame.schema["kind"] == pl.Categorical
    assert frame.schema["amount"] == pl.Decimal(18, 2)
    assert frame["amount"].sum() == charges.total("amount")


def test_html_formats_numbers_for_nl_be_with_labels_and_totals() -> None:
    """Amounts show as 406.000,00, right-aligned, under labels in words, with a totals row."""
    html = forecast(example_portfolio(), [2027])._repr_html_()
    assert '<td style="text-align:right">406.000,00</td>' in html
    assert ">Amount (EUR)</th>" in html and ">Agreements</th>" in html
    assert "<tfoot><tr><th" in html and ">1.370.000,00</th>" in html
    assert ">2027</td>" in html  # a year is a name, not a quantity: no separator


def test_slicing_gives_a_table() -> None:
    """A slice keeps columns, title and totals; an index gives one record."""
    t = Table(("month", "amount"), tuple((date(2026, m, 1), Decimal(m)) for m in range(1, 13)),
              title="t", totals=("amount",))
    part = t[:3]
    assert isinstance(part, Table) and part.title == "t" and part.total("amount") == 6
    assert t[-1] == {"month": date(2026, 12, 1), "amount": Decimal(12)}


def test_an_empty_table_still_has_typed_columns() -> None:
    """With no rows to tell, the library's own columns keep their types."""
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    df = forecast(example_portfolio(), []).to_pandas()
    assert str(df["amount"].dtype) == "decimal128(18, 2)[pyarrow]"
    assert pd.api.types.is_integer_dtype(df["year"])
