"""The published JSON Schemas (issue 10, part 5) hold for real outputs, and none is missing.

Data-driven, so that a new command or record cannot ship without its contract:

- every subcommand with a ``--json`` option (or ``--format json``) must have
  ``schemas/cli-<command>.json``, and that schema's ``x-invocations`` are run
  against a prepared workspace and each output validated;
- every class in a module's ``__all__`` with ``to_record()``/``to_records()``
  must have ``schemas/<snake_case_name>.json``, validated against instances
  made by real issuing, runs and imports.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import inspect
import io
import json
import pkgutil
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from _statements import Move, camt053
from factories import ISSUE_EXAMPLE_TOML
from factories import buyer as make_buyer
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import agreements

import mbp_billing
from mbp_billing.cli import build_parser, main
from mbp_billing.contracts import SCHEMA_DIALECT, json_schema, json_schema_names
from mbp_billing.errors import InvalidValue

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema (test extra) validates")
referencing = pytest.importorskip("referencing", reason="referencing comes with jsonschema")

NAMES = json_schema_names()
TESTS = Path(__file__).resolve().parent
#: ../shared beside the repository: public sample files read from there, never copied.
SHARED = TESTS.parents[1] / "shared"
BASE = f"https://mbp-billing.invalid/schemas/{mbp_billing.__version__}/"
#: "today" of every command run here: the workspace's documents are older.
TODAY = date(2026, 1, 15)
#: Classes with to_records() that are no JSON contract, and why.
NOT_JSON = {
    "Table": "to_records() returns the stored Python values (Decimal, date) for analysts, "
             "not JSON; its JSON forms are the records it is built from",
}


def _registry() -> Any:
    resources = [referencing.Resource.from_contents(json_schema(n)) for n in NAMES]
    return referencing.Registry().with_resources((r.id(), r) for r in resources)


REGISTRY = _registry()


def validator(name: str) -> Any:
    """A draft 2020-12 validator of schema ``name`` that also checks formats (dates)."""
    cls = jsonschema.Draft202012Validator
    return cls(json_schema(name), registry=REGISTRY, format_checker=cls.FORMAT_CHECKER)


def errors(name: str, instance: Any) -> list[str]:
    """Every violation of schema ``name`` by ``instance``, one line each."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator(name).iter_errors(instance)]


