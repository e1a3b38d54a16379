"""Money: parsing to :class:`~decimal.Decimal` and the single rounding policy.

Amounts are ``Decimal`` built from ``str``, ``int`` or ``Decimal``; a
``float`` is refused because it cannot represent cents exactly.  Rounding
happens in exactly one place, :func:`round_money`, half-up to the minor unit
of the euro as published in CLDR (2 decimals; ``tests/test_money.py`` holds
it to Babel's CLDR data, which is not loaded here so that a question about
the rules does not pay for it).  Parsing and rounding work on
exact fractions, so neither depends on the precision of the global
:mod:`decimal` context.

>>> parse_amount("7000.00", "annual_fee")
Decimal('7000.00')
>>> round_money(Decimal("1200.06") / 12)
Decimal('100.01')
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Final

from .errors import InvalidValue

__all__ = ["CENT", "CURRENCY", "money_str", "parse_amount", "round_money"]

CURRENCY: Final = "EUR"
#: The euro's minor unit in CLDR: 2 decimals (checked against Babel by the tests).
_DIGITS: Final = 2
#: Minor units (cents) per euro.
_MINOR: Final = 10 ** _DIGITS
CENT: Final = Decimal(f"1E-{_DIGITS}")
#: Amounts beyond this are input mistakes, and would not fit a decimal
#: context's default 28 digits once multiplied out.
_MAX_WHOLE_DIGITS: Final = 15


def _from_minor(units: int) -> Decimal:
    # The Decimal constructor is exact whatever the context's precision.
    return Decimal(f"{units}E-{_DIGITS}")


def round_money(value: Decimal | Fraction) -> Decimal:
    """Round an exact amount once, to the cent, half-up.  # R4, Annex 2 §1

    Half-up means a half cent goes away from zero.  The value may be a
    ``Fraction`` so that a share such as ``fee x 7/12`` reaches this one
    rounding without any rounding before it.

    Args:
        value: the exact amount, as a ``Decimal`` or a ``Fraction``.

    Returns:
        The amount rounded half-up to the cent, with exactly two decimals.

    Examples:
        >>> round_money(Decimal("100.005"))
        Decimal('100.01')
        >>> round_money(Decimal("100.0049999"))
        Decimal('100.00')
        >>> round_money(Fraction(120006, 1200))
        Decimal('100.01')
    """
    minor = Fraction(value) * _MINOR
    whole, rest = divmod(abs(minor.numerator), minor.denominator)
    if 2 * rest >= minor.denominator:
        whole += 1
    return _from_minor(-whole if minor < 0 else whole)


def parse_amount(value: object, field: str, *, positive: bool = True) -> Decimal:
    """Parse a money amount given as ``str``, ``int`` or ``Decimal``.

    Args:
        value: the amount; a float is refused with the fix in the message.
        field: the input's name, used in error messages.
        positive: refuse zero and negative amounts.

    Returns:
        The amount with exactly two decimals.

    Raises:
        InvalidValue: for a float, a non-number, more than two decimals, more
            than 15 digits before the decimal point, or a non-positive amount
            when ``positive``.

    Examples:
        >>> parse_amount(3500, "annual_fee")
        Decimal('3500.00')
        >>> parse_amount("EUR 600.60", "annual_fee")
        Decimal('600.60')
        >>> parse_amount(600.6, "annual_fee")
        Traceback (most recent call last):
        ...
        mbp_billing.errors.InvalidValue: annual_fee 600.6: a float cannot hold cents exactly; pass '600.60', not 600.6
    """
    if isinstance(value, bool):
        raise InvalidValue(field, value, "must be an amount in euro, such as '3500.00'")
    if isinstance(value, float):
        raise InvalidValue(
            field, value,
            f"a float cannot hold cents exactly; pass '{value:.2f}', not {value!r}",
        )
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip().replace("€", "").replace("EUR", "").strip()
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise InvalidValue(
                field, value, "is not an amount; write it like '3500.00'"
            ) from None
    else:
        raise InvalidValue(field, value, "must be a string or integer amount such as '3500.00'")
    if not amount.is_finite():
        raise InvalidValue(field, value, "must be a finite amount such as '3500.00'")
    if amount and amount.adjusted() >= _MAX_WHOLE_DIGITS:
        raise InvalidValue(
            field, value,
            f"is too large; an amount has at most {_MAX_WHOLE_DIGITS} digits before the decimal point",
        )
    minor = Fraction(amount) * _MINOR
    if minor.denominator != 1:
        raise InvalidValue(field, value, "has more than two decimals; give it to the cent")
    if positive and amount <= 0:
        raise InvalidValue(field, value, "must be more than zero")
    return _from_minor(minor.numerator)


def money_str(value: Decimal) -> str:
    """The plain machine form of an amount: two decimals, dot, no grouping.

    >>> money_str(Decimal("7000"))
    '7000.00'
    """
    return str(round_money(value))
