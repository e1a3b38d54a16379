"""Portfolios: every municipality's agreement, from a folder of TOML files or one CSV.

A portfolio is validated whole before anything is issued: every problem is
collected and reported with its file (and line or row) and field, so a bad
row 212 stops the run before invoice 1.

CSV columns are the agreement keys (``signed_on``, ``population``,
``annual_fee``, ``population_year``, ``app_store_live_on``,
``play_store_live_on``, ``notice_sent_on``, ``dissolved_on``), the buyer
fields prefixed with ``buyer_`` (``buyer_name``, ``buyer_kbo``,
``buyer_street``, ``buyer_postcode``, ``buyer_city``, ``buyer_reference``),
and ``amendments`` written as ``YEAR:population=N`` or
``YEAR:annual_fee=AMOUNT``, several separated by ``;``.  An empty cell is
an absent value.

>>> text = ("signed_on,population,app_store_live_on,play_store_live_on,buyer_name,buyer_kbo,"
...         "buyer_street,buyer_postcode,buyer_city,amendments\\n"
...         "2023-02-10,32000,2023-06-20,2023-07-03,Gemeente Voorbeeld,0207.123.407,"
...         "Marktplein 1,9999,Voorbeeld,2025:population=26000\\n")
>>> p = Portfolio.from_csv_text(text, name="p.csv")
>>> len(p), p.entries[0].source, p.entries[0].agreement.amendments[0].population
(1, 'p.csv:2', 26000)
"""

from __future__ import annotations

import csv
import functools
import io
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, overload

import attrs

from .agreement import AGREEMENT_KEYS, SUPPORTED_YEARS, Agreement, parse_date
from .errors import BillingError, InvalidValue
from .money import parse_amount, parse_whole_number
from .parties import BUYER_FIELDS, normalize_kbo
from .tariff import DEFAULT_TARIFF_BOOK, MAX_POPULATION, TariffBook, check_population
from .text import refuse_special_file

__all__ = [
    "CSV_COLUMNS",
    "Portfolio",
    "PortfolioEntry",
    "PortfolioError",
    "load_portfolio",
]

#: The columns a portfolio CSV may have, in the documented order.
CSV_COLUMNS: Final = (
    *(k for k in AGREEMENT_KEYS if k not in ("buyer", "amendments")),
    *(f"buyer_{k}" for k in BUYER_FIELDS),
    "amendments",
)
_INTEGER_COLUMNS: Final = ("population", "population_year")
_AMENDMENT = re.compile(r"^\s*([0-9]{4})\s*:\s*(population|annual_fee)\s*=\s*(\S+)\s*$",
                        re.ASCII)


class PortfolioError(BillingError):
    """One or more agreements of a portfolio are invalid; ``problems`` lists them all.

    Args:
        problems: one line per problem, each naming the file (and row or
            line) and the field.

    Examples:
        >>> try:
        ...     Portfolio.from_csv_text("signed_on,population\\n2023-02-10,-5\\n2023-02-10,9000\\n",
        ...                             name="bad.csv")
        ... except PortfolioError as e:
        ...     for problem in e.problems:
        ...         print(problem)
        bad.csv:2: population '-5': must be a number of inhabitants from 1 to 10000000, written with the digits 0-9 only
        bad.csv:3: buyer None: a portfolio agreement needs a [buyer] table (or buyer_* columns) to be invoiced
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("portfolio", f"{len(self.problems)} problem(s)",
                         "fix them and run again; nothing was issued:\n  "
                         + "\n  ".join(self.problems))


@attrs.frozen
class PortfolioEntry:
    """One agreement and where it came from (``file`` or ``file:row``).

    Attributes:
        source: the agreement's file, or ``file:row`` for a CSV row.
        agreement: the agreement.

    Examples:
        >>> from mbp_billing import example_agreement
        >>> entry = PortfolioEntry("voorbeeld.toml", example_agreement())
        >>> entry.source, entry.buyer_kbo
        ('voorbeeld.toml', '0207123407')
    """

    source: str
    agreement: Agreement

    @property
    def buyer_kbo(self) -> str:
        """The buyer's 10-digit enterprise number."""
        assert self.agreement.buyer is not None  # a portfolio requires buyers
        return self.agreement.buyer.kbo


