"""Issue 9: every door refuses hostile input at once, in one line, with nothing written.

One table of hostile inputs, each tried at every door it applies to (agreement
TOML, portfolio CSV and folder, bank CSV, population file, command-line
options, the API).  Each case asserts: exit code, exactly one line on stderr
(or one JSON object under ``--json``), no traceback, no file written or
changed, no number used, and an answer in under two seconds.
"""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from factories import ISSUE_EXAMPLE_TOML, kbo

from mbp_billing import Register, example_agreement, issue_invoice
from mbp_billing.cli import main

TODAY = date(2026, 1, 5)
TIME_LIMIT = 2.0
#: Hostile amounts; each must be refused at once in every money door.
AMOUNTS = {
    "tiny exponent": "1E-99999999",
    "tiny exponent 2": "1E-9999999",
    "huge exponent": "1E+99999999",
    "thousands of digits": "9" * 5000,
    "thousands of decimals": "0." + "0" * 5000 + "1",
    "full-width digits": "\uff17\uff10\uff10\uff10",
    "Arabic-Indic digits": "\u0663\u0665\u0660\u0660",
    "underscore": "7_000",
    "not a number": "NaN",
    "infinity": "-Infinity",
    "zero": "0",
}
#: Hostile whole numbers (years, populations, worker counts).
WHOLES = {
    "Arabic-Indic digits": "\u0662\u0660\u0662\u0664",
    "full-width digits": "\uff12\uff10\uff12\uff14",
    "underscore": "2_024",
    "thousands of digits": "9" * 5000,
    "64-bit": str(2**63 - 1),
    "sign": "-2024",
}
#: Hostile text for the buyer's name (and a credit note's reason).
TEXTS = {
    "CJK": "Gemeente \u6771\u4eac",
    "emoji": "Gemeente \U0001f600",
    "zero-width only": "\u200b\u200b\u200b",
    "soft hyphens only": "\u00ad\u00ad",
    "control": "Gemeente\x07Voorbeeld",
    "line break": "Gemeente\nVoorbeeld",
    "too long": "Gemeente " + "X" * 5000,
}

BUYER = ("buyer_name,buyer_kbo,buyer_street,buyer_postcode,buyer_city",
         "Gemeente Voorbeeld,0207.123.407,Marktplein 1,9999,Voorbeeld")


def _toml(**changes: str) -> str:
    """The issue's example agreement, with keys replaced by raw TOML values."""
    lines = []
    for line in ISSUE_EXAMPLE_TOML.splitlines():
        key = line.split(" = ")[0]
        lines.append(f"{key} = {changes.pop(key)}" if key in changes else line)
    return "\n".join(lines) + "\n"


def _toml_fee(value: str) -> str:
    """The example agreement with a stated annual fee (raw TOML) instead of a population."""
    return ISSUE_EXAMPLE_TOML.replace("population = 32000", f"annual_fee = {value}")


def _csv(columns: str, values: str) -> str:
    return (f"signed_on,app_store_live_on,play_store_live_on,{columns},{BUYER[0]}\n"
            f"2023-02-10,2023-06-20,2023-07-03,{values},{BUYER[1]}\n")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
        .replace("\x07", "\\u0007") + '"'


@dataclass
class Case:
    """One hostile input at one door."""

    name: str
    argv: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict)
    code: int = 2
    expect: str = ""
    setup: Callable[[Path], None] | None = None


