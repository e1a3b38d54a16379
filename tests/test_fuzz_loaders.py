"""Issue 9: arbitrary text into every loader and the amount parser raises only our errors.

Whatever the text, the TOML and CSV loaders, the bank CSV import, the
population file and the amount and whole-number parsers either return a
value or raise a :class:`~mbp_billing.errors.BillingError` (which the command
line turns into one line and exit 2): never another exception, never a hang.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from factories import ISSUE_EXAMPLE_TOML
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mbp_billing import (
    Agreement,
    BillingError,
    PopulationTable,
    Portfolio,
    Register,
    example_agreement,
    import_bank_lines,
    issue_invoice,
    parse_amount,
    parse_whole_number,
)
from mbp_billing.portfolio import CSV_COLUMNS

#: Characters that make parsers work: digits of other scripts, signs, separators,
#: exponents, quotes, newlines, NUL, a BOM.
_TRICKY = st.sampled_from(list("0123456789.,-+_eE \"'\n\r\t\x00\ufeff\u0663\uff17\u00a0=[]#:;"))
_TEXT = st.text(st.one_of(st.characters(), _TRICKY), max_size=300)
_AMOUNTS = st.one_of(
    _TEXT,
    st.from_regex(r"[+-]?[0-9_]{0,30}(\.[0-9]{0,30})?([eE][+-]?[0-9]{1,9})?", fullmatch=True),
)


def _quick(call: Callable[[], object]) -> None:
    start = time.monotonic()
    with contextlib.suppress(BillingError):
        call()
    assert time.monotonic() - start < 2


@given(_AMOUNTS)
@example("1E-99999999")
@example("9" * 5000)
@example("\u0663\u0665\u0660\u0660")
def test_amount_parser_returns_cents_or_refuses(text: str) -> None:
    """parse_amount gives an exact two-decimal Decimal, or an InvalidValue, at once."""
    start = time.monotonic()
    try:
        amount = parse_amount(text, "x", positive=False)
    except BillingError:
        pass
    else:
        assert isinstance(amount, Decimal) and amount.as_tuple().exponent == -2
        written = text.strip().replace("€", "").replace("EUR", "").strip()
        assert re.fullmatch(r"[+-]?[0-9]+(\.[0-9]*)?", written, re.ASCII), text
    assert time.monotonic() - start < 2


@given(_TEXT)
@example("\u0662\u0660\u0662\u0664")
def test_whole_number_parser_takes_ascii_digits_only(text: str) -> None:
    """parse_whole_number accepts exactly the ASCII-digit texts within the bounds."""
    digits = text.strip()
    expected = (int(digits) if len(text) <= 32 and re.fullmatch(r"[0-9]{1,8}", digits, re.ASCII)
                and 1 <= int(digits) <= 10_000_000 else None)
    try:
        value = parse_whole_number(text, "x", minimum=1, maximum=10_000_000)
    except BillingError:
        assert expected is None, text
    else:
        assert value == expected


_TOML_VALUES = st.one_of(
    _TEXT.map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.integers().map(str), st.floats(allow_nan=False).map(repr), st.just("2023-02-30"),
    st.just("1979-05-27T07:32:00Z"), st.just("[1, 2]"), st.just("{a = 1}"),
)


@given(_TEXT)
@example("\ufeffsigned_on = 2023-02-10\npopulation = 9000")
def test_toml_loader_raises_only_billing_errors(text: str) -> None:
    """Any text as an agreement file: an Agreement, or a BillingError."""
    _quick(lambda: Agreement.from_toml_text(text))


@given(st.sampled_from([line.split(" = ")[0] for line in ISSUE_EXAMPLE_TOML.splitlines()
                        if " = " in line]), _TOML_VALUES)
def test_toml_loader_with_any_value_of_any_key(key: str, value: str) -> None:
    """The example agreement with one key's value replaced by anything."""
    text = "\n".join(f"{key} = {value}" if line.startswith(f"{key} = ") else line
                     for line in ISSUE_EXAMPLE_TOML.splitlines())
    _quick(lambda: Agreement.from_toml_text(text))


@given(_TEXT)
def test_portfolio_csv_loader_raises_only_billing_errors(text: str) -> None:
    """Any text as a portfolio CSV: a Portfolio, or a BillingError."""
    _quick(lambda: Portfolio.from_csv_text(text, name="p.csv"))


@given(st.lists(st.sampled_from(CSV_COLUMNS), min_size=1, max_size=6),
       st.lists(st.lists(_TEXT, min_size=0, max_size=7), max_size=3))
def test_portfolio_csv_with_real_columns_and_any_cells(columns: list[str],
                                                      rows: list[list[str]]) -> None:
    """Real headers (duplicates included) and arbitrary cells."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(rows)
    _quick(lambda: Portfolio.from_csv_text(buffer.getvalue(), name="p.csv"))


@given(_TEXT)
def test_population_file_raises_only_billing_errors(text: str) -> None:
    """Any text as a population file: a table, or a BillingError."""
    _quick(lambda: PopulationTable.from_csv_text("nis_code,name_nl,reference_date,population\n"
                                                 + text))


@settings(max_examples=25)
@given(_TEXT)
def test_bank_csv_raises_only_billing_errors(tmp_path_factory: object, text: str) -> None:
    """Any bank CSV lines: an import result, or a BillingError (nothing half-recorded)."""
    folder = Path(tmp_path_factory.mktemp("bank"))  # type: ignore[attr-defined]
    with Register.open(folder / "r.sqlite3") as register:
        issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
                      register=register)
        before = register.payments()
        try:
            import_bank_lines(register, "date,amount,communication\n" + text)
        except BillingError:
            assert register.payments() == before
