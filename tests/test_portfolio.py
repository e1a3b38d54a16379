"""Portfolios: a folder of agreement TOML files or one CSV, validated whole before a run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from _portfolios import HEADER, agreement_row, run_cli, snapshot, write_csv
from factories import agreement, buyer, kbo

from mbp_billing.agreement import Amendment
from mbp_billing.examples import example_portfolio
from mbp_billing.portfolio import CSV_COLUMNS, Portfolio, PortfolioError, load_portfolio
from mbp_billing.register import Register

_TOML = """\
signed_on = {signed_on}
population = {population}
app_store_live_on = 2023-06-20
play_store_live_on = 2023-07-03

[buyer]
name = "{name}"
kbo = "{kbo}"
street = "Marktplein 1"
postcode = "9999"
city = "Voorbeeld"
"""


def _toml(folder: Path, file: str, *, signed_on: str = "2023-02-10", population: str = "32000",
          name: str = "Gemeente A", kbo_: str = "0207.123.407") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file
    path.write_text(_TOML.format(signed_on=signed_on, population=population, name=name,
                                 kbo=kbo_), encoding="utf-8")
    return path


def _csv(path: Path, rows: list[list[str]]) -> Path:
    lines = [",".join(HEADER), *(",".join(r) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _good_row(n: int, **change: str) -> list[str]:
    row = dict(zip(HEADER, agreement_row(agreement(buyer=buyer(kbo=kbo(n), name=f"Gemeente {n}"))),
                   strict=True))
    row.update(change)
    return [row[c] for c in HEADER]


def test_csv_columns_are_the_documented_ones() -> None:
    """The CSV columns are the agreement keys and buyer_* fields, amendments last."""
    assert list(CSV_COLUMNS) == HEADER


def test_csv_with_every_column_and_amendments_loads(tmp_path: Path) -> None:
    """A row using every documented column, amendments included, gives that agreement."""
    row = ["2023-02-10", "32000", "7000.00", "2024", "2023-06-20", "2023-07-03", "2027-03-01",
           "2030-12-31", "Gemeente Voorbeeld", "0207.123.407", "Marktplein 1", "9999",
           "Voorbeeld", "PO-17", "2025:population=26000;2027:annual_fee=7500.00"]
    portfolio = load_portfolio(_csv(tmp_path / "p.csv", [row]))
    [entry] = portfolio
    a = entry.agreement
    assert entry.source == f"{tmp_path / 'p.csv'}:2"
    assert (a.signed_on, a.population, a.annual_fee, a.population_year) == (
        date(2023, 2, 10), 32000, Decimal("7000.00"), 2024)
    assert (a.app_store_live_on, a.play_store_live_on) == (date(2023, 6, 20), date(2023, 7, 3))
    assert (a.notice_sent_on, a.dissolved_on) == (date(2027, 3, 1), date(2030, 12, 31))
    assert a.buyer is not None and a.buyer.kbo == "0207123407" and a.buyer.reference == "PO-17"
    assert a.amendments == (Amendment(2025, population=26000),
                            Amendment(2027, annual_fee=Decimal("7500.00")))
    assert [a.annual_fee_for(y) for y in (2024, 2025, 2027)] == [
        Decimal("7000.00"), Decimal("7000.00"), Decimal("7500.00")]
    assert a.tier_for(2025) is not None and a.tier_for(2025).number == 3


def test_csv_round_trips_the_example_portfolio(tmp_path: Path) -> None:
    """The 285 example agreements written as CSV load back equal, in row order."""
    originals = [e.agreement for e in example_portfolio()]
    loaded = load_portfolio(write_csv(originals, tmp_path / "p.csv"))
    assert [e.agreement for e in loaded] == originals
    assert loaded[284].source.endswith("p.csv:286")


def test_folder_of_toml_files_loads_sorted_by_name(tmp_path: Path) -> None:
    """Every *.toml of a folder is one agreement, in file-name order; other files are ignored."""
    _toml(tmp_path, "b.toml", name="Gemeente B", kbo_=kbo(2))
    _toml(tmp_path, "a.toml", name="Gemeente A", kbo_=kbo(1))
    (tmp_path / "notes.txt").write_text("not an agreement")
    portfolio = load_portfolio(tmp_path)
    assert [Path(e.source).name for e in portfolio] == ["a.toml", "b.toml"]
    assert [e.buyer_kbo for e in portfolio] == [kbo(1), kbo(2)]


def test_folder_reports_every_bad_file_with_line_and_field(tmp_path: Path) -> None:
    """Three bad files give three problems, each naming its file, line and field."""
    _toml(tmp_path, "a-good.toml", kbo_=kbo(1))
    _toml(tmp_path, "b-population.toml", population="-5", kbo_=kbo(2))
    _toml(tmp_path, "c-kbo.toml", kbo_="0207.123.408")
    (tmp_path / "d-syntax.toml").write_text("signed_on = 2023-02-10\npopulation = = 3\n")
    _toml(tmp_path, "e-date.toml", signed_on='"2023-02-30"', kbo_=kbo(5))
    with pytest.raises(PortfolioError) as caught:
        load_portfolio(tmp_path)
    problems = caught.value.problems
    assert len(problems) == 4
    b, c, d, e = problems
    assert b.startswith(f"{tmp_path / 'b-population.toml'}:2: ") and "population" in b
    assert c.startswith(f"{tmp_path / 'c-kbo.toml'}:8: ") and "buyer.kbo" in c
    assert c.find("0207.123.408") > 0
    assert d.startswith(f"{tmp_path / 'd-syntax.toml'}: ") and "line 2" in d
    assert e.startswith(f"{tmp_path / 'e-date.toml'}:1: ") and "signed_on" in e


def test_csv_reports_every_bad_row_with_row_and_field(tmp_path: Path) -> None:
    """Bad cells in several rows are all reported, each with its row number and column."""
    rows = [
        _good_row(1),
        _good_row(2, population="12.5"),
        _good_row(3),
        _good_row(4, signed_on="2023-02-30"),
        _good_row(5, amendments="2025:populaton=26000"),
        _good_row(6, buyer_city=""),
    ]
    path = _csv(tmp_path / "p.csv", rows)
    with pytest.raises(PortfolioError) as caught:
        load_portfolio(path)
    problems = caught.value.problems
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:{n}" for n in (3, 5, 6, 7)]
    for problem, field in zip(problems, ("population", "signed_on", "amendments", "buyer.city"),
                              strict=True):
        assert problem.split(": ", 1)[1].startswith(field), problem
    assert "12.5" in problems[0] and "2025:populaton=26000" in problems[2]


def test_unknown_csv_column_is_named(tmp_path: Path) -> None:
    """A column that is not documented is refused by name, listing the allowed ones."""
    path = tmp_path / "p.csv"
    path.write_text("signed_on,populaton\n2023-02-10,9000\n")
    with pytest.raises(PortfolioError, match=r"p\.csv:1 column 'populaton': unknown"):
        load_portfolio(path)


def test_agreement_without_buyer_is_a_problem(tmp_path: Path) -> None:
    """A portfolio agreement needs a buyer to be invoiced."""
    (tmp_path / "a.toml").write_text("signed_on = 2023-02-10\npopulation = 9000\n")
    with pytest.raises(PortfolioError, match=r"a\.toml: buyer None"):
        load_portfolio(tmp_path)


def test_file_that_is_not_utf8_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    """A TOML file in another encoding is reported like any bad file."""
    _toml(tmp_path, "a.toml", kbo_=kbo(1))
    (tmp_path / "b.toml").write_bytes("signed_on = 2023-02-10\n# café\n".encode("latin-1"))
    with pytest.raises(PortfolioError) as caught:
        load_portfolio(tmp_path)
    [problem] = caught.value.problems
    assert problem.startswith(str(tmp_path / "b.toml")) and "UTF-8" in problem


def test_duplicate_enterprise_numbers_name_both_files(tmp_path: Path) -> None:
    """The same KBO number in two files, written differently, names both files."""
    first = _toml(tmp_path, "a.toml", kbo_="0207.123.407")
    second = _toml(tmp_path, "b.toml", name="Gemeente B", kbo_="BE0207123407")
    with pytest.raises(PortfolioError) as caught:
        load_portfolio(tmp_path)
    [problem] = caught.value.problems
    assert problem.startswith(f"{second}: buyer.kbo 0207.123.407")
    assert f"also in {first}" in problem


def test_duplicate_enterprise_numbers_name_both_rows(tmp_path: Path) -> None:
    """The same KBO number in rows 2 and 4 of a CSV names both rows."""
    path = _csv(tmp_path / "p.csv", [_good_row(1), _good_row(2), _good_row(1)])
    with pytest.raises(PortfolioError) as caught:
        load_portfolio(path)
    [problem] = caught.value.problems
    assert problem.startswith(f"{path}:4: buyer.kbo") and f"also in {path}:2" in problem


def test_portfolio_error_message_lists_every_problem() -> None:
    """The error's message carries every problem, so one catch shows them all."""
    error = PortfolioError(["a.toml:2: population -5: bad", "b.toml: buyer None: missing"])
    assert "a.toml:2: population -5" in str(error) and "b.toml: buyer None" in str(error)
    assert "nothing was issued" in str(error)


