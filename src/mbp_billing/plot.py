"""Charts for analysts (optional: ``pip install 'mbp_billing[plot]'``, matplotlib).

Each function returns the matplotlib ``Figure`` and never shows or saves it
itself; in a notebook the figure displays on its own.
"""

from __future__ import annotations

from typing import Any

from .population import PopulationTable
from .tables import Table
from .tariff import DEFAULT_TARIFF_BOOK, TariffBook

__all__ = ["plot_population_vs_bounds", "plot_revenue_by_tier"]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("charts need matplotlib: pip install 'mbp_billing[plot]'") from None
    return plt


def plot_revenue_by_tier(forecast_table: Table) -> Any:
    """Revenue per year stacked by tier, from :func:`~mbp_billing.analysis.forecast`."""
    plt = _pyplot()
    years = sorted({r["year"] for r in forecast_table})
    tiers = sorted({r["tier"] or 0 for r in forecast_table})
    amounts = {(r["year"], r["tier"] or 0): float(r["amount"]) for r in forecast_table}
    fig, ax = plt.subplots(figsize=(8, 4.5))
    bottom = [0.0] * len(years)
    for tier in tiers:
        values = [amounts.get((y, tier), 0.0) for y in years]
        ax.bar([str(y) for y in years], values, bottom=bottom,
               label=f"tier {tier}" if tier else "stated fee")
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("EUR")
    ax.set_title("Revenue per year by tier")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_population_vs_bounds(table: PopulationTable, year: int, *, window: int = 3000,
                              tariff: TariffBook = DEFAULT_TARIFF_BOOK) -> Any:
    """Municipalities near a tier bound in ``year``: who could change tier."""
    plt = _pyplot()
    bounds = [t.max_population for t in tariff.for_year(year).tiers
              if t.max_population is not None]
    fig, axes = plt.subplots(1, len(bounds), figsize=(4 * len(bounds), 5), squeeze=False)
    for ax, bound in zip(axes[0], bounds, strict=True):
        near = sorted((m for m in table.municipalities(year)
                       if abs(m.population - bound) <= window), key=lambda m: m.population)
        ax.barh([m.name for m in near], [m.population - bound for m in near],
                color=["tab:red" if m.population > bound else "tab:blue" for m in near])
        ax.axvline(0, color="black", linewidth=1)
        ax.set_title(f"bound {bound:,} ({year})")
        ax.set_xlabel("inhabitants above (+) / below (-) the bound")
        ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    return fig
