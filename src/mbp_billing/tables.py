"""A small table value for notebooks and exports, with no pandas dependency.

A :class:`Table` keeps Python values (``Decimal`` money, ``date`` dates) and
turns them into typed columns on export: exact decimals in pandas (Arrow
``decimal128``) and polars (``Decimal``), dates as dates, categories as
categoricals.  In a notebook it shows as an HTML table with nl_BE number
formatting, column labels in words and a totals row.

>>> t = Table(("year", "amount"), ((2026, "7000.00"), (2027, "7000.00")))
>>> t.to_records()[0]
{'year': 2026, 'amount': '7000.00'}
>>> print(t.to_csv(), end="")
year,amount
2026,7000.00
2027,7000.00
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any, Final, Literal

import attrs

__all__ = ["CATEGORY_COLUMNS", "MONEY_PRECISION", "Table", "column_label", "spreadsheet_safe"]

#: Columns that hold a category (a small fixed set of values) wherever they
#: appear; they become pandas categoricals (and polars ``Categorical`` when
#: they hold text).
CATEGORY_COLUMNS: Final = frozenset({
    "tier", "kind", "status", "type", "tier_before", "tier_after", "merged_tier",
    "predecessor_tier", "source_kind",
})
#: Digits of the exact decimal type money gets in pandas and polars: 18
#: digits, two of them cents, so any sum up to 10**16 EUR stays exact.
MONEY_PRECISION: Final = 18

# Whole numbers that are names rather than quantities: no thousands separator.
_PLAIN_INTEGERS: Final = frozenset({"year", "month", "seq", "id", "months", "from_year"})
_LABELS: Final = {
    "agreements": "Agreements",
    "amount": "Amount (EUR)",
    "annual_fee": "Annual fee (EUR)",
    "baseline": "Baseline (EUR)",
    "buyer_kbo": "Enterprise number",
    "buyer_name": "Municipality",
    "credits": "Credits invoice",
    "difference": "Difference (EUR)",
    "due_date": "Due date",
    "fees_apart": "Fees apart (EUR)",
    "issue_date": "Issue date",
    "kind": "Kind",
    "merged_name": "Merged municipality",
    "merged_nis": "Merged NIS code",
    "month": "Month",
    "months": "Months",
    "name": "Municipality",
    "nis_code": "NIS code",
    "number": "Number",
    "paid_on": "Paid on",
    "period_end": "Period to",
    "period_start": "Period from",
    "seq": "No.",
    "source": "Source",
    "tier": "Tier",
    "tier_kept": "Keeps its tier",
    "type": "Type",
    "year": "Year",
}

Kind = Literal["money", "date", "int", "bool", "text"]

# What the library's own columns hold, for a column with no value to tell
# (an empty table still gets typed DataFrame columns).
_KNOWN_KINDS: Final[dict[str, Kind]] = {
    **dict.fromkeys(("amount", "annual_fee", "baseline", "difference", "signed_amount",
                     "invoiced", "credited", "revenue", "expected", "received", "open",
                     "fee", "fee_before", "fee_after", "delta", "fees_apart", "merged_fee",
                     "effect"), "money"),
    **dict.fromkeys(("year", "months", "agreements", "tier", "seq", "id", "population",
                     "merged_population", "merged_tier", "predecessors", "tier_before",
                     "tier_after"), "int"),
    **dict.fromkeys(("month", "period_start", "period_end", "issue_date", "due_date",
                     "paid_on"), "date"),
    "tier_kept": "bool",
}


def column_label(name: str, kind: str = "text") -> str:
    """The label in words of a column, for display only.

    Data keeps the record key (``buyer_kbo``); tables and charts show the
    label (``Enterprise number``).  Money columns say their currency.

    Examples:
        >>> column_label("buyer_kbo"), column_label("fee_after", "money")
        ('Enterprise number', 'Fee after (EUR)')
    """
    if name in _LABELS:
        return _LABELS[name]
    words = name.replace("_", " ").strip().capitalize()
    return f"{words} (EUR)" if kind == "money" else words

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def spreadsheet_safe(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula.

    >>> spreadsheet_safe("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> spreadsheet_safe("7000.00")
    '7000.00'
    """
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not re.fullmatch(r"-\d+(\.\d+)?", text):
        return "'" + text
    return text


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


