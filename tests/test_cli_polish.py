"""Issue 9 part 6: a CLI that fits and a typed API that tells the truth."""

from __future__ import annotations

import argparse
import importlib
import inspect
import io
import json
import pkgutil
import re
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

import mbp_billing
from mbp_billing import Register, example_agreement, issue_invoice
from mbp_billing.cli import build_parser, main, program_name

ROOT = Path(__file__).resolve().parent.parent


def _actions(parser: argparse.ArgumentParser, path: str = "") -> list[tuple[str, argparse.Action]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _actions(sub, f"{path} {name}".strip())
        else:
            found.append((path or "(main)", action))
    return found


@pytest.mark.parametrize(("command", "action"), _actions(build_parser()),
                         ids=lambda x: x if isinstance(x, str) else "/".join(
                             x.option_strings) or x.dest)
def test_every_option_has_help_text(command: str, action: argparse.Action) -> None:
    """Walking the parser: every option and argument of every command says what it is."""
    assert action.help and action.help != argparse.SUPPRESS, (command, action.option_strings)


def test_version_prints_the_package_version() -> None:
    """--version prints the program and the version, exit 0."""
    out = io.StringIO()
    assert main(["--version"], stdout=out, stderr=io.StringIO()) == 0
    assert out.getvalue() == f"python -m mbp_billing {mbp_billing.__version__}\n"


@pytest.mark.parametrize(("argv0", "prog"), [
    ("/usr/local/bin/mbp-billing", "mbp-billing"),
    ("C:\\venv\\Scripts\\mbp-billing.exe".replace("\\", "/"), "mbp-billing"),
    ("/src/mbp_billing/__main__.py", "python -m mbp_billing"),
])
def test_usage_names_the_program_typed(argv0: str, prog: str) -> None:
    """Usage and examples name `mbp-billing` or `python -m mbp_billing`, as typed."""
    assert program_name(argv0) == prog
    parser = build_parser(program_name(argv0))
    help_text = parser.format_help()
    assert help_text.startswith(f"usage: {prog} ")
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert f"  {prog} invoice --example" in sub.choices["invoice"].format_help()


def test_console_script_usage_says_mbp_billing() -> None:
    """Run as the installed script, the usage line names `mbp-billing`."""
    script = Path(sys.executable).with_name("mbp-billing")
    if not script.exists():
        pytest.skip("console script not installed")
    result = subprocess.run([str(script), "quote"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("error: mbp-billing quote: ")


def test_json_error_is_the_whole_of_stderr() -> None:
    """Under --json, a refused command writes one JSON object, nothing else, and no stdout."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["credit", "F000001", "--reason", "x", "--amount", "7_000", "--json"],
                stdout=out, stderr=err)
    assert code == 2 and out.getvalue() == ""
    record = json.loads(err.getvalue())
    assert record == {"error": "--amount '7_000': is not an amount; write it with ASCII digits "
                               "and a decimal point, like '3500.00'",
                      "field": "--amount", "value": "7_000",
                      "hint": "is not an amount; write it with ASCII digits and a decimal "
                              "point, like '3500.00'"}


@pytest.mark.parametrize(("argv", "label"), [
    (["pay", "F000001", "--amount", "abc"], "--amount"),
    (["credit", "F1", "--reason", "r", "--amount", "1e3"], "--amount"),
    (["quote", "--annual-fee", "abc", "--go-live", "2024-01-01"], "--annual-fee"),
    (["run", "p", "--through", "20x6"], "--through"),
    (["quote", "--population", "9000", "--go-live", "2024-13-01"], "--go-live"),
])
def test_error_labels_name_the_option_given(argv: list[str], label: str) -> None:
    """The error names the option the user typed (`--amount`, not `annual-fee`)."""
    err = io.StringIO()
    assert main(argv, stdout=io.StringIO(), stderr=err) == 2
    assert err.getvalue().startswith(f"error: {label} ")


@pytest.mark.parametrize(("argv", "label", "value"), [
    (["verify", "--expect-head", "zz"], "--expect-head", "zz"),
    (["ledger", "--buyer", "0207.123.406"], "--buyer", "0207.123.406"),
    (["ledger", "--buyer", "0643.634.986"], "--buyer", "0643.634.986"),
    (["remind", "--as-of", "2026-01-05", "--locale", "xx_YY"], "--locale", "xx_YY"),
    (["invoice", "--example", "--locale", ""], "--locale", ""),
    (["run", "p.csv", "--through", "2026", "--locale", "zz"], "--locale", "zz"),
    (["register", "init", ""], "URL|PATH", ""),
    (["register", "copy", " ", "to.sqlite3"], "FROM", " "),
    (["register", "copy", "reg.sqlite3", ""], "TO", ""),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_options_of_later_issues_name_the_option_given(
        argv: list[str], label: str, value: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """--expect-head, --buyer, --locale and register locations: one JSON error naming them."""
    monkeypatch.chdir(tmp_path)
    with Register.open(tmp_path / "reg.sqlite3") as reg:
        issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10), register=reg)
    def files() -> list[str]:  # SQLite's sidecars of a register opened to read it aside
        return sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm")))

    before = files()
    out, err = io.StringIO(), io.StringIO()
    assert main([*argv, "--register", "reg.sqlite3", "--json"] if argv[0] in (
        "verify", "ledger", "remind") else [*argv, "--json"], stdout=out, stderr=err,
        today=date(2026, 1, 5)) == 2
    record = json.loads(err.getvalue())
    assert (record["field"], record["value"]) == (label, value), record
    assert record["error"].startswith(f"{label} ") and out.getvalue() == ""
    assert files() == before


def test_exit_codes_are_documented() -> None:
    """README, docs/cli.md and --help list the same four exit codes."""
    help_text = build_parser().format_help()
    for text in (ROOT.joinpath("README.md").read_text(encoding="utf-8"),
                 ROOT.joinpath("docs", "cli.md").read_text(encoding="utf-8"), help_text):
        for code in ("0", "1", "2", "3"):
            assert re.search(rf"(^|\W){code}\W.*(success|verify|bad input|written)", text,
                             re.M), (code, text[:200])


def _home(name: str) -> str:
    """The module that defines a public name (its own ``__all__`` lists it)."""
    obj = getattr(mbp_billing, name)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        # A package's module (render.pdf) is documented with its package (render).
        return str(obj.__module__).removeprefix("mbp_billing.").split(".")[0]
    homes = [info.name for info in pkgutil.iter_modules(mbp_billing.__path__)
             if info.name != "__main__" and name in getattr(
                 importlib.import_module(f"mbp_billing.{info.name}"), "__all__", ())]
    assert len(homes) == 1, (name, homes)
    return homes[0]


def test_api_doc_and_all_agree() -> None:
    """Every public name's module is rendered in docs/api.md, and every module rendered
    there contributes a public name (or is named in the page as a helper module)."""
    api = ROOT.joinpath("docs", "api.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"^::: mbp_billing\.(\w+)$", api, re.M))
    homes = {_home(name) for name in mbp_billing.__all__}
    assert homes <= shown, f"not in docs/api.md: {sorted(homes - shown)}"
    for module in sorted(shown - homes):
        assert f"`mbp_billing.{module}`" in api, f"{module} is rendered but not explained"


INTEGRATOR = """\
from datetime import date
from decimal import Decimal

from mbp_billing import Agreement, Amendment, Charge, Party, build_schedule

good = Agreement(signed_on=date(2023, 2, 10), annual_fee=Decimal("7000.00"),
                 app_store_live_on=date(2023, 6, 20), play_store_live_on=date(2023, 7, 3))
first: Charge = build_schedule(good, through=2024)[0]
months: int = build_schedule(good, through=2024)[0].months
bad_date = Agreement(signed_on="2023-02-10", population=9000)  # line 10
bad_fee = Agreement(signed_on=date(2023, 2, 10), annual_fee=7000.0)  # line 11
bad_amendment = Amendment(from_year=2025, annual_fee=4000.5)  # line 12
bad_store = Agreement(signed_on=date(2023, 2, 10), population=9000,
                      app_store_live_on="2023-06-20")  # line 14
bad_kbo = Party(name="Gemeente", kbo=207123407, street="M 1", postcode="9999",
                city="V")  # line 15
"""


def test_mypy_strict_rejects_wrong_types_in_an_integrator_script(tmp_path: Path) -> None:
    """`mypy --strict` on a small script: the good calls pass, each wrong type is an error."""
    script = tmp_path / "integrator.py"
    script.write_text(INTEGRATOR, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
         "--cache-dir", str(ROOT / ".mypy_cache"), str(script)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    errors = {int(m[1]): m[2] for m in re.finditer(r"integrator\.py:(\d+): error: (.*)",
                                                   result.stdout)}
    assert set(errors) == {10, 11, 12, 14, 15}, result.stdout
    assert '"signed_on"' in errors[10] and '"str"' in errors[10]
    assert '"float"' in errors[11] and '"float"' in errors[12]
    assert textwrap.shorten(errors[15], 200)


def test_docs_site_does_not_publish_its_build_scripts() -> None:
    """Every script in docs/ (hooks, make_*) is excluded from the built site."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import InclusionLevel, get_files

    config = load_config(str(ROOT / "mkdocs.yml"))
    scripts = [f for f in get_files(config) if f.src_uri.endswith(".py")]
    assert {f.src_uri for f in scripts} >= {"hooks.py", "make_images.py", "make_notebook.py"}
    assert all(f.inclusion is InclusionLevel.EXCLUDED for f in scripts)


def test_broken_pipe_is_not_exit_1() -> None:
    """Exit 1 is only `verify` finding problems: a reader gone away gives 141 (SIGPIPE)."""
    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    assert main(["term", "--signed-on", "2023-02-10", "--notice-sent-on", "2025-10-01"],
                stdout=Gone(), stderr=io.StringIO()) == 141


def test_json_usage_error_names_the_option() -> None:
    """An argparse refusal under --json still names the option as its field."""
    err = io.StringIO()
    assert main(["term", "--signed-on", "2023-02-10", "--json"], stdout=io.StringIO(),
                stderr=err) == 2
    record = json.loads(err.getvalue())
    assert record["field"] == "--notice-sent-on" and "required" in record["error"]


def test_mapped_and_normalised_text_is_what_the_pdf_shows() -> None:
    """The Dutch ĳ is printed as IJ/ij and a decomposed é as é: no black box, no loss."""
    import pypdf
    from factories import buyer

    from mbp_billing import Invoice, build_schedule, example_agreement, render_pdf

    agreement = example_agreement()
    who = buyer(name="Gemeente Sint-\u0132sbrecht", city="Cafe\u0301dorp")
    invoice = Invoice.build(build_schedule(agreement, through=2023)[0], who, number="F000001",
                            issue_date=date(2023, 7, 10))
    text = "".join(page.extract_text() for page in
                   pypdf.PdfReader(io.BytesIO(render_pdf(invoice))).pages)
    assert "Gemeente Sint-IJsbrecht" in text and "Cafédorp" in text
    assert who.name == "Gemeente Sint-IJsbrecht" and who.city == "Caf\u00e9dorp"