def _cases() -> list[Case]:
    cases: list[Case] = []
    for label, amount in AMOUNTS.items():
        cases += [
            Case(f"toml annual_fee {label}", ["schedule", "a.toml", "--through", "2026"],
                 {"a.toml": _toml_fee(_quoted(amount))},
                 expect="annual_fee"),
            Case(f"csv annual_fee {label}", ["run", "p.csv", "--through", "2026", "--dry-run"],
                 {"p.csv": _csv("annual_fee", amount)}, expect="annual_fee"),
            Case(f"csv amendment fee {label}", ["run", "p.csv", "--through", "2026"],
                 {"p.csv": _csv("population,amendments", f"9000,2025:annual_fee={amount}")},
                 expect="annual_fee"),
            Case(f"toml amendment fee {label}", ["schedule", "a.toml"],
                 {"a.toml": ISSUE_EXAMPLE_TOML.replace(
                     "\n[buyer]", f"\n[[amendments]]\nfrom_year = 2025\nannual_fee = "
                                  f"{_quoted(amount)}\n\n[buyer]")},
                 expect="annual_fee"),
            Case(f"--annual-fee {label}", ["quote", "--annual-fee", amount, "--go-live",
                                           "2024-09-12"], expect="--annual-fee"),
            Case(f"pay --amount {label}", ["pay", "F000001", "--amount", amount,
                                           "--register", "reg.sqlite3"], expect="--amount"),
            Case(f"credit --amount {label}", ["credit", "F000001", "--reason", "fout",
                                              "--amount", amount, "--register", "reg.sqlite3"],
                 expect="--amount"),
            Case(f"bank csv amount {label}", ["pay", "--bank-csv", "bank.csv",
                                              "--register", "reg.sqlite3"],
                 {"bank.csv": f"date,amount,communication\n2026-01-04,{amount},"
                              "+++000/0000/00101+++\n"}, expect="amount"),
        ]
    for label, whole in WHOLES.items():
        cases += [
            Case(f"--year {label}", ["invoice", "a.toml", "--year", whole], {"a.toml": _toml()},
                 expect="--year"),
            Case(f"--through {label}", ["schedule", "a.toml", "--through", whole],
                 {"a.toml": _toml()}, expect="--through"),
            Case(f"--population {label}", ["quote", "--population", whole, "--go-live",
                                           "2024-09-12"], expect="--population"),
            Case(f"--workers {label}", ["run", "p", "--through", "2026", "--workers", whole],
                 expect="--workers"),
            Case(f"csv population {label}", ["run", "p.csv", "--through", "2026", "--dry-run"],
                 {"p.csv": _csv("population", whole)}, expect="population"),
            Case(f"csv population_year {label}", ["run", "p.csv", "--through", "2026"],
                 {"p.csv": _csv("population,population_year", f"9000,{whole}")},
                 expect="population_year"),
            Case(f"csv amendment year {label}", ["run", "p.csv", "--through", "2026"],
                 {"p.csv": _csv("population,amendments", f"9000,{whole}:population=9000")},
                 expect="amendments"),
            Case(f"toml population {label}", ["schedule", "a.toml", "--through", "2026"],
                 {"a.toml": _toml(population=_quoted(whole))}, expect="population"),
        ]
        cases.append(Case(
            f"population file {label}", ["quote", "--municipality", "Voorbeeld", "--year", "2026",
                                         "--population-file", "pop.csv"],
            {"pop.csv": "nis_code,name_nl,reference_date,population\n"
                        f"99999,Voorbeeld,2026-01-01,{whole}\n"}, expect="population"))
    cases.append(Case("toml population 64-bit integer", ["schedule", "a.toml"],
                      {"a.toml": _toml(population=str(2**63 - 1))}, expect="population"))
    for label, text in TEXTS.items():
        cases += [
            Case(f"toml buyer name {label}", ["invoice", "a.toml", "--year", "2024"],
                 {"a.toml": _toml(name=_quoted(text))}, expect="buyer.name"),
            Case(f"csv buyer name {label}", ["run", "p.csv", "--through", "2026"],
                 {"p.csv": "signed_on,population,app_store_live_on,play_store_live_on,"
                           f"{BUYER[0]}\n2023-02-10,9000,2023-06-20,2023-07-03,"
                           f"\"{text}\",0207.123.407,Marktplein 1,9999,Voorbeeld\n"},
                 expect="buyer.name"),
            Case(f"--reason {label}", ["credit", "F000001", "--reason", text,
                                       "--register", "reg.sqlite3"], expect="--reason"),
        ]
    for label, number in (("full-width digits", "\uff10\uff12\uff10\uff17.123.407"),
                          ("thousands of digits", "0" * 5000)):
        cases += [
            Case(f"toml buyer kbo {label}", ["invoice", "a.toml", "--year", "2024"],
                 {"a.toml": _toml(kbo=_quoted(number))}, expect="buyer.kbo"),
            Case(f"csv buyer kbo {label}", ["run", "p.csv", "--through", "2026"],
                 {"p.csv": "signed_on,population,app_store_live_on,play_store_live_on,"
                           f"{BUYER[0]}\n2023-02-10,9000,2023-06-20,2023-07-03,"
                           f"Gemeente Voorbeeld,{number},Marktplein 1,9999,Voorbeeld\n"},
                 expect="buyer.kbo"),
        ]
    big = "x" * 200_000
    cases += [
        Case("csv duplicated column", ["run", "p.csv", "--through", "2026"],
             {"p.csv": "signed_on,population,population\n2023-02-10,9000,9000\n"},
             expect="'population': appears 2 times"),
        Case("bank csv duplicated column", ["pay", "--bank-csv", "bank.csv", "--register",
                                            "reg.sqlite3"],
             {"bank.csv": "date,amount,amount,communication\n"}, expect="'amount'"),
        Case("csv field over the csv module's limit", ["run", "p.csv", "--through", "2026"],
             {"p.csv": f"signed_on,population\n2023-02-10,\"{big}\"\n"}, expect="CSV"),
        Case("bank csv field over the limit", ["pay", "--bank-csv", "bank.csv", "--register",
                                               "reg.sqlite3"],
             {"bank.csv": f"date,amount,communication\n2026-01-04,1.00,\"{big}\"\n"},
             expect="CSV"),
        Case("csv NUL byte", ["run", "p.csv", "--through", "2026"],
             {"p.csv": "signed_on,population\n2023-02-10,90\x0000\n"}, expect="population"),
        Case("toml not UTF-8", ["schedule", "a.toml"], {"a.toml": b"signed_on = \xff\n"},
             expect="UTF-8"),
        Case("--out empty", ["invoice", "a.toml", "--year", "2024", "--out", ""],
             {"a.toml": _toml()}, expect="--out"),
        Case("--register empty", ["ledger", "--register", ""], expect="--register"),
        Case("--out name too long", ["invoice", "a.toml", "--year", "2024", "--out",
                                     "o" * 300, "--register", "reg.sqlite3"],
             {"a.toml": _toml()}, expect="--out"),
        Case("--out path too long", ["invoice", "a.toml", "--year", "2024", "--out",
                                     "/".join(["p" * 200] * 25), "--register", "reg.sqlite3"],
             {"a.toml": _toml()}, expect="--out"),
        Case("--register name too long", ["ledger", "--register", "r" * 300],
             expect="--register"),
        Case("--out is a file", ["invoice", "a.toml", "--year", "2024", "--out", "a.toml",
                                 "--register", "reg.sqlite3"], {"a.toml": _toml()},
             expect="--out"),
        Case("FIFO where the PDF goes", ["invoice", "a.toml", "--year", "2024", "--out", "out",
                                         "--register", "reg.sqlite3"], {"a.toml": _toml()},
             expect="FIFO", setup=lambda d: _fifo(d / "out" / "F000002.pdf")),
        Case("folder where the XML goes", ["invoice", "a.toml", "--year", "2024", "--out",
                                           "out", "--register", "reg.sqlite3"],
             {"a.toml": _toml()}, expect="folder",
             setup=lambda d: (d / "out" / "F000002.xml").mkdir(parents=True)),
        Case("link where the PDF goes", ["invoice", "a.toml", "--year", "2024", "--out", "out",
                                         "--register", "reg.sqlite3"], {"a.toml": _toml()},
             expect="symbolic link", setup=lambda d: _link(d / "out" / "F000002.pdf",
                                                           d / "a.toml")),
        Case("run: FIFO where a PDF goes", ["run", "p.csv", "--through", "2024", "--out", "out",
                                            "--register", "reg.sqlite3"],
             {"p.csv": _csv("population", "9000")}, expect="F000002.pdf",
             setup=lambda d: _fifo(d / "out" / "F000002.pdf")),
        Case("agreement file is a FIFO", ["schedule", "a.toml"], expect="regular file",
             setup=lambda d: _fifo(d / "a.toml")),
        Case("agreement file is a folder", ["invoice", "a.toml", "--year", "2024"],
             expect="regular file", setup=lambda d: (d / "a.toml").mkdir()),
        Case("portfolio CSV is a FIFO", ["run", "p.csv", "--through", "2026"],
             expect="portfolio", setup=lambda d: _fifo(d / "p.csv")),
        Case("bank CSV is a FIFO", ["pay", "--bank-csv", "bank.csv", "--register",
                                    "reg.sqlite3"], expect="regular file",
             setup=lambda d: _fifo(d / "bank.csv")),
        Case("population file is a FIFO", ["quote", "--municipality", "Lokeren", "--year",
                                           "2026", "--population-file", "pop.csv"],
             expect="regular file", setup=lambda d: _fifo(d / "pop.csv")),
        Case("register is a folder", ["ledger", "--register", "regdir"], expect="--register",
             setup=lambda d: (d / "regdir").mkdir()),
        Case("register is a FIFO", ["verify", "--register", "fifo"], expect="--register",
             setup=lambda d: _fifo(d / "fifo")),
        Case("register is foreign bytes", ["ledger", "--register", "junk.sqlite3"],
             {"junk.sqlite3": bytes(range(256)) * 20}, expect="register"),
        Case("verify: register rows edited", ["verify", "--register", "reg.sqlite3", "--out",
                                              "out"], code=1, expect="PROBLEM",
             setup=lambda d: _edit(d / "reg.sqlite3", "UPDATE documents SET amount = 'abc'")),
        Case("ledger: register rows edited", ["ledger", "--register", "reg.sqlite3"],
             expect="changed outside",
             setup=lambda d: _edit(d / "reg.sqlite3", "UPDATE documents SET content = '{'")),
        Case("ledger: payment row edited", ["ledger", "--register", "reg.sqlite3"],
             expect="changed outside",
             setup=lambda d: _edit(d / "reg.sqlite3", "INSERT INTO payments (number, amount, "
                                   "paid_on, source) VALUES ('F000001', '1', 'x', 'y')")),
        Case("events: event row edited", ["events", "--register", "reg.sqlite3"],
             expect="changed outside",
             setup=lambda d: _edit(d / "reg.sqlite3", "DROP TRIGGER events_never_updated; "
                                   "UPDATE events SET amount = 'abc'")),
        Case("toml date out of range", ["schedule", "a.toml"],
             {"a.toml": _toml(signed_on="9999-12-31")}, expect="signed_on"),
        Case("csv stated fee too small for a cent a month", ["run", "p.csv", "--through",
                                                              "2026", "--dry-run"],
             {"p.csv": _csv("annual_fee", "0.05")}, expect="annual_fee"),
        Case("toml stated fee beyond the payment QR code", ["schedule", "a.toml"],
             {"a.toml": _toml_fee('"1000000000.00"')},
             expect="annual_fee"),
    ]
    return cases