def snake(name: str) -> str:
    """``RunResult`` -> ``run_result``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# -- the schemas themselves ------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_every_schema_is_a_valid_2020_12_schema_with_a_versioned_id(name: str) -> None:
    """Each file is a valid draft 2020-12 schema whose $id carries the package version."""
    schema = json_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == SCHEMA_DIALECT
    assert schema["$id"] == f"{BASE}{name}.json", (
        "the $id must carry the package version; after a version bump run: sed -i "
        f"'s#/schemas/[^/]*/#/schemas/{mbp_billing.__version__}/#' src/mbp_billing/schemas/*.json")
    assert schema["title"] and schema["description"]


def test_every_reference_resolves_offline() -> None:
    """Every $ref in every schema resolves within the shipped set."""
    for name in NAMES:
        schema = json_schema(name)
        resolver = REGISTRY.resolver(base_uri=schema["$id"])
        for ref in re.findall(r'"\$ref": "([^"]+)"', json.dumps(schema)):
            resolver.lookup(ref)  # raises when unresolvable


def test_an_unknown_schema_name_is_refused_with_the_names() -> None:
    """``json_schema`` names the valid choices when given a wrong one."""
    with pytest.raises(InvalidValue, match="cli-run") as caught:
        json_schema("cli-nothing")
    assert caught.value.field == "schema"


def test_a_returned_schema_is_a_copy() -> None:
    """Changing the returned dict leaves the next one intact."""
    json_schema("cli-verify")["required"].clear()
    assert json_schema("cli-verify")["required"] == ["documents", "problems", "ok", "chain_head"]


# -- nothing is missing ----------------------------------------------------------------

def _json_commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                for option in sub._actions:
                    if "--json" in option.option_strings or (
                            "--format" in option.option_strings
                            and "json" in (option.choices or ())):
                        found[name] = sub
    return found


JSON_COMMANDS = sorted(_json_commands())


def test_the_parser_walk_finds_the_json_commands() -> None:
    """The walk sees the commands known to print JSON (so it would see a new one)."""
    assert {"quote", "schedule", "term", "invoice", "credit", "run", "verify", "ledger",
            "pay"} <= set(JSON_COMMANDS)


@pytest.mark.parametrize("command", JSON_COMMANDS)
def test_every_json_command_has_a_schema(command: str) -> None:
    """A command with --json (or --format json) ships src/mbp_billing/schemas/cli-COMMAND.json."""
    assert f"cli-{command}" in NAMES, (
        f"'{command}' prints JSON but has no contract: add src/mbp_billing/schemas/"
        f"cli-{command}.json (see docs/contracts.md, 'Adding a schema')")


@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith("cli-")])
def test_every_command_schema_names_a_json_command(name: str) -> None:
    """No schema for a command that does not exist or prints no JSON."""
    assert name.removeprefix("cli-") in JSON_COMMANDS


def _record_classes() -> dict[str, type]:
    found = {}
    for info in pkgutil.iter_modules(mbp_billing.__path__, "mbp_billing."):
        if info.name == "mbp_billing.__main__":
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isclass(obj) and (hasattr(obj, "to_record") or hasattr(obj, "to_records")):
                found[name] = obj
    return found


RECORD_CLASSES = {n: c for n, c in sorted(_record_classes().items()) if n not in NOT_JSON}


@pytest.mark.parametrize("name", sorted(RECORD_CLASSES))
def test_every_public_record_has_a_schema(name: str) -> None:
    """A public class with to_record() or to_records() ships schemas/<snake_case>.json."""
    assert snake(name) in NAMES, (
        f"{name}.to_record() has no contract: add src/mbp_billing/schemas/{snake(name)}.json")


# -- real outputs ----------------------------------------------------------------------

@attrs.frozen
class Workspace:
    """An agreement, a portfolio, a bank CSV and a register with history, in a folder."""

    folder: Path

    def placeholders(self) -> dict[str, str]:
        f = self.folder
        return {"agreement": str(f / "agreement.toml"), "portfolio": str(f / "portfolio"),
                "register": str(f / "register.sqlite3"), "out": str(f / "out"),
                "bank_csv": str(f / "bank.csv"), "empty_folder": str(f / "empty"),
                "tests": str(TESTS), "shared": str(SHARED)}

    def run(self, argv: list[str]) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        values = self.placeholders()
        code = main([a.format(**values) for a in argv], stdout=out, stderr=err, today=TODAY)
        return code, out.getvalue(), err.getvalue()


def make_workspace(folder: Path) -> Workspace:
    """The example agreement invoiced for 2023 and 2024, F000001 paid, F000002 part-credited."""
    ws = Workspace(folder)
    (folder / "agreement.toml").write_text(ISSUE_EXAMPLE_TOML, encoding="utf-8")
    (folder / "portfolio").mkdir()
    (folder / "portfolio" / "voorbeeld.toml").write_text(ISSUE_EXAMPLE_TOML, encoding="utf-8")
    (folder / "empty").mkdir()
    (folder / "bank.csv").write_text(
        "date,amount,communication\n"
        "2024-02-10,6000.00,+++000/0000/00202+++\n"   # matches F000002
        "2024-02-11,5.00,no communication\n",           # matches nothing
        encoding="utf-8")
    for argv in (
        ["invoice", "{agreement}", "--year", "2023", "--date", "2023-07-10",
         "--register={register}", "--out={out}"],
        ["invoice", "{agreement}", "--year", "2024", "--date", "2024-01-02",
         "--register={register}", "--out={out}"],
        ["pay", "F000001", "--amount", "3500.00", "--date", "2023-08-01",
         "--register={register}"],
        ["credit", "F000002", "--reason", "bevolkingscijfer", "--amount", "1000.00",
         "--date", "2024-02-01", "--register={register}", "--out={out}"],
    ):
        code, _, err = ws.run(argv)
        assert code == 0, err
    return ws


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A fresh workspace: commands here may change it."""
    return make_workspace(tmp_path)


INVOKED = [n for n in NAMES if n.startswith("cli-") or "x-invocations" in json_schema(n)]


