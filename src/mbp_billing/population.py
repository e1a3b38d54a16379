"""Population figures of the Flemish municipalities (Statbel), and lookups.

The package ships the de jure population on 1 January 2022-2026 of every
Flemish municipality (300 before the 2025 mergers, 285 after) and the 2025
merger table; source and licence in ``data/SOURCES.md`` (Statbel open data,
cite "Statbel").  A newer file in the same format can replace it.

>>> table = PopulationTable.builtin()
>>> table.lookup("Lokeren", date(2024, 6, 1)).nis_code
'46014'
>>> table.lookup("Lokeren", date(2025, 6, 1)).nis_code
'46029'
>>> table.population("46029", 2026) > 50_000
True
"""

from __future__ import annotations

import csv
import difflib
import io
import unicodedata
from collections.abc import Iterator
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Final

import attrs

from .errors import InvalidValue
from .money import parse_whole_number
from .text import refuse_special_file

__all__ = [
    "MAX_POPULATION",
    "MERGER_YEAR",
    "Municipality",
    "PopulationTable",
]

#: The largest population accepted: Antwerp, the largest Flemish municipality,
#: has about 530,000 inhabitants, and all of Belgium fewer than 12 million.
MAX_POPULATION: Final = 10_000_000

#: The 2025 mergers took effect on 1 January of this year.
MERGER_YEAR: Final = 2025
_COLUMNS: Final = ("nis_code", "name_nl", "reference_date", "population")


@attrs.frozen
class Municipality:
    """A municipality as it existed in a year, with its figure on 1 January.

    Attributes:
        nis_code: the five-digit NIS code (Statbel).
        name: the Dutch name.
        year: the year of the figure.
        population: the de jure population on 1 January of ``year``.

    Examples:
        >>> PopulationTable.builtin().lookup("Gent", 2026)
        Municipality(nis_code='44021', name='Gent', year=2026, population=274042)
    """

    nis_code: str
    name: str
    year: int
    population: int


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.casefold().replace("-", " ").split())


