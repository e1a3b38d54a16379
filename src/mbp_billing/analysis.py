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

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

import attrs

from .agreement import Agreement, Amendment
from .errors import InvalidValue
from .money import money_str
from .population import PopulationTable
from .portfolio import Portfolio, PortfolioEntry
from .schedule import EndPolicy, build_schedule
from .tables import Table
from .tariff import DEFAULT_TARIFF_BOOK, TariffBook

__all__ = [
    "charges_table",
    "explain_amount",
    "forecast",
    "merger_effect",
    "mergers_table",
    "retiering",
    "what_if",
    "with_amendments",
    "with_go_live",
    "with_tariff",
]

#: Amendments by buyer KBO (10 digits) or source: one or several each.
AmendmentsByKey = Mapping[str, Amendment | Sequence[Amendment]]


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


def _amended_to(agreement: Agreement, book: TariffBook) -> Agreement:
    # R1, R9: a new table reaches a signed agreement only through an
    # amendment.  The what-if makes that amendment explicitly, from the year
    # of every version the agreement's own book does not have, with the
    # population in force then; it does not rely on swapping the table.
    new_years = [v.valid_from for v in book.versions if v not in agreement.tariff.versions]
    if not new_years:
        return agreement
    # Population amendments are re-tiered under the what-if table; a fee they
    # also state was the old table's fee for that population, so it goes.
    amendments = [attrs.evolve(a, annual_fee=None)
                  if a.population is not None and a.annual_fee is not None else a
                  for a in agreement.amendments]
    taken = {a.from_year for a in amendments}
    for year in new_years:
        basis, _ = agreement.basis_for(year)
        if year in taken or basis.population is None:
            continue  # a stated fee is not on the tariff: it stays as stated
        if year < agreement.signed_on.year:
            continue  # signed later: the what-if table is the one in force at signing
        amendments.append(Amendment(from_year=year, population=basis.population))
    return attrs.evolve(
        agreement, amendments=tuple(amendments), tariff=book,
        annual_fee=agreement.annual_fee if agreement.population is None else None)


def with_tariff(portfolio: Portfolio, tariff: TariffBook) -> Portfolio:
    """A what-if copy: every agreement moves to ``tariff`` as if amended (R9).

    From the year of each version of ``tariff`` that an agreement's own
    tariff book does not hold, the agreement gets an amendment with the
    population in force that year, priced under ``tariff``.  A real new
    tariff table never reprices a signed agreement (R1); this what-if does,
    on purpose.  Agreements with a stated fee (no population) keep it.

    Args:
        portfolio: the agreements.
        tariff: the what-if tariff book, e.g. from
            :meth:`~mbp_billing.tariff.TariffBook.with_change`.

    Returns:
        A new portfolio.

    Examples:
        >>> from mbp_billing import DEFAULT_TARIFF_BOOK, example_portfolio
        >>> book = DEFAULT_TARIFF_BOOK.with_change(percent=10, from_year=2027)
        >>> a = with_tariff(example_portfolio(), book)[0].agreement
        >>> a.amendments, a.annual_fee_for(2026), a.annual_fee_for(2027)
        ((Amendment(from_year=2027, population=15085, annual_fee=None),), Decimal('5000.00'), Decimal('5500.00'))
    """
    return Portfolio(tuple(PortfolioEntry(e.source, _amended_to(e.agreement, tariff))
                           for e in portfolio))


def _as_tuple(value: Amendment | Sequence[Amendment]) -> tuple[Amendment, ...]:
    return (value,) if isinstance(value, Amendment) else tuple(value)


