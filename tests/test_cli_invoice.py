"""The invoice and credit commands: output, idempotence, refusals without a trace."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mbp_billing.cli import main
from mbp_billing.register import Register

AGREEMENT = """\
signed_on = 2023-02-10
population = 32000
app_store_live_on = 2023-06-20
play_store_live_on = 2023-07-03

[buyer]
name = "Gemeente Voorbeeld"
kbo = "0207.123.407"
street = "Marktplein 1"
postcode = "9999"
city = "Voorbeeld"
"""


def run(*argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder with the agreement file."""
    (tmp_path / "a.toml").write_text(AGREEMENT, encoding="utf-8")
    return tmp_path


def _invoice(workdir: Path, *extra: str) -> tuple[int, str, str]:
    return run("invoice", str(workdir / "a.toml"), "--register", str(workdir / "r.sqlite3"),
               "--out", str(workdir / "out"), *extra)


def _trace(workdir: Path) -> tuple[list[str], list[str]]:
    files = sorted(p.name for p in (workdir / "out").glob("*")) if (workdir / "out").exists() \
        else []
    if not (workdir / "r.sqlite3").exists():
        return files, []
    with Register.open(workdir / "r.sqlite3") as reg:
        return files, [d.number for d in reg.documents()]


def test_invoice_json_has_the_documented_keys(workdir: Path) -> None:
    """--json prints number, dates, amount, structured communication and file paths."""
    code, out, err = _invoice(workdir, "--year", "2023", "--date", "2023-07-10", "--json")
    assert (code, err) == (0, "")
    record = json.loads(out)
    assert record["number"] == "F000001"
    assert (record["issue_date"], record["due_date"]) == ("2023-07-10", "2023-08-09")
    assert record["amount"] == "3500.00"
    assert record["structured_communication"] == "+++000/0000/00101+++"
    assert Path(record["pdf"]).read_bytes().startswith(b"%PDF")
    assert Path(record["xml"]).read_bytes().startswith(b"<?xml")


def test_rerun_returns_the_same_number_and_bytes(workdir: Path) -> None:
    """Running the same invoice command twice gives one number and identical files."""
    _invoice(workdir, "--year", "2024", "--date", "2024-01-02")
    first = {p.name: p.read_bytes() for p in (workdir / "out").iterdir()}
    code, out, _ = _invoice(workdir, "--year", "2024", "--date", "2024-01-09", "--json")
    assert code == 0 and json.loads(out)["already_issued"] is True
    assert json.loads(out)["number"] == "F000001"
    assert {p.name: p.read_bytes() for p in (workdir / "out").iterdir()} == first


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--year", "2022", "--date", "2023-07-10"), "2022"),  # a year without a charge
        (("--year", "2024", "--date", "2023-12-31"), "2023-12-31"),  # before 1 January
        (("--year", "2023", "--date", "2023-07-02"), "2023-07-02"),  # before go-live
        (("--year", "2023", "--date", "2023-02-30"), "2023-02-30"),  # impossible date
    ],
)
def test_refusals_exit_2_with_one_line_and_no_trace(workdir: Path, args: tuple[str, ...],
                                                    named: str) -> None:
    """Unbillable requests exit 2, name the value on one line, and leave nothing behind."""
    code, out, err = _invoice(workdir, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and named in err and "Traceback" not in err
    assert _trace(workdir) == ([], [])


def test_backdated_invoice_is_refused(workdir: Path) -> None:
    """An invoice dated before the latest issued one exits 2; no number is consumed."""
    assert _invoice(workdir, "--year", "2024", "--date", "2024-02-01")[0] == 0
    code, _, err = _invoice(workdir, "--year", "2025", "--date", "2025-01-02")
    assert code == 0
    other = workdir / "b.toml"
    other.write_text(AGREEMENT.replace("0207.123.407", "0207.451.227"), encoding="utf-8")
    code, _, err = run("invoice", str(other), "--year", "2024", "--date", "2024-06-01",
                       "--register", str(workdir / "r.sqlite3"), "--out", str(workdir / "out"))
    assert code == 2 and "2025-01-02" in err
    assert _trace(workdir)[1] == ["F000001", "F000002"]


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ('kbo = "0207.123.407"', 'kbo = "0207.123.408"', "0207.123.408"),
        ('city = "Voorbeeld"\n', "", "buyer.city"),
        ("population = 32000", "population = 32000.5", "32000.5"),
        ('street = "Marktplein 1"', 'street = "Marktplein 1"\nfax = "x"', "fax"),
    ],
)
def test_bad_agreement_files_are_refused(workdir: Path, old: str, new: str, named: str) -> None:
    """An invalid KBO, a missing buyer field, a float, an unknown key: exit 2, no trace."""
    (workdir / "a.toml").write_text(AGREEMENT.replace(old, new), encoding="utf-8")
    code, _, err = _invoice(workdir, "--year", "2024", "--date", "2024-01-02")
    assert code == 2 and named in err and err.count("\n") == 1
    assert _trace(workdir) == ([], [])


def test_existing_foreign_file_is_refused(workdir: Path) -> None:
    """An output file with other content stops the command; nothing is numbered."""
    (workdir / "out").mkdir()
    (workdir / "out" / "F000001.xml").write_text("not ours")
    code, _, err = _invoice(workdir, "--year", "2024", "--date", "2024-01-02")
    assert code == 2 and "F000001.xml" in err and "other content" in err
    assert _trace(workdir) == (["F000001.xml"], [])


