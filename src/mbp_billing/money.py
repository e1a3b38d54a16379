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

import re
from decimal import Decimal
from fractions import Fraction
from typing import Final

from .errors import InvalidValue

__all__ = ["CENT", "CURRENCY", "money_str", "parse_amount", "parse_percent", "parse_whole_number",
           "round_money"]

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
            than 15 digits before the decimal point, a non-positive amount
            when ``positive``; and, in text, anything but ASCII digits, one
            optional sign and one decimal point (no exponent, no ``_``
            separators, no other scripts' digits, at most 40 characters).
            Every refusal is immediate, whatever the input's size.

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
        if abs(value) >= _LIMIT:
            raise InvalidValue(field, _shown(value), _TOO_LARGE)
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = _checked_decimal(value, field)
    elif isinstance(value, str):
        amount = _amount_from_text(value, field)
    else:
        raise InvalidValue(field, value, "must be a string or integer amount such as '3500.00'")
    if amount and amount.adjusted() >= _MAX_WHOLE_DIGITS:
        raise InvalidValue(field, _shown(value), _TOO_LARGE)
    minor = Fraction(amount) * _MINOR
    if minor.denominator != 1:
        raise InvalidValue(field, value, "has more than two decimals; give it to the cent")
    if positive and amount <= 0:
        raise InvalidValue(field, value, "must be more than zero")
    return _from_minor(minor.numerator)


_TOO_LARGE: Final = (f"is too large; an amount has at most {_MAX_WHOLE_DIGITS} digits before "
                     "the decimal point")
_LIMIT: Final = 10 ** _MAX_WHOLE_DIGITS
#: Longest text read as an amount; anything longer is refused before it is parsed.
MAX_AMOUNT_CHARS: Final = 40
#: Decimals an amount may be written with (trailing zeros beyond the cent included).
_MAX_DECIMALS: Final = 10
# ASCII digits only: Decimal() would also read other scripts' digits, "_"
# separators and exponents (1E-99999999 takes minutes to turn into cents).
_AMOUNT_TEXT: Final = re.compile(
    rf"[+-]?[0-9]{{1,{_MAX_WHOLE_DIGITS}}}(?:\.[0-9]{{0,{_MAX_DECIMALS}}})?", re.ASCII)
_NOT_FINITE: Final = re.compile(r"[+-]?(?:s?nan|inf|infinity)", re.IGNORECASE)
_EXPONENT: Final = re.compile(r"[+-]?[0-9.]+[eE][+-]?[0-9]+", re.ASCII)
_WHOLE_PART: Final = re.compile(rf"[+-]?[0-9]{{{_MAX_WHOLE_DIGITS + 1},}}", re.ASCII)


def _shown(value: object) -> object:
    # A value of thousands of digits is shortened in the message, not echoed
    # (and an int beyond Python's 4300-digit str() limit is never converted).
    if isinstance(value, int) and value.bit_length() > 4 * MAX_AMOUNT_CHARS:
        return f"an integer of {value.bit_length()} bits"
    text = str(value)
    return value if len(text) <= MAX_AMOUNT_CHARS else f"{text[:20]}...({len(text)} characters)"


def _amount_from_text(value: str, field: str) -> Decimal:
    if len(value) > 2 * MAX_AMOUNT_CHARS:
        raise InvalidValue(field, _shown(value),
                           f"is too long for an amount (at most {MAX_AMOUNT_CHARS} characters); "
                           "write it like '3500.00'")
    text = value.strip().replace("€", "").replace("EUR", "").strip()
    if _AMOUNT_TEXT.fullmatch(text):
        return Decimal(text)
    if _NOT_FINITE.fullmatch(text):
        raise InvalidValue(field, value, "must be a finite amount such as '3500.00'")
    if _EXPONENT.fullmatch(text):
        raise InvalidValue(field, value, "exponent notation is not accepted; write the amount "
                                         "in full, like '3500.00'")
    if _WHOLE_PART.match(text):
        raise InvalidValue(field, _shown(value), _TOO_LARGE)
    if re.fullmatch(r"[+-]?[0-9]*\.[0-9]+", text, re.ASCII):
        raise InvalidValue(field, value, "has more than two decimals; give it to the cent")
    raise InvalidValue(field, value, "is not an amount; write it with ASCII digits and a "
                                     "decimal point, like '3500.00'")


def _checked_decimal(value: Decimal, field: str) -> Decimal:
    if not value.is_finite():
        raise InvalidValue(field, value, "must be a finite amount such as '3500.00'")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if len(value.as_tuple().digits) > MAX_AMOUNT_CHARS or exponent < -_MAX_DECIMALS:
        if value and value.adjusted() >= _MAX_WHOLE_DIGITS:
            raise InvalidValue(field, _shown(value), _TOO_LARGE)
        raise InvalidValue(field, _shown(value), "has more than two decimals; give it to the cent")
    if exponent > _MAX_WHOLE_DIGITS:
        raise InvalidValue(field, _shown(value), _TOO_LARGE)
    return value


#: A percentage change is at most this large either way (a typo beyond it).
_MAX_PERCENT: Final = 1000
_PERCENT_TEXT: Final = re.compile(rf"[+-]?[0-9]{{1,4}}(?:\.[0-9]{{1,{_MAX_DECIMALS}}})?",
                                  re.ASCII)


def parse_percent(value: object, field: str) -> Decimal:
    """Read a percentage change (``10`` for +10 %, ``"-2.5"``): exact, bounded, ASCII.

    The same reading as :func:`parse_amount`, for a rate instead of money:
    ``int``, ``Decimal`` or text of ASCII digits with one optional sign and
    up to ten decimals, from -1000 to 1000.  Floats, exponents, ``_``, other
    scripts' digits and non-finite values are refused at once.

    Raises:
        InvalidValue: anything else, naming the field.

    Examples:
        >>> parse_percent("-2.5", "percent")
        Decimal('-2.5')
        >>> parse_percent("1E-99999999", "percent")
        Traceback (most recent call last):
        ...
        mbp_billing.errors.InvalidValue: percent '1E-99999999': must be a percentage from -1000 to 1000 with at most 10 decimals, written with ASCII digits like 10 or '-2.5'
    """
    hint = (f"must be a percentage from -{_MAX_PERCENT} to {_MAX_PERCENT} with at most "
            f"{_MAX_DECIMALS} decimals, written with ASCII digits like 10 or '-2.5'")
    if isinstance(value, float):
        raise InvalidValue(field, value, f"pass a whole number or text such as '{value}', "
                                         "not a float")
    if isinstance(value, bool):
        raise InvalidValue(field, value, hint)
    if isinstance(value, int):
        number = Decimal(value) if abs(value) <= _MAX_PERCENT else None
    elif isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        # Checked without arithmetic: 1E+99999999 would overflow the context.
        number = (value if value.is_finite() and isinstance(exponent, int)
                  and exponent >= -_MAX_DECIMALS and value.adjusted() < 4 else None)
    elif isinstance(value, str) and len(value) <= MAX_AMOUNT_CHARS \
            and _PERCENT_TEXT.fullmatch(value.strip()):
        number = Decimal(value.strip())
    else:
        number = None
    if number is None or number.copy_abs() > _MAX_PERCENT:
        raise InvalidValue(field, _shown(value), hint)
    return number


def money_str(value: Decimal) -> str:
    """The plain machine form of an amount: two decimals, dot, no grouping.

    >>> money_str(Decimal("7000"))
    '7000.00'
    """
    return str(round_money(value))


def parse_whole_number(value: object, field: str, *, minimum: int, maximum: int,
                       what: str = "a whole number") -> int:
    """Read a count or a year: an ``int``, or text of ASCII digits only.

    The one reader of whole numbers for every door (years, populations,
    worker counts, CSV cells): no sign, no ``_`` or other separators, no
    other scripts' digits (``int()`` reads ``'٢٠٢٤'`` as 2024), nothing
    outside ``minimum..maximum``.  Text longer than ``maximum`` has digits
    is refused before it is converted, so no input takes time.

    Args:
        value: an ``int`` (not a ``bool``) or its decimal text.
        field: the input's name, used in error messages.
        minimum: the smallest value accepted.
        maximum: the largest value accepted.
        what: how the message names the value, e.g. ``"a calendar year"``.

    Returns:
        The number.

    Raises:
        InvalidValue: anything else, naming the field and the bounds.

    Examples:
        >>> parse_whole_number(" 2026 ", "--year", minimum=1900, maximum=2199)
        2026
        >>> parse_whole_number("7_000", "population", minimum=1, maximum=10_000_000)
        Traceback (most recent call last):
        ...
        mbp_billing.errors.InvalidValue: population '7_000': must be a whole number from 1 to 10000000, written with the digits 0-9 only
    """
    hint = f"must be {what} from {minimum} to {maximum}, written with the digits 0-9 only"
    if isinstance(value, bool):
        raise InvalidValue(field, value, hint)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if len(value) > 4 * len(str(maximum)) or not re.fullmatch(
                rf"[0-9]{{1,{len(str(maximum))}}}", text, re.ASCII):
            raise InvalidValue(field, _shown(value), hint)
        number = int(text)
    else:
        raise InvalidValue(field, value, hint)
    if not minimum <= number <= maximum:
        raise InvalidValue(field, _shown(value), hint)
    return number
