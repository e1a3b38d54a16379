"""A small table value for notebooks and exports, with no pandas dependency.

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
from decimal import Decimal
from html import escape
from typing import Any

import attrs

__all__ = ["Table", "spreadsheet_safe"]

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


@attrs.frozen
class Table(Sequence[dict[str, Any]]):
    """Named columns and rows; displays as HTML in a notebook.

    Amounts stay :class:`~decimal.Decimal` in :meth:`rows` and
    :meth:`to_pandas` (object columns, exact) and become strings in CSV.

    Attributes:
        columns: the column names.
        rows: the rows, each a tuple in column order.
        title: a caption for display.

    Examples:
        >>> t = Table(("year", "amount"), ((2026, Decimal("7000.00")),), title="Revenue")
        >>> len(t), t[0], t.column("amount")
        (1, {'year': 2026, 'amount': Decimal('7000.00')}, [Decimal('7000.00')])
        >>> print(t.to_csv(), end="")
        year,amount
        2026,7000.00
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    title: str = ""

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [dict(zip(self.columns, r, strict=True)) for r in self.rows[index]]
        return dict(zip(self.columns, self.rows[index], strict=True))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (dict(zip(self.columns, r, strict=True)) for r in self.rows)

    def column(self, name: str) -> list[Any]:
        """The values of one column."""
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

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
        """A pandas DataFrame (``pip install mbp_billing[pandas]``)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas() needs pandas: pip install 'mbp_billing[pandas]'") \
                from None
        return pd.DataFrame.from_records(list(self.rows), columns=list(self.columns))

    def to_polars(self) -> Any:
        """A polars DataFrame (``pip install polars``); amounts as strings."""
        try:
            import polars as pl
        except ImportError:
            raise ImportError("to_polars() needs polars: pip install polars") from None
        return pl.DataFrame([[_cell(v) for v in r] for r in self.rows],
                            schema=list(self.columns), orient="row")

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape('' if v is None else str(_cell(v)))}</td>"
                             for v in r) + "</tr>" for r in self.rows)
        caption = f"<caption>{escape(self.title)}</caption>" if self.title else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __str__(self) -> str:
        cells = [[str(_cell(v)) if v is not None else "" for v in r] for r in self.rows]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(self.columns)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=True))]
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
        return "\n".join(([self.title] if self.title else []) + lines)
