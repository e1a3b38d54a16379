"""Go-live, the 2023 floor and the pro-rated first year (R2, R3, R4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from strategies import fee_decimals, go_live_pairs, months

from mbp_billing.errors import InvalidValue
from mbp_billing.money import round_money
from mbp_billing.proration import (
    EARLIEST_BILLING_START,
    billing_start,
    go_live_date,
    months_billed,
    months_fraction,
    prorated_amount,
)
from mbp_billing.schedule import quote


@pytest.mark.parametrize(
    ("app", "play", "live"),
    [
        (date(2023, 6, 20), date(2023, 7, 3), date(2023, 7, 3)),
        (date(2023, 7, 3), date(2023, 6, 20), date(2023, 7, 3)),
        (date(2023, 12, 15), date(2024, 1, 2), date(2024, 1, 2)),
        (date(2024, 1, 2), date(2023, 12, 15), date(2024, 1, 2)),
        (date(2024, 5, 5), date(2024, 5, 5), date(2024, 5, 5)),
    ],
)
def test_the_later_store_is_the_go_live(app: date, play: date, live: date) -> None:
    """Go-live is the later store date, whichever store it is (R2)."""
    assert go_live_date(app, play) == live
    assert go_live_date(play, app) == live


@pytest.mark.parametrize(
    ("app", "play"),
    [(date(2023, 6, 20), None), (None, date(2023, 6, 20)), (None, None)],
)
def test_nothing_is_billable_with_one_store_date(app: date | None, play: date | None) -> None:
    """While either store date is unknown there is no go-live and no billing start (R2)."""
    assert go_live_date(app, play) is None
    assert billing_start(app, play) is None


@pytest.mark.parametrize(
    ("app", "play", "start", "months"),
    [
        # January and December go-lives.
        (date(2024, 1, 31), date(2024, 1, 1), date(2024, 1, 1), 12),
        (date(2024, 12, 31), date(2024, 12, 1), date(2024, 12, 1), 1),
        # Before 2023: the floor of R3, twelve months of 2023.
        (date(2022, 11, 5), date(2022, 11, 20), date(2023, 1, 1), 12),
        (date(2021, 3, 1), date(2022, 12, 31), date(2023, 1, 1), 12),
        # One store before 2023, the other after: the later one counts.
        (date(2022, 12, 20), date(2023, 2, 1), date(2023, 2, 1), 11),
        (date(2023, 2, 28), date(2022, 12, 20), date(2023, 2, 1), 11),
        # The go-live month counts in full, even on its last day.
        (date(2023, 6, 20), date(2023, 7, 31), date(2023, 7, 1), 6),
        (date(2024, 2, 29), date(2024, 2, 29), date(2024, 2, 1), 11),
        # The later store crosses a year end.
        (date(2023, 12, 15), date(2024, 1, 2), date(2024, 1, 1), 12),
    ],
)
def test_billing_start_and_months(app: date, play: date, start: date, months: int) -> None:
    """Billing starts on the first of the go-live month, never before 2023 (R2-R4)."""
    assert billing_start(app, play) == start
    assert months_billed(start) == months


@pytest.mark.parametrize(
    ("fee", "months", "amount"),
    [
        # Exact x.xx5 cases where half-up differs from banker's rounding.
        ("1200.06", 1, "100.01"),
        ("1200.06", 5, "500.03"),
        ("1200.06", 9, "900.05"),
        ("3500.10", 3, "875.03"),
        ("3500.10", 7, "2041.73"),
        ("3500.10", 11, "3208.43"),
        ("1000.02", 3, "250.01"),
        ("1000.02", 7, "583.35"),
        ("999.90", 1, "83.33"),
        ("10000.18", 3, "2500.05"),
        # Tariff amounts.
        ("3500.00", 8, "2333.33"),
        ("5000.00", 4, "1666.67"),
        ("7000.00", 6, "3500.00"),
        ("10000.00", 1, "833.33"),
        ("10000.00", 12, "10000.00"),
    ],
)
def test_prorated_amount_rounds_half_up(fee: str, months: int, amount: str) -> None:
    """annual fee x months/12 is rounded half-up to the cent: 100.005 -> 100.01 (R4)."""
    assert prorated_amount(Decimal(fee), months) == Decimal(amount)


@pytest.mark.parametrize(
    ("fee", "months", "once", "per_month"),
    [
        ("1000.00", 7, "583.33", "583.31"),
        ("1200.06", 7, "700.04", "700.07"),
        ("3500.00", 8, "2333.33", "2333.36"),
    ],
)
def test_amount_is_rounded_once_not_per_month(fee: str, months: int, once: str,
                                              per_month: str) -> None:
    """The share is rounded once; rounding a month and multiplying gives another cent (R4)."""
    amount = prorated_amount(Decimal(fee), months)
    assert amount == Decimal(once)
    assert prorated_amount(Decimal(fee), 1) * months == Decimal(per_month) != amount


@pytest.mark.parametrize("bad", [0, 13, -1, True, 6.0])
def test_months_outside_one_to_twelve_are_refused(bad: object) -> None:
    """A share of the year needs a whole number of months from 1 to 12."""
    with pytest.raises(InvalidValue) as info:
        months_fraction(bad)  # type: ignore[arg-type]
    assert info.value.field == "months"


def test_earliest_billing_start_is_january_2023() -> None:
    """R3's floor is 1 January 2023."""
    assert date(2023, 1, 1) == EARLIEST_BILLING_START