def with_amendments(portfolio: Portfolio, amendments: AmendmentsByKey) -> Portfolio:
    """A what-if copy with extra amendments (R9), by buyer KBO or source.

    An extra amendment replaces an agreement's own amendment of the same year.

    Args:
        portfolio: the agreements.
        amendments: the amendments by buyer enterprise number (10 digits) or
            by source (``file`` or ``file:row``).

    Returns:
        A new portfolio; agreements not named are unchanged.

    Raises:
        InvalidValue: a key that names no agreement of the portfolio.

    Examples:
        >>> from mbp_billing import Amendment, example_portfolio
        >>> p = example_portfolio()
        >>> kbo = p[0].buyer_kbo
        >>> q = with_amendments(p, {kbo: Amendment(from_year=2028, annual_fee="3000.00")})
        >>> q[0].agreement.annual_fee_for(2027), q[0].agreement.annual_fee_for(2028)
        (Decimal('5000.00'), Decimal('3000.00'))
    """
    known = {e.buyer_kbo for e in portfolio} | {e.source for e in portfolio}
    unknown = sorted(set(amendments) - known)
    if unknown:
        raise InvalidValue("amendments", unknown[0], "names no agreement of the portfolio; "
                                                     "key by buyer KBO (10 digits) or source")
    entries = []
    for entry in portfolio:
        extra = (*_as_tuple(amendments.get(entry.buyer_kbo, ())),
                 *_as_tuple(amendments.get(entry.source, ())))
        if extra:
            years = {a.from_year for a in extra}
            kept = tuple(a for a in entry.agreement.amendments if a.from_year not in years)
            entry = PortfolioEntry(entry.source, attrs.evolve(
                entry.agreement, amendments=kept + extra))
        entries.append(entry)
    return Portfolio(tuple(entries))


def what_if(portfolio: Portfolio, *, tariff: TariffBook | None = None,
            amendments: AmendmentsByKey | None = None,
            go_live: Mapping[str, date] | None = None) -> Portfolio:
    """The scenario portfolio: go-live dates, then amendments, then the tariff.

    The tariff comes last so that it also prices the population of an extra
    amendment.  Every charge of the result explains itself with
    :meth:`~mbp_billing.schedule.Charge.explain`, the what-if amendment
    appearing as an R9 step.

    Args:
        portfolio: the agreements.
        tariff: a what-if tariff book (see :func:`with_tariff`).
        amendments: what-if amendments by buyer KBO or source.
        go_live: what-if go-live dates by buyer KBO or source.

    Returns:
        A new portfolio; without any scenario, ``portfolio`` itself.

    Examples:
        >>> from mbp_billing import DEFAULT_TARIFF_BOOK, build_schedule, example_portfolio
        >>> book = DEFAULT_TARIFF_BOOK.with_change(percent=10, from_year=2027)
        >>> a = what_if(example_portfolio(), tariff=book)[0].agreement
        >>> print(build_schedule(a, 2027).for_year(2027).explain())
        2027 annual: 5500.00 EUR
          [R1] population 15,085 from the amendment from 2027 (R9) is tier 2 (15,001 to 25,000 inhabitants; tariff of 2027): 5500.00 EUR a year
          [R5] in force on 1 January 2027: renewal for 2027-01-01 to 2027-12-31
          [R5] 12 of 12 months: the full annual fee 5500.00 EUR
    """
    scenario = with_go_live(portfolio, go_live) if go_live else portfolio
    if amendments:
        scenario = with_amendments(scenario, amendments)
    if tariff is not None:
        scenario = with_tariff(scenario, tariff)
    return scenario


