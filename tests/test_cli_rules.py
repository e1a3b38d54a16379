"""The quote, schedule and term commands (issue 2)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from factories import ISSUE_EXAMPLE_TOML

from mbp_billing.cli import main

AGREEMENT = ISSUE_EXAMPLE_TOML + "\n[[amendments]]\nfrom_year = 2025\npopulation = 60000\n"

MONEY = re.compile(r"^\d+\.\d\d$")
ISO = re.compile(r"^\d{4}-\d\d-\d\d$")


def run(*argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr) (test helper)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, today=date(2026, 6, 1))
    return code, out.getvalue(), err.getvalue()


def run_json(*argv: str) -> Any:
    """Run a command with --json and parse its one JSON document (test helper)."""
    code, out, err = run(*argv, "--json")
    assert (code, err) == (0, "")
    return json.loads(out)


@pytest.fixture
def agreement_file(tmp_path: Path) -> Path:
    """An agreement file: July 2023 go-live, notice ending 2025, re-tiered in 2025."""
    path = tmp_path / "gemeente.toml"
    path.write_text(AGREEMENT, encoding="utf-8")
    return path


def write(tmp_path: Path, text: str) -> str:
    """Write an agreement file and return its path (test helper)."""
    path = tmp_path / "a.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- quote ------------------------------------------------------------------------

def test_quote_json_has_the_required_keys() -> None:
    """quote --json gives annual_fee, months, amount, billing_start, first_year (R1-R4)."""
    doc = run_json("quote", "--population", "32000", "--app-store", "2023-06-20",
                   "--play-store", "2023-07-03")
    assert {k: doc[k] for k in ("annual_fee", "months", "amount", "billing_start",
                                "first_year")} == {
        "annual_fee": "7000.00", "months": 6, "amount": "3500.00",
        "billing_start": "2023-07-01", "first_year": 2023}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--population", "15000", "--go-live", "2024-01-31"), ("3500.00", 12, "3500.00")),
        (("--population", "15001", "--go-live", "2024-12-31"), ("5000.00", 1, "416.67")),
        (("--population", "25000", "--go-live", "2022-11-05"), ("5000.00", 12, "5000.00")),
        (("--population", "25001", "--go-live", "2024-02-29"), ("7000.00", 11, "6416.67")),
        (("--population", "50000", "--app-store", "2023-07-03", "--play-store", "2023-06-20"),
         ("7000.00", 6, "3500.00")),
        (("--population", "50001", "--go-live", "2023-03-15"), ("10000.00", 10, "8333.33")),
        (("--annual-fee", "1200.06", "--go-live", "2023-12-05"), ("1200.06", 1, "100.01")),
        (("--annual-fee", "3500.10", "--go-live", "2023-06-01"), ("3500.10", 7, "2041.73")),
    ],
)
def test_quote_amounts(args: tuple[str, ...], expected: tuple[str, int, str]) -> None:
    """quote gives the tier fee, months and half-up amount at the rule edges (R1-R4)."""
    doc = run_json("quote", *args)
    assert (doc["annual_fee"], doc["months"], doc["amount"]) == expected
    assert MONEY.match(doc["amount"]) and ISO.match(doc["billing_start"])


def test_quote_before_2023_starts_in_january_2023() -> None:
    """A 2022 go-live is billed from 2023-01-01, twelve months (R3)."""
    doc = run_json("quote", "--population", "32000", "--go-live", "2022-11-14")
    assert (doc["billing_start"], doc["first_year"], doc["months"]) == ("2023-01-01", 2023, 12)


def test_quote_explain_cites_the_rules() -> None:
    """quote --explain shows the tier, the later store, the 2023 floor, months and rounding."""
    code, out, err = run("quote", "--annual-fee", "1200.06", "--app-store", "2023-12-05",
                         "--play-store", "2023-11-20", "--explain")
    assert (code, err) == (0, "")
    assert "100.01" in out
    for text in ("[R1]", "[R2]", "the App Store is later", "[R3]", "[R4]", "months = 13 - 12 = 1",
                 "100.005", "half-up"):
        assert text in out


def test_quote_plain_output() -> None:
    """quote without --json prints one readable line with the amount."""
    code, out, _ = run("quote", "--population", "32000", "--go-live", "2023-07-03")
    assert code == 0
    assert out == ("First year 2023: 6 months from 2023-07-01, 3500.00 EUR "
                   "(annual fee 7000.00 EUR)\n")


# -- schedule -----------------------------------------------------------------------

def test_schedule_json(agreement_file: Path) -> None:
    """schedule --json lists one charge per year with the required keys (R4, R5, R7, R9)."""
    doc = run_json("schedule", str(agreement_file), "--through", "2030")
    assert [(c["year"], c["kind"], c["months"], c["annual_fee"], c["amount"],
             c["period_start"], c["period_end"]) for c in doc] == [
        (2023, "first", 6, "7000.00", "3500.00", "2023-07-01", "2023-12-31"),
        (2024, "annual", 12, "7000.00", "7000.00", "2024-01-01", "2024-12-31"),
        (2025, "annual", 12, "10000.00", "10000.00", "2025-01-01", "2025-12-31"),
    ]
    assert "explanation" not in doc[0]


def test_schedule_explain_json_includes_explanations(agreement_file: Path) -> None:
    """schedule --json --explain adds each charge's rule-cited steps."""
    doc = run_json("schedule", str(agreement_file), "--through", "2030", "--explain")
    assert any(step.startswith("[R4]") for step in doc[0]["explanation"])
    assert any("(R9)" in step for step in doc[2]["explanation"])