@pytest.mark.parametrize("name", INVOKED)
def test_command_outputs_match_their_schema(name: str, workspace: Workspace) -> None:
    """Each x-invocation of a schema, run for real, prints JSON the schema accepts.

    Every command schema must list some; any other schema may (an error
    object, say, printed on stderr with exit code 2).
    """
    invocations = json_schema(name).get("x-invocations")
    assert invocations, f"{name}.json lists no x-invocations to test it against"
    for invocation in invocations:
        code, out, err = workspace.run(invocation["argv"])
        assert code == invocation.get("exit", 0), f"{invocation['argv']}: exit {code}\n{err}"
        printed = out if invocation.get("stream", "stdout") == "stdout" else err
        assert not (problems := errors(name, json.loads(printed))), (
            f"{invocation['argv']}:\n" + "\n".join(problems))


def _reachable(roots: list[Any]) -> Iterator[Any]:
    """Every object reachable from ``roots`` through attrs fields, sequences and properties."""
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, str | bytes | int | Decimal | date | Path):
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, list | tuple):
            stack.extend(obj)
        elif attrs.has(type(obj)):
            stack.extend(getattr(obj, f.name) for f in attrs.fields(type(obj)))
            for extra in ("document", "line"):  # rebuilt from the register's content
                if hasattr(type(obj), extra):
                    stack.append(getattr(obj, extra))


def _samples(folder: Path) -> list[Any]:
    """Values made by real issuing, crediting, runs, imports and ledgers."""
    from mbp_billing import (
        Agreement,
        Register,
        account_statement,
        aging,
        build_ledger,
        build_schedule,
        copy_register,
        credit_invoice,
        import_bank_lines,
        import_statement,
        issue_invoice,
        load_portfolio,
        read_statement,
        remind,
        run_portfolio,
    )
    from mbp_billing.schedule import EndPolicy

    make_workspace(folder)
    agreement = Agreement.from_toml(folder / "agreement.toml")
    with Register.open(folder / "register.sqlite3") as register:
        roots: list[Any] = [
            build_schedule(agreement, 2027, policy=EndPolicy.PRO_RATA),
            issue_invoice(agreement, 2024, issue_date=TODAY, register=register,
                          out_dir=folder / "out"),
            credit_invoice("F000002", reason="correctie", issue_date=TODAY, register=register,
                           amount=Decimal("10.00")),
            import_bank_lines(register, (folder / "bank.csv").read_text(), source="bank.csv"),
            run_portfolio(load_portfolio(folder / "portfolio"), 2026, issue_date=TODAY,
                          register=register, dry_run=True),
            run_portfolio(load_portfolio(folder / "portfolio"), 2026, issue_date=TODAY,
                          register=register, out_dir=folder / "out", workers=1),
            register.documents(),
            build_ledger(register, as_of=date(2024, 3, 1)),
            register.events(),
        ]
        roots.append(import_statement(register, read_statement(camt053(
            [Move("100.00", "+++000/0000/00303+++", structured=True, booked_on=TODAY),
             Move("5.00", "nothing", booked_on=TODAY)], day=TODAY), "s.xml"),
            source="s.xml", as_of=TODAY))
        roots.append(register.payments())
        for day in (date(2026, 3, 2), date(2026, 3, 20), date(2026, 4, 20)):  # 1, 2, after
            roots.append(remind(register, as_of=day, out_dir=folder / "letters"))
        roots.append(aging(register, as_of=date(2026, 3, 2)))
        roots.append(account_statement(register, agreement.buyer.kbo if agreement.buyer
                                       else "", as_of=date(2026, 3, 2)))
    roots.append(copy_register(folder / "register.sqlite3", folder / "copy.sqlite3"))
    return list(_reachable(roots))


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """The sample values, made once for this module."""
    return _samples(tmp_path_factory.mktemp("records"))


@pytest.mark.parametrize("name", sorted(RECORD_CLASSES))
def test_records_match_their_schema(name: str, samples: list[Any]) -> None:
    """Every sample of a public record class gives a record its schema accepts."""
    cls = RECORD_CLASSES[name]
    found = [s for s in samples if type(s) is cls]
    assert found, f"no sample of {name}: add a value that holds one to _samples()"
    for sample in found:
        record = sample.to_record() if hasattr(cls, "to_record") else sample.to_records()
        assert not (problems := errors(snake(name), record)), "\n".join(problems)


