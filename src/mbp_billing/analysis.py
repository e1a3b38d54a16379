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
    live in both stores on the given date.

    Args:
        portfolio: the agreements.
        go_live: the what-if go-live date by buyer enterprise number (10
            digits) or by source (``file`` or ``file:row``).

    Returns:
        A new portfolio; agreements not in ``go_live`` are unchanged.

    Examples:
        >>> from datetime import date
        >>> from mbp_billing import Portfolio
        >>> p = Portfolio.from_csv_text(
        ...     "signed_on,population,app_store_live_on,play_store_live_on,buyer_name,buyer_kbo,"
        ...     "buyer_street,buyer_postcode,buyer_city\\n"
        ...     "2023-02-10,32000,2023-06-20,2023-07-03,Gemeente A,0207.123.407,Markt 1,9999,A\\n"
        ...     "2024-05-01,12000,,,Gemeente B,0211.002.021,Markt 2,9998,B\\n", name="p.csv")
        >>> p[1].agreement.billing_start is None
        True
        >>> with_go_live(p, {"0211002021": date(2024, 9, 16)})[1].agreement.billing_start
        datetime.date(2024, 9, 1)
    """
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
    """Every charge of every agreement up to ``through``, one row each.

    Args:
        portfolio: the agreements.
        through: the last calendar year to include.
        policy: the R8 treatment of the year an agreement ends.

    Returns:
        A :class:`~mbp_billing.tables.Table` with columns ``source``,
        ``buyer_kbo``, ``buyer_name``, ``year``, ``kind``, ``tier``,
        ``months``, ``annual_fee``, ``amount``, ``period_start`` and
        ``period_end``.

    Examples:
        >>> from mbp_billing import Portfolio
        >>> p = Portfolio.from_csv_text(
        ...     "signed_on,population,app_store_live_on,play_store_live_on,buyer_name,buyer_kbo,"
        ...     "buyer_street,buyer_postcode,buyer_city\\n"
        ...     "2023-02-10,32000,2023-06-20,2023-07-03,Gemeente A,0207.123.407,Markt 1,9999,A\\n"
        ...     "2024-05-01,12000,,,Gemeente B,0211.002.021,Markt 2,9998,B\\n", name="p.csv")
        >>> t = charges_table(p, through=2024)
        >>> [(r["buyer_name"], r["year"], r["kind"], r["amount"]) for r in t]
        [('Gemeente A', 2023, 'first', Decimal('3500.00')), ('Gemeente A', 2024, 'annual', Decimal('7000.00'))]
    """
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

    Args:
        portfolio: the agreements.
        years: the calendar years to forecast.
        go_live: what-if go-live dates (see :func:`with_go_live`).
        policy: the R8 treatment of the year an agreement ends.

    Returns:
        A :class:`~mbp_billing.tables.Table` with columns ``year``, ``tier``,
        ``agreements`` and ``amount``, sorted by year and tier.

    Examples:
        >>> from datetime import date
        >>> from mbp_billing import Portfolio
        >>> p = Portfolio.from_csv_text(
        ...     "signed_on,population,app_store_live_on,play_store_live_on,buyer_name,buyer_kbo,"
        ...     "buyer_street,buyer_postcode,buyer_city\\n"
        ...     "2023-02-10,32000,2023-06-20,2023-07-03,Gemeente A,0207.123.407,Markt 1,9999,A\\n"
        ...     "2024-05-01,12000,,,Gemeente B,0211.002.021,Markt 2,9998,B\\n", name="p.csv")
        >>> [(r["year"], r["tier"], r["amount"]) for r in forecast(p, [2025])]
        [(2025, 3, Decimal('7000.00'))]
        >>> f = forecast(p, [2025], go_live={"p.csv:3": date(2024, 9, 16)})
        >>> [(r["year"], r["tier"], r["amount"]) for r in f]
        [(2025, 1, Decimal('3500.00')), (2025, 3, Decimal('7000.00'))]
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

    Args:
        table: the population figures.
        old_year: the year of the figures in use.
        new_year: the year of the newer figures.
        portfolio: only these agreements; ``None`` for every municipality.
        tariff: the tariff versions to apply.

    Returns:
        A :class:`~mbp_billing.tables.Table` with one row per municipality
        whose tier changes: ``nis_code``, ``name``, both populations,
        ``tier_before``, ``tier_after``, ``fee_before``, ``fee_after`` and
        ``delta``.

    Examples:
        >>> from mbp_billing import PopulationTable
        >>> r = retiering(PopulationTable.builtin(), 2023, 2024)
        >>> [(x["name"], x["tier_before"], x["tier_after"], x["delta"]) for x in r]
        [('Lubbeek', 1, 2, Decimal('1500.00'))]
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
