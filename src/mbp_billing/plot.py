"""Charts for analysts (optional: ``pip install 'mbp_billing[plot]'``, matplotlib).

Each function takes a :class:`~mbp_billing.tables.Table` and returns the
matplotlib ``Figure``; it never shows or saves it itself (in a notebook the
figure displays on its own).  Money axes read in euros with nl_BE
separators (``€ 400.000``), legends sit beside the plot, never over the
bars, and the title is the table's: what is shown and as of when.  Amounts
become floats here, for drawing only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Final

from .population import PopulationTable
from .tables import Table
from .tariff import DEFAULT_TARIFF_BOOK, TariffBook

__all__ = [
    "plot_merger_effect",
    "plot_monthly_cash",
    "plot_monthly_revenue",
    "plot_population_vs_bounds",
    "plot_revenue_by_tier",
    "plot_what_if",
]

#: The locale of the numbers on the axes.
LOCALE: Final = "nl_BE"
_WIDE: Final = (9.0, 4.8)
# Month names fixed here, not from the process's locale (never the environment).
_MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                  "Dec")


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("charts need matplotlib: pip install 'mbp_billing[plot]'") from None
    return plt


def _euros(value: float) -> str:
    from babel.numbers import format_decimal

    sign = "-" if value < 0 else ""
    return f"{sign}€ {format_decimal(abs(round(value)), format='#,##0', locale=LOCALE)}"


def _euro_axis(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda value, _pos: _euros(value)))


def _legend_beside(ax: Any) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _finish(fig: Any, ax: Any, title: str) -> Any:
    ax.set_title(title, loc="left", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def _month_axis(ax: Any, months: Sequence[date]) -> list[int]:
    # One year: month names upright (the year is in the title); more: YYYY-MM turned.
    x = list(range(len(months)))
    if len({m.year for m in months}) == 1:
        ax.set_xticks(x, [_MONTHS[m.month - 1] for m in months])
    else:
        ax.set_xticks(x, [f"{m.year}-{m.month:02d}" for m in months])
        ax.tick_params(axis="x", labelrotation=90, labelsize=8)
    return x


def plot_revenue_by_tier(forecast_table: Table, *, title: str | None = None) -> Any:
    """Revenue per year stacked by tier, from :func:`~mbp_billing.analysis.forecast`.

    Args:
        forecast_table: a forecast (for a what-if, its ``amount`` is drawn).
        title: the chart's title; by default the table's.

    Returns:
        The matplotlib figure.
    """
    plt = _pyplot()
    years = sorted({r["year"] for r in forecast_table})
    tiers = sorted({r["tier"] or 0 for r in forecast_table})
    amounts = {(r["year"], r["tier"] or 0): float(r["amount"]) for r in forecast_table}
    fig, ax = plt.subplots(figsize=_WIDE)
    bottom = [0.0] * len(years)
    for tier in tiers:
        values = [amounts.get((y, tier), 0.0) for y in years]
        ax.bar([str(y) for y in years], values, bottom=bottom,
               label=f"tier {tier}" if tier else "stated fee")
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    _euro_axis(ax.yaxis)
    ax.set_ylabel("revenue per year")
    _legend_beside(ax)
    return _finish(fig, ax, title or forecast_table.title or "Revenue per year by tier")


def plot_what_if(forecast_table: Table, *, title: str | None = None) -> Any:
    """Baseline and what-if revenue per year side by side, with the difference
    written above each pair; from a :func:`~mbp_billing.analysis.forecast`
    with a scenario.

    Args:
        forecast_table: a forecast with ``baseline`` and ``difference``.
        title: the chart's title; by default the table's.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: the table has no ``baseline`` column (no scenario).
    """
    if "baseline" not in forecast_table.columns:
        raise ValueError("plot_what_if needs a forecast with a scenario (tariff=, amendments= "
                         "or go_live=); it has no baseline column")
    plt = _pyplot()
    years = sorted({r["year"] for r in forecast_table})
    base = [float(sum(r["baseline"] for r in forecast_table if r["year"] == y)) for y in years]
    new = [float(sum(r["amount"] for r in forecast_table if r["year"] == y)) for y in years]
    fig, ax = plt.subplots(figsize=_WIDE)
    x = list(range(len(years)))
    ax.bar([i - 0.2 for i in x], base, width=0.4, label="baseline", color="tab:gray")
    ax.bar([i + 0.2 for i in x], new, width=0.4, label="what-if", color="tab:blue")
    top = max([*base, *new, 1.0])
    for i, (b, n) in enumerate(zip(base, new, strict=True)):
        diff = n - b
        ax.annotate(("+" if diff >= 0 else "") + _euros(diff), (i, max(b, n)),
                    xytext=(0, 4), textcoords="offset points", ha="center", fontsize=8)
    ax.set_ylim(0, top * 1.12)
    ax.set_xticks(x, [str(y) for y in years])
    _euro_axis(ax.yaxis)
    ax.set_ylabel("revenue per year")
    _legend_beside(ax)
    return _finish(fig, ax, title or forecast_table.title)


def plot_merger_effect(effect_table: Table, year: int | None = None, *,
                       title: str | None = None) -> Any:
    """The revenue effect of each merger in one year, as horizontal bars;
    from :func:`~mbp_billing.analysis.merger_effect`.

    Args:
        effect_table: the merger effect per year.
        year: the year shown; by default the first in the table.
        title: the chart's title; by default one naming the year.

    Returns:
        The matplotlib figure.
    """
    plt = _pyplot()
    shown = year if year is not None else min(r["year"] for r in effect_table)
    rows = sorted((r for r in effect_table if r["year"] == shown), key=lambda r: r["effect"],
                  reverse=True)
    fig, ax = plt.subplots(figsize=(9.0, 0.35 * len(rows) + 1.6))
    colors = ["tab:orange" if r["tier_kept"] else "tab:red" for r in rows]
    ax.barh([r["merged_name"] for r in rows], [float(r["effect"]) for r in rows], color=colors)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color="tab:red", label="changes tier"),
                       Patch(color="tab:orange", label="keeps its largest\npredecessor's tier")],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.axvline(0, color="black", linewidth=0.8)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    _euro_axis(ax.xaxis)
    ax.set_xlabel(f"merged fee less the predecessors' fees apart, {shown}")
    ax.tick_params(axis="y", labelsize=8)
    return _finish(fig, ax, title or f"Revenue effect of the 2025 mergers in {shown}")


def plot_monthly_revenue(revenue_table: Table, *, title: str | None = None) -> Any:
    """Revenue recognised per month: invoices up, credit notes down, the net
    as a line; from :func:`~mbp_billing.revenue.monthly_revenue`.

    Args:
        revenue_table: the monthly revenue.
        title: the chart's title; by default the table's.

    Returns:
        The matplotlib figure.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=_WIDE)
    x = _month_axis(ax, revenue_table.column("month"))
    ax.bar(x, [float(v) for v in revenue_table.column("invoiced")], label="invoices",
           color="tab:blue")
    ax.bar(x, [float(v) for v in revenue_table.column("credited")], label="credit notes",
           color="tab:red")
    ax.plot(x, [float(v) for v in revenue_table.column("revenue")], color="black",
            marker="o", markersize=3, linewidth=1.2, label="revenue")
    ax.axhline(0, color="black", linewidth=0.6)
    _euro_axis(ax.yaxis)
    ax.set_ylabel("per month")
    _legend_beside(ax)
    return _finish(fig, ax, title or revenue_table.title)