def test_schedule_explain_text(agreement_file: Path) -> None:
    """schedule --explain prints the table with every step under its charge."""
    code, out, err = run("schedule", str(agreement_file), "--through", "2030", "--explain")
    assert (code, err) == (0, "")
    for text in ("[R1]", "[R2]", "[R3]", "[R4]", "[R5]", "[R8]", "R9", "20500.00"):
        assert text in out


def test_schedule_through_defaults_to_today(tmp_path: Path) -> None:
    """Without --through the schedule runs to the current year (given by the caller)."""
    path = write(tmp_path, "signed_on = 2023-02-10\npopulation = 5000\n"
                           "app_store_live_on = 2023-01-01\nplay_store_live_on = 2023-01-01\n")
    doc = run_json("schedule", path)
    assert [c["year"] for c in doc] == [2023, 2024, 2025, 2026]


def test_schedule_pro_rata_policy(tmp_path: Path) -> None:
    """--end-policy pro-rata bills the final year to the end month (R8)."""
    path = write(tmp_path, AGREEMENT.replace("2025-10-01", "2025-12-15"))
    full = run_json("schedule", path, "--through", "2030")
    pro = run_json("schedule", path, "--through", "2030", "--end-policy", "pro-rata")
    assert (full[-1]["year"], full[-1]["months"], full[-1]["amount"]) == (2026, 12, "10000.00")
    assert (pro[-1]["year"], pro[-1]["months"], pro[-1]["amount"],
            pro[-1]["period_end"]) == (2026, 2, "1666.67", "2026-02-09")


def test_schedule_not_live_prints_why(tmp_path: Path) -> None:
    """An agreement live in one store only has no charges and says so (R2)."""
    path = write(tmp_path, "signed_on = 2023-02-10\npopulation = 5000\n"
                           "app_store_live_on = 2023-01-01\n")
    code, out, _ = run("schedule", path, "--through", "2030")
    assert code == 0 and "not live in both stores" in out and "R2" in out
    assert run_json("schedule", path, "--through", "2030") == []


# -- term -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("signed", "notice", "ends", "regime"),
    [
        ("2023-02-10", "2024-01-10", "2024-02-09", "fixed"),
        ("2023-02-10", "2024-01-11", "2024-12-31", "fixed"),
        ("2023-02-10", "2024-12-01", "2024-12-31", "fixed"),
        ("2023-02-10", "2024-12-02", "2025-02-09", "fixed"),
        ("2023-02-10", "2027-02-09", "2027-05-09", "indefinite"),
        ("2023-02-10", "2027-02-10", "2027-05-10", "indefinite"),
        ("2024-02-29", "2025-01-28", "2025-02-27", "fixed"),
    ],
)
def test_term_json(signed: str, notice: str, ends: str, regime: str) -> None:
    """term --json gives ends_on (last day in force) and the regime (R6, R7)."""
    doc = run_json("term", "--signed-on", signed, "--notice-sent-on", notice)
    assert (doc["ends_on"], doc["regime"]) == (ends, regime)
    assert doc["reason"].startswith("R7")


