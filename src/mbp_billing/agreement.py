"""The agreement of one municipality, and its TOML file format.

An :class:`Agreement` holds the facts that money depends on: the signing
date, the population (or a stated annual fee), the two store go-live dates,
an optional termination notice and price amendments.  It is validated at
construction, so no invalid agreement exists.

>>> from datetime import date
>>> a = Agreement(signed_on=date(2023, 2, 10), population=32000,
...               app_store_live_on=date(2023, 6, 20), play_store_live_on=date(2023, 7, 3))
>>> a.annual_fee_for(2024), a.billing_start, a.ends_on
(Decimal('7000.00'), datetime.date(2023, 7, 1), None)
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from .errors import InvalidValue
from .money import parse_amount, parse_whole_number
from .proration import billing_start, go_live_date
from .tariff import DEFAULT_TARIFF_BOOK, TariffBook, Tier, check_population
from .term import Termination, termination
from .text import refuse_special_file

if TYPE_CHECKING:  # Imported when a buyer is read: python-stdnum is not needed to quote.
    from .parties import Party

__all__ = [
    "AGREEMENT_KEYS",
    "AMENDMENT_KEYS",
    "MAX_ANNUAL_FEE",
    "MIN_ANNUAL_FEE",
    "Agreement",
    "Amendment",
    "FeeBasis",
    "parse_date",
]

#: The public keys of an agreement file (and of a portfolio CSV row).
AGREEMENT_KEYS: Final = (
    "signed_on",
    "population",
    "annual_fee",
    "population_year",
    "app_store_live_on",
    "play_store_live_on",
    "notice_sent_on",
    "dissolved_on",
    "buyer",
    "amendments",
)
AMENDMENT_KEYS: Final = ("from_year", "population", "annual_fee")


def parse_date(value: object, field: str) -> date:
    """Accept a ``date`` or an ISO ``YYYY-MM-DD`` string; refuse anything else.

    Args:
        value: a ``datetime.date`` (not a ``datetime``) or its ISO text.
        field: the input's name, used in error messages.

    Returns:
        The date.

    Raises:
        InvalidValue: a ``datetime``, text that is no real calendar date, or
            any other type.

    Examples:
        >>> parse_date("2023-02-10", "signed_on")
        datetime.date(2023, 2, 10)
        >>> parse_date("2023-02-29", "signed_on")
        Traceback (most recent call last):
        ...
        mbp_billing.errors.InvalidValue: signed_on '2023-02-29': is not a real calendar date (day is out of range for month); write it as YYYY-MM-DD
    """
    if isinstance(value, datetime):
        raise InvalidValue(field, value.isoformat(), "must be a date without a time, e.g. 2023-06-20")
    if isinstance(value, date):
        return _in_supported_years(value, field)
    if isinstance(value, str):
        text = value.strip()
        # Only YYYY-MM-DD: fromisoformat alone would also take 20230201 or
        # week dates such as 2023-W05-1, which nobody means on an invoice.
        if not _ISO_DATE.fullmatch(text):
            raise InvalidValue(field, value, "is not a date; write it as YYYY-MM-DD")
        try:
            parsed = date.fromisoformat(text)
        except ValueError as exc:
            raise InvalidValue(field, value, f"is not a real calendar date ({exc}); write it "
                                             "as YYYY-MM-DD") from None
        return _in_supported_years(parsed, field)
    raise InvalidValue(field, value, "must be a date written as YYYY-MM-DD")


_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: Dates outside these years are typing errors; the term arithmetic (S + 4
#: years, notice + 3 months) stays far inside what ``datetime`` can hold.
SUPPORTED_YEARS: Final = range(1900, 2200)


def _in_supported_years(value: date, field: str) -> date:
    if value.year not in SUPPORTED_YEARS:
        raise InvalidValue(field, value.isoformat(),
                           f"is outside the years {SUPPORTED_YEARS.start}-"
                           f"{SUPPORTED_YEARS.stop - 1}; check the year")
    return value


# The converters' parameter types are the constructors' types for a type
# checker (attrs): dates are dates, fees Decimal, int or str, never float.
# At run time they still refuse anything else (TOML values arrive untyped).

def _signed_on(value: date) -> date:
    return parse_date(value, "signed_on")


def _app_store(value: date | None) -> date | None:
    return None if value is None else parse_date(value, "app_store_live_on")


def _play_store(value: date | None) -> date | None:
    return None if value is None else parse_date(value, "play_store_live_on")


def _notice(value: date | None) -> date | None:
    return None if value is None else parse_date(value, "notice_sent_on")


def _dissolved(value: date | None) -> date | None:
    return None if value is None else parse_date(value, "dissolved_on")


def _check_year(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(field, value, "must be a calendar year such as 2025")
    return parse_whole_number(value, field, minimum=SUPPORTED_YEARS.start,
                              maximum=SUPPORTED_YEARS.stop - 1, what="a calendar year")


def _amendment_fee(value: Decimal | int | str | None) -> Decimal | None:
    return None if value is None else parse_amount(value, "amendments.annual_fee")


@attrs.frozen
class FeeBasis:
    """What fixes the annual fee from a year on: a population or a stated fee.

    Returned by :meth:`Agreement.basis_for`.

    Examples:
        >>> from datetime import date
        >>> a = Agreement(signed_on=date(2023, 2, 10), population=9000,
        ...               amendments=[Amendment(from_year=2025, annual_fee="4000.00")])
        >>> a.basis_for(2024), a.basis_for(2026)[1]
        ((FeeBasis(population=9000, annual_fee=None), None), 2025)
    """

    population: int | None = None
    annual_fee: Decimal | None = None


@attrs.frozen
class Amendment:
    """A price adjustment effective from 1 January of ``from_year``.  # R9, Annex 2 §1

    Gives either a new population figure (re-tiered by R1) or a new annual
    fee.  It never changes a year before ``from_year``.  Read one from an
    ``[[amendments]]`` table with :meth:`Amendment.from_mapping`.

    Attributes:
        from_year: the first calendar year the new basis applies to.
        population: the new population figure, or ``None``.
        annual_fee: the new annual fee, or ``None``.

    Raises:
        InvalidValue: neither a population nor a fee, or a bad value.

    Examples:
        >>> Amendment(from_year=2026, annual_fee="4000.00")
        Amendment(from_year=2026, population=None, annual_fee=Decimal('4000.00'))
        >>> Amendment.from_mapping({"from_year": 2025, "population": 24000}).population
        24000
    """

    from_year: int
    population: int | None = None
    annual_fee: Decimal | None = attrs.field(default=None, converter=_amendment_fee)

    def __attrs_post_init__(self) -> None:
        _check_year(self.from_year, "amendments.from_year")
        _check_basis(self.population, self.annual_fee, "amendments.")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "amendments") -> Amendment:
        """Build from an ``[[amendments]]`` table, refusing unknown keys."""
        _refuse_unknown(data, AMENDMENT_KEYS, where)
        if "from_year" not in data:
            raise InvalidValue(f"{where}.from_year", None, "is missing; add from_year = 2025")
        fee = data.get("annual_fee")
        return cls(
            from_year=data["from_year"],
            population=data.get("population"),
            annual_fee=None if fee is None else parse_amount(fee, f"{where}.annual_fee"),
        )


def _check_basis(population: object, annual_fee: object, prefix: str) -> None:
    if population is None and annual_fee is None:
        raise InvalidValue(
            f"{prefix}population", None, "give the population or the annual_fee (R1)"
        )
    if population is not None:
        check_population(population, f"{prefix}population")
    if annual_fee is not None:
        fee = parse_amount(annual_fee, f"{prefix}annual_fee")
        # Checked here, not when a document is built: one month of the fee must
        # be at least a cent, and an invoice total must fit the EPC QR code.
        if not MIN_ANNUAL_FEE <= fee <= MAX_ANNUAL_FEE:
            raise InvalidValue(f"{prefix}annual_fee", str(fee),
                               f"must be from {MIN_ANNUAL_FEE} (a cent a month) to "
                               f"{MAX_ANNUAL_FEE} euro (what an invoice's payment QR code "
                               "can carry)")


#: The smallest stated annual fee: one month of it is a cent (R4).
MIN_ANNUAL_FEE: Final = Decimal("0.12")
#: The largest stated annual fee: the most an EPC payment QR code can carry.
MAX_ANNUAL_FEE: Final = Decimal("999999999.99")


def _refuse_unknown(data: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        prefix = f"{where}." if where else ""
        if len(unknown) == 1:
            raise InvalidValue(f"{prefix}{unknown[0]}", data[unknown[0]],
                               f"unknown key; allowed keys are {', '.join(allowed)}")
        raise InvalidValue("unknown keys", ", ".join(f"{prefix}{k}" for k in unknown),
                           f"remove or rename them; allowed keys are {', '.join(allowed)}")


def _amendments(value: Sequence[Amendment]) -> tuple[Amendment, ...]:
    items = tuple(value) if isinstance(value, list | tuple) else value
    if not isinstance(items, tuple) or not all(isinstance(a, Amendment) for a in items):
        raise InvalidValue("amendments", value, "must be a list of Amendment values")
    return tuple(sorted(items, key=lambda a: a.from_year))


def _fee(value: Decimal | int | str | None) -> Decimal | None:
    return None if value is None else parse_amount(value, "annual_fee")


@attrs.frozen
class Agreement:
    """The facts of one municipality's agreement that money depends on.

    Attributes:
        signed_on: the signing date S (Art. 10).
        population: inhabitants on 1 January of ``population_year`` (R1).
        annual_fee: the fee stated in the agreement; with a population it must
            agree with the tariff.
        population_year: the observation year of the population figure.
        app_store_live_on / play_store_live_on: availability dates (R2).
        notice_sent_on: date a registered termination letter was sent (R7).
        dissolved_on: an explicit last day in force (Art. 10 §3).
        buyer: the municipality as invoiced (required for invoices).
        amendments: price adjustments (R9).
        tariff: the tariff versions to apply (R1).

    Raises:
        InvalidValue: for any value that breaks a rule.

    Examples:
        Build one directly, or read an agreement file with
        :meth:`Agreement.from_toml` (or its text with
        :meth:`Agreement.from_toml_text`):

        >>> from datetime import date
        >>> a = Agreement(signed_on=date(2023, 2, 10), population=32000,
        ...               app_store_live_on=date(2023, 6, 20), play_store_live_on=date(2023, 7, 3),
        ...               amendments=[Amendment(from_year=2025, population=24000)])
        >>> a.billing_start, a.annual_fee_for(2024), a.annual_fee_for(2025)
        (datetime.date(2023, 7, 1), Decimal('7000.00'), Decimal('5000.00'))
        >>> Agreement.from_toml_text("signed_on = 2023-02-10\\npopulation = 9000").annual_fee_for(2023)
        Decimal('3500.00')
    """

    signed_on: date = attrs.field(converter=_signed_on)
    population: int | None = None
    annual_fee: Decimal | None = attrs.field(default=None, converter=_fee)
    population_year: int | None = None
    app_store_live_on: date | None = attrs.field(
        default=None, converter=_app_store)
    play_store_live_on: date | None = attrs.field(
        default=None, converter=_play_store)
    notice_sent_on: date | None = attrs.field(
        default=None, converter=_notice)
    dissolved_on: date | None = attrs.field(
        default=None, converter=_dissolved)
    buyer: Party | None = None
    amendments: tuple[Amendment, ...] = attrs.field(default=(), converter=_amendments)
    tariff: TariffBook = attrs.field(default=DEFAULT_TARIFF_BOOK, repr=False)

    def __attrs_post_init__(self) -> None:
        _check_basis(self.population, self.annual_fee, "")
        if self.population_year is not None:
            _check_year(self.population_year, "population_year")
        # R1, Annex 2 §1: a stated fee must be the tariff's for the stated population.
        if self.population is not None and self.annual_fee is not None:
            year = max(self.signed_on.year, self.tariff.versions[0].valid_from)
            tier = self.tariff.tier_for(self.population, year)
            if tier.annual_fee != self.annual_fee:
                raise InvalidValue(
                    "annual_fee", str(self.annual_fee),
                    f"disagrees with the tariff: population {self.population} is tier "
                    f"{tier.number} at {tier.annual_fee} a year (R1); "
                    "state only one of them, or correct the other",
                )
        for name in ("notice_sent_on", "dissolved_on"):
            when = getattr(self, name)
            if when is not None and when < self.signed_on:
                raise InvalidValue(
                    name, when.isoformat(),
                    f"is before the signing date {self.signed_on.isoformat()}; "
                    "correct one of the two dates",
                )
        if self.notice_sent_on is not None:
            termination(self.signed_on, self.notice_sent_on)
        for amendment in self.amendments:
            if amendment.population is not None and amendment.annual_fee is not None:
                tier = self.tariff.tier_for(amendment.population, amendment.from_year)
                if tier.annual_fee != amendment.annual_fee:
                    raise InvalidValue(
                        "amendments.annual_fee", str(amendment.annual_fee),
                        f"disagrees with the tariff: the amendment from {amendment.from_year} "
                        f"gives population {amendment.population}, tier {tier.number} at "
                        f"{tier.annual_fee} a year (R1, R9); state only one of them",
                    )
        years = [a.from_year for a in self.amendments]
        if len(years) != len(set(years)):
            raise InvalidValue(
                "amendments.from_year", years, "two amendments take effect in the same year; merge them"
            )

    # -- derived facts -------------------------------------------------------

    @property
    def go_live(self) -> date | None:
        """The later of the two store dates, or ``None`` while one is unknown (R2)."""
        return go_live_date(self.app_store_live_on, self.play_store_live_on)

    @property
    def billing_start(self) -> date | None:
        """First day billed (R2, R3), or ``None`` while not live in both stores."""
        return billing_start(self.app_store_live_on, self.play_store_live_on)

    @property
    def termination(self) -> Termination | None:
        """The termination that follows from ``notice_sent_on`` (R7), if any."""
        if self.notice_sent_on is None:
            return None
        return termination(self.signed_on, self.notice_sent_on)

    @property
    def ends_on(self) -> date | None:
        """The last day in force: the earlier of dissolution and notice end (R7)."""
        ends = [d for d in (self.dissolved_on,) if d is not None]
        if self.termination is not None:
            ends.append(self.termination.ends_on)
        return min(ends) if ends else None

    def basis_for(self, year: int) -> tuple[FeeBasis, int | None]:
        """The fee basis in force in ``year`` and the amendment year it comes from.  # R9

        Returns ``(basis, from_year)``, ``from_year`` being ``None`` for the
        agreement's own figures.
        """
        chosen: tuple[FeeBasis, int | None] = (
            FeeBasis(self.population, self.annual_fee), None)
        for amendment in self.amendments:
            if amendment.from_year <= year:
                chosen = (FeeBasis(amendment.population, amendment.annual_fee),
                          amendment.from_year)
        return chosen

    def tariff_year_for(self, year: int) -> int:
        """The year whose tariff table prices ``year``.  # R1, R9, Annex 2 §1

        A new tariff table never silently reprices a signed agreement: the
        table in force at signing applies (the first table for an agreement
        signed before it) until an amendment (R9) moves the basis, from
        whose year on that year's table applies.

        >>> from datetime import date
        >>> from mbp_billing import Tariff, TariffBook, DEFAULT_TARIFF
        >>> book = TariffBook((DEFAULT_TARIFF,
        ...                    Tariff.from_bounds(2027, [(20000, "4000.00"), (None, "9000.00")])))
        >>> a = Agreement(signed_on=date(2024, 3, 1), population=18000, tariff=book,
        ...               amendments=[Amendment(from_year=2029, population=18000)])
        >>> a.tariff_year_for(2028), a.annual_fee_for(2028), a.annual_fee_for(2029)
        (2024, Decimal('5000.00'), Decimal('4000.00'))
        """
        _, from_year = self.basis_for(year)
        if from_year is not None:
            return from_year
        return max(self.signed_on.year, self.tariff.versions[0].valid_from)

    def tier_for(self, year: int) -> Tier | None:
        """The population tier used in ``year``, or ``None`` for a stated fee."""
        basis, _ = self.basis_for(year)
        if basis.annual_fee is not None or basis.population is None:
            return None
        return self.tariff.tier_for(basis.population, self.tariff_year_for(year))

    def annual_fee_for(self, year: int) -> Decimal:
        """The annual fee in ``year``: a stated fee wins, else the tariff tier.  # R1, R9"""
        basis, _ = self.basis_for(year)
        if basis.annual_fee is not None:
            return basis.annual_fee
        assert basis.population is not None  # guaranteed by _check_basis
        return self.tariff.fee_for(basis.population, self.tariff_year_for(year))

    def in_force_on(self, day: date) -> bool:
        """Whether the agreement is in force on ``day`` (R5, R7)."""
        ends = self.ends_on
        return self.signed_on <= day and (ends is None or day <= ends)

    # -- named constructors --------------------------------------------------

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, tariff: TariffBook = DEFAULT_TARIFF_BOOK,
                     where: str = "") -> Agreement:
        """Build an agreement from the parsed keys of an agreement file.

        Unknown keys are refused by name; ``annual_fee`` may be a string or an
        integer, never a float.
        """
        _refuse_unknown(data, AGREEMENT_KEYS, where)
        if "signed_on" not in data:
            raise InvalidValue("signed_on", None, "is missing; add signed_on = 2023-02-10")
        buyer = data.get("buyer")
        if buyer is not None and not isinstance(buyer, Mapping):
            raise InvalidValue("buyer", buyer, "must be a [buyer] table")
        from .parties import Party

        raw_amendments = data.get("amendments", [])
        if not isinstance(raw_amendments, list) or not all(
                isinstance(a, Mapping) for a in raw_amendments):
            raise InvalidValue("amendments", raw_amendments, "must be [[amendments]] tables")
        return cls(
            signed_on=data["signed_on"],
            population=data.get("population"),
            annual_fee=data.get("annual_fee"),
            population_year=data.get("population_year"),
            app_store_live_on=data.get("app_store_live_on"),
            play_store_live_on=data.get("play_store_live_on"),
            notice_sent_on=data.get("notice_sent_on"),
            dissolved_on=data.get("dissolved_on"),
            buyer=None if buyer is None else Party.from_mapping(dict(buyer)),
            amendments=tuple(Amendment.from_mapping(a) for a in raw_amendments),
            tariff=tariff,
        )

    @classmethod
    def from_toml(cls, source: str | Path, *, tariff: TariffBook = DEFAULT_TARIFF_BOOK) -> Agreement:
        """Read an agreement file (TOML).

        Raises:
            InvalidValue: the file is missing, is not TOML, or has a bad key
                or value; the message names the file.
        """
        path = Path(source)
        try:
            # utf-8-sig: a byte-order mark, as some editors write, is accepted as in CSV.
            refuse_special_file(path, "agreement")
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InvalidValue("agreement", str(path), f"cannot be read ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise InvalidValue("agreement", str(path), "is not UTF-8 text; save it as UTF-8 TOML") from None
        return cls.from_toml_text(text, tariff=tariff, name=str(path))

    @classmethod
    def from_toml_text(cls, text: str, *, tariff: TariffBook = DEFAULT_TARIFF_BOOK,
                       name: str = "<agreement>") -> Agreement:
        """Parse agreement TOML from a string.

        >>> Agreement.from_toml_text('signed_on = 2023-02-10\\npopulation = 9000').annual_fee_for(2023)
        Decimal('3500.00')
        """
        try:
            data = tomllib.loads(text.removeprefix("\ufeff"))
        except tomllib.TOMLDecodeError as exc:
            raise InvalidValue("agreement", name, f"is not valid TOML ({exc})") from None
        try:
            return cls.from_mapping(data, tariff=tariff)
        except InvalidValue as exc:
            raise InvalidValue(f"{name}: {exc.field}", exc.value, exc.reason) from None
