"""The tariff by population tier (R1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from strategies import populations

from mbp_billing.errors import InvalidValue
from mbp_billing.tariff import (
    DEFAULT_TARIFF,
    DEFAULT_TARIFF_BOOK,
    Tariff,
    TariffBook,
    check_population,
)


@pytest.mark.parametrize(
    ("population", "tier", "fee"),
    [
        (1, 1, "3500.00"),
        (14_999, 1, "3500.00"),
        (15_000, 1, "3500.00"),
        (15_001, 2, "5000.00"),
        (25_000, 2, "5000.00"),
        (25_001, 3, "7000.00"),
        (50_000, 3, "7000.00"),
        (50_001, 4, "10000.00"),
        (10_000_000, 4, "10000.00"),  # MAX_POPULATION
    ],
)
def test_tier_bounds_are_inclusive(population: int, tier: int, fee: str) -> None:
    """Upper bounds belong to the lower tier: 15,000 pays 3,500 and 15,001 pays 5,000."""
    found = DEFAULT_TARIFF_BOOK.tier_for(population, 2023)
    assert found.number == tier
    assert found.annual_fee == Decimal(fee)
    assert DEFAULT_TARIFF_BOOK.fee_for(population, 2031) == Decimal(fee)


@pytest.mark.parametrize("bad", [0, -1, 1.5, 15000.0, True, "15000", None])
def test_population_must_be_a_positive_whole_number(bad: object) -> None:
    """Zero, negatives, floats, booleans, strings and None are refused by name."""
    with pytest.raises(InvalidValue) as info:
        check_population(bad)
    assert info.value.field == "population"
    assert "positive whole number" in str(info.value)


def test_tariff_refuses_population_too() -> None:
    """Looking up a tier validates the population as well."""
    with pytest.raises(InvalidValue):
        DEFAULT_TARIFF.tier_for(0)


def test_default_tariff_applies_from_2023() -> None:
    """The Annex 2 table is valid from 2023; earlier years have no tariff."""
    assert DEFAULT_TARIFF.valid_from == 2023
    with pytest.raises(InvalidValue) as info:
        DEFAULT_TARIFF_BOOK.for_year(2022)
    assert info.value.value == 2022


def test_a_later_tariff_version_is_data() -> None:
    """A price change is a new table from its year; earlier years keep the old one."""
    book = TariffBook((
        DEFAULT_TARIFF,
        Tariff.from_bounds(2027, [(15_000, "3600.00"), (25_000, "5100.00"),
                                  (50_000, "7100.00"), (None, "10100.00")]),
    ))
    assert book.fee_for(20_000, 2026) == Decimal("5000.00")
    assert book.fee_for(20_000, 2027) == Decimal("5100.00")
    assert book.fee_for(20_000, 2040) == Decimal("5100.00")


@pytest.mark.parametrize(
    "rows",
    [
        [(15_000, "1.00"), (15_000, "2.00"), (None, "3.00")],
        [(25_000, "1.00"), (15_000, "2.00"), (None, "3.00")],
        [(15_000, "1.00"), (25_000, "2.00")],
        [(None, "1.00"), (None, "2.00")],
    ],
)
def test_malformed_tariff_tables_are_refused(rows: list[tuple[int | None, str]]) -> None:
    """Tier bounds must strictly ascend and only the last tier is open."""
    with pytest.raises(InvalidValue):
        Tariff.from_bounds(2030, rows)


def test_tariff_versions_must_ascend() -> None:
    """Two versions from the same year are refused."""
    with pytest.raises(InvalidValue):
        TariffBook((DEFAULT_TARIFF, DEFAULT_TARIFF))


@given(populations(), populations())
@example(15_000, 15_001)
@example(25_000, 25_001)
@example(50_000, 50_001)
@example(1, 10_000_000)
def test_fee_is_monotone_in_population(a: int, b: int) -> None:
    """More inhabitants never mean a lower tier or a lower fee."""
    low, high = sorted((a, b))
    t_low = DEFAULT_TARIFF.tier_for(low)
    t_high = DEFAULT_TARIFF.tier_for(high)
    assert t_low.number <= t_high.number
    assert t_low.annual_fee <= t_high.annual_fee


@given(populations())
@example(15_000)
@example(15_001)
@example(50_001)
def test_population_falls_within_its_tier(population: int) -> None:
    """The tier found is the first whose upper bound is at least the population."""
    tier = DEFAULT_TARIFF.tier_for(population)
    if tier.max_population is not None:
        assert population <= tier.max_population
    if tier.number > 1:
        below = DEFAULT_TARIFF.tiers[tier.number - 2].max_population
        assert below is not None and population > below


@pytest.mark.parametrize("fee", [3500.5, Decimal("1E+30"), Decimal("1.005"), Decimal("NaN"),
                                 Decimal("-1.00"), "3500.00"])
def test_a_tier_built_directly_refuses_what_is_no_fee(fee: object) -> None:
    """Tier(...) (a what-if TariffBook built by hand) reads its fee as money, as from_bounds
    does: no float, no fraction of a cent, no 1E+30 flowing into every charge."""
    from mbp_billing.errors import InvalidValue
    from mbp_billing.tariff import Tier

    with pytest.raises(InvalidValue, match="annual_fee"):
        Tier(1, None, fee)  # type: ignore[arg-type]