def test_credit_json_and_second_full_credit_refused(workdir: Path) -> None:
    """credit prints number, amount, credits and files; a second full credit exits 2."""
    _invoice(workdir, "--year", "2024", "--date", "2024-01-02")
    base = ("--register", str(workdir / "r.sqlite3"), "--out", str(workdir / "out"))
    code, out, _ = run("credit", "F000001", "--reason", "wrong tier", "--date", "2024-02-01",
                       "--json", *base)
    record = json.loads(out)
    assert code == 0
    assert (record["number"], record["amount"], record["credits"]) == (
        "C000001", "7000.00", "F000001")
    assert Path(record["pdf"]).exists() and Path(record["xml"]).exists()
    code, _, err = run("credit", "F000001", "--reason", "again", "--date", "2024-02-02", *base)
    assert code == 2 and "already fully credited" in err


def test_credit_on_a_missing_register_is_refused(tmp_path: Path) -> None:
    """Crediting with a register path that does not exist says so, creating nothing."""
    code, _, err = run("credit", "F000001", "--reason", "x",
                       "--register", str(tmp_path / "nope.sqlite3"))
    assert code == 2 and "nope.sqlite3" in err
    assert not (tmp_path / "nope.sqlite3").exists()


def test_invoice_example_from_a_fresh_folder(tmp_path: Path) -> None:
    """The README's first command issues F000001 with a PDF and UBL, twice the same."""
    argv = [sys.executable, "-m", "mbp_billing", "invoice", "--example", "--json",
            "--date", "2026-11-30"]
    first = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=True)
    again = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=True)
    one, two = json.loads(first.stdout), json.loads(again.stdout)
    assert one["number"] == two["number"] == "F000001" and two["already_issued"]
    assert (tmp_path / "example-invoices" / "F000001.pdf").exists()
    assert (tmp_path / "example-invoices" / "F000001.xml").exists()
    assert not (tmp_path / "mbp-billing-register.sqlite3").exists()  # example stays apart


def test_every_command_has_help_with_examples() -> None:
    """Each command's --help goes to the given stdout, exits 0 and shows examples."""
    for command in ("quote", "schedule", "term", "invoice", "credit", "run", "verify",
                    "ledger", "pay"):
        code, out, err = run(command, "--help")
        assert code == 0 and err == ""
        assert "examples:" in out and f"python -m mbp_billing {command}" in out


def test_refused_invoice_on_a_new_register_leaves_no_file(tmp_path: Path) -> None:
    """A refused request does not even leave an empty register or folder behind."""
    (tmp_path / "a.toml").write_text(AGREEMENT, encoding="utf-8")
    code, _, _ = run("invoice", str(tmp_path / "a.toml"), "--year", "2022", "--register",
                     str(tmp_path / "new" / "r.sqlite3"), "--out", str(tmp_path / "out"))
    assert code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.toml"]


@pytest.mark.parametrize("command", ["invoice", "credit"])
def test_unwritable_out_is_refused_before_numbering(tmp_path: Path, command: str) -> None:
    """--out naming a file is refused with exit 2 before any number is taken."""
    (tmp_path / "a.toml").write_text(AGREEMENT, encoding="utf-8")
    register = str(tmp_path / "r.sqlite3")
    if command == "credit":
        assert run("invoice", str(tmp_path / "a.toml"), "--year", "2024", "--date",
                   "2024-01-02", "--register", register, "--out", str(tmp_path / "o"))[0] == 0
    (tmp_path / "afile").write_text("x")
    argv = (["invoice", str(tmp_path / "a.toml"), "--year", "2025", "--date", "2025-01-02"]
            if command == "invoice" else ["credit", "F000001", "--reason", "x", "--date",
                                          "2024-02-01"])
    code, _, err = run(*argv, "--register", register, "--out", str(tmp_path / "afile"))
    assert code == 2 and "is a file, not a folder" in err and err.count("\n") == 1
    with Register.open(register) as reg:
        assert [d.number for d in reg.documents()] == (["F000001"] if command == "credit" else [])


def test_register_in_an_impossible_place_is_refused(tmp_path: Path) -> None:
    """A register path under a file gives exit 2 and one line, not a traceback."""
    (tmp_path / "a.toml").write_text(AGREEMENT, encoding="utf-8")
    (tmp_path / "afile").write_text("x")
    code, _, err = run("invoice", str(tmp_path / "a.toml"), "--year", "2024", "--register",
                       str(tmp_path / "afile" / "r.sqlite3"))
    assert code == 2 and "cannot be created" in err and "Traceback" not in err


def test_foreign_sqlite_file_is_not_adopted_as_a_register(tmp_path: Path) -> None:
    """An SQLite database of something else is refused, not extended."""
    import sqlite3

    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    (tmp_path / "a.toml").write_text(AGREEMENT, encoding="utf-8")
    code, _, err = run("invoice", str(tmp_path / "a.toml"), "--year", "2024", "--register",
                       str(other))
    assert code == 2 and "not a register" in err
    db = sqlite3.connect(other)
    assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["t"]
    db.close()