@pytest.mark.parametrize(
    ("go_live", "first_year", "months", "amount"),
    [
        (date(2022, 11, 14), 2023, 12, "7000.00"),
        (date(2023, 1, 31), 2023, 12, "7000.00"),
        (date(2023, 12, 31), 2023, 1, "583.33"),
        (date(2024, 2, 29), 2024, 11, "6416.67"),
    ],
)
def test_quote_first_year(go_live: date, first_year: int, months: int, amount: str) -> None:
    """quote() gives the first charge: year, months and amount for a population (R1-R4)."""
    charge = quote(population=32_000, app_store_live_on=go_live, play_store_live_on=go_live)
    assert (charge.kind, charge.year, charge.months) == ("first", first_year, months)
    assert charge.amount == Decimal(amount)
    assert charge.period_end == date(first_year, 12, 31)


def test_quote_with_a_stated_fee_rounds_half_up() -> None:
    """quote() with a stated fee of 1200.06 live in December bills 100.01 (R4)."""
    charge = quote(annual_fee="1200.06", app_store_live_on=date(2023, 12, 5),
                   play_store_live_on=date(2023, 11, 1))
    assert (charge.months, charge.amount, charge.tier) == (1, Decimal("100.01"), None)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"population": 20_000, "annual_fee": "5000.00"}],
)
def test_quote_needs_exactly_one_basis(kwargs: dict[str, object]) -> None:
    """quote() refuses neither and both of population and annual fee."""
    with pytest.raises(InvalidValue):
        quote(app_store_live_on=date(2024, 1, 1), play_store_live_on=date(2024, 1, 1),
              **kwargs)  # type: ignore[arg-type]


def test_quote_refuses_a_float_fee() -> None:
    """A float annual fee is refused with the string to write instead."""
    with pytest.raises(InvalidValue) as info:
        quote(annual_fee=7000.0, app_store_live_on=date(2024, 1, 1),  # type: ignore[arg-type]
              play_store_live_on=date(2024, 1, 1))
    assert "'7000.00'" in str(info.value)


@given(fee_decimals(), months())
@example(Decimal("1200.06"), 1)
@example(Decimal("1.00"), 11)
@example(Decimal("10000.00"), 12)
def test_amount_never_exceeds_the_fee_and_equals_it_only_for_12_months(
        fee: Decimal, months: int) -> None:
    """The first amount is at most the annual fee, and equal to it iff 12 months (R4)."""
    amount = prorated_amount(fee, months)
    assert amount <= fee
    assert (amount == fee) == (months == 12)


@given(fee_decimals(), months())
@example(Decimal("1200.06"), 1)
def test_amount_is_exact_share_rounded_once(fee: Decimal, months: int) -> None:
    """The amount is the exact fraction fee x months/12, rounded once (R4)."""
    exact = Fraction(fee) * months / 12
    amount = prorated_amount(fee, months)
    assert amount == round_money(exact)
    assert abs(Fraction(amount) - exact) <= Fraction(1, 200)


@given(fee_decimals())
@example(Decimal("1.00"))
@example(Decimal("3500.00"))
def test_amount_is_monotone_in_months(fee: Decimal) -> None:
    """Each extra month billed raises the amount (R4)."""
    amounts = [prorated_amount(fee, m) for m in range(1, 13)]
    assert amounts == sorted(amounts)
    assert len(set(amounts)) == 12


@given(go_live_pairs())
@example((date(2023, 1, 31), date(2023, 1, 31)))
@example((date(2024, 2, 29), date(2023, 12, 31)))
@example((date(2023, 12, 31), date(2023, 12, 31)))
@example((date(2022, 12, 31), date(2022, 1, 31)))
def test_billing_start_properties(pair: tuple[date, date]) -> None:
    """The start is a first of month, not before 2023 or the later store's month; 1..12 months."""
    app, play = pair
    start = billing_start(app, play)
    assert start is not None
    later = max(app, play)
    assert start.day == 1
    assert start >= EARLIEST_BILLING_START
    assert start <= later or later < EARLIEST_BILLING_START
    assert start == max(date(later.year, later.month, 1), EARLIEST_BILLING_START)
    assert 1 <= months_billed(start) <= 12
    assert months_billed(start) == 13 - start.month
