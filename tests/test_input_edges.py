"""Input at the edges: every bad value is one line, exit 2, naming it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from mbp_billing.agreement import Agreement
from mbp_billing.cli import main
from mbp_billing.errors import InvalidValue


def run(*argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_every_unknown_key_is_named() -> None:
    """Two unknown keys are both named in the error."""
    with pytest.raises(InvalidValue, match="bogus, other"):
        Agreement.from_toml_text("signed_on = 2023-02-10\npopulation = 9000\nbogus = 1\n"
                                 "other = 2\n")


@pytest.mark.parametrize("text", ["20230201", "2023-W05-1", "2023-2-1", "\uff12\uff10\uff12\uff13-\uff10\uff12-\uff10\uff11"])
def test_only_yyyy_mm_dd_is_a_date(text: str) -> None:
    """Compact, week and non-ASCII forms that fromisoformat would take are refused."""
    code, _, err = run("quote", "--population", "9000", "--go-live", text)
    assert code == 2 and text in err and "YYYY-MM-DD" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv", [
    ["term", "--signed-on", "9999-01-01", "--notice-sent-on", "9999-06-01"],
    ["quote", "--population", "9000", "--go-live", "1850-03-01"],
])
def test_dates_outside_the_supported_years_are_refused(argv: list[str]) -> None:
    """A far-off year is a typing error: exit 2, not an overflow traceback."""
    code, _, err = run(*argv)
    assert code == 2 and "outside the years" in err and "Traceback" not in err


def test_far_future_agreement_file_is_refused(tmp_path: Path) -> None:
    """An agreement signed in 9998 is refused when read, naming the field."""
    path = tmp_path / "a.toml"
    path.write_text("signed_on = 9998-06-01\npopulation = 9000\nnotice_sent_on = 9999-01-01\n")
    code, _, err = run("schedule", str(path), "--through", "2026")
    assert code == 2 and "signed_on" in err


@pytest.mark.parametrize("text", ["١٢٣٤", "1e4", "15000.0", "-5", "0"])
def test_population_must_be_ascii_digits(text: str) -> None:
    """Other scripts' digits, exponents, decimals and non-positive numbers are refused."""
    code, _, err = run("quote", "--population", text, "--go-live", "2024-01-01")
    assert code == 2 and err.count("\n") == 1


def test_quote_by_municipality_takes_the_later_store_year() -> None:
    """With store dates in two years, the population of the go-live year (R2) applies."""
    code, out, _ = run("quote", "--municipality", "Lokeren", "--app-store", "2025-12-20",
                       "--play-store", "2026-01-10", "--json")
    record = json.loads(out)
    assert code == 0
    assert (record["first_year"], record["population_year"]) == (2026, 2026)


def test_a_date_far_in_the_future_is_refused(tmp_path: Path) -> None:
    """--date 2100-01-01 would block every later invoice: refused, nothing issued."""
    from mbp_billing.examples import example_agreement_text

    (tmp_path / "a.toml").write_text(example_agreement_text(), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    from datetime import date

    code = main(["invoice", str(tmp_path / "a.toml"), "--year", "2026", "--date", "2027-01-15",
                 "--register", str(tmp_path / "r.sqlite3"), "--out", str(tmp_path / "o")],
                stdout=out, stderr=err, today=date(2026, 11, 29))
    assert code == 2 and "more than 31 days after today" in err.getvalue()
    assert not (tmp_path / "r.sqlite3").exists() and not (tmp_path / "o").exists()
    ok = main(["invoice", str(tmp_path / "a.toml"), "--year", "2026", "--date", "2026-12-28",
               "--register", str(tmp_path / "r.sqlite3"), "--out", str(tmp_path / "o")],
              stdout=io.StringIO(), stderr=io.StringIO(), today=date(2026, 11, 29))
    assert ok == 0