def plot_monthly_cash(cash_table: Table, *, title: str | None = None) -> Any:
    """Cash per month: expected by due date beside received, and what is
    still open; from :func:`~mbp_billing.revenue.monthly_cash`.

    Args:
        cash_table: the monthly cash view.
        title: the chart's title; by default the table's.

    Returns:
        The matplotlib figure.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=_WIDE)
    x = _month_axis(ax, cash_table.column("month"))
    for offset, column, label, color in ((-0.27, "expected", "expected (due date)", "tab:gray"),
                                         (0.0, "received", "received", "tab:green"),
                                         (0.27, "open", "still open", "tab:red")):
        ax.bar([i + offset for i in x], [float(v) for v in cash_table.column(column)],
               width=0.27, label=label, color=color)
    _euro_axis(ax.yaxis)
    ax.set_ylabel("per month")
    _legend_beside(ax)
    return _finish(fig, ax, title or cash_table.title)


def plot_population_vs_bounds(table: PopulationTable, year: int, *, window: int = 3000,
                              tariff: TariffBook = DEFAULT_TARIFF_BOOK) -> Any:
    """Municipalities near a tier bound in ``year``: who could change tier.

    Args:
        table: the population figures.
        year: the year of the figures.
        window: how far from a bound (inhabitants) a municipality is shown.
        tariff: the tariff whose bounds are drawn.

    Returns:
        The matplotlib figure.
    """
    plt = _pyplot()
    from babel.numbers import format_decimal

    bounds = [t.max_population for t in tariff.for_year(year).tiers
              if t.max_population is not None]
    near = [sorted((m for m in table.municipalities(year)
                    if abs(m.population - bound) <= window), key=lambda m: m.population)
            for bound in bounds]
    height = max(4.0, 0.22 * max((len(n) for n in near), default=1) + 1.5)
    fig, axes = plt.subplots(1, len(bounds), figsize=(4.2 * len(bounds), height), squeeze=False)
    for ax, bound, shown in zip(axes[0], bounds, near, strict=True):
        ax.barh([m.name for m in shown], [m.population - bound for m in shown],
                color=["tab:red" if m.population > bound else "tab:blue" for m in shown])
        ax.axvline(0, color="black", linewidth=1)
        ax.set_xlim(-window, window)
        ticks = [-window, -window // 2, 0, window // 2, window]
        ax.set_xticks(ticks, [format_decimal(t, locale=LOCALE) for t in ticks], fontsize=8)
        ax.set_title(f"bound {format_decimal(bound, locale=LOCALE)}", fontsize=10)
        ax.set_xlabel("inhabitants above (+) / below (-)")
        ax.tick_params(axis="y", labelsize=7)
    fig.suptitle(f"Municipalities within {format_decimal(window, locale=LOCALE)} inhabitants "
                 f"of a tier bound, 1 January {year}", x=0.01, ha="left", fontsize=11)
    fig.tight_layout()
    return fig
