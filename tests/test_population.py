"""Statbel population data: lookups by name or NIS code on a date, mergers, errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from mbp_billing.cli import main
from mbp_billing.errors import InvalidValue
from mbp_billing.population import PopulationTable

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="module")
def table() -> PopulationTable:
    """The shipped figures."""
    return PopulationTable.builtin()


def test_counts_per_year(table: PopulationTable) -> None:
    """300 municipalities before the 2025 mergers, 285 from 2025."""
    assert [len(table.municipalities(y)) for y in table.years] == [300, 300, 300, 285, 285]


def test_flemish_totals_match_the_published_figures(table: PopulationTable) -> None:
    """Sums equal Statbel's Flemish Region totals for 2023, 2024 and 2025."""
    totals = {y: sum(m.population for m in table.municipalities(y)) for y in table.years}
    assert totals[2023] == 6_774_807
    assert totals[2024] == 6_821_770
    assert totals[2025] == 6_864_766


def test_name_lookup_depends_on_the_date(table: PopulationTable) -> None:
    """Lokeren is 46014 in 2024 and the merged 46029 from 2025."""
    assert table.lookup("Lokeren", date(2024, 12, 31)).nis_code == "46014"
    assert table.lookup("lokeren", date(2025, 1, 1)).nis_code == "46029"


def test_old_code_follows_its_successor(table: PopulationTable) -> None:
    """Moerbeke (44045) merged into Lokeren: after 2025 its code finds Lokeren."""
    assert table.successor("44045") == "46029"
    assert table.lookup("44045", 2025).name == "Lokeren"
    assert table.lookup("44045", 2024).name == "Moerbeke"
    assert table.lookup("46013", 2026).name == "Beveren-Kruibeke-Zwijndrecht"
    assert table.successor("11001") == "11001"


def test_borsbeek_joins_antwerpen(table: PopulationTable) -> None:
    """Antwerpen keeps 11002 and absorbs Borsbeek (11007) in 2025."""
    assert table.successor("11007") == "11002"
    assert table.population("11002", 2025) - table.population("11002", 2024) == 17_243


def test_unknown_name_suggests_close_matches(table: PopulationTable) -> None:
    """A misspelt name is refused with the closest names."""
    with pytest.raises(InvalidValue, match="did you mean Lokeren"):
        table.lookup("Lokren", 2026)


def test_unknown_code_is_refused(table: PopulationTable) -> None:
    """A code that did not exist that year is refused, naming it."""
    with pytest.raises(InvalidValue, match="46029"):
        table.lookup("46029", 2024)


def test_accents_and_case_do_not_matter(table: PopulationTable) -> None:
    """Names match without regard to case, hyphens or accents."""
    found = table.lookup("oud turnhout", 2026)
    assert found.name == "Oud-Turnhout"


def test_ambiguous_name_lists_the_codes() -> None:
    """Two municipalities with one name: the error lists both codes."""
    text = ("nis_code,name_nl,reference_date,population\n"
            "99001,Dubbel,2026-01-01,100\n99002,Dubbel,2026-01-01,200\n")
    table = PopulationTable.from_csv_text(text)
    with pytest.raises(InvalidValue, match=r"99001.*99002"):
        table.lookup("Dubbel", 2026)


def test_user_file_replaces_the_data(tmp_path: Path) -> None:
    """A newer file in the same format is used instead of the shipped one."""
    path = tmp_path / "pop.csv"
    path.write_text("nis_code,name_nl,reference_date,population\n"
                    "46029,Lokeren,2027-01-01,51234\n", encoding="utf-8")
    table = PopulationTable.from_csv(path)
    assert table.lookup("Lokeren", 2027).population == 51234


def test_malformed_user_file_is_refused(tmp_path: Path) -> None:
    """A file without the population column is refused, naming what lacks."""
    path = tmp_path / "pop.csv"
    path.write_text("nis_code,name_nl\n1,X\n", encoding="utf-8")
    with pytest.raises(InvalidValue, match="reference_date, population"):
        PopulationTable.from_csv(path)


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data is not beside the checkout")
def test_shipped_file_equals_the_shared_source() -> None:
    """The package data is the sourced file, unchanged."""
    shipped = Path(__file__).resolve().parents[1] / "src" / "mbp_billing" / "data"
    for name in ("flemish_municipalities_population.csv", "mergers_2025.csv"):
        assert (shipped / name).read_bytes() == (SHARED / name).read_bytes()


def test_quote_by_municipality_uses_the_figure_of_that_year() -> None:
    """quote --municipality takes the 1 January population of --year and the tariff."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["quote", "--municipality", "Lokeren", "--year", "2024", "--json"],
                stdout=out, stderr=err)
    assert code == 0
    record = json.loads(out.getvalue())
    assert (record["nis_code"], record["annual_fee"], record["months"]) == (
        "46014", "7000.00", 12)


def test_quote_by_unknown_municipality_exits_2() -> None:
    """An unknown municipality is one line on stderr with suggestions, exit 2."""
    out, err = io.StringIO(), io.StringIO()
    assert main(["quote", "--municipality", "Lokren", "--year", "2026"],
                stdout=out, stderr=err) == 2
    assert "Lokeren" in err.getvalue() and err.getvalue().count("\n") == 1


def test_every_row_is_a_positive_population(table: PopulationTable) -> None:
    """No row has a zero or negative population; codes are five digits."""
    assert all(m.population > 0 and len(m.nis_code) == 5 for m in table)
    rows = list(csv.DictReader(io.StringIO(
        (Path(__file__).resolve().parents[1] / "src" / "mbp_billing" / "data" /
         "mergers_2025.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 28


def test_unknown_code_suggests_the_nearest_codes(table: PopulationTable) -> None:
    """An unknown NIS code gets the nearest existing codes as suggestions."""
    with pytest.raises(InvalidValue, match="did you mean 46030"):
        table.lookup("46031", 2026)
    with pytest.raises(InvalidValue, match="did you mean"):
        table.lookup("99999", 2026)
