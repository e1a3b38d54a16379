"""Built-in example data: one agreement, and a portfolio of 285 municipalities.

The portfolio uses the real 285 Flemish municipalities and their Statbel
population (see :mod:`mbp_billing.population`) with *generated* agreement
dates and *made-up* enterprise numbers (valid check digits, derived from the
NIS code; no public source lists the municipalities' KBO numbers).  It is
deterministic: the same call gives the same portfolio.

>>> p = example_portfolio()
>>> len(p)
285
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from importlib.resources import files
from typing import Final

from .agreement import Agreement
from .parties import Party
from .population import PopulationTable
from .portfolio import Portfolio, PortfolioEntry

#: The date the example portfolio describes: later go-lives are not known yet.
AS_OF: Final = date(2026, 11, 30)

__all__ = ["AS_OF", "example_agreement", "example_agreement_text", "example_kbo", "example_portfolio"]


def example_agreement_text() -> str:
    """The TOML text of the built-in example agreement."""
    return (files("mbp_billing") / "data" / "example_agreement.toml").read_text(encoding="utf-8")


def example_agreement() -> Agreement:
    """The built-in example agreement (fictional "Gemeente Voorbeeld").

    Signed 2023-02-10, 32,000 inhabitants (tier 3), live in both stores in
    July 2023, with a ``[buyer]``: enough to quote, schedule and invoice.

    Returns:
        The :class:`~mbp_billing.agreement.Agreement` read from the packaged
        ``example_agreement.toml``.

    Examples:
        >>> a = example_agreement()
        >>> a.buyer.name, a.population, a.billing_start
        ('Gemeente Voorbeeld', 32000, datetime.date(2023, 7, 1))
    """
    return Agreement.from_toml_text(example_agreement_text(), name="<example>")


def example_kbo(nis_code: str) -> str:
    """A made-up enterprise number with valid check digits, unique per NIS code.

    >>> example_kbo("11002")
    '0211002021'
    """
    base = int(f"2{int(nis_code):05d}0")  # 0 2 NIS 0 -> eight digits with the leading 0
    return f"0{base:07d}{97 - base % 97:02d}"


def _draw(nis_code: str, salt: str, modulo: int) -> int:
    digest = hashlib.sha256(f"{salt}:{nis_code}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % modulo


def example_portfolio(population_year: int = 2026,
                      table: PopulationTable | None = None) -> Portfolio:
    """285 agreements: every Flemish municipality of ``population_year``.

    Signing dates fall between 2022-09-01 and 2026-10-29; each app goes live
    in the App Store 2-200 days after signing and in the Play Store up to 40
    days from then (either store may be later); an app not live in both by
    :data:`AS_OF` has no store dates yet.  The population is the figure of
    1 January ``population_year``.

    Args:
        population_year: the year whose municipalities and figures to use
            (300 municipalities before 2025, 285 from 2025).
        table: the population figures; ``None`` for the built-in Statbel data.

    Returns:
        The :class:`~mbp_billing.portfolio.Portfolio`, ordered by NIS code,
        each entry's source ``example:<nis>`` and buyer reference ``MBP-<nis>``.

    Examples:
        >>> p = example_portfolio()
        >>> len(p), p[0].source, p[0].agreement.buyer.name
        (285, 'example:11001', 'Gemeente Aartselaar')
        >>> len(example_portfolio(2024))
        300
    """
    table = table or PopulationTable.builtin()
    entries = []
    for m in sorted(table.municipalities(population_year), key=lambda m: m.nis_code):
        signed = date(2022, 9, 1) + timedelta(days=_draw(m.nis_code, "signed", 1520))
        app = signed + timedelta(days=2 + _draw(m.nis_code, "app", 199))
        play = app + timedelta(days=_draw(m.nis_code, "play", 81) - 40)
        play = max(play, signed)
        live = max(app, play) <= AS_OF  # else not live yet: nothing billed (R2)
        agreement = Agreement(
            signed_on=signed, population=m.population, population_year=population_year,
            app_store_live_on=app if live else None, play_store_live_on=play if live else None,
            buyer=Party(name=f"Gemeente {m.name}", kbo=example_kbo(m.nis_code),
                        street="Marktplein 1", postcode="9999", city=m.name,
                        reference=f"MBP-{m.nis_code}"),
        )
        entries.append(PortfolioEntry(f"example:{m.nis_code}", agreement))
    return Portfolio._checked(entries, [])