@attrs.frozen
class Portfolio(Sequence[PortfolioEntry]):
    """Every agreement to bill, in a stable order (file name or row).

    A sequence of :class:`PortfolioEntry`.  Load one with
    :func:`load_portfolio`, :meth:`Portfolio.from_folder`,
    :meth:`Portfolio.from_csv` or :meth:`Portfolio.from_csv_text`; each
    validates every agreement and refuses duplicate buyers.

    Attributes:
        entries: the agreements with their sources.
        skipped: what a folder portfolio held besides ``*.toml`` files
            (other extensions, sub-folders), each with why it was not read.

    Examples:
        >>> p = Portfolio.from_csv_text(
        ...     "signed_on,population,buyer_name,buyer_kbo,buyer_street,buyer_postcode,buyer_city\\n"
        ...     "2023-02-10,32000,Gemeente A,0207.123.407,Markt 1,9999,A\\n"
        ...     "2024-05-01,12000,Gemeente B,0211.002.021,Markt 2,9998,B\\n", name="p.csv")
        >>> len(p), [e.source for e in p], p[1].agreement.population
        (2, ['p.csv:2', 'p.csv:3'], 12000)
    """

    entries: tuple[PortfolioEntry, ...]
    skipped: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, index: int) -> PortfolioEntry: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[PortfolioEntry, ...]: ...

    def __getitem__(self, index: int | slice) -> PortfolioEntry | tuple[PortfolioEntry, ...]:
        return self.entries[index]

    def __iter__(self) -> Iterator[PortfolioEntry]:
        return iter(self.entries)

    @classmethod
    def from_folder(cls, folder: str | Path, *,
                    tariff: TariffBook = DEFAULT_TARIFF_BOOK) -> Portfolio:
        """Load every ``*.toml`` of a folder (sorted by name)."""
        root = Path(folder)
        try:
            children = sorted(root.iterdir())
        except OSError as exc:
            raise InvalidValue("portfolio", str(root),
                               f"cannot be read ({exc.strerror})") from None
        # Hidden files stay unread and unmentioned, as a shell's *.toml would leave them.
        paths = [p for p in children
                 if p.suffix == ".toml" and p.is_file() and not p.name.startswith(".")]
        skipped = tuple(
            f"{p}: {'a sub-folder' if p.is_dir() else 'not a *.toml file'}, not read"
            for p in children if p not in paths and not p.name.startswith("."))
        if not paths:
            raise InvalidValue("portfolio", str(root), "has no *.toml agreement files")
        entries: list[PortfolioEntry] = []
        problems: list[str] = []
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
                problems.append(f"{path}: cannot be read ({why}); save it as UTF-8 TOML")
                continue
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                problems.append(f"{path}: not valid TOML ({exc})")
                continue
            errors = _field_problems(data)
            if not errors:
                try:
                    entries.append(PortfolioEntry(str(path),
                                                  Agreement.from_mapping(data, tariff=tariff)))
                    continue
                except BillingError as exc:
                    errors.append(exc)
            problems.extend(f"{path}{_line_suffix(text, exc.field)}: {exc}" for exc in errors)
        return attrs.evolve(cls._checked(entries, problems), skipped=skipped)

    @classmethod
    def from_csv(cls, path: str | Path, *, tariff: TariffBook = DEFAULT_TARIFF_BOOK) -> Portfolio:
        """Load a portfolio CSV (UTF-8, comma-separated, header row)."""
        target = Path(path)
        refuse_special_file(target, "portfolio")
        try:
            text = target.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InvalidValue("portfolio", str(target), f"cannot be read ({exc.strerror})") from None
        except UnicodeDecodeError as exc:
            raise InvalidValue("portfolio", str(target),
                               f"is not UTF-8 text (byte {exc.start}); save the CSV as UTF-8") \
                from None
        return cls.from_csv_text(text, name=str(target), tariff=tariff)

    @classmethod
    def from_csv_text(cls, text: str, *, name: str = "<csv>",
                      tariff: TariffBook = DEFAULT_TARIFF_BOOK) -> Portfolio:
        """Parse portfolio CSV text."""
        reader = csv.DictReader(io.StringIO(text))
        try:
            header = reader.fieldnames or []
            rows = [(reader.line_num, row) for row in reader]
        except csv.Error as exc:
            raise PortfolioError([f"{name}:{reader.line_num}: is not a readable CSV ({exc})"]) \
                from None
        unknown = [c for c in header if c not in CSV_COLUMNS]
        if unknown:
            raise PortfolioError([f"{name}:1 column {c!r}: unknown; allowed columns are "
                                  f"{', '.join(CSV_COLUMNS)}" for c in unknown])
        twice = sorted({c for c in header if header.count(c) > 1})
        if twice:
            raise PortfolioError([f"{name}:1 column {c!r}: appears {header.count(c)} times in "
                                  "the header; keep one" for c in twice])
        entries: list[PortfolioEntry] = []
        problems: list[str] = []
        for line, row in rows:
            where = f"{name}:{line}"
            errors: list[BillingError] = []
            data = _row_to_mapping(row, errors)
            errors += _field_problems(data)
            if not errors:
                try:
                    entries.append(PortfolioEntry(where, Agreement.from_mapping(data,
                                                                                tariff=tariff)))
                    continue
                except BillingError as exc:
                    errors.append(exc)
            problems.extend(f"{where}: {exc}" for exc in errors)
        if not entries and not problems:
            problems.append(f"{name}: has no agreement rows")
        return cls._checked(entries, problems)

    @classmethod
    def _checked(cls, entries: list[PortfolioEntry], problems: list[str]) -> Portfolio:
        seen: dict[str, str] = {}
        for entry in entries:
            buyer = entry.agreement.buyer
            if buyer is None:
                problems.append(f"{entry.source}: buyer None: a portfolio agreement needs a "
                                "[buyer] table (or buyer_* columns) to be invoiced")
                continue
            if buyer.kbo in seen:
                problems.append(f"{entry.source}: buyer.kbo {buyer.enterprise_number_display}: "
                                f"duplicate enterprise number, also in {seen[buyer.kbo]}; "
                                "one agreement per municipality")
            else:
                seen[buyer.kbo] = entry.source
        if problems:
            raise PortfolioError(sorted(problems, key=_position))
        return cls(tuple(entries))