def explain_amount(portfolio: Portfolio, key: str, year: int, *,
                   tariff: TariffBook | None = None,
                   amendments: AmendmentsByKey | None = None,
                   go_live: Mapping[str, date] | None = None,
                   policy: EndPolicy = EndPolicy.NO_REFUND) -> str:
    """Why one agreement's charge of ``year`` is what it is, in the scenario
    and in the baseline, rule by rule.

    Args:
        portfolio: the agreements.
        key: the buyer KBO (10 digits) or source of one agreement.
        year: the calendar year.
        tariff: a what-if tariff book (see :func:`with_tariff`).
        amendments: what-if amendments by buyer KBO or source.
        go_live: what-if go-live dates by buyer KBO or source.
        policy: the R8 treatment of the year an agreement ends.

    Returns:
        The what-if and baseline explanations and their difference.

    Raises:
        InvalidValue: ``key`` names no agreement.

    Examples:
        >>> from mbp_billing import DEFAULT_TARIFF_BOOK, example_portfolio
        >>> p = example_portfolio()
        >>> book = DEFAULT_TARIFF_BOOK.with_change(percent=10, from_year=2027)
        >>> print(explain_amount(p, p[0].buyer_kbo, 2027, tariff=book))  # doctest: +ELLIPSIS
        what-if: 2027 annual: 5500.00 EUR
          [R1] population 15,085 from the amendment from 2027 (R9) is tier 2 (15,001 to 25,000 inhabitants; tariff of 2027): 5500.00 EUR a year
          ...
        baseline: 2027 annual: 5000.00 EUR
          [R1] population 15,085 on 1 January 2026 from the agreement is tier 2 (15,001 to 25,000 inhabitants; tariff of 2023): 5000.00 EUR a year
          ...
        difference: 500.00 EUR
    """
    index = [i for i, e in enumerate(portfolio) if key in (e.buyer_kbo, e.source)]
    if not index:
        raise InvalidValue("key", key, "names no agreement of the portfolio; give a buyer KBO "
                                       "(10 digits) or a source")
    scenario = what_if(portfolio, tariff=tariff, amendments=amendments, go_live=go_live)
    parts = []
    amounts = []
    for label, book in (("what-if", scenario), ("baseline", portfolio)):
        schedule = build_schedule(book[index[0]].agreement, year, policy=policy)
        found = [c for c in schedule if c.year == year]
        amounts.append(found[0].amount if found else Decimal("0.00"))
        parts.append(f"{label}: " + (found[0].explain() if found else f"no charge in {year}"))
    parts.append(f"difference: {money_str(amounts[0] - amounts[1])} EUR")
    return "\n".join(parts)


_CHARGE_COLUMNS = ("source", "buyer_kbo", "buyer_name", "year", "kind", "tier", "months",
                   "annual_fee", "amount", "period_start", "period_end")
_ZERO = Decimal("0.00")


def _charge_rows(portfolio: Portfolio, through: int,
                 policy: EndPolicy) -> dict[tuple[str, int, str], tuple[object, ...]]:
    rows: dict[tuple[str, int, str], tuple[object, ...]] = {}
    for entry in portfolio:
        buyer = entry.agreement.buyer
        for c in build_schedule(entry.agreement, through, policy=policy):
            rows[(entry.source, c.year, c.kind)] = (
                entry.source, buyer.kbo if buyer else None, buyer.name if buyer else None,
                c.year, c.kind, None if c.tier is None else c.tier.number, c.months,
                c.annual_fee, c.amount, c.period_start, c.period_end)
    return rows


def _is_scenario(tariff: TariffBook | None, amendments: AmendmentsByKey | None,
                 go_live: Mapping[str, date] | None) -> bool:
    return tariff is not None or bool(amendments) or bool(go_live)


