"""The tariff: a fixed fee per calendar year by population tier (R1).

The tariff is data.  A :class:`Tariff` is a table of tiers valid from a
calendar year; a :class:`TariffBook` holds every version, so a later price
change is a new table, not new code.

>>> DEFAULT_TARIFF_BOOK.for_year(2026).tier_for(25_001)
Tier(number=3, max_population=50000, annual_fee=Decimal('7000.00'))
>>> DEFAULT_TARIFF_BOOK.fee_for(15_000, 2026)
Decimal('3500.00')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from .errors import InvalidValue
from .money import parse_amount, parse_percent, round_money
from .population import MAX_POPULATION

__all__ = [
    "DEFAULT_TARIFF",
    "DEFAULT_TARIFF_BOOK",
    "MAX_POPULATION",
    "Tariff",
    "TariffBook",
    "Tier",
    "check_population",
]


def check_population(value: object, field: str = "population") -> int:
    """Return ``value`` as a population count, or raise.  # R1, Annex 2 §1

    A population is the de jure number of inhabitants: a positive whole
    number.  Booleans, floats (even ``15000.0``) and strings are refused.

    >>> check_population(15000)
    15000
    >>> check_population(0)
    Traceback (most recent call last):
    ...
    mbp_billing.errors.InvalidValue: population 0: must be a positive whole number of inhabitants, such as 15000
    """
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidValue(
            field, value, "must be a positive whole number of inhabitants, such as 15000"
        )
    if value > MAX_POPULATION:
        raise InvalidValue(
            field, value, f"is more than {MAX_POPULATION:,} inhabitants, more than any "
                          "municipality has; check the figure")
    return value


def _fee_in_cents(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    # A Tier built directly (a what-if TariffBook) is read like every amount:
    # a float, a fraction of a cent or 1E+30 would flow into every charge.
    try:
        ok = (isinstance(value, Decimal) and value >= 0
              and parse_amount(value, "annual_fee", positive=False) == value)
    except (InvalidValue, ArithmeticError):
        ok = False
    if not ok:
        raise InvalidValue("annual_fee", value if not isinstance(value, Decimal) else str(value),
                           "must be a Decimal in whole cents, zero or more, such as "
                           "Decimal('3500.00') (see parse_amount)")


@attrs.frozen
class Tier:
    """One row of the tariff: populations up to ``max_population`` inclusive.

    ``max_population`` is ``None`` for the open top tier ("Meer dan 50.000").

    Attributes:
        number: the tier's number, 1 for the smallest populations.
        max_population: the inclusive upper bound, or ``None`` for the top tier.
        annual_fee: the fee for a full calendar year.

    Examples:
        >>> DEFAULT_TARIFF.tiers[0]
        Tier(number=1, max_population=15000, annual_fee=Decimal('3500.00'))
        >>> DEFAULT_TARIFF.tiers[0].label(), DEFAULT_TARIFF.tiers[-1].label()
        ('<= 15000', 'open')
    """

    number: int
    max_population: int | None
    annual_fee: Decimal = attrs.field(validator=_fee_in_cents)

    def label(self) -> str:
        """A short Dutch-style description of the bound, e.g. ``'<= 15000'``."""
        return "open" if self.max_population is None else f"<= {self.max_population}"


def _tiers_ascending(instance: Any, attribute: Any, value: tuple[Tier, ...]) -> None:
    bounds = [t.max_population for t in value]
    if not value or bounds[-1] is not None or any(b is None for b in bounds[:-1]):
        raise InvalidValue("tiers", bounds, "the last tier, and only it, must be open-ended")
    closed = [b for b in bounds if b is not None]
    if closed != sorted(set(closed)):
        raise InvalidValue("tiers", bounds, "upper bounds must strictly ascend")


@attrs.frozen
class Tariff:
    """A tariff table valid from 1 January of ``valid_from``.  # R1, Annex 2 §1

    Build one with :meth:`Tariff.from_bounds`.

    Attributes:
        valid_from: the first calendar year the table applies to.
        tiers: the tiers, smallest populations first; only the last is open.

    Raises:
        InvalidValue: the tiers' bounds do not strictly ascend, or not exactly
            the last tier is open-ended.

    Examples:
        >>> t = Tariff.from_bounds(2030, [(20000, "4000.00"), (None, "9000.00")])
        >>> t.tier_for(20000).number, t.tier_for(20001).number, t.fee_for(20001)
        (1, 2, Decimal('9000.00'))
    """

    valid_from: int
    tiers: tuple[Tier, ...] = attrs.field(validator=_tiers_ascending)

    @classmethod
    def from_bounds(
        cls, valid_from: int, rows: Sequence[tuple[int | None, str | int | Decimal]]
    ) -> Tariff:
        """Build a tariff from ``(max_population, annual_fee)`` rows.

        >>> Tariff.from_bounds(2030, [(20000, "4000.00"), (None, "9000.00")]).tiers[1]
        Tier(number=2, max_population=None, annual_fee=Decimal('9000.00'))
        """
        tiers = tuple(
            Tier(i, bound, parse_amount(fee, f"tiers[{i}].annual_fee"))
            for i, (bound, fee) in enumerate(rows, start=1)
        )
        return cls(valid_from, tiers)

    def tier_for(self, population: int) -> Tier:
        """The tier of a population; upper bounds are inclusive.  # R1 reading

        "Tussen 15.000 en 25.000" and "Tot 15.000" overlap at 15,000; the only
        reading consistent with "Meer dan 50.000" (strictly more) takes every
        upper bound as inclusive.
        """
        population = check_population(population)
        for tier in self.tiers:
            if tier.max_population is None or population <= tier.max_population:
                return tier
        raise AssertionError("unreachable: the last tier is open")  # pragma: no cover

    def fee_for(self, population: int) -> Decimal:
        """The annual fee for a population under this table."""
        return self.tier_for(population).annual_fee


def _versions_ascending(instance: Any, attribute: Any, value: tuple[Tariff, ...]) -> None:
    years = [t.valid_from for t in value]
    if not years or years != sorted(set(years)):
        raise InvalidValue("tariffs", years, "need at least one version, in strictly ascending years")


@attrs.frozen
class TariffBook:
    """Every version of the tariff, each valid from its year until the next.

    A later price change is a new :class:`Tariff` added to the book; years
    before it keep their own table.

    Attributes:
        versions: the tariffs, in strictly ascending ``valid_from`` order.

    Raises:
        InvalidValue: no version, or years that do not strictly ascend.

    Examples:
        >>> book = TariffBook((DEFAULT_TARIFF,
        ...                    Tariff.from_bounds(2030, [(20000, "4000.00"), (None, "9000.00")])))
        >>> book.fee_for(18000, 2029), book.fee_for(18000, 2030)
        (Decimal('5000.00'), Decimal('4000.00'))
    """

    versions: tuple[Tariff, ...] = attrs.field(validator=_versions_ascending)

    def for_year(self, year: int) -> Tariff:
        """The table that applies in calendar ``year``."""
        applicable = [t for t in self.versions if t.valid_from <= year]
        if not applicable:
            raise InvalidValue(
                "year", year, f"no tariff applies before {self.versions[0].valid_from}"
            )
        return applicable[-1]

    def tier_for(self, population: int, year: int) -> Tier:
        """The tier of ``population`` under the table of ``year``."""
        return self.for_year(year).tier_for(population)

    def fee_for(self, population: int, year: int) -> Decimal:
        """The annual fee of ``population`` under the table of ``year``."""
        return self.for_year(year).fee_for(population)

    def with_change(self, *, from_year: int, percent: Decimal | int | str | None = None,
                    fee: Callable[[Tier], Decimal | int | str] | None = None) -> TariffBook:
        """A what-if book: every fee changed from ``from_year`` on.  # R1, R4, R9

        Give ``percent`` (``10`` for +10 %, ``"-2.5"`` for -2.5 %) or ``fee``,
        a function from a :class:`Tier` to its new annual fee.  The table in
        force in ``from_year`` and every later one are changed; earlier years
        keep theirs.  A percentage is applied exactly and each new annual fee
        rounded once, half-up to the cent, as the agreement states annual
        fees in cents; a first-year amount is then pro-rated from that fee
        and rounded once more (R4), as for any fee.

        Raises:
            InvalidValue: neither or both of ``percent`` and ``fee``, a float
                percentage, or a fee that is no amount.

        Examples:
            >>> book = DEFAULT_TARIFF_BOOK.with_change(percent=10, from_year=2027)
            >>> book.fee_for(9000, 2026), book.fee_for(9000, 2027)
            (Decimal('3500.00'), Decimal('3850.00'))
            >>> DEFAULT_TARIFF_BOOK.with_change(percent="-0.01", from_year=2027).fee_for(9000, 2027)
            Decimal('3499.65')
            >>> flat = DEFAULT_TARIFF_BOOK.with_change(from_year=2028, fee=lambda tier: "4000.00")
            >>> flat.fee_for(60000, 2028)
            Decimal('4000.00')
        """
        if (percent is None) == (fee is None):
            raise InvalidValue("percent", percent, "give either percent= or fee=, not both "
                                                   "and not neither")
        if percent is not None:
            factor = 1 + Fraction(parse_percent(percent, "percent")) / 100
            if factor < 0:
                raise InvalidValue("percent", percent, "would make fees negative")

            def change(tier: Tier) -> Decimal:
                return round_money(Fraction(tier.annual_fee) * factor)
        else:
            assert fee is not None

            def change(tier: Tier) -> Decimal:
                return parse_amount(fee(tier), f"fee of tier {tier.number}")

        def changed(table: Tariff, year: int) -> Tariff:
            return Tariff(year, tuple(attrs.evolve(t, annual_fee=change(t)) for t in table.tiers))

        first = changed(self.for_year(from_year), from_year)
        before = [t for t in self.versions if t.valid_from < from_year]
        after = [changed(t, t.valid_from) for t in self.versions if t.valid_from > from_year]
        return TariffBook((*before, first, *after))


DEFAULT_TARIFF: Tariff = Tariff.from_bounds(
    2023,
    [(15_000, "3500.00"), (25_000, "5000.00"), (50_000, "7000.00"), (None, "10000.00")],
)
"""The tariff of Annex 2 §1 of the agreement, applicable from 2023.  # R1

Examples:
    >>> [(t.max_population, str(t.annual_fee)) for t in DEFAULT_TARIFF.tiers]
    [(15000, '3500.00'), (25000, '5000.00'), (50000, '7000.00'), (None, '10000.00')]
"""

DEFAULT_TARIFF_BOOK: TariffBook = TariffBook((DEFAULT_TARIFF,))
"""Every tariff version in force: today only :data:`DEFAULT_TARIFF`.  # R1

The default ``tariff`` of agreements, portfolios and :func:`~mbp_billing.schedule.quote`.

Examples:
    >>> [t.valid_from for t in DEFAULT_TARIFF_BOOK.versions]
    [2023]
    >>> DEFAULT_TARIFF_BOOK.fee_for(25_000, 2026)
    Decimal('5000.00')
"""
