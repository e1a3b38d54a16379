"""Hypothesis strategies shared by the tests of the billing rules.

Dates deliberately reach back before 2023 (R3's floor) and across leap days;
populations cluster around the tier bounds of R1; annual fees are the
two-decimal strings an agreement file holds.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from mbp_billing.agreement import Agreement, Amendment

__all__ = [
    "TIER_BOUNDS",
    "agreements",
    "amendments",
    "annual_fees",
    "dates",
    "fee_decimals",
    "go_live_pairs",
    "months",
    "populations",
]

#: The upper bounds of R1's closed tiers.
TIER_BOUNDS = (15_000, 25_000, 50_000)

_NEAR_BOUNDS = [b + d for b in TIER_BOUNDS for d in (-1, 0, 1)]


def populations(max_value: int = 5_000_000) -> st.SearchStrategy[int]:
    """Positive populations, biased towards the tier bounds (R1)."""
    return st.one_of(
        st.sampled_from([1, *_NEAR_BOUNDS]),
        st.integers(min_value=1, max_value=max_value),
    )


def dates(min_value: date = date(2020, 1, 1),
          max_value: date = date(2040, 12, 31)) -> st.SearchStrategy[date]:
    """Calendar dates, including years before 2023 and leap days."""
    return st.dates(min_value=min_value, max_value=max_value)


def annual_fees(min_cents: int = 100, max_cents: int = 100_000_000) -> st.SearchStrategy[str]:
    """Annual fees as agreement files write them: strings with two decimals.

    The floor of EUR 1.00 keeps a month worth more than a cent, which the
    "equal iff 12 months" property needs (a fee of EUR 0.06 x 11/12 rounds
    back up to the whole fee).
    """
    return st.integers(min_value=min_cents, max_value=max_cents).map(
        lambda c: f"{c // 100}.{c % 100:02d}"
    )


def fee_decimals() -> st.SearchStrategy[Decimal]:
    """Annual fees as ``Decimal`` values with two decimals."""
    return annual_fees().map(Decimal)


def months() -> st.SearchStrategy[int]:
    """Months of a first year: 1..12."""
    return st.integers(min_value=1, max_value=12)


def go_live_pairs(min_value: date = date(2021, 1, 1),
                  max_value: date = date(2035, 12, 31)) -> st.SearchStrategy[tuple[date, date]]:
    """(App Store date, Play Store date), in either order, often in the same month."""
    base = dates(min_value, max_value)
    return st.tuples(base, st.integers(min_value=-90, max_value=90)).map(
        lambda t: (t[0], min(max(t[0] + timedelta(days=t[1]), min_value), max_value))
    ) | st.tuples(base, base)


@st.composite
def amendments(draw: st.DrawFn, years: tuple[int, int] = (2023, 2034),
               count: tuple[int, int] = (0, 3)) -> tuple[Amendment, ...]:
    """Amendments (R9) with distinct effective years, each a population or a fee."""
    chosen = draw(st.lists(st.integers(*years), min_size=count[0], max_size=count[1],
                           unique=True))
    result = []
    for year in chosen:
        if draw(st.booleans()):
            result.append(Amendment(year, population=draw(populations())))
        else:
            result.append(Amendment(year, annual_fee=Decimal(draw(annual_fees()))))
    return tuple(result)


@st.composite
def agreements(draw: st.DrawFn, *, live: bool = True, notice: bool | None = None,
               amended: bool | None = None) -> Agreement:
    """Agreements with a population or a stated fee, store dates around the
    signing (also before 2023 and before the signing), and optionally a
    termination notice (R7) and amendments (R9).

    Args:
        live: both store dates are known (else each may be missing).
        notice: force a notice (True), none (False) or either (None).
        amended: force amendments (True), none (False) or either (None).
    """
    signed_on = draw(dates(date(2021, 6, 1), date(2030, 12, 31)))
    by_population = draw(st.booleans())
    population = draw(populations()) if by_population else None
    fee = None if by_population else draw(annual_fees())
    offsets = st.integers(min_value=-400, max_value=1_000)
    app = signed_on + timedelta(days=draw(offsets))
    play = signed_on + timedelta(days=draw(offsets))
    app_on: date | None = app
    play_on: date | None = play
    if not live:
        app_on = draw(st.none() | st.just(app))
        play_on = draw(st.none() | st.just(play))
    has_notice = draw(st.booleans()) if notice is None else notice
    notice_on = (signed_on + timedelta(days=draw(st.integers(0, 6 * 366)))
                 if has_notice else None)
    has_amendments = draw(st.booleans()) if amended is None else amended
    changes = draw(amendments(count=(1, 3))) if has_amendments else ()
    return Agreement(
        signed_on=signed_on, population=population, annual_fee=fee,
        app_store_live_on=app_on, play_store_live_on=play_on,
        notice_sent_on=notice_on, amendments=changes,
    )