def _fifo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


def _link(path: Path, target: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def _edit(register: Path, sql: str) -> None:
    import sqlite3

    db = sqlite3.connect(register)
    db.executescript("DROP TRIGGER documents_never_updated; " + sql)
    db.commit()
    db.close()


def _snapshot(folder: Path) -> dict[str, tuple[int, bytes | None]]:
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.name.endswith(("-wal", "-shm")):
            continue  # SQLite's own sidecar files of a register opened to read it
        info = path.lstat()
        # A register is compared by its numbers (below): SQLite may rewrite
        # its header when it opens a file another connection edited.
        regular = stat.S_ISREG(info.st_mode) and path.suffix != ".sqlite3"
        found[str(path.relative_to(folder))] = (info.st_mode, path.read_bytes() if regular
                                                else None)
    return found


def _numbers(register: Path) -> list[str]:
    if not register.is_file():
        return []
    import sqlite3

    db = sqlite3.connect(f"file:{register}?mode=ro", uri=True)
    try:
        return [r[0] for r in db.execute("SELECT number FROM documents ORDER BY seq")]
    except sqlite3.DatabaseError:
        return ["<foreign>"]
    finally:
        db.close()


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_hostile_input_is_refused_in_one_line(case: Case, as_json: bool,
                                              tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit code, one line (or one JSON object), no traceback, nothing written, no number."""
    monkeypatch.chdir(tmp_path)
    with Register.open(tmp_path / "reg.sqlite3") as register:
        issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
                      register=register, out_dir=tmp_path / "out")
    for name, content in case.files.items():
        target = tmp_path / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    if case.setup is not None:
        case.setup(tmp_path)
    before = _snapshot(tmp_path)
    numbers = _numbers(tmp_path / "reg.sqlite3")
    out, err = io.StringIO(), io.StringIO()
    json_option = ["--format", "json"] if case.argv[0] == "ledger" else ["--json"]
    argv = [*case.argv, *json_option] if as_json and case.code == 2 else list(case.argv)
    start = time.monotonic()
    code = main(argv, stdout=out, stderr=err, today=TODAY)
    elapsed = time.monotonic() - start
    message = err.getvalue()
    assert elapsed < TIME_LIMIT, f"took {elapsed:.1f} s"
    assert code == case.code, (code, message, out.getvalue()[:300])
    assert "Traceback" not in message + out.getvalue()
    if case.code == 2:
        if as_json:
            record = json.loads(message)
            assert set(record) >= {"error", "field", "value", "hint"}
            assert case.expect in message
            assert message.count("\n") == 1 and message.endswith("}\n")
        else:
            assert message.startswith("error: ") and case.expect in message, message
            problems = message.count("\n  ")  # a portfolio lists its problems below
            assert message.count("\n") == 1 + problems
        assert out.getvalue() == ""
    else:
        assert case.expect in out.getvalue()
    assert _snapshot(tmp_path) == before, "something was written"
    assert _numbers(tmp_path / "reg.sqlite3") == numbers, "a number was used"


def test_bom_in_toml_is_accepted_as_in_csv(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark at the start of an agreement file is read, not refused."""
    (tmp_path / "a.toml").write_bytes(b"\xef\xbb\xbf" + ISSUE_EXAMPLE_TOML.encode())
    out, err = io.StringIO(), io.StringIO()
    assert main(["schedule", str(tmp_path / "a.toml"), "--through", "2024"], stdout=out,
                stderr=err, today=TODAY) == 0, err.getvalue()
    assert "7000.00" in out.getvalue()


def test_folder_portfolio_says_what_it_skipped(tmp_path: Path) -> None:
    """Files of another extension and sub-folders are named, not silently ignored."""
    folder = tmp_path / "p"
    (folder / "old").mkdir(parents=True)
    (folder / "a.toml").write_text(ISSUE_EXAMPLE_TOML, encoding="utf-8")
    (folder / "b.TOML.txt").write_text("x", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", str(folder), "--through", "2024", "--dry-run", "--register",
                 str(tmp_path / "r.sqlite3")], stdout=out, stderr=err, today=TODAY) == 0
    assert "b.TOML.txt: not a *.toml file" in err.getvalue()
    assert "old: a sub-folder" in err.getvalue()
    out = io.StringIO()
    main(["run", str(folder), "--through", "2024", "--dry-run", "--json", "--register",
          str(tmp_path / "r.sqlite3")], stdout=out, stderr=io.StringIO(), today=TODAY)
    assert len(json.loads(out.getvalue())["skipped"]) == 2


def test_files_not_written_exits_3_naming_numbers_and_repair(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """A full disk after the commit: exit 3, the numbers and the command that repairs it."""
    from mbp_billing import issuing

    real = issuing._atomic_write

    def full(path: Path, data: bytes, *, sync: bool = True) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(issuing, "_atomic_write", full)
    (tmp_path / "a.toml").write_text(ISSUE_EXAMPLE_TOML, encoding="utf-8")
    register, out_dir = tmp_path / "reg.sqlite3", tmp_path / "out"
    err = io.StringIO()
    code = main(["invoice", str(tmp_path / "a.toml"), "--year", "2024", "--out", str(out_dir),
                 "--register", str(register)], stdout=io.StringIO(), stderr=err, today=TODAY)
    assert code == 3
    line = err.getvalue()
    assert line.count("\n") == 1 and "F000001" in line and "No space left" in line
    assert "write-files F000001" in line
    assert _numbers(register) == ["F000001"]
    monkeypatch.setattr(issuing, "_atomic_write", real)
    repair = line.split("repair with: ")[1].strip().split()
    assert repair[:3] == ["python", "-m", "mbp_billing"]
    assert main(repair[3:], stdout=io.StringIO(), stderr=io.StringIO(), today=TODAY) == 0
    assert (out_dir / "F000001.pdf").read_bytes().startswith(b"%PDF")
    err = io.StringIO()
    assert main(["verify", "--register", str(register), "--out", str(out_dir)],
                stdout=io.StringIO(), stderr=err, today=TODAY) == 0


def test_run_that_cannot_write_names_every_number_of_the_batch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a run, every committed number left without files is named, and exit is 3."""
    from mbp_billing import issuing

    calls = []

    def full_after_one(path: Path, data: bytes, *, sync: bool = True) -> None:
        calls.append(path)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        path.write_bytes(data)

    monkeypatch.setattr(issuing, "_atomic_write", full_after_one)
    rows = "".join(f"2023-02-10,9000,2023-06-20,2023-07-03,Gemeente {n},{kbo(n)},Markt 1,"
                   "9999,X\n" for n in range(3))
    (tmp_path / "p.csv").write_text("signed_on,population,app_store_live_on,play_store_live_on,"
                                    f"{BUYER[0]}\n{rows}", encoding="utf-8")
    err = io.StringIO()
    code = main(["run", str(tmp_path / "p.csv"), "--through", "2023", "--workers", "1",
                 "--out", str(tmp_path / "out"), "--register", str(tmp_path / "r.sqlite3")],
                stdout=io.StringIO(), stderr=err, today=TODAY)
    assert code == 3, err.getvalue()
    assert "F000002, F000003 are issued" in err.getvalue()
    assert "write-files F000002 F000003" in err.getvalue()


def test_temporary_file_never_follows_a_planted_link(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A symbolic link planted at the temporary name is neither followed nor replaced."""
    from mbp_billing import issuing

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for suffix in ("pdf", "xml"):
        (out_dir / f".F000001.{suffix}.{os.getpid()}.planted.tmp").symlink_to(victim)
    for command in ("invoice", "credit"):
        argv = (["invoice", "--example", "--year", "2023"] if command == "invoice" else
                ["credit", "F000001", "--reason", "test"])
        names = iter(["planted", "fresh0", "planted", "fresh1"])
        monkeypatch.setattr(issuing.secrets, "token_hex", lambda n, names=names: next(names))
        if command == "credit":
            for suffix in ("pdf", "xml"):
                (out_dir / f".C000001.{suffix}.{os.getpid()}.planted.tmp").symlink_to(victim)
        assert main([*argv, "--out", str(out_dir), "--register", str(tmp_path / "r.sqlite3")],
                    stdout=io.StringIO(), stderr=io.StringIO(), today=TODAY) == 0
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert (out_dir / "F000001.pdf").read_bytes().startswith(b"%PDF")
    assert (out_dir / "C000001.pdf").read_bytes().startswith(b"%PDF")
    assert not (out_dir / "F000001.pdf").is_symlink()


def test_dry_run_reports_document_time_failures_and_the_run_issues_nothing(
        tmp_path: Path) -> None:
    """Everything that could fail while building a document fails at load, in both runs."""
    header = f"signed_on,annual_fee,app_store_live_on,play_store_live_on,{BUYER[0]}\n"
    rows = [
        f"2023-02-10,7000.00,2023-06-20,2023-07-03,Gemeente \u6771\u4eac,{kbo(1)},M 1,9999,X",
        f"2023-02-10,0.05,2023-06-20,2023-07-03,Gemeente B,{kbo(2)},M 1,9999,X",
        f"2023-02-10,7000.00,2023-06-20,2023-07-03,\u200b\u200b,{kbo(3)},M 1,9999,X",
        f"2023-02-10,7000.00,2023-06-20,2250-07-03,Gemeente D,{kbo(4)},M 1,9999,X",
        f"2023-02-10,7000.00,2023-06-20,2023-07-03,Gemeente E,{kbo(5)},M 1,9999,X",
    ]
    (tmp_path / "p.csv").write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    register = tmp_path / "r.sqlite3"
    for extra in (["--dry-run"], []):
        err = io.StringIO()
        code = main(["run", str(tmp_path / "p.csv"), "--through", "2025", "--out",
                     str(tmp_path / "out"), "--register", str(register), *extra],
                    stdout=io.StringIO(), stderr=err, today=TODAY)
        assert code == 2
        text = err.getvalue()
        assert "4 problem(s)" in text
        for row, what in ((2, "U+6771"), (3, "annual_fee"), (4, "U+200B"),
                          (5, "play_store_live_on")):
            assert f"p.csv:{row}: " in text and what in text
        assert not register.exists() and not (tmp_path / "out").exists()


def test_api_amount_doors_refuse_at_once() -> None:
    """The constructors and parse_amount refuse each hostile amount in well under a second."""
    from mbp_billing import Agreement, Amendment, InvalidValue, parse_amount

    for amount in [*AMOUNTS.values(), Decimal("1E-99999999"), Decimal("1E+99999999"), 10**5000]:
        for build in (lambda a: parse_amount(a, "x"),
                      lambda a: Agreement(signed_on=date(2023, 2, 10), annual_fee=a),
                      lambda a: Amendment(from_year=2025, annual_fee=a)):
            start = time.monotonic()
            with pytest.raises(InvalidValue):
                build(amount)
            assert time.monotonic() - start < 0.5


@pytest.mark.parametrize("percent", [
    *(v for k, v in AMOUNTS.items() if k != "zero"), Decimal("1E-99999999"),
    Decimal("1E+99999999"), Decimal("NaN"), 10**5000, "1E-2", "1001", True, 2.5],
    ids=lambda v: type(v).__name__ + ":" + (repr(v)[:20] if not isinstance(v, int) else "int"))
def test_what_if_percent_door_refuses_at_once(percent: object) -> None:
    """TariffBook.with_change reads percent= as strictly as an amount: no exponent, no
    other digits, nothing silently made 0 %, at once."""
    from mbp_billing import DEFAULT_TARIFF_BOOK, InvalidValue

    start = time.monotonic()
    with pytest.raises(InvalidValue, match="percent"):
        DEFAULT_TARIFF_BOOK.with_change(percent=percent, from_year=2027)  # type: ignore[arg-type]
    assert time.monotonic() - start < 0.5