def test_run_on_a_bad_portfolio_issues_nothing(tmp_path: Path) -> None:
    """A bad row stops the run before the first invoice: exit 2, file and field named."""
    good = [agreement_row(e.agreement) for e in example_portfolio()[:211]]
    bad = _good_row(900, population="twelve thousand")
    path = _csv(tmp_path / "p.csv", [*good, bad])
    register, out = tmp_path / "r.sqlite3", tmp_path / "out"
    Register.open(register).close()
    code, stdout, stderr = run_cli(["run", str(path), "--through", "2026", "--date",
                                    "2026-11-30", "--register", str(register), "--out", str(out)])
    assert code == 2 and stdout == ""
    lines = stderr.splitlines()
    assert lines[0] == "error: 1 problem(s) in the portfolio; nothing was issued"
    assert lines[1].startswith(f"  {path}:213: population 'twelve thousand'")
    assert "Traceback" not in stderr
    with Register.open(register, create=False) as reg:
        assert reg.documents() == []
    assert snapshot(out) == {}


def test_portfolio_is_a_sequence_of_entries() -> None:
    """A portfolio has a length, indexes and iterates over its entries."""
    portfolio = Portfolio.from_csv_text(",".join(HEADER) + "\n" + ",".join(_good_row(1)) + "\n",
                                        name="x.csv")
    assert len(portfolio) == 1 and list(portfolio) == [portfolio[0]]
    assert portfolio[0].source == "x.csv:2" and portfolio[0].buyer_kbo == kbo(1)