def charges_table(portfolio: Portfolio, through: int, *,
                  policy: EndPolicy = EndPolicy.NO_REFUND,
                  tariff: TariffBook | None = None,
                  amendments: AmendmentsByKey | None = None,
                  go_live: Mapping[str, date] | None = None) -> Table:
    """Every charge of every agreement up to ``through``, one row each.

    With a scenario (``tariff``, ``amendments`` or ``go_live``, see
    :func:`what_if`), ``amount`` and the other columns are the scenario's,
    and ``baseline`` and ``difference`` are added; a charge that exists on
    one side only counts as 0.00 on the other.  :func:`explain_amount`
    explains any row, rule by rule.

    Args:
        portfolio: the agreements.
        through: the last calendar year to include.
        policy: the R8 treatment of the year an agreement ends.
        tariff: a what-if tariff book, applied as amendments (R9).
        amendments: what-if amendments by buyer KBO or source.
        go_live: what-if go-live dates by buyer KBO or source.

    Returns:
        A :class:`~mbp_billing.tables.Table` with columns ``source``,
        ``buyer_kbo``, ``buyer_name``, ``year``, ``kind``, ``tier``,
        ``months``, ``annual_fee``, ``amount``, ``period_start`` and
        ``period_end`` (and ``baseline``, ``difference`` for a scenario).

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
        >>> book = DEFAULT_TARIFF_BOOK.with_change(percent=10, from_year=2024)
        >>> t = charges_table(p, through=2024, tariff=book)
        >>> [(r["year"], r["amount"], r["baseline"], r["difference"]) for r in t]
        [(2023, Decimal('3500.00'), Decimal('3500.00'), Decimal('0.00')), (2024, Decimal('7700.00'), Decimal('7000.00'), Decimal('700.00'))]
    """
    baseline = _charge_rows(portfolio, through, policy)
    if not _is_scenario(tariff, amendments, go_live):
        return Table(_CHARGE_COLUMNS, tuple(baseline.values()),
                     title=f"Charges through {through}", totals=("amount",))
    scenario = _charge_rows(what_if(portfolio, tariff=tariff, amendments=amendments,
                                    go_live=go_live), through, policy)
    order = {e.source: i for i, e in enumerate(portfolio)}
    amount = _CHARGE_COLUMNS.index("amount")
    rows = []
    for key in sorted(scenario.keys() | baseline.keys(),
                      key=lambda k: (order[k[0]], k[1], k[2] != "first")):
        row = scenario.get(key)
        base = baseline[key][amount] if key in baseline else _ZERO
        if row is None:  # only in the baseline: nothing billed in the scenario
            row = (*baseline[key][:amount], _ZERO, *baseline[key][amount + 1:])
        rows.append((*row, base, row[amount] - base))  # type: ignore[operator]
    return Table((*_CHARGE_COLUMNS, "baseline", "difference"), tuple(rows),
                 title=f"Charges through {through}: what-if against the baseline",
                 totals=("amount", "baseline", "difference"))


def _by_year_and_tier(portfolio: Portfolio, wanted: list[int],
                      policy: EndPolicy) -> dict[tuple[int, int], tuple[int, Decimal]]:
    groups: dict[tuple[int, int], tuple[int, Decimal]] = {}
    for entry in portfolio:
        for c in build_schedule(entry.agreement, wanted[-1], policy=policy):
            if c.year not in wanted:
                continue
            key = (c.year, 0 if c.tier is None else c.tier.number)
            n, total = groups.get(key, (0, _ZERO))
            groups[key] = (n + 1, total + c.amount)
    return groups