def test_term_plain_output() -> None:
    """term without --json prints the end date and the rule."""
    code, out, _ = run("term", "--signed-on", "2023-02-10", "--notice-sent-on", "2025-10-01")
    assert code == 0
    assert out.splitlines()[0] == "Ends on 2025-12-31 (last day in force; fixed regime)"
    assert "R7" in out


# -- bad input ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["quote", "--population", "0", "--go-live", "2024-01-01"], "'0'"),
        (["quote", "--population", "-5", "--go-live", "2024-01-01"], "'-5'"),
        (["quote", "--population", "15000.5", "--go-live", "2024-01-01"], "'15000.5'"),
        (["quote", "--population", "abc", "--go-live", "2024-01-01"], "'abc'"),
        (["quote", "--population", "5000", "--go-live", "2023-02-30"], "2023-02-30"),
        (["quote", "--population", "5000", "--go-live", "2023-13-01"], "2023-13-01"),
        (["quote", "--population", "5000", "--app-store", "2024-03-01"], "2024-03-01"),
        (["quote", "--population", "5000", "--play-store", "2024-03-02"], "2024-03-02"),
        (["quote", "--population", "5000"], "--go-live"),
        (["quote", "--population", "5000", "--go-live", "2024-03-01", "--app-store",
          "2024-03-01"], "--go-live"),
        (["quote", "--annual-fee", "7000.005", "--go-live", "2024-01-01"], "7000.005"),
        (["quote", "--annual-fee", "-1", "--go-live", "2024-01-01"], "'-1'"),
        (["quote", "--annual-fee", "1e40", "--go-live", "2024-01-01"], "1e40"),
        (["quote", "--go-live", "2024-01-01"], "--population"),
        (["term", "--signed-on", "2023-02-10", "--notice-sent-on", "2023-02-09"], "2023-02-09"),
        (["term", "--signed-on", "2023-02-29", "--notice-sent-on", "2024-01-01"], "2023-02-29"),
        (["term", "--signed-on", "2023-02-10"], "--notice-sent-on"),
        (["schedule", "x.toml", "--through", "20x6"], "20x6"),
        (["schedule", "x.toml", "--end-policy", "refund"], "refund"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv: list[str], named: str) -> None:
    """Bad command-line input: exit 2, one stderr line naming the value, no traceback."""
    code, out, err = run(*argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n")
    assert named in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("signed_on = 2023-02-10\nannual_fee = 7000.0\n", "7000.0"),
        ("signed_on = 2023-02-10\npopulation = 5000\npopulaton = 5000\n", "populaton"),
        ("signed_on = 2023-02-10\npopulation = 0\n", "population 0"),
        ("signed_on = 2023-02-10\npopulation = 15000.5\n", "15000.5"),
        ("signed_on = 2023-02-10\npopulation = 32000\nannual_fee = '5000.00'\n", "32000"),
        ("signed_on = 2023-02-10\npopulation = 5000\nnotice_sent_on = 2022-01-01\n",
         "2022-01-01"),
        ("signed_on = '2023-02-30'\npopulation = 5000\n", "2023-02-30"),
        ("signed_on = 2023-02-10\npopulation = 5000\n[buyer]\nname='G'\nkbo='0643.634.987'\n"
         "street='s'\npostcode='1'\ncity='c'\n", "0643.634.987"),
        ("signed_on = 2023-02-10\npopulation = 5000\n[buyer]\nnaam='G'\n", "buyer.naam"),
        ("signed_on = \n", "not valid TOML"),
    ],
)
def test_bad_agreement_files_exit_2_with_one_line(tmp_path: Path, text: str, named: str) -> None:
    """A bad agreement file: exit 2, one stderr line naming file and value, no traceback."""
    path = write(tmp_path, text)
    code, out, err = run("schedule", path, "--through", "2026")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and named in err and path in err
    assert "Traceback" not in err


def test_missing_agreement_file_exits_2(tmp_path: Path) -> None:
    """A missing agreement file: exit 2 and one line naming the path."""
    path = str(tmp_path / "missing.toml")
    code, out, err = run("schedule", path)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and path in err and "cannot be read" in err


def test_module_help_runs_in_a_subprocess() -> None:
    """``python -m mbp_billing --help`` exits 0 and lists the three commands."""
    result = subprocess.run([sys.executable, "-m", "mbp_billing", "--help"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    for command in ("quote", "schedule", "term"):
        assert command in result.stdout