def _kind(name: str, values: Sequence[Any]) -> Kind:
    for v in values:
        if v is None:
            continue
        if isinstance(v, Decimal):
            return "money"
        if isinstance(v, bool):
            return "bool"
        if isinstance(v, date):
            return "date"
        if isinstance(v, int):
            return "int"
        return "text"
    return "int" if name.startswith("population_") else _KNOWN_KINDS.get(name, "text")


@attrs.frozen
class Table(Sequence[dict[str, Any]]):
    """Named columns and rows; displays as HTML in a notebook.

    Amounts stay :class:`~decimal.Decimal` in :meth:`rows` and
    :meth:`to_records`, become strings in CSV, and exact decimals in
    :meth:`to_pandas` and :meth:`to_polars`.  Slicing gives a ``Table``;
    an integer index gives one row as a dict.

    Attributes:
        columns: the column names (the record keys).
        rows: the rows, each a tuple in column order.
        title: a caption for display: what is shown and as of when.
        totals: the columns summed in the totals row of the display
            (empty: no totals row).

    Examples:
        >>> t = Table(("year", "amount"), ((2026, Decimal("7000.00")),), title="Revenue",
        ...           totals=("amount",))
        >>> len(t), t[0], t.column("amount"), t.total("amount")
        (1, {'year': 2026, 'amount': Decimal('7000.00')}, [Decimal('7000.00')], Decimal('7000.00'))
        >>> print(t.to_csv(), end="")
        year,amount
        2026,7000.00
        >>> t[:0]
        Table(columns=('year', 'amount'), rows=(), title='Revenue', totals=('amount',))
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    title: str = ""
    totals: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return attrs.evolve(self, rows=self.rows[index])
        return dict(zip(self.columns, self.rows[index], strict=True))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (dict(zip(self.columns, r, strict=True)) for r in self.rows)

    def column(self, name: str) -> list[Any]:
        """The values of one column."""
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def total(self, name: str) -> Decimal:
        """The exact sum of a money column (``None`` cells count as nothing)."""
        return sum((v for v in self.column(name) if v is not None), Decimal("0.00"))

    def kinds(self) -> dict[str, Kind]:
        """What each column holds: ``money``, ``date``, ``int``, ``bool`` or ``text``."""
        return {c: _kind(c, self.column(c)) for c in self.columns}

    def to_records(self) -> list[dict[str, Any]]:
        """Rows as dicts (values as stored)."""
        return list(self)

    def to_csv(self) -> str:
        """CSV text with a header row."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([spreadsheet_safe(_cell(v)) for v in row])
        return buffer.getvalue()

    def to_pandas(self) -> Any:
        """A pandas DataFrame with typed columns (``pip install 'mbp_billing[pandas]'``).

        Money is an exact decimal (``decimal128(18, 2)[pyarrow]``): sums,
        pivots and plots work and totals equal the ``Decimal`` totals to the
        cent.  Dates are ``datetime64``, categories (tier, kind, status,
        type) categoricals, whole numbers ``int64`` (``Int64`` with gaps).
        Column names are the record keys.
        """
        try:
            import pandas as pd
            import pyarrow as pa
        except ImportError:
            raise ImportError("to_pandas() needs pandas and pyarrow: "
                              "pip install 'mbp_billing[pandas]'") from None
        data: dict[str, Any] = {}
        for name, kind in self.kinds().items():
            values = self.column(name)
            series: Any
            if name in CATEGORY_COLUMNS:
                present = sorted({v for v in values if v is not None}, key=str)
                if kind == "int":
                    present = sorted(v for v in present if v is not None)
                series = pd.Categorical(values, categories=present, ordered=kind == "int")
            elif kind == "money":
                series = pd.array(values, dtype=pd.ArrowDtype(pa.decimal128(MONEY_PRECISION, 2)))
            elif kind == "date":
                series = pd.to_datetime(pd.Series(values, dtype=object))
            elif kind == "int":
                series = pd.array(values, dtype="int64" if None not in values else "Int64")
            elif kind == "bool":
                series = pd.array(values, dtype="bool" if None not in values else "boolean")
            else:
                series = pd.Series(values, dtype=object)
            data[name] = series
        return pd.DataFrame({k: pd.Series(v).reset_index(drop=True) for k, v in data.items()},
                            columns=list(self.columns))

    def to_polars(self) -> Any:
        """A polars DataFrame with typed columns (``pip install polars``).

        Money is ``Decimal(18, 2)`` (exact), dates ``Date``, text categories
        ``Categorical``; tiers stay integers (polars categoricals hold text).
        """
        try:
            import polars as pl
        except ImportError:
            raise ImportError("to_polars() needs polars: pip install polars") from None
        types = {"money": pl.Decimal(MONEY_PRECISION, 2), "date": pl.Date, "int": pl.Int64,
                 "bool": pl.Boolean, "text": pl.String}
        schema: dict[str, Any] = {}
        for name, kind in self.kinds().items():
            schema[name] = (pl.Categorical if kind == "text" and name in CATEGORY_COLUMNS
                            else types[kind])
        return pl.DataFrame([list(r) for r in self.rows], schema=schema, orient="row")

    def to_html(self, locale: str = "nl_BE") -> str:
        """The HTML table: labels in words, numbers formatted for ``locale``
        and right-aligned, a totals row for the :attr:`totals` columns.

        Examples:
            >>> t = Table(("year", "amount"), ((2027, Decimal("406000.00")),), totals=("amount",))
            >>> print(t.to_html())  # doctest: +ELLIPSIS
            <table class="mbp-table">...<th style="text-align:right">Amount (EUR)</th>...<td style="text-align:right">406.000,00</td>...<th style="text-align:left">Total</th>...
        """
        from babel.numbers import format_decimal

        kinds = self.kinds()

        def text(name: str, value: Any) -> str:
            if value is None:
                return ""
            kind = kinds[name]
            if kind == "money":
                return str(format_decimal(value, format="#,##0.00", locale=locale,
                                          decimal_quantization=False))
            if kind == "int" and name not in _PLAIN_INTEGERS and name not in CATEGORY_COLUMNS:
                return str(format_decimal(value, format="#,##0", locale=locale))
            if kind == "bool":
                return "yes" if value else "no"
            if isinstance(value, date):
                # A month is shown as such; its first day is what the data holds.
                return value.isoformat()[:7] if name == "month" else value.isoformat()
            return str(value)

        def align(name: str) -> str:
            right = kinds[name] in ("money", "int")
            return f' style="text-align:{"right" if right else "left"}"'

        head = "".join(f"<th{align(c)}>{escape(column_label(c, kinds[c]))}</th>"
                       for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td{align(c)}>{escape(text(c, v))}</td>"
                             for c, v in zip(self.columns, r, strict=True)) + "</tr>"
            for r in self.rows)
        foot = ""
        if self.totals and self.rows:
            cells = []
            for i, c in enumerate(self.columns):
                if c in self.totals:
                    cells.append(f"<th{align(c)}>{escape(text(c, self.total(c)))}</th>")
                elif i == 0:
                    cells.append('<th style="text-align:left">Total</th>')
                else:
                    cells.append("<th></th>")
            foot = f"<tfoot><tr>{''.join(cells)}</tr></tfoot>"
        caption = f"<caption>{escape(self.title)}</caption>" if self.title else ""
        return (f'<table class="mbp-table">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody>{foot}</table>")

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # IPython's plain-text display: the aligned table, not the attrs repr.
        printer.text(str(self))

    def __str__(self) -> str:
        cells = [[str(_cell(v)) if v is not None else "" for v in r] for r in self.rows]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(self.columns)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=True))]
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
        return "\n".join(([self.title] if self.title else []) + lines)