def forecast(portfolio: Portfolio, years: Iterable[int], *,
             go_live: Mapping[str, date] | None = None,
             policy: EndPolicy = EndPolicy.NO_REFUND,
             tariff: TariffBook | None = None,
             amendments: AmendmentsByKey | None = None) -> Table:
    """Revenue by year and tier: the sum of the charges the rules imply.

    A scenario is any of ``go_live`` (what-if go-live dates for agreements
    not yet live), ``amendments`` (what-if R9 amendments) and ``tariff`` (a
    what-if tariff book, applied to every agreement as if amended, see
    :func:`with_tariff`).  The result then gives ``amount`` and
    ``agreements`` under the scenario and adds ``baseline`` (the amount
    without it) and ``difference``, per year and tier.  A stated fee (no
    tier) counts as tier ``None``.

    Args:
        portfolio: the agreements.
        years: the calendar years to forecast.
        go_live: what-if go-live dates (see :func:`with_go_live`).
        policy: the R8 treatment of the year an agreement ends.
        tariff: a what-if tariff book, e.g.
            ``DEFAULT_TARIFF_BOOK.with_change(percent=10, from_year=2027)``.
        amendments: what-if amendments by buyer KBO or source.

    Returns:
        A :class:`~mbp_billing.tables.Table` with columns ``year``, ``tier``,
        ``agreements`` and ``amount`` (and ``baseline``, ``difference`` for a
        scenario), sorted by year and tier.

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
        >>> [(r["year"], r["tier"], r["amount"], r["baseline"]) for r in f]
        [(2025, 1, Decimal('3500.00'), Decimal('0.00')), (2025, 3, Decimal('7000.00'), Decimal('7000.00'))]
        >>> book = DEFAULT_TARIFF_BOOK.with_change(percent=10, from_year=2026)
        >>> [(r["year"], r["amount"], r["difference"]) for r in forecast(p, [2025, 2026], tariff=book)]
        [(2025, Decimal('7000.00'), Decimal('0.00')), (2026, Decimal('7700.00'), Decimal('700.00'))]
    """
    wanted = sorted(set(years))
    scenario = _is_scenario(tariff, amendments, go_live)
    columns: tuple[str, ...] = ("year", "tier", "agreements", "amount")
    if scenario:
        columns += ("baseline", "difference")
    if not wanted:
        return Table(columns, (), title="Forecast")
    span = f"{wanted[0]}-{wanted[-1]}" if len(wanted) > 1 else str(wanted[0])
    base = _by_year_and_tier(portfolio, wanted, policy)
    if not scenario:
        plain = tuple((y, t or None, n, a) for (y, t), (n, a) in sorted(base.items()))
        return Table(columns, plain, title=f"Revenue forecast {span}", totals=("amount",))
    book = what_if(portfolio, tariff=tariff, amendments=amendments, go_live=go_live)
    new = _by_year_and_tier(book, wanted, policy)
    rows = []
    for key in sorted(new.keys() | base.keys()):
        n, amount = new.get(key, (0, _ZERO))
        before = base.get(key, (0, _ZERO))[1]
        rows.append((key[0], key[1] or None, n, amount, before, amount - before))
    return Table(columns, tuple(rows), title=f"Revenue forecast {span}: what-if against the "
                                             "baseline", totals=("amount", "baseline", "difference"))


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
                 tuple(rows), title=f"Re-tiering {old_year} -> {new_year}", totals=("delta",))


def _mergers(table: PopulationTable) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for old, new in table.successors:
        groups.setdefault(new, []).append(old)
    return groups


def _names(table: PopulationTable, year: int) -> dict[str, str]:
    return {m.nis_code: m.name for m in table.municipalities(year)}


def mergers_table(table: PopulationTable | None = None, *,
                  tariff: TariffBook = DEFAULT_TARIFF_BOOK) -> Table:
    """The 2025 mergers: each predecessor with its tier and fee, beside the
    merged municipality's.

    Predecessors are priced on their figure of 1 January 2024 under the
    table of 2024; the merged municipality on its figure of 1 January 2025
    under the table of 2025 (R1).  ``tier_kept`` says whether the merged
    municipality stays in the tier of its largest predecessor.

    Args:
        table: the population figures and merger table (default: the
            shipped Statbel figures).
        tariff: the tariff versions to apply.

    Returns:
        A :class:`~mbp_billing.tables.Table`, one row per predecessor:
        ``merged_nis``, ``merged_name``, ``nis_code``, ``name``,
        ``population``, ``tier``, ``fee``, ``merged_population``,
        ``merged_tier``, ``merged_fee`` and ``tier_kept``.

    Examples:
        >>> rows = [r for r in mergers_table() if r["merged_name"] == "Lokeren"]
        >>> [(r["name"], r["tier"], r["fee"], r["merged_tier"], r["merged_fee"]) for r in rows]
        [('Lokeren', 3, Decimal('7000.00'), 4, Decimal('10000.00')), ('Moerbeke', 1, Decimal('3500.00'), 4, Decimal('10000.00'))]
    """
    from .population import MERGER_YEAR

    table = PopulationTable.builtin() if table is None else table
    before, after = MERGER_YEAR - 1, MERGER_YEAR
    old_names, new_names = _names(table, before), _names(table, after)
    rows = []
    for new, olds in sorted(_mergers(table).items(), key=lambda kv: new_names.get(kv[0], kv[0])):
        merged_pop = table.population(new, after)
        merged = tariff.tier_for(merged_pop, after)
        pops = {old: table.population(old, before) for old in olds}
        largest = max(olds, key=lambda o: pops[o])
        kept = tariff.tier_for(pops[largest], before).number == merged.number
        for old in sorted(olds, key=lambda o: old_names[o]):
            tier = tariff.tier_for(pops[old], before)
            rows.append((new, new_names[new], old, old_names[old], pops[old], tier.number,
                         tier.annual_fee, merged_pop, merged.number, merged.annual_fee, kept))
    return Table(("merged_nis", "merged_name", "nis_code", "name", "population", "tier", "fee",
                  "merged_population", "merged_tier", "merged_fee", "tier_kept"), tuple(rows),
                 title=f"The {MERGER_YEAR} mergers: predecessors on 1 January {before}, "
                       f"merged municipalities on 1 January {after}")


