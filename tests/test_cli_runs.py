"""The run, verify, ledger and pay commands: output, exit codes, tamper evidence."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from _portfolios import HEADER, cli_process, run_cli, snapshot, write_csv
from factories import agreement, buyer, kbo

from mbp_billing.cli import main
from mbp_billing.register import Register

RUN_DATE = "2026-11-30"


def _portfolio(tmp_path: Path) -> Path:
    # F000001: A 2025 first year; F000002: B 2026 first year; F000003: A 2026 renewal.
    a = agreement(signed_on=date(2025, 1, 10), population=9000,
                  app_store_live_on=date(2025, 3, 3), play_store_live_on=date(2025, 3, 10),
                  buyer=buyer(kbo=kbo(1), name="Gemeente A"))
    b = agreement(signed_on=date(2026, 1, 15), app_store_live_on=date(2026, 3, 2),
                  play_store_live_on=date(2026, 3, 9), buyer=buyer(kbo=kbo(2), name="Gemeente B"))
    return write_csv([a, b], tmp_path / "portfolio.csv")


@pytest.fixture
def issued(tmp_path: Path) -> tuple[Path, Path]:
    """A register and output folder after a run that issued F000001..F000003."""
    register, out = tmp_path / "r.sqlite3", tmp_path / "out"
    code, _, err = run_cli(["run", str(_portfolio(tmp_path)), "--through", "2026", "--date",
                            RUN_DATE, "--register", str(register), "--out", str(out)])
    assert code == 0, err
    return register, out


def _verify(register: Path, out: Path) -> tuple[int, list[str]]:
    code, stdout, stderr = run_cli(["verify", "--register", str(register), "--out", str(out)])
    assert stderr == ""
    return code, stdout.splitlines()


def test_verify_is_clean_after_a_run(issued: tuple[Path, Path]) -> None:
    """A fresh run verifies: exit 0 and one OK line."""
    code, lines = _verify(*issued)
    assert code == 0 and lines == [
        "OK: 3 document(s); hash chain intact, numbering gapless, files match"]


def test_verify_names_a_flipped_byte(issued: tuple[Path, Path]) -> None:
    """One flipped byte in an issued PDF: exit 1, naming the invoice number and the file."""
    register, out = issued
    pdf = out / "F000002.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01
    pdf.write_bytes(bytes(data))
    code, lines = _verify(register, out)
    assert code == 1
    assert lines == [f"PROBLEM F000002 {pdf}: file does not match the SHA-256 recorded at issue "
                     "(altered or replaced)", "1 problem(s) in 3 document(s)"]


def test_verify_names_a_deleted_xml(issued: tuple[Path, Path]) -> None:
    """A deleted UBL file is named with its invoice number."""
    register, out = issued
    (out / "F000003.xml").unlink()
    code, lines = _verify(register, out)
    assert code == 1 and lines[0] == f"PROBLEM F000003 {out / 'F000003.xml'}: file is missing"


def test_verify_json_lists_the_problems(issued: tuple[Path, Path]) -> None:
    """``verify --json``: ok false and each problem as a line of text."""
    register, out = issued
    (out / "F000001.pdf").write_bytes(b"replaced")
    code, stdout, _ = run_cli(["verify", "--register", str(register), "--out", str(out),
                               "--json"])
    result = json.loads(stdout)
    assert code == 1 and result["ok"] is False and result["documents"] == 3
    assert [p.split(":")[0] for p in result["problems"]] == [f"F000001 {out / 'F000001.pdf'}"]


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("UPDATE documents SET amount = '1.00' WHERE number = 'F000002'",
         "F000002: column amount was altered"),
        ("UPDATE documents SET buyer_kbo = '0207123407' WHERE number = 'F000001'",
         "F000001: column buyer_kbo was altered"),
        ("UPDATE documents SET content = replace(content, '2916.67', '291.67') "
         "WHERE number = 'F000001'", "F000001: content does not match its hash"),
        ("UPDATE files SET data = x'00' WHERE number = 'F000003' AND format = 'pdf'",
         "F000003 F000003.pdf: stored file does not match its recorded hash"),
        ("DELETE FROM documents WHERE number = 'F000002'",
         "F000003: hash chain broken: previous link does not match"),
        ("UPDATE documents SET amount = 'lots' WHERE number = 'F000002'",
         "F000002: row cannot be read"),
    ],
    ids=["amount", "buyer", "content", "stored-file", "deleted", "unreadable"],
)
def test_verify_names_tampering_inside_the_database(issued: tuple[Path, Path], sql: str,
                                                    named: str) -> None:
    """Dropping the triggers and changing a row by hand is found and named."""
    register, out = issued
    raw = sqlite3.connect(register)
    for trigger in ("documents_never_updated", "documents_never_deleted",
                    "files_never_updated"):
        raw.execute(f"DROP TRIGGER {trigger}")
    raw.execute(sql)
    raw.commit()
    raw.close()
    code, lines = _verify(register, out)
    assert code == 1
    assert any(line.startswith(f"PROBLEM {named}") for line in lines), lines


def test_run_prints_a_summary_per_year_and_tier(tmp_path: Path) -> None:
    """The human output: issued, already issued, and count and amount per year and tier."""
    path, register = _portfolio(tmp_path), tmp_path / "r.sqlite3"
    argv = ["run", str(path), "--through", "2026", "--date", RUN_DATE, "--register",
            str(register), "--out", str(tmp_path / "out")]
    code, out, err = run_cli(argv)
    assert code == 0 and err == ""
    *lines, head = out.splitlines()
    assert re.fullmatch(r"Chain head [0-9a-f]{64}: keep it outside the register .*", head)
    assert lines == [
        "2 agreements through 2026, dated 2026-11-30: issued 3 invoice(s) for 12250.00 EUR; "
        "0 already issued; 0 not yet due",
        "  year  tier   count        amount",
        "  2025  1          1       2916.67",
        "  2026  1          1       3500.00",
        "  2026  3          1       5833.33",
    ]
    code, out, _ = run_cli(argv)
    assert out.splitlines() == [
        "2 agreements through 2026, dated 2026-11-30: issued 0 invoice(s) for 0.00 EUR; "
        "3 already issued; 0 not yet due"]


def test_dry_run_says_would_issue_and_writes_nothing(tmp_path: Path) -> None:
    """``--dry-run`` prints what it would issue and creates neither register nor files."""
    path = _portfolio(tmp_path)
    register, out = tmp_path / "r.sqlite3", tmp_path / "out"
    code, stdout, _ = run_cli(["run", str(path), "--through", "2026", "--date", RUN_DATE,
                               "--register", str(register), "--out", str(out), "--dry-run"])
    assert code == 0
    assert stdout.startswith("2 agreements through 2026, dated 2026-11-30: would issue 3 "
                             "invoice(s) for 12250.00 EUR")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["portfolio.csv"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    """A progress bar goes to stderr when it is a terminal, and nowhere otherwise."""
    path = _portfolio(tmp_path)
    err = _Terminal()
    code = main(["run", str(path), "--through", "2026", "--date", RUN_DATE, "--register",
                 str(tmp_path / "r.sqlite3"), "--out", str(tmp_path / "out")],
                stdout=io.StringIO(), stderr=err)
    assert code == 0 and err.getvalue().endswith("] 3/3\n") and "\r[" in err.getvalue()
    plain = io.StringIO()
    main(["run", str(path), "--through", "2026", "--date", RUN_DATE, "--register",
          str(tmp_path / "r2.sqlite3"), "--out", str(tmp_path / "out2")],
         stdout=io.StringIO(), stderr=plain)
    assert plain.getvalue() == ""


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["run", "missing.csv", "--through", "2026"], "missing.csv"),
        (["run", "{csv}", "--through", "20x6"], "--through '20x6': must be a calendar year"),
        (["run", "{csv}", "--through", "2026", "--date", "2026-02-30"], "2026-02-30"),
        (["run", "{csv}", "--through", "2026", "--out", "{csv}", "--register", "{reg}"],
         "is a file, not a folder"),
        (["run", "{csv}"], "--through"),
        (["verify", "--register", "{dir}/none.sqlite3"], "does not exist"),
        (["verify", "--register", "{csv}"], "is not a usable register"),
        (["ledger", "--register", "{reg}", "--format", "xml"], "invalid choice: 'xml'"),
        (["ledger", "--register", "{reg}", "--as-of", "yesterday"], "yesterday"),
        (["pay", "F000001", "--register", "{reg}"], "--amount"),
        (["pay", "F000001", "--amount", "-5", "--register", "{reg}"], "-5"),
        (["pay", "--bank-csv", "{dir}/none.csv", "--register", "{reg}"], "none.csv"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, argv: list[str], says: str) -> None:
    """Bad input: exit code 2 and one clear line on stderr, nothing on stdout."""
    csv_path = _portfolio(tmp_path)
    reg = tmp_path / "r.sqlite3"
    Register.open(reg).close()
    filled = [a.format(csv=csv_path, reg=reg, dir=tmp_path) for a in argv]
    code, out, err = run_cli(filled)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and says in err, err


def test_backdated_run_is_refused_before_numbering(issued: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    """A run dated before the latest invoice is refused in one line; nothing changes."""
    register, out = issued
    before = snapshot(out)
    code, _, err = run_cli(["run", str(tmp_path / "portfolio.csv"), "--through", "2027",
                            "--date", "2026-11-29", "--register", str(register), "--out",
                            str(out)])
    assert code == 2 and err.count("\n") == 1 and "--date 2026-11-30 or later" in err
    with Register.open(register, create=False) as reg:
        assert len(reg.documents()) == 3
    assert snapshot(out) == before


def test_bad_portfolio_in_a_child_process_lists_problems_without_traceback(
        tmp_path: Path) -> None:
    """``python -m mbp_billing run`` on two bad rows: exit 2, both listed by row and field."""
    path = tmp_path / "p.csv"
    good = write_csv([agreement()], tmp_path / "good.csv").read_text().splitlines()[1]
    rows = [good.replace("32000", "0"), good.replace("2023-02-10", "10/02/2023", 1)]
    path.write_text("\n".join([",".join(HEADER), *rows]) + "\n")
    process = cli_process(["run", str(path), "--through", "2026", "--register",
                           str(tmp_path / "r.sqlite3"), "--out", str(tmp_path / "out")])
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2 and stdout == "" and "Traceback" not in stderr
    lines = stderr.splitlines()
    assert lines[0] == "error: 2 problem(s) in the portfolio; nothing was issued"
    assert lines[1].startswith(f"  {path}:2: population '0'")
    assert lines[2].startswith(f"  {path}:3: signed_on '10/02/2023'")
    assert not (tmp_path / "r.sqlite3").exists() and not (tmp_path / "out").exists()


def test_commands_succeed_with_exit_0(issued: tuple[Path, Path]) -> None:
    """verify, ledger and pay exit 0 on good input."""
    register, out = issued
    assert run_cli(["ledger", "--register", str(register)])[0] == 0
    assert run_cli(["pay", "F000001", "--amount", "2916.67", "--date", "2026-11-30",
                    "--register", str(register)])[0] == 0
    assert _verify(register, out)[0] == 0


def test_a_file_in_the_way_stops_the_run_before_the_first_invoice(tmp_path: Path) -> None:
    """A stray F000002.pdf in --out refuses the whole run: nothing issued, nothing written."""
    path = _portfolio(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "F000002.pdf").write_text("stray")
    code = main(["run", str(path), "--through", "2026", "--date", RUN_DATE, "--register",
                 str(tmp_path / "r.sqlite3"), "--out", str(out)],
                stdout=io.StringIO(), stderr=(err := io.StringIO()))
    assert code == 2 and "F000002.pdf" in err.getvalue() and "nothing was issued" in err.getvalue()
    assert sorted(p.name for p in out.iterdir()) == ["F000002.pdf"]
    with Register.open(tmp_path / "r.sqlite3") as reg:
        assert reg.documents() == []