def test_every_bad_field_of_a_row_is_reported_in_row_order(tmp_path: Path) -> None:
    """A row with a bad KBO and an impossible date reports both; rows come in order."""
    from mbp_billing.portfolio import PortfolioError, load_portfolio

    header = ("signed_on,population,app_store_live_on,play_store_live_on,buyer_name,buyer_kbo,"
              "buyer_street,buyer_postcode,buyer_city\n")
    good = "2023-02-10,32000,2023-06-20,2023-07-03,G{n},{kbo},Markt 1,9999,G\n"
    rows = [good.format(n=1, kbo="0207.123.407"),
            "2023-02-10,32000,2023-06-20,2023-02-30,G2,0207.123.408,Markt 1,9999,G\n",
            "2023-02-10,abc,2023-06-20,2023-07-03,G3,0207.451.227,Markt 1,9999,G\n",
            good.format(n=4, kbo="0207.123.407")]
    path = tmp_path / "p.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    with pytest.raises(PortfolioError) as caught:
        load_portfolio(path)
    problems = caught.value.problems
    assert [p.split(": ")[0] for p in problems] == [
        f"{path}:3", f"{path}:3", f"{path}:4", f"{path}:5"]
    assert any("2023-02-30" in p for p in problems) and any("0207.123.408" in p for p in problems)
    assert "duplicate enterprise number" in problems[-1]