@given(agreements(), st.sampled_from(["no-refund", "pro-rata"]), st.data())
def test_records_of_any_agreement_match_their_schemas(agreement: Any, policy: str,
                                                      data: st.DataObject) -> None:
    """Every charge of any agreement, its invoice, line and credit note fit their contracts."""
    from mbp_billing import CreditNote, EndPolicy, Invoice, build_schedule

    start = agreement.billing_start
    assume(start is not None)
    schedule = build_schedule(agreement, start.year + 4, policy=EndPolicy(policy))
    assert not errors("schedule", schedule.to_records())
    assume(schedule.charges)
    charge = data.draw(st.sampled_from(schedule.charges))
    invoice = Invoice.build(charge, make_buyer(), number="F000001",
                            issue_date=charge.earliest_invoice_date)
    cents = int(invoice.total * 100)
    amount = (None if cents < 2 or data.draw(st.booleans())
              else str(Decimal(data.draw(st.integers(1, cents - 1))).scaleb(-2)))
    note = CreditNote.build(invoice, number="C000001", issue_date=invoice.issue_date,
                            reason="correctie", amount=amount)
    for name, record in (("charge", charge.to_record()), ("invoice", invoice.to_record()),
                         ("line", invoice.line.to_record()),
                         ("credit_note", note.to_record())):
        assert not (problems := errors(name, record)), f"{name}: {problems}"


# -- the schemas are strict --------------------------------------------------------------

def _issued(workspace: Workspace) -> dict[str, Any]:
    code, out, err = workspace.run(["invoice", "{agreement}", "--year", "2023",
                                    "--register={register}", "--out={out}", "--json"])
    assert code == 0, err
    record: dict[str, Any] = json.loads(out)
    assert not errors("cli-invoice", record)
    return record


@pytest.mark.parametrize(("change", "why"), [
    (lambda r: r.update(amount=3500.0), "a number instead of an amount string"),
    (lambda r: r.update(amount="3500"), "an amount without two decimals"),
    (lambda r: r.update(amount="3,500.00"), "an amount with grouping"),
    (lambda r: r.update(issue_date="2023-02-30"), "a date that does not exist"),
    (lambda r: r.update(issue_date="10/07/2023"), "a date not in ISO form"),
    (lambda r: r.update(surprise=1), "a key the contract does not know"),
    (lambda r: r.pop("due_date"), "a required key missing"),
    (lambda r: r.update(due_date=None), "an invoice without due date"),
    (lambda r: r.pop("structured_communication"), "an invoice without its communication"),
    (lambda r: r.update(type="credit_note"), "an invoice record calling itself a credit note"),
    (lambda r: r.update(already_issued="no"), "a boolean as text"),
])
def test_a_changed_output_is_rejected(workspace: Workspace, change: Any, why: str) -> None:
    """The contract catches wrong types, forms, unknown and missing keys."""
    record = copy.deepcopy(_issued(workspace))
    change(record)
    assert errors("cli-invoice", record), f"accepted {why}"


def test_a_ledger_row_with_a_negative_or_unknown_status_is_rejected(workspace: Workspace) -> None:
    """Amounts carry no sign and statuses are the documented ones."""
    code, out, _ = workspace.run(["ledger", "--register={register}", "--format", "json"])
    rows = json.loads(out)
    assert code == 0 and not errors("cli-ledger", rows)
    for change in ({"open": "-1.00"}, {"status": "lost"}, {"days_overdue": -1}):
        assert errors("cli-ledger", [{**rows[0], **change}]), change


@pytest.mark.parametrize("record", [
    {"documents": 3, "problems": ["F000001: PDF file missing"], "ok": True},
    {"documents": 3, "problems": [], "ok": False},
    {"documents": -1, "problems": [], "ok": True},
])
def test_a_verify_report_that_contradicts_itself_is_rejected(record: dict[str, Any]) -> None:
    """``ok`` is true exactly when there is no problem."""
    assert errors("cli-verify", record)