def merger_effect(table: PopulationTable | None = None, years: Iterable[int] = range(2025, 2031),
                  *, tariff: TariffBook = DEFAULT_TARIFF_BOOK) -> Table:
    """The revenue effect of each 2025 merger, per year.

    For each year: what the predecessors would pay apart (their figures of
    1 January 2024, the table of that year) against the merged
    municipality's fee (its latest figure up to that year).  Mergers whose
    successor keeps its largest predecessor's tier are listed too: they
    still lose the smaller predecessors' fees.

    Args:
        table: the population figures and merger table (default: shipped).
        years: the calendar years, from 2025.
        tariff: the tariff versions to apply.

    Returns:
        A :class:`~mbp_billing.tables.Table`, one row per merger and year:
        ``year``, ``merged_nis``, ``merged_name``, ``predecessors``,
        ``fees_apart``, ``merged_tier``, ``merged_fee``, ``effect`` and
        ``tier_kept``, with totals.

    Examples:
        >>> e = merger_effect(years=[2026])
        >>> [(r["merged_name"], r["fees_apart"], r["merged_fee"], r["effect"]) for r in e][:2]
        [('Antwerpen', Decimal('13500.00'), Decimal('10000.00'), Decimal('-3500.00')), ('Beveren-Kruibeke-Zwijndrecht', Decimal('20000.00'), Decimal('10000.00'), Decimal('-10000.00'))]
        >>> e.total("effect"), [r["merged_name"] for r in e if not r["tier_kept"]][:2]
        (Decimal('-41500.00'), ['Lochristi', 'Lokeren'])
    """
    from .population import MERGER_YEAR

    table = PopulationTable.builtin() if table is None else table
    before = MERGER_YEAR - 1
    wanted = sorted(set(years))
    early = [y for y in wanted if y < MERGER_YEAR]
    if early:
        raise InvalidValue("years", early[0], f"the mergers took effect in {MERGER_YEAR}; "
                                              f"give years from {MERGER_YEAR}")
    names = _names(table, MERGER_YEAR)
    rows = []
    for year in wanted:
        figures = max(y for y in table.years if y <= year)
        for new, olds in sorted(_mergers(table).items(), key=lambda kv: names.get(kv[0], kv[0])):
            pops = {old: table.population(old, before) for old in olds}
            apart = sum((tariff.fee_for(p, year) for p in pops.values()), _ZERO)
            merged = tariff.tier_for(table.population(new, figures), year)
            largest = tariff.tier_for(max(pops.values()), year)
            rows.append((year, new, names[new], len(olds), apart, merged.number,
                         merged.annual_fee, merged.annual_fee - apart,
                         largest.number == merged.number))
    span = f"{wanted[0]}-{wanted[-1]}" if len(wanted) > 1 else str(wanted[0]) if wanted else ""
    return Table(("year", "merged_nis", "merged_name", "predecessors", "fees_apart",
                  "merged_tier", "merged_fee", "effect", "tier_kept"), tuple(rows),
                 title=f"Revenue effect of the {MERGER_YEAR} mergers per year {span}".rstrip(),
                 totals=("fees_apart", "merged_fee", "effect"))
