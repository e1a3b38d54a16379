"""Portfolio analysis for finance: charges, revenue forecasts, re-tiering.

Plain Python values (:class:`~mbp_billing.tables.Table`) that display in a
notebook and export to records, CSV, pandas or polars.

Examples:
    >>> from mbp_billing.examples import example_portfolio
    >>> f = forecast(example_portfolio(), range(2027, 2028))
    >>> [(r["tier"], r["agreements"]) for r in f]
    [(1, 116), (2, 78), (3, 62), (4, 14)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

import attrs

from .agreement import Agreement
from .population import PopulationTable
from .portfolio import Portfolio, PortfolioEntry
from .schedule import EndPolicy, build_schedule
from .tables import Table
from .tariff import DEFAULT_TARIFF_BOOK, TariffBook

__all__ = ["charges_table", "forecast", "retiering", "with_go_live"]


def with_go_live(portfolio: Portfolio, go_live: Mapping[str, date]) -> Portfolio:
    """A what-if copy: agreements keyed by buyer KBO (10 digits) or source go
    live in both stores on the given date."""
    entries = []
    for entry in portfolio:
        when = go_live.get(entry.buyer_kbo) or go_live.get(entry.source)
        if when is not None:
            entry = PortfolioEntry(entry.source, attrs.evolve(
                entry.agreement, app_store_live_on=when, play_store_live_on=when))
        entries.append(entry)
    return Portfolio(tuple(entries))


def charges_table(portfolio: Portfolio, through: int, *,
                  policy: EndPolicy = EndPolicy.NO_REFUND) -> Table:
    """Every charge of every agreement up to ``through``, one row each."""
    rows = []
    for entry in portfolio:
        buyer = entry.agreement.buyer
        for c in build_schedule(entry.agreement, through, policy=policy):
            rows.append((entry.source, buyer.kbo if buyer else None,
                         buyer.name if buyer else None, c.year, c.kind,
                         None if c.tier is None else c.tier.number, c.months, c.annual_fee,
                         c.amount, c.period_start, c.period_end))
    return Table(("source", "buyer_kbo", "buyer_name", "year", "kind", "tier", "months",
                  "annual_fee", "amount", "period_start", "period_end"), tuple(rows),
                 title=f"Charges through {through}")


def forecast(portfolio: Portfolio, years: Iterable[int], *,
             go_live: Mapping[str, date] | None = None,
             policy: EndPolicy = EndPolicy.NO_REFUND) -> Table:
    """Revenue by year and tier: the sum of the charges the rules imply.

    ``go_live`` gives what-if go-live dates for agreements not yet live
    (keyed by buyer KBO or source).  A stated fee (no tier) counts as tier
    ``None``.
    """
    wanted = sorted(set(years))
    if not wanted:
        return Table(("year", "tier", "agreements", "amount"), (), title="Forecast")
    book = with_go_live(portfolio, go_live) if go_live else portfolio
    groups: dict[tuple[int, int], tuple[int, Decimal]] = {}
    for entry in book:
        for c in build_schedule(entry.agreement, wanted[-1], policy=policy):
            if c.year not in wanted:
                continue
            key = (c.year, 0 if c.tier is None else c.tier.number)
            n, total = groups.get(key, (0, Decimal("0.00")))
            groups[key] = (n + 1, total + c.amount)
    rows = tuple((y, t or None, n, a) for (y, t), (n, a) in sorted(groups.items()))
    return Table(("year", "tier", "agreements", "amount"), rows,
                 title=f"Revenue forecast {wanted[0]}-{wanted[-1]}")


def _nis_of(entry: PortfolioEntry) -> str | None:
    ref = entry.agreement.buyer.reference if entry.agreement.buyer else None
    if ref and ref.startswith("MBP-") and ref[4:].isdigit():
        return ref[4:]
    return None


def retiering(table: PopulationTable, old_year: int, new_year: int, *,
              portfolio: Portfolio | None = None,
              tariff: TariffBook = DEFAULT_TARIFF_BOOK) -> Table:
    """Who changes tier when the figures of ``new_year`` replace ``old_year``'s.

    Without a portfolio: every municipality of ``new_year`` whose tier under
    its ``new_year`` figure differs from the tier under its ``old_year``
    figure (pre-merger codes follow their successor, predecessors summed).
    With a portfolio, only its agreements (matched by the NIS code in the
    buyer reference ``MBP-<nis>``), comparing the population figure each
    agreement records with the ``new_year`` figure, and the fee it pays now.  The revenue
    delta is the yearly difference an R9 amendment from ``new_year`` would make.
    """
    old_pop: dict[str, int] = {}
    for m in table.municipalities(old_year):
        code = table.successor(m.nis_code) if new_year >= 2025 > old_year else m.nis_code
        old_pop[code] = old_pop.get(code, 0) + m.population
    names = {m.nis_code: m.name for m in table.municipalities(new_year)}
    current: dict[str, Agreement | None] = {code: None for code in names}
    if portfolio is not None:
        current = {}
        for entry in portfolio:
            nis = _nis_of(entry)
            if nis is not None and nis in names:
                current[nis] = entry.agreement
    rows = []
    for code in sorted(current):
        new_population = table.population(code, new_year)
        agreement = current[code]
        if agreement is not None:
            # The agreement's own recorded figure is "before" (R1, R9).
            basis, _ = agreement.basis_for(new_year)
            if basis.population is None:
                continue  # a stated fee does not follow the population
            before: int | None = basis.population
        else:
            before = old_pop.get(code)
        if before is None:
            continue
        old_tier = tariff.tier_for(before, new_year)
        new_tier = tariff.tier_for(new_population, new_year)
        if old_tier.number == new_tier.number:
            continue
        fee_now = (agreement.annual_fee_for(new_year) if agreement is not None
                   else old_tier.annual_fee)
        rows.append((code, names[code], before, new_population, old_tier.number,
                     new_tier.number, fee_now, new_tier.annual_fee,
                     new_tier.annual_fee - fee_now))
    return Table(("nis_code", "name", f"population_{old_year}", f"population_{new_year}",
                  "tier_before", "tier_after", "fee_before", "fee_after", "delta"),
                 tuple(rows), title=f"Re-tiering {old_year} -> {new_year}")