def _position(problem: str) -> tuple[str, int]:
    # "file:12: message" sorts by file, then by line number as a number.
    match = re.match(r"(.*?):(\d+): ", problem)
    if match is None:
        return (problem.split(": ", 1)[0], 0)
    return (match[1], int(match[2]))


def _line_suffix(text: str, field: str) -> str:
    # tomllib gives no positions; find the line that sets the key, if any.
    key = field.rsplit(".", 1)[-1].strip()
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"^\s*{re.escape(key)}\s*=", line):
            return f":{number}"
    return ""


def _row_to_mapping(row: dict[str, str | None],
                    errors: list[BillingError]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    buyer: dict[str, Any] = {}
    for column, raw in row.items():
        if column is None:
            errors.append(InvalidValue("row", raw, "has more cells than the header has columns"))
            continue
        value = (raw or "").strip()
        if not value:
            continue
        try:
            if column.startswith("buyer_"):
                buyer[column.removeprefix("buyer_")] = value
            elif column == "amendments":
                data["amendments"] = [_amendment(p) for p in value.split(";") if p.strip()]
            elif column in _INTEGER_COLUMNS:
                data[column] = _integer(value, column)
            else:
                data[column] = value
        except BillingError as exc:
            errors.append(exc)
    if buyer:
        data["buyer"] = buyer
    return data


_DATE_KEYS: Final = ("signed_on", "app_store_live_on", "play_store_live_on", "notice_sent_on",
                     "dissolved_on")


def _field_problems(data: Mapping[str, Any]) -> list[BillingError]:
    """Check each field on its own, so that a row reports all its bad fields at once.

    Cross-field rules (fee against tariff, notice after signing, ...) are
    checked afterwards by the :class:`Agreement` itself.
    """
    errors: list[BillingError] = []

    def attempt(check: Callable[[], object]) -> None:
        try:
            check()
        except BillingError as exc:
            errors.append(exc)

    for key in _DATE_KEYS:
        if key in data:
            attempt(functools.partial(parse_date, data[key], key))
    if "population" in data:
        attempt(lambda: check_population(data["population"]))
    if "annual_fee" in data:
        attempt(lambda: parse_amount(data["annual_fee"], "annual_fee"))
    buyer = data.get("buyer")
    if isinstance(buyer, Mapping):
        if "kbo" in buyer:
            attempt(lambda: normalize_kbo(buyer["kbo"], "buyer.kbo"))
        for key in BUYER_FIELDS:
            if key not in ("kbo", "reference") and key not in buyer:
                errors.append(InvalidValue(f"buyer.{key}", None,
                                           f"is missing; add buyer_{key} (or {key} in [buyer])"))
    return errors


def _integer(value: str, column: str) -> int:
    if column.endswith("population"):
        return parse_whole_number(value, column, minimum=1, maximum=MAX_POPULATION,
                                  what="a number of inhabitants")
    return parse_whole_number(value, column, minimum=SUPPORTED_YEARS.start,
                              maximum=SUPPORTED_YEARS.stop - 1, what="a calendar year")


def _amendment(text: str) -> dict[str, Any]:
    match = _AMENDMENT.match(text)
    if match is None:
        raise InvalidValue("amendments", text, "write each amendment as YEAR:population=N or "
                                               "YEAR:annual_fee=AMOUNT, separated by ';'")
    year, key, value = match.groups()
    return {"from_year": int(year),
            key: _integer(value, "amendments.population") if key == "population" else value}


def load_portfolio(path: str | Path, *, tariff: TariffBook = DEFAULT_TARIFF_BOOK) -> Portfolio:
    """Load a portfolio from a folder of TOML files or from a CSV file.

    Args:
        path: a folder of ``*.toml`` agreement files, or a ``.csv`` file.
        tariff: the tariff versions the agreements use.

    Returns:
        The validated :class:`Portfolio`.

    Raises:
        PortfolioError: listing every invalid agreement and duplicate buyer.
        InvalidValue: the path is neither a folder nor a CSV file.

    Examples:
        >>> import pathlib, tempfile
        >>> csv_file = pathlib.Path(tempfile.mkdtemp()) / "portfolio.csv"
        >>> _ = csv_file.write_text(
        ...     "signed_on,population,buyer_name,buyer_kbo,buyer_street,buyer_postcode,buyer_city\\n"
        ...     "2023-02-10,32000,Gemeente A,0207.123.407,Markt 1,9999,A\\n", encoding="utf-8")
        >>> p = load_portfolio(csv_file)
        >>> len(p), p[0].source.endswith("portfolio.csv:2"), p[0].buyer_kbo
        (1, True, '0207123407')
    """
    target = Path(path)
    if target.is_dir():
        return Portfolio.from_folder(target, tariff=tariff)
    if target.is_file() and target.suffix.lower() == ".csv":
        return Portfolio.from_csv(target, tariff=tariff)
    raise InvalidValue("portfolio", str(target), "must be a folder of *.toml agreements or a "
                                                 ".csv file")
