"""Go-live, billing start and the pro-rated first year (R2, R3, R4).

>>> from datetime import date
>>> start = billing_start(date(2023, 6, 20), date(2023, 7, 3))
>>> start, months_billed(start), prorated_amount(Decimal("7000.00"), months_billed(start))
(datetime.date(2023, 7, 1), 6, Decimal('3500.00'))
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Final

from .errors import InvalidValue
from .money import round_money

__all__ = [
    "EARLIEST_BILLING_START",
    "billing_start",
    "go_live_date",
    "months_billed",
    "months_fraction",
    "prorated_amount",
]

#: "ten vroegste vanaf januari 2023".  # R3, Annex 2 §1
EARLIEST_BILLING_START: Final = date(2023, 1, 1)


def go_live_date(app_store_live_on: date | None, play_store_live_on: date | None) -> date | None:
    """The go-live date: the later of the two store dates.  # R2, Annex 2 §1

    The app is "publicly available in the Apple App Store and the Google Play
    Store" only once it is in both; while either date is unknown nothing is
    billable, shown by ``None``.

    Args:
        app_store_live_on: the day the app appeared in the Apple App Store,
            or ``None`` while unknown.
        play_store_live_on: the day the app appeared in the Google Play
            Store, or ``None`` while unknown.

    Returns:
        The later of the two dates, or ``None`` when either is unknown.

    Examples:
        >>> go_live_date(date(2023, 6, 20), date(2023, 7, 3))
        datetime.date(2023, 7, 3)
        >>> go_live_date(date(2023, 6, 20), None) is None
        True
    """
    if app_store_live_on is None or play_store_live_on is None:
        return None
    return max(app_store_live_on, play_store_live_on)


def billing_start(app_store_live_on: date | None, play_store_live_on: date | None) -> date | None:
    """First day of the go-live month, never before 2023-01-01.  # R2, R3

    Args:
        app_store_live_on: the App Store date, or ``None`` while unknown.
        play_store_live_on: the Play Store date, or ``None`` while unknown.

    Returns:
        The first day billed, or ``None`` while the app is not live in both
        stores.

    Examples:
        >>> billing_start(date(2023, 6, 20), date(2023, 7, 3))
        datetime.date(2023, 7, 1)
        >>> billing_start(date(2022, 11, 5), date(2022, 12, 1))
        datetime.date(2023, 1, 1)
    """
    live = go_live_date(app_store_live_on, play_store_live_on)
    if live is None:
        return None
    return max(live.replace(day=1), EARLIEST_BILLING_START)


def months_billed(start: date) -> int:
    """Months of the first year: the start month counts in full.  # R4, Annex 2 §1

    Args:
        start: the billing start (see :func:`billing_start`).

    Returns:
        The months from ``start``'s month to December inclusive, 1 to 12.

    Examples:
        >>> months_billed(date(2024, 1, 1)), months_billed(date(2024, 12, 1))
        (12, 1)
    """
    return 13 - start.month


def months_fraction(months: int) -> Fraction:
    """The exact share of the annual fee for ``months`` months.  # R4

    >>> months_fraction(8)
    Fraction(2, 3)
    """
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 12:
        raise InvalidValue("months", months, "must be a whole number from 1 to 12")
    return Fraction(months, 12)


def prorated_amount(annual_fee: Decimal, months: int) -> Decimal:
    """``annual_fee x months / 12``, exact, rounded once half-up.  # R4, Annex 2 §1-2

    The division is done on exact fractions so that no intermediate rounding
    can move the cent: 1200.06 x 1/12 = 100.005 -> 100.01.

    Args:
        annual_fee: the fee for a full year.
        months: the months billed, 1 to 12.

    Returns:
        The share of the fee, rounded once, half-up to the cent.

    Raises:
        InvalidValue: ``months`` is not a whole number from 1 to 12.

    Examples:
        >>> prorated_amount(Decimal("1200.06"), 1)
        Decimal('100.01')
        >>> prorated_amount(Decimal("3500.00"), 8)
        Decimal('2333.33')
    """
    # Fraction arithmetic is exact; the global decimal context plays no part.
    return round_money(Fraction(Decimal(annual_fee)) * months_fraction(months))
