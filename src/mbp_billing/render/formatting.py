"""Dates, amounts and text as printed: shared formatting of every page.

:class:`Formatter` formats dates and amounts with Babel in the locale asked
for (never from the environment, and the date is always passed: Babel's
default is today) and carries the labels of that locale's language
(:mod:`mbp_billing.render.labels`).  It formats, it never rounds: an amount
that is not whole cents is refused (:func:`exact_cents`).  The text helpers
put any text on one line in the fonts' encoding.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Final

import attrs
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency

from ..errors import InvalidValue
from ..money import CENT, CURRENCY
from .labels import LABELS, Labels

__all__ = ["DEFAULT_LOCALE", "Formatter", "clean", "exact_cents", "one_line", "pdf_safe"]

#: The locale of every document unless the caller asks for another.
DEFAULT_LOCALE: Final = "nl_BE"


@attrs.frozen
class Formatter:
    """Dates, amounts and labels in one locale."""

    locale: Locale
    labels: Labels

    @classmethod
    def for_locale(cls, identifier: object) -> Formatter:
        """The formatter of a Babel locale identifier such as ``nl_BE``.

        Raises:
            InvalidValue: an unknown locale, or a language without labels.
        """
        if not isinstance(identifier, str):
            raise InvalidValue("locale", identifier, "must be a locale name such as 'nl_BE'")
        try:
            parsed = Locale.parse(identifier)
        except (UnknownLocaleError, ValueError, TypeError):
            raise InvalidValue("locale", identifier,
                               "is not a known locale; use e.g. 'nl_BE', 'fr_BE' or 'en_GB'") from None
        labels = LABELS.get(parsed.language)
        if labels is None:
            raise InvalidValue(
                "locale", identifier,
                f"has no labels for language '{parsed.language}'; "
                f"use a {', '.join(sorted(LABELS))} locale such as 'nl_BE'",
            )
        return cls(parsed, labels)

    @property
    def language_tag(self) -> str:
        """The locale as a BCP 47 tag (``nl-BE``), the language of the PDF."""
        territory = self.locale.territory
        return self.locale.language + (f"-{territory}" if territory else "")

    def day(self, value: date) -> str:
        """``2 januari 2026``; the date is always passed, Babel's default is today."""
        return _long_date(value, self.locale)

    def money(self, value: Decimal, field: str = "amount") -> str:
        """``€ 7.000,00`` in nl_BE: formatted, never rounded."""
        return _currency(str(exact_cents(value, field)), self.locale)


# Babel takes tens of microseconds a call; a run prints few distinct dates
# and amounts, each several times on a page.


@functools.lru_cache(maxsize=1024)
def _long_date(value: date, locale: Locale) -> str:
    return pdf_safe(format_date(value, format="long", locale=locale))


@functools.lru_cache(maxsize=1024)
def _currency(cents: str, locale: Locale) -> str:
    return pdf_safe(format_currency(Decimal(cents), CURRENCY, locale=locale))


def exact_cents(value: Decimal, field: str) -> Decimal:
    """``value`` if it is whole cents; else an InvalidValue naming ``field``."""
    # The renderer formats, it never rounds: an amount must already be whole
    # cents (money.round_money did the one rounding, R4).
    try:
        cents = value.quantize(CENT) if isinstance(value, Decimal) else None
    except InvalidOperation:  # Too many digits for the decimal context.
        cents = None
    if cents is None or cents != value:
        raise InvalidValue(field, str(value), "must be whole cents; round it with round_money first")
    return cents


def pdf_safe(text: str) -> str:
    """``text`` with the characters Helvetica lacks replaced by ones it has."""
    # CLDR puts a narrow no-break space (U+202F) in French amounts; it is not
    # in Helvetica's WinAnsi encoding, the ordinary no-break space is.
    return text.replace("\u202f", "\xa0")


def one_line(text: str) -> str:
    """Control characters (line breaks, tabs, NUL) become single spaces."""
    # Printable text has no character of category C (nor any separator but
    # the space): the usual case, also with Babel's no-break spaces, without
    # a look at each character.
    if text.isprintable() or text.replace("\xa0", "").isprintable():
        cleaned = text
    else:
        cleaned = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    # Only ordinary spaces collapse: a no-break space (as in "€ 7.000,00") stays.
    return re.sub(" {2,}", " ", cleaned).strip()


def clean(text: str) -> str:
    """Text as printed: one line, and only characters of the fonts' encoding."""
    return pdf_safe(one_line(text))

