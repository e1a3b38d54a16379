"""Money: exact parsing and the single half-up rounding (R4, house style)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from babel.numbers import get_currency_precision
from hypothesis import example, given
from hypothesis import strategies as st

from mbp_billing.errors import InvalidValue
from mbp_billing.money import CENT, CURRENCY, money_str, parse_amount, round_money


def test_cent_is_the_minor_unit_of_the_euro_in_cldr() -> None:
    """The rounding unit is CLDR's minor unit of the currency (Babel's data)."""
    assert Decimal(1).scaleb(-get_currency_precision(CURRENCY)) == CENT
    assert round_money(Decimal("0.005")) == Decimal("0.01")


@pytest.mark.parametrize(
    ("given_value", "expected"),
    [
        ("7000.00", "7000.00"),
        ("7000", "7000.00"),
        (7000, "7000.00"),
        (Decimal("7000.5"), "7000.50"),
        ("  1200.06 ", "1200.06"),
        ("EUR 3500", "3500.00"),
        ("€ 3500.10", "3500.10"),
        ("100.500", "100.50"),
    ],
)
def test_parse_amount_accepts_exact_forms(given_value: object, expected: str) -> None:
    """Strings, integers and Decimals to the cent parse to two-decimal Decimals."""
    amount = parse_amount(given_value, "annual_fee")
    assert amount == Decimal(expected)
    assert str(amount) == expected


def test_parse_amount_refuses_float_with_the_fix() -> None:
    """A float is refused, and the message shows the string to write instead."""
    with pytest.raises(InvalidValue) as info:
        parse_amount(600.6, "annual_fee")
    assert info.value.field == "annual_fee"
    assert "'600.60'" in str(info.value)
    assert "600.6" in str(info.value)


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("100.005", "more than two decimals"),
        ("0", "more than zero"),
        ("-5.00", "more than zero"),
        ("abc", "not an amount"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
        (True, "amount"),
        (None, "string or integer"),
        ("1e40", "exponent notation"),
        ("1" * 16, "too large"),
        (10**20, "too large"),
    ],
)
def test_parse_amount_refuses_bad_values(bad: object, words: str) -> None:
    """Bad amounts raise InvalidValue naming the field and the reason."""
    with pytest.raises(InvalidValue) as info:
        parse_amount(bad, "annual_fee")
    assert info.value.field == "annual_fee"
    assert words in str(info.value)


def test_parse_amount_allows_zero_when_not_positive() -> None:
    """``positive=False`` admits zero and negative amounts (credit notes)."""
    assert parse_amount("0", "x", positive=False) == Decimal("0.00")
    assert parse_amount("-12.30", "x", positive=False) == Decimal("-12.30")


@pytest.mark.parametrize(
    ("exact", "rounded"),
    [
        ("100.005", "100.01"),
        ("100.0049999", "100.00"),
        ("100.015", "100.02"),
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("-100.005", "-100.01"),
        ("2333.333333", "2333.33"),
        ("7000", "7000.00"),
    ],
)
def test_round_money_is_half_up_to_the_cent(exact: str, rounded: str) -> None:
    """Half a cent rounds away from zero; the result has exactly two decimals."""
    result = round_money(Decimal(exact))
    assert result == Decimal(rounded)
    assert result.as_tuple().exponent == -2


def test_round_money_takes_exact_fractions() -> None:
    """A Fraction such as 1200.06 x 1/12 rounds once, without a decimal step."""
    assert round_money(Fraction(Decimal("1200.06")) / 12) == Decimal("100.01")
    assert round_money(Fraction(7000, 3)) == Decimal("2333.33")


@given(st.decimals(min_value=-10**9, max_value=10**9, allow_nan=False, places=6))
@example(Decimal("100.005"))
@example(Decimal("-0.005"))
def test_round_money_matches_decimal_half_up(value: Decimal) -> None:
    """round_money agrees with Decimal's own ROUND_HALF_UP quantize."""
    with localcontext() as ctx:
        ctx.prec = 50
        expected = value.quantize(CENT, rounding=ROUND_HALF_UP)
    assert round_money(value) == expected


def test_rounding_ignores_the_global_decimal_context() -> None:
    """A caller's low-precision decimal context cannot move a cent (R4 exactness)."""
    from mbp_billing.proration import prorated_amount

    with localcontext() as ctx:
        ctx.prec = 6
        assert prorated_amount(Decimal("123456.78"), 7) == Decimal("72016.46")
        assert parse_amount("123456.78", "annual_fee") == Decimal("123456.78")
        assert money_str(Decimal("123456.78")) == "123456.78"


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("7000"), "7000.00"), (Decimal("0.5"), "0.50"), (Decimal("1234567.89"), "1234567.89")],
)
def test_money_str_has_two_decimals_and_no_grouping(value: Decimal, text: str) -> None:
    """money_str gives the machine form used in JSON: dot, two decimals."""
    assert money_str(value) == text