@attrs.frozen
class PopulationTable:
    """Population by NIS code and year, with names and the merger table.

    Use the shipped Statbel figures with :meth:`PopulationTable.builtin`, or
    a newer file in the same format with :meth:`PopulationTable.from_csv`.

    Attributes:
        rows: one :class:`Municipality` per NIS code and year.
        successors: ``(old_nis_code, new_nis_code)`` pairs of the 2025 mergers.
        source: where the figures come from.

    Examples:
        >>> from datetime import date
        >>> table = PopulationTable.builtin()
        >>> table.years
        (2022, 2023, 2024, 2025, 2026)
        >>> len(table.municipalities(2024)), len(table.municipalities(2025))
        (300, 285)
        >>> table.lookup("Lokeren", date(2024, 6, 1)).nis_code, table.successor("46014")
        ('46014', '46029')
    """

    rows: tuple[Municipality, ...]
    successors: tuple[tuple[str, str], ...] = ()
    source: str = "builtin"

    @classmethod
    def builtin(cls) -> PopulationTable:
        """The shipped Statbel figures 2022-2026 and the 2025 mergers."""
        data = files("mbp_billing") / "data"
        return cls.from_csv_text(
            (data / "flemish_municipalities_population.csv").read_text(encoding="utf-8"),
            mergers_text=(data / "mergers_2025.csv").read_text(encoding="utf-8"),
            source="Statbel (builtin)")

    @classmethod
    def from_csv(cls, path: str | Path, mergers: str | Path | None = None) -> PopulationTable:
        """A user's newer file in the same format (columns nis_code, name_nl,
        reference_date, population); the builtin merger table unless given."""
        p = Path(path)
        refuse_special_file(p, "population file")
        if mergers:
            refuse_special_file(Path(mergers), "mergers file")
        try:
            text = p.read_text(encoding="utf-8-sig")
            merger_text = (Path(mergers).read_text(encoding="utf-8-sig") if mergers
                           else (files("mbp_billing") / "data" / "mergers_2025.csv")
                           .read_text(encoding="utf-8"))
        except OSError as exc:
            raise InvalidValue("population file", str(p), f"cannot be read ({exc.strerror})") \
                from None
        return cls.from_csv_text(text, mergers_text=merger_text, source=str(p))

    @classmethod
    def from_csv_text(cls, text: str, *, mergers_text: str = "",
                      source: str = "<csv>") -> PopulationTable:
        """Parse population CSV text (and optional merger CSV text)."""
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidValue("population file", source,
                               f"lacks column(s) {', '.join(missing)}")
        rows = []
        try:
            lines = [(reader.line_num, row) for row in reader]
        except csv.Error as exc:
            raise InvalidValue("population file", source,
                               f"is not a readable CSV (line {reader.line_num}: {exc})") from None
        for line, row in lines:
            where = f"{source}:{line}"
            try:
                year = date.fromisoformat(row["reference_date"] or "").year
                population = parse_whole_number(row["population"] or "", "population",
                                                minimum=1, maximum=MAX_POPULATION)
            except ValueError:
                raise InvalidValue(where, row, "needs an ISO reference_date and an integer "
                                               "population") from None
            rows.append(Municipality(row["nis_code"].strip(), row["name_nl"].strip(), year,
                                     population))
        successors: list[tuple[str, str]] = []
        if mergers_text:
            for row in csv.DictReader(io.StringIO(mergers_text)):
                successors.append((row["old_nis_code"].strip(), row["new_nis_code"].strip()))
        return cls(tuple(rows), tuple(successors), source)

    # -- queries ---------------------------------------------------------------

    @property
    def years(self) -> tuple[int, ...]:
        """The years with figures."""
        return tuple(sorted({r.year for r in self.rows}))

    def municipalities(self, year: int) -> list[Municipality]:
        """Every municipality with a figure on 1 January ``year``."""
        return [r for r in self.rows if r.year == year]

    def __iter__(self) -> Iterator[Municipality]:
        return iter(self.rows)

    def _year_for(self, on: date | int) -> int:
        year = on if isinstance(on, int) else on.year
        known = [y for y in self.years if y <= year]
        if not known:
            raise InvalidValue("year", year, f"no figures before {self.years[0]}")
        return known[-1]

    def population(self, nis_code: str, year: int) -> int:
        """The figure of ``nis_code`` on 1 January ``year``."""
        for r in self.rows:
            if r.nis_code == nis_code and r.year == year:
                return r.population
        raise InvalidValue("nis_code", nis_code, f"has no figure for 1 January {year}")

    def successor(self, nis_code: str) -> str:
        """The post-2025 code of a municipality (itself when it did not merge)."""
        return dict(self.successors).get(nis_code, nis_code)

    def lookup(self, name_or_nis: str, on: date | int) -> Municipality:
        """The municipality called (or coded) ``name_or_nis`` that existed on ``on``.

        A pre-2025 code asked for on a later date follows its merger.

        Raises:
            InvalidValue: unknown, with the closest matches; or ambiguous,
                listing the codes.
        """
        year = self._year_for(on)
        current = self.municipalities(year)
        key = name_or_nis.strip()
        if key.isdigit():
            code = self.successor(key) if year >= MERGER_YEAR else key
            for m in current:
                if m.nis_code == code:
                    return m
            codes = sorted({m.nis_code for m in current})
            close = difflib.get_close_matches(key, codes, n=3) or sorted(
                codes, key=lambda c: abs(int(c) - int(key)))[:3]
            raise InvalidValue("municipality", key, f"is no NIS code of {year}"
                               + (f"; did you mean {', '.join(close)}?" if close else ""))
        folded = _fold(key)
        hits = [m for m in current if _fold(m.name) == folded]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise InvalidValue("municipality", key, "is ambiguous; use one of the NIS codes "
                               + ", ".join(f"{m.nis_code} ({m.name})" for m in hits))
        names = {_fold(m.name): m.name for m in current}
        close = [names[n] for n in difflib.get_close_matches(folded, list(names), n=3,
                                                             cutoff=0.6)]
        raise InvalidValue("municipality", key, f"is no Flemish municipality in {year}"
                           + (f"; did you mean {', '.join(close)}?" if close else ""))
