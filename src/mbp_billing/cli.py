"""The command line: ``python -m mbp_billing COMMAND ...``.

Every command prints a human table by default and one JSON document with
``--json``.  Any :class:`~mbp_billing.errors.BillingError` becomes one line
on stderr and exit code 2; nothing is half-written.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shlex
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import attrs

# Only the rules are imported here; each command imports the rest when it
# runs, so `quote`, `schedule` and `term` load no PDF, XML, database or
# analysis code (issue 12).
from .agreement import SUPPORTED_YEARS, Agreement, parse_date
from .errors import BillingError, FilesNotWritten, InvalidValue
from .money import money_str, parse_amount, parse_whole_number
from .proration import go_live_date
from .schedule import Charge, EndPolicy, Step, build_schedule, quote
from .tariff import MAX_POPULATION
from .term import termination
from .text import MAX_REASON_LENGTH, document_text, refuse_special_file

if TYPE_CHECKING:
    from .issuing import Issued
    from .register import Register

__all__ = ["main"]

PROG = "python -m mbp_billing"


class _UsageError(Exception):
    """Raised by the parser instead of exiting, so main() owns the exit code.

    ``error`` is the option's :class:`BillingError` when a value was refused
    by its converter (so that ``--json`` can report field, value and hint).
    """

    def __init__(self, message: str, error: BillingError | None = None) -> None:
        super().__init__(message)
        self.error = error


class _Exit(Exception):
    """Raised instead of sys.exit() by --help, so main() returns the code."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(status)
        self.status = status
        self.text = text


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        cause = sys.exc_info()[1]
        while cause is not None and not isinstance(cause, _ArgumentInvalid):
            cause = cause.__context__
        if isinstance(cause, _ArgumentInvalid):
            raise _UsageError(str(cause.error), cause.error)
        raise _UsageError(f"{self.prog}: {message} (see --help)")

    def print_help(self, file: Any = None) -> None:
        # --help: hand the text to main(), which writes it to its own stdout.
        if file is None:
            raise _Exit(0, self.format_help())
        super().print_help(file)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise _Exit(status, message or "")


Handler = Callable[[argparse.Namespace, TextIO], int]


class _ArgumentInvalid(argparse.ArgumentTypeError):
    """A converter's BillingError, kept whole so that --json can report its parts."""

    def __init__(self, error: BillingError) -> None:
        super().__init__(str(error))
        self.error = error


def _arg(option: str, convert: Callable[[str, str], Any]) -> Callable[[str], Any]:
    """An argparse ``type`` that reads with ``convert`` and names ``option`` in errors."""
    def read(text: str) -> Any:
        try:
            return convert(text, option)
        except BillingError as exc:
            raise _ArgumentInvalid(exc) from None
    read.__name__ = option
    return read


def _year(option: str) -> Callable[[str], int]:
    return _arg(option, lambda text, field: parse_whole_number(
        text, field, minimum=SUPPORTED_YEARS.start, maximum=SUPPORTED_YEARS.stop - 1,
        what="a calendar year"))


def _population(option: str) -> Callable[[str], int]:
    return _arg(option, lambda text, field: parse_whole_number(
        text, field, minimum=1, maximum=MAX_POPULATION, what="a number of inhabitants"))


def _date_arg(option: str) -> Callable[[str], date]:
    return _arg(option, parse_date)


def _amount_arg(option: str) -> Callable[[str], Any]:
    return _arg(option, parse_amount)


def _text_arg(option: str) -> Callable[[str], str]:
    """Non-empty text: an empty ``--out ""`` would silently mean the current folder."""
    def check(text: str, field: str) -> str:
        if not text.strip():
            raise InvalidValue(field, text, "is empty; give a value, or leave the option out")
        return text
    return _arg(option, check)


def _dump(document: Any, out: TextIO) -> None:
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")


def _charge_lines(charges: Sequence[Charge], explain: bool) -> list[str]:
    lines = [f"{'year':<6}{'kind':<8}{'months':>6}{'annual fee':>12}{'amount':>12}  period"]
    for c in charges:
        lines.append(
            f"{c.year:<6}{c.kind:<8}{c.months:>6}{money_str(c.annual_fee):>12}"
            f"{money_str(c.amount):>12}  {c.period_start.isoformat()} .. {c.period_end.isoformat()}"
        )
        if explain:
            lines.extend(f"        {step}" for step in c.steps)
    return lines


# -- quote --------------------------------------------------------------------

def _cmd_quote(args: argparse.Namespace, out: TextIO) -> int:
    population = args.population
    municipality = None
    if args.municipality is not None:
        from .population import PopulationTable

        table = (PopulationTable.from_csv(args.population_file) if args.population_file
                 else PopulationTable.builtin())
        # R2: the later store date is the go-live; one date alone is refused below.
        live = args.go_live or (go_live_date(args.app_store, args.play_store)
                                if args.app_store and args.play_store
                                else args.app_store or args.play_store)
        year = args.year or (live.year if live else None)
        if year is None:
            raise InvalidValue("--year", None, "give the year whose 1 January population "
                                               "applies, e.g. --year 2026")
        municipality = table.lookup(args.municipality, year)
        population = table.population(municipality.nis_code, year)
        if live is None:
            # No go-live given: quote the full year, as a renewal of YEAR.
            args.go_live = date(year, 1, 1)
    elif args.year is not None:
        raise InvalidValue("--year", args.year, "only applies with --municipality")
    if args.go_live is not None:
        if args.app_store or args.play_store:
            raise InvalidValue("--go-live", args.go_live.isoformat(),
                               "give either --go-live or both store dates, not both")
        app = play = args.go_live
    else:
        if args.app_store is None and args.play_store is None:
            raise InvalidValue("--go-live", None,
                               "no go-live date given; add --go-live DATE, or both "
                               "--app-store DATE and --play-store DATE (R2)")
        if args.app_store is None or args.play_store is None:
            given = "--app-store" if args.app_store else "--play-store"
            missing = "--play-store" if args.app_store else "--app-store"
            raise InvalidValue(
                given, (args.app_store or args.play_store).isoformat()
                if (args.app_store or args.play_store) else None,
                f"only one store date given; add {missing} DATE (the fee starts when the app "
                "is live in both stores, R2), or use --go-live DATE",
            )
        app, play = args.app_store, args.play_store
    charge = quote(population=population, annual_fee=args.annual_fee,
                   app_store_live_on=app, play_store_live_on=play)
    if municipality is not None:
        charge = attrs.evolve(charge, steps=(
            Step("R1", f"{municipality.name} (NIS {municipality.nis_code}) had "
                       f"{population:,} inhabitants on 1 January {municipality.year} "
                       "(Statbel de jure population)"), *charge.steps))
    record = {
        "annual_fee": money_str(charge.annual_fee),
        "months": charge.months,
        "amount": money_str(charge.amount),
        "billing_start": charge.period_start.isoformat(),
        "first_year": charge.year,
        "period_end": charge.period_end.isoformat(),
        "tier": None if charge.tier is None else charge.tier.number,
    }
    if municipality is not None:
        record.update({"municipality": municipality.name, "nis_code": municipality.nis_code,
                       "population": population, "population_year": municipality.year})
    if args.explain or args.json:
        record["explanation"] = [str(s) for s in charge.steps]
    if args.json:
        _dump(record, out)
        return 0
    out.write(f"First year {charge.year}: {charge.months} months from "
              f"{charge.period_start.isoformat()}, {money_str(charge.amount)} EUR "
              f"(annual fee {money_str(charge.annual_fee)} EUR)\n")
    if args.explain:
        out.writelines(f"  {s}\n" for s in charge.steps)
    return 0


# -- schedule -----------------------------------------------------------------

def _cmd_schedule(args: argparse.Namespace, out: TextIO) -> int:
    agreement = Agreement.from_toml(args.agreement)
    through = args.through
    if through is None:
        through = args.today.year
    schedule = build_schedule(agreement, through, policy=EndPolicy(args.end_policy))
    if args.json:
        _dump(schedule.to_records() if args.explain else
              [{k: v for k, v in r.items() if k != "explanation"} for r in schedule.to_records()],
              out)
        return 0
    if not schedule.charges:
        out.write(f"No charges through {through}: " +
                  ("the app is not live in both stores yet (R2).\n"
                   if agreement.billing_start is None else "nothing billable yet.\n"))
        return 0
    out.write("\n".join(_charge_lines(schedule.charges, args.explain)) + "\n")
    out.write(f"{'total':<20}{'':>12}{money_str(schedule.total):>12}\n")
    return 0


# -- term ---------------------------------------------------------------------

def _cmd_term(args: argparse.Namespace, out: TextIO) -> int:
    result = termination(args.signed_on, args.notice_sent_on)
    record = {
        "signed_on": result.signed_on.isoformat(),
        "notice_sent_on": result.notice_sent_on.isoformat(),
        "ends_on": result.ends_on.isoformat(),
        "regime": result.regime,
        "reason": result.reason,
    }
    if args.json:
        _dump(record, out)
    else:
        out.write(f"Ends on {record['ends_on']} (last day in force; {result.regime} regime)\n"
                  f"  {result.reason}\n")
    return 0


# -- invoice and credit --------------------------------------------------------

#: Default output directory of invoice files.
DEFAULT_OUT = Path("invoices")
#: Output directory of ``invoice --example``.
EXAMPLE_OUT = Path("example-invoices")


def _register_path(args: argparse.Namespace, fallback: Path | None = None) -> Path | str:
    """--register, else the fallback, else $MBP_BILLING_REGISTER or the default file.

    A ``postgresql://`` URL stays a string (a path would fold its ``//``).
    """
    if args.register is not None:
        if _is_url(args.register):
            return str(args.register)
        path = Path(args.register)
    elif fallback is not None:
        path = fallback
    else:
        from .register import REGISTER_ENV, default_register_path

        if _is_url(os.environ.get(REGISTER_ENV)):
            return os.environ[REGISTER_ENV]
        path = default_register_path()
    return _usable_register(path)


def _is_url(location: object) -> bool:
    """A PostgreSQL register's URL (the check of register_backends, without its imports)."""
    return isinstance(location, str) and location.lower().startswith(
        ("postgresql://", "postgres://"))


def _usable_register(path: Path) -> Path:
    """Refuse a register path the system cannot hold, or that is not a file, at once."""
    if str(path) == ":memory:":
        return path
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return path  # Register.open says why it cannot be created
    except OSError as exc:
        shown = str(path) if len(str(path)) <= 80 else f"{str(path)[:80]}..."
        raise InvalidValue("--register", shown, f"cannot be used ({exc.strerror}); give "
                                                "another register path") from None
    if not stat.S_ISREG(info.st_mode):
        raise InvalidValue("--register", str(path), "is not a regular file (a folder, FIFO or "
                                                    "device); give the register's file")
    return path


@contextmanager
def _open_register(path: Path | str, *, create: bool = True) -> Iterator[Register]:
    """Open the register; if this command created it and then failed, remove it.

    A refused command leaves no trace, not even an empty register file.  A
    PostgreSQL register is never removed: its schema is the administrator's.
    """
    from .register import Register

    if isinstance(path, str):
        with Register.open(path, create=create) as register:
            yield register
        return
    existed = str(path) == ":memory:" or path.exists()
    made_folder = not path.parent.exists()
    register = Register.open(path, create=create)
    try:
        yield register
    except BaseException:
        empty = not existed and not register.documents()
        register.close()
        if empty:
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
            if made_folder and not any(path.parent.iterdir()):
                path.parent.rmdir()
        raise
    else:
        register.close()


#: How far ahead a document may be dated (e.g. the January run prepared in December).
MAX_DAYS_AHEAD = 31


def _document_date(args: argparse.Namespace) -> date:
    """--date, or today; a date far in the future is refused as a typing error.

    Numbers and dates ascend together (R12), so one invoice dated 2100 would
    block every later one; such a date is almost surely a mistake.
    """
    when: date = args.date or args.today
    if (when - args.today).days > MAX_DAYS_AHEAD:
        raise InvalidValue("--date", when.isoformat(),
                           f"is more than {MAX_DAYS_AHEAD} days after today "
                           f"({args.today.isoformat()}); documents cannot be dated that far "
                           "ahead, and a later date would block every earlier one")
    return when


def _emit_issued(issued: Issued, args: argparse.Namespace, out: TextIO, noun: str,
                 chain_head: str) -> None:
    from .documents import Invoice

    record = issued.to_record()
    record["chain_head"] = chain_head
    if args.json:
        _dump(record, out)
        return
    state = "already issued" if not issued.new else "issued"
    doc = issued.document
    line = f"{noun} {issued.stored.number} {state}: {money_str(doc.total)} EUR"
    if isinstance(doc, Invoice):
        line += (f", dated {doc.issue_date.isoformat()}, due {doc.due_date.isoformat()}, "
                 f"pay with {doc.structured_communication_display}")
    else:
        line += f", credits {doc.invoice_number}, dated {doc.issue_date.isoformat()}"
    out.write(line + "\n")
    for path in (issued.pdf_path, issued.xml_path):
        if path is not None:
            out.write(f"  {path}\n")
    out.write(f"  chain head {chain_head} (keep it outside the register)\n")


def _cmd_invoice(args: argparse.Namespace, out: TextIO) -> int:
    from .examples import example_agreement
    from .issuing import check_out_dir, issue_invoice

    if args.example == (args.agreement is not None):
        raise InvalidValue("AGREEMENT.toml", args.agreement,
                           "give an agreement file or --example, not both or neither")
    if args.example:
        agreement = example_agreement()
        out_dir = Path(args.out) if args.out else EXAMPLE_OUT
        check_out_dir(out_dir)  # the register goes inside it: name --out first
        register_path = _register_path(args, out_dir / "example-register.sqlite3")
        year = args.year
        if year is None:
            start = agreement.billing_start
            assert start is not None
            year = start.year
    else:
        agreement = Agreement.from_toml(args.agreement)
        out_dir = Path(args.out) if args.out else DEFAULT_OUT
        register_path = _register_path(args)
        year = args.year
        if year is None:
            raise InvalidValue("--year", None, "is required; give the calendar year to invoice")
    issue_date = _document_date(args)
    with _open_register(register_path) as register:
        issued = issue_invoice(agreement, year, issue_date=issue_date, register=register,
                               out_dir=out_dir, locale=args.locale,
                               policy=EndPolicy(args.end_policy))
        head = register.chain_head()
    _emit_issued(issued, args, out, "Invoice", head)
    return 0


def _cmd_credit(args: argparse.Namespace, out: TextIO) -> int:
    from .issuing import credit_invoice
    from .register import Register

    issue_date = _document_date(args)
    with Register.open(_register_path(args), create=False) as register:
        issued = credit_invoice(args.number, reason=args.reason, issue_date=issue_date,
                                register=register, out_dir=Path(args.out) if args.out
                                else DEFAULT_OUT, amount=args.amount, locale=args.locale)
        head = register.chain_head()
    _emit_issued(issued, args, out, "Credit note", head)
    return 0


# -- run, verify, ledger, pay ---------------------------------------------------

def _progress_bar(err: TextIO) -> Callable[[int, int], None] | None:
    if not err.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        err.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            err.write("\n")
        err.flush()
    return show


def _cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    from .portfolio import load_portfolio
    from .runs import default_workers, run_portfolio

    portfolio = load_portfolio(args.portfolio)
    if not args.json:
        for skipped in portfolio.skipped:
            args.stderr.write(f"note: skipped {skipped}\n")
    issue_date = _document_date(args)
    out_dir = Path(args.out) if args.out else DEFAULT_OUT
    register_path = _register_path(args)
    if args.dry_run and isinstance(register_path, Path) and not register_path.exists():
        register_path = Path(":memory:")
    with _open_register(register_path) as register:
        result = run_portfolio(
            portfolio, args.through, issue_date=issue_date, register=register,
            out_dir=out_dir, dry_run=args.dry_run, policy=EndPolicy(args.end_policy),
            workers=args.workers or default_workers(), locale=args.locale, progress=_progress_bar(args.stderr),
            sync_files=args.sync_files)
        head = register.chain_head()
    if args.json:
        _dump({**result.to_record(), "chain_head": head}, out)
        return 0
    verb = "would issue" if result.dry_run else "issued"
    out.write(f"{len(portfolio)} agreements through {result.through}, dated "
              f"{result.issue_date.isoformat()}: {verb} {len(result.issued)} invoice(s) "
              f"for {money_str(result.total_amount)} EUR")
    if result.credited:
        out.write(f" and {len(result.credited)} credit note(s)")
    out.write(f"; {result.already_issued} already issued; {result.not_yet_due} not yet due\n")
    for conflict in result.conflicts:
        out.write(f"  CONFLICT {conflict}\n")
    totals = result.totals_by_year_and_tier()
    if totals:
        out.write(f"  {'year':<6}{'tier':<6}{'count':>6}{'amount':>14}\n")
        for row in totals:
            out.write(f"  {row['year']:<6}{row['tier'] or '-'!s:<6}{row['count']:>6}"
                      f"{row['amount']:>14}\n")
    if not result.dry_run and (result.issued or result.credited):
        out.write(f"Chain head {head}: keep it outside the register (e.g. in the run's "
                  "e-mail) and check later with verify --expect-head\n")
    return 0


def _cmd_verify(args: argparse.Namespace, out: TextIO) -> int:
    from .audit import verify
    from .register import Register

    with Register.open(_register_path(args), read_only=True) as register:
        remembered = args.out is None and bool(register.outputs())
        # Without --out: the folders the register wrote to; documents it
        # remembers no folder for (issued by the previous version) are
        # checked in the default folder, as before.
        out_dir = Path(args.out) if args.out else None if remembered else DEFAULT_OUT
        problems = verify(register, out_dir, expect_head=args.expect_head,
                          remembered=remembered, unplaced_dir=DEFAULT_OUT)
        count = len(register.file_hashes())
        head = register.chain_head()
    if args.json:
        _dump({"ok": not problems, "documents": count, "chain_head": head,
               "problems": [str(p) for p in problems]}, out)
    elif problems:
        out.writelines(f"PROBLEM {p}\n" for p in problems)
        out.write(f"{len(problems)} problem(s) in {count} document(s)\n")
    else:
        out.write(f"OK: {count} document(s); hash chain intact, numbering gapless, "
                  "files match\n")
    return 1 if problems else 0


def _cmd_write_files(args: argparse.Namespace, out: TextIO) -> int:
    from .issuing import check_out_dir, write_files
    from .register import Register

    out_dir = Path(args.out) if args.out else DEFAULT_OUT
    with Register.open(_register_path(args), create=False) as register:
        numbers = args.numbers or [d.number for d in register.documents()]
        for number in numbers:
            register.get(number)  # an unknown number is refused before anything is written
        check_out_dir(out_dir)
        written = [write_files(register, number, out_dir) for number in numbers]
    if args.json:
        _dump({"written": [{"number": n, "pdf": str(p), "xml": str(x)}
                           for n, (p, x) in zip(numbers, written, strict=True)]}, out)
    else:
        out.write(f"{len(written)} document(s) written to {out_dir} from the register\n")
    return 0


def _cmd_ledger(args: argparse.Namespace, out: TextIO) -> int:
    from .ledger import build_ledger
    from .register import Register

    fmt = _ledger_format(args)
    with Register.open(_register_path(args), read_only=True) as register:
        if args.aging or args.buyer is not None:
            return _receivables(register, args, fmt, out)
        ledger = build_ledger(register, as_of=args.as_of)
    if fmt == "json":
        _dump(ledger.to_records(), out)
    else:
        out.write(ledger.to_csv())
    return 0


def _ledger_format(args: argparse.Namespace) -> str | None:
    """``--json`` is short for ``--format json``; None: the command's default."""
    if args.json:
        if args.format not in (None, "json"):
            raise InvalidValue("--format", args.format, "contradicts --json; give one of them")
        return "json"
    fmt: str | None = args.format
    return fmt


def _receivables(register: Register, args: argparse.Namespace, fmt: str | None,
                 out: TextIO) -> int:
    """``ledger --aging`` and ``ledger --buyer KBO``: text, CSV or JSON."""
    from .receivables import AccountStatement, Aging, account_statement, aging

    report: Aging | AccountStatement
    if args.buyer is not None:
        if args.aging:
            raise InvalidValue("--buyer", args.buyer, "give either --aging or --buyer, not "
                                                      "both (a statement of account shows one "
                                                      "municipality's open invoices)")
        try:
            report = account_statement(register, args.buyer, as_of=args.as_of)
        except InvalidValue as exc:
            if exc.field != "buyer":
                raise
            raise InvalidValue("--buyer", exc.value, exc.reason) from None
        table = report.entries
    else:
        # Aging needs a day: today unless asked (the clock is read at the edge).
        report = aging(register, as_of=args.as_of or args.today)
        table = report.by_buyer
    if fmt == "json":
        _dump(report.to_record(), out)
    elif fmt == "csv":
        out.write(table.to_csv())
    else:
        out.write(f"{report}\n")
    return 0


def _read_input(option: str, path: Path) -> bytes:
    try:
        refuse_special_file(path, option)
        return path.read_bytes()
    except OSError as exc:
        raise InvalidValue(option, str(path), f"cannot be read ({exc.strerror})") from None


def _pay_statement(args: argparse.Namespace, register: Register, out: TextIO) -> int:
    from .statements import import_statement, read_statement

    path = Path(args.statement)
    statement = read_statement(_read_input("--statement", path), path.name)
    result = import_statement(register, statement, source=path.name, as_of=args.today)
    if args.json:
        _dump(result.to_record(), out)
        return 0
    out.write(f"{statement.format} statement {statement.number} of "
              f"{statement.date.isoformat()}: {len(result.recorded)} payment(s) recorded, "
              f"{result.already_recorded} already recorded, {len(result.unmatched)} unmatched, "
              f"{result.ignored} ignored (debits, returns, reversals)\n")
    out.writelines(f"  paid {number} {money_str(amount)} EUR on {when.isoformat()}\n"
                   for number, amount, when in result.recorded)
    out.writelines(f"  UNMATCHED {e.booked_on.isoformat()} {money_str(e.amount)} EUR "
                   f"{e.shown_communication()!r} from {e.name or '?'}: {why}\n"
                   for e, why in result.unmatched)
    out.write(f"  chain head {result.chain_head}\n")
    return 0


def _pay_csv(args: argparse.Namespace, register: Register, out: TextIO) -> int:
    from .ledger import import_bank_lines

    path = Path(args.bank_csv)
    try:
        text = _read_input("--bank-csv", path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidValue("--bank-csv", str(path),
                           "is not UTF-8 text; export the statement as UTF-8 CSV") from None
    result = import_bank_lines(register, text, source=path.name, as_of=args.today)
    if args.json:
        _dump(result.to_record(), out)
    else:
        out.write(f"{len(result.matched)} payment(s) recorded, "
                  f"{len(result.already_recorded)} already recorded, "
                  f"{len(result.unmatched)} unmatched\n")
        out.writelines(f"  line {n}: {why}\n" for n, why in result.unmatched)
    return 0


def _cmd_pay(args: argparse.Namespace, out: TextIO) -> int:
    from .register import Register

    doors = [name for name, given in (("NUMBER", bool(args.number)),
                                      ("--bank-csv", args.bank_csv is not None),
                                      ("--statement", args.statement is not None),
                                      ("--reverse", args.reverse is not None)) if given]
    if len(doors) > 1:
        raise InvalidValue("pay", " ".join(doors), "give one of NUMBER --amount, --bank-csv, "
                                                    "--statement or --reverse, not several")
    if args.reason is not None and args.reverse is None:
        raise InvalidValue("--reason", args.reason, "only applies with --reverse ID")
    if args.amount is not None and not args.number:
        raise InvalidValue("--amount", str(args.amount), "give the invoice NUMBER it pays")
    with Register.open(_register_path(args), create=False) as register:
        if args.statement is not None:
            return _pay_statement(args, register, out)
        if args.bank_csv is not None:
            return _pay_csv(args, register, out)
        if args.reverse is not None:
            if args.reason is None:
                raise InvalidValue("--reverse", args.reverse,
                                   "give --reason TEXT: why the payment is undone")
            payment = register.reverse_payment(args.reverse, reason=args.reason,
                                               on=args.date or args.today)
            head = register.chain_head()
            record = {**payment.to_record(), "chain_head": head}
            if args.json:
                _dump(record, out)
            else:
                out.write(f"Payment {args.reverse} reversed by payment {payment.id} "
                          f"({record['amount']} EUR on {record['paid_on']} against "
                          f"{payment.number}): {payment.reason}\n")
            return 0
        if not args.number or args.amount is None:
            raise InvalidValue("NUMBER", args.number,
                               "give an invoice number with --amount (and --date), "
                               "--statement FILE or --bank-csv FILE")
        paid_on = args.date or args.today
        # Money cannot arrive in the future: today is the latest payment date.
        payment = register.record_payment(args.number, args.amount, paid_on, source="manual",
                                          as_of=args.today)
        head = register.chain_head()
    record = {"id": payment.id, "number": payment.number, "amount": money_str(payment.amount),
              "paid_on": payment.paid_on.isoformat(), "chain_head": head}
    if args.json:
        _dump(record, out)
    else:
        out.write(f"Payment of {record['amount']} EUR on {record['paid_on']} recorded "
                  f"against {payment.number} (payment {payment.id})\n")
    return 0


# -- events and register administration (issue 10) -----------------------------

def _cmd_events(args: argparse.Namespace, out: TextIO) -> int:
    from .register import Register

    with Register.open(_register_path(args), read_only=True) as register:
        events = register.events(since=args.since)
    if args.json:
        _dump([e.to_record() for e in events], out)
    else:
        out.writelines(f"{e.sequence:>8}  {e.time}  {e.type:<11}  {e.number:<8}  "
                       f"{e.buyer_kbo}  {money_str(e.amount):>12}\n" for e in events)
    return 0


def _cmd_register_init(args: argparse.Namespace, out: TextIO) -> int:
    from .register import init_register
    from .register_backends import ISSUER_ROLE, READER_ROLE, is_url

    location = args.location if is_url(args.location) else Path(args.location)
    created = init_register(location)
    if args.json:
        _dump({"register": _shown(location), "roles_created": created}, out)
        return 0
    out.write(f"Register ready: {_shown(location)}\n")
    if is_url(args.location):
        for role in (ISSUER_ROLE, READER_ROLE):
            out.write(f"  role {role}: {'created' if role in created else 'existed'}, granted\n")
    return 0


def _cmd_register_copy(args: argparse.Namespace, out: TextIO) -> int:
    from .register import copy_register
    from .register_backends import is_url

    source = args.source if is_url(args.source) else Path(args.source)
    target = args.target if is_url(args.target) else Path(args.target)
    if isinstance(source, Path) and not source.exists():
        raise InvalidValue("FROM", str(source), "does not exist; give the register to copy")
    made = isinstance(target, Path) and not target.exists()
    try:
        result = copy_register(source, target)
    except BaseException:
        if made:  # a refused copy leaves no file behind
            for leftover in ("", "-wal", "-shm"):
                Path(f"{target}{leftover}").unlink(missing_ok=True)
        raise
    if args.json:
        _dump(result.to_record(), out)
    else:
        counts = ", ".join(f"{n} {t}" for t, n in result.rows.items())
        out.write(f"Copied {result.source} to {result.target}: {counts}; "
                  f"chain head {result.chain_head}\n")
    return 0


def _shown(location: Path | str) -> str:
    from .register_backends import redact

    return redact(location) if isinstance(location, str) else str(location)
# -- remind -------------------------------------------------------------------

#: Default output directory of reminder letters.
DEFAULT_REMINDERS_OUT = Path("reminders")


def _cmd_remind(args: argparse.Namespace, out: TextIO) -> int:
    from .dunning import remind
    from .register import Register
    from .reminders import DEFAULT_INTERVAL_DAYS

    as_of: date = args.as_of
    if as_of > args.today:
        # A letter dated ahead would miss the payments still to come, and
        # reminders are recorded in date order: a later date blocks earlier ones.
        raise InvalidValue("--as-of", as_of.isoformat(),
                           f"is after today ({args.today.isoformat()}); reminders are sent for "
                           "what is overdue now; give today or an earlier date")
    out_dir = Path(args.out) if args.out else DEFAULT_REMINDERS_OUT
    with Register.open(_register_path(args), create=False) as register:
        result = remind(register, as_of=as_of, out_dir=out_dir, locale=args.locale,
                        interval_days=DEFAULT_INTERVAL_DAYS if args.interval is None
                        else args.interval)
    if args.json:
        _dump(result.to_record(), out)
        return 0
    if not result.sent:
        out.write(f"No reminder due on {as_of.isoformat()}.\n")
    for sent in result.sent:
        r = sent.reminder
        out.write(f"{r.name} (level {r.level}) to {r.buyer.name} "
                  f"({r.buyer.enterprise_number_display}): "
                  f"{', '.join(line.number for line in r.lines)}; "
                  f"{money_str(r.amount_open)} EUR open\n  {sent.pdf_path}\n")
    for path in result.restored:
        out.write(f"rewritten from the register: {path}\n")
    if result.sent:
        out.write(f"Reminders chain head {result.chain_head}: keep it outside the register "
                  "and check later with verify --expect-head\n")
    for notice in result.after_notice:
        state = ("expired: Art. 10 §3 allows dissolving the agreement" if notice.expired
                 else "running")
        out.write(f"AFTER NOTICE {notice.buyer_name} ({notice.buyer_kbo}): "
                  f"{', '.join(notice.invoices)}; {money_str(notice.amount_open)} EUR open; "
                  f"aanmaning of {notice.notice_on.isoformat()}, ten days to "
                  f"{notice.deadline.isoformat()} {state}\n")
    return 0


_interval = _arg("--interval", lambda text, field: parse_whole_number(
    text, field, minimum=1, maximum=3660, what="a number of days"))


# -- parser -------------------------------------------------------------------

_EPILOGS = {
    "quote": """examples:
  python -m mbp_billing quote --population 32000 --app-store 2023-06-20 --play-store 2023-07-03
  python -m mbp_billing quote --annual-fee 7000.00 --go-live 2024-09-12 --json
  python -m mbp_billing quote --population 15001 --go-live 2022-10-01 --explain
  python -m mbp_billing quote --municipality Lokeren --year 2026
  python -m mbp_billing quote --municipality 46029 --year 2026 --go-live 2026-05-12 --json""",
    "schedule": """examples:
  python -m mbp_billing schedule gemeente.toml --through 2027
  python -m mbp_billing schedule gemeente.toml --through 2027 --json --explain
  python -m mbp_billing schedule gemeente.toml --end-policy pro-rata""",
    "invoice": """examples:
  python -m mbp_billing invoice --example
  python -m mbp_billing invoice gemeente.toml --year 2026 --date 2026-01-02 --out invoices
  python -m mbp_billing invoice gemeente.toml --year 2026 --json --register /srv/mbp/register.sqlite3

The register defaults to $MBP_BILLING_REGISTER, else ./mbp-billing-register.sqlite3.
Asking again for the same year returns the invoice already issued.""",
    "credit": """examples:
  python -m mbp_billing credit F000012 --reason "wrong population figure"
  python -m mbp_billing credit F000012 --reason "ended 2026-03-31 (R8)" --amount 1750.00 --json""",
    "run": """examples:
  python -m mbp_billing run portfolio/ --through 2026 --date 2026-01-02 --dry-run
  python -m mbp_billing run portfolio/ --through 2026 --date 2026-01-02 --workers 2
  python -m mbp_billing run agreements.csv --through 2026 --json --register /srv/mbp/register.sqlite3""",
    "verify": """examples:
  python -m mbp_billing verify
  python -m mbp_billing verify --register /srv/mbp/register.sqlite3 --out /srv/mbp/invoices
  python -m mbp_billing verify --expect-head 3f1c...e9 --json

Exit code 0 when all is well, 1 when a problem is found (each is named).""",
    "write-files": """examples:
  python -m mbp_billing write-files F000003 F000004 --out invoices
  python -m mbp_billing write-files --register /srv/mbp/register.sqlite3 --out /srv/mbp/invoices

Files that already hold the register's bytes are left as they are; a file
with other content is refused, never replaced.""",
    "ledger": """examples:
  python -m mbp_billing ledger --format csv > ledger.csv
  python -m mbp_billing ledger --json --as-of 2026-03-31
  python -m mbp_billing ledger --aging --as-of 2026-03-31
  python -m mbp_billing ledger --aging --json
  python -m mbp_billing ledger --buyer 0207.123.407
  python -m mbp_billing ledger --buyer BE0207123407 --as-of 2026-03-31 --format csv""",
    "pay": """examples:
  python -m mbp_billing pay F000012 --amount 7000.00 --date 2026-01-20
  python -m mbp_billing pay --statement 2026-01-20.cod --json
  python -m mbp_billing pay --statement camt053-2026-01-20.xml
  python -m mbp_billing pay --bank-csv statement.csv
  python -m mbp_billing pay --reverse 7 --reason "booked on the wrong invoice"

Only credits on EV DV's account BE86 3751 1175 0850 pay invoices, matched by
structured communication; each bank entry is recorded once, however often the
statement is imported.  The bank CSV needs a header with date,amount,communication.""",
    "remind": """examples:
  python -m mbp_billing remind --as-of 2026-03-16
  python -m mbp_billing remind --as-of 2026-03-16 --out reminders --json
  python -m mbp_billing remind --as-of 2026-03-30 --interval 21 --locale fr_BE

One letter per municipality with overdue invoices, at most one every
--interval days: first a herinnering (level 1), then an aanmaning (level 2,
the written notice of Art. 10 §3 of the agreement).  After the aanmaning no
further letter is sent; the invoices are listed as AFTER NOTICE.  Letters are
written to DIR/reminder-<enterprise number>-<date>.pdf and kept in the register.""",
    "term": """examples:
  python -m mbp_billing term --signed-on 2023-02-10 --notice-sent-on 2025-10-01
  python -m mbp_billing term --signed-on 2023-02-10 --notice-sent-on 2027-03-01 --json""",
}


class _Version(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str,
                 help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        from . import __version__
        raise _Exit(0, f"{parser.prog} {__version__}\n")


_EXIT_CODES = """exit codes:
  0  success
  1  verify found problems (each is named)
  2  bad input: one line on stderr, nothing written, no number used
  3  documents issued and recorded, but their files could not be written;
     the message names them and the write-files command that writes them
  130, 141  interrupted, or the reader of the output went away"""


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The argparse definition of every command (also used for the docs).

    ``prog`` is the program's name in usage lines and examples.
    """
    parser = _Parser(
        prog=prog,
        description="Billing engine for the Mijn Burgerprofiel app agreement.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"Run '{prog} COMMAND --help' for a command's options and examples.\n\n"
               f"{_EXIT_CODES}",
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_: str, handler: Handler) -> argparse.ArgumentParser:
        epilog = _EPILOGS.get(name)
        p = sub.add_parser(name, help=help_, description=help_,
                           epilog=None if epilog is None else epilog.replace(PROG, prog),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(handler=handler)
        return p

    q = command("quote", "Quote the first, pro-rated year for a go-live (R1-R4).", _cmd_quote)
    basis = q.add_mutually_exclusive_group(required=True)
    basis.add_argument("--population", type=_population("--population"), help="inhabitants on 1 January (R1)")
    basis.add_argument("--annual-fee", type=_amount_arg("--annual-fee"), metavar="AMOUNT",
                       help="annual fee in euro, e.g. 7000.00")
    basis.add_argument("--municipality", metavar="NAME_OR_NIS",
                       help="a Flemish municipality: its Statbel population on 1 January "
                            "of --year applies")
    q.add_argument("--year", type=_year("--year"), metavar="YEAR",
                   help="with --municipality: the population year (default: the go-live year)")
    q.add_argument("--population-file", metavar="CSV", type=_text_arg("--population-file"),
                   help="with --municipality: a newer population file in the builtin format")
    q.add_argument("--go-live", type=_date_arg("--go-live"), metavar="DATE",
                   help="live in both stores on this date")
    q.add_argument("--app-store", type=_date_arg("--app-store"), metavar="DATE",
                   help="Apple App Store availability date")
    q.add_argument("--play-store", type=_date_arg("--play-store"), metavar="DATE",
                   help="Google Play Store availability date")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.add_argument("--explain", action="store_true", help="show every step with its rule")

    s = command("schedule", "List the charges of an agreement, one per year (R1-R9).",
                _cmd_schedule)
    s.add_argument("agreement", metavar="AGREEMENT.toml", help="the agreement file")
    s.add_argument("--through", type=_year("--through"), metavar="YEAR",
                   help="last year to list (default: the current year)")
    s.add_argument("--end-policy", choices=[p.value for p in EndPolicy],
                   default=EndPolicy.NO_REFUND.value,
                   help="R8: the final year stays due in full (no-refund, default) or is "
                        "pro-rated to the months in force")
    s.add_argument("--json", action="store_true", help="print one JSON list")
    s.add_argument("--explain", action="store_true", help="show every step with its rule")

    t = command("term", "When an agreement ends after a termination notice (R6, R7).", _cmd_term)
    t.add_argument("--signed-on", type=_date_arg("--signed-on"), required=True, metavar="DATE",
                   help="the signing date S of the agreement (R6)")
    t.add_argument("--notice-sent-on", type=_date_arg("--notice-sent-on"), required=True,
                   metavar="DATE", help="date the registered letter was sent")
    t.add_argument("--json", action="store_true", help="print one JSON object")
    i = command("invoice", "Issue (or return) the invoice of one year: PDF and Peppol UBL.",
                _cmd_invoice)
    i.add_argument("agreement", nargs="?", metavar="AGREEMENT.toml", help="the agreement file")
    i.add_argument("--example", action="store_true",
                   help="use the built-in example agreement (out: example-invoices/)")
    i.add_argument("--year", type=_year("--year"), metavar="YEAR", help="the calendar year to invoice")
    i.add_argument("--date", type=_date_arg("--date"), metavar="DATE",
                   help="invoice date (default: today)")
    _register_options(i)
    i.add_argument("--end-policy", choices=[p.value for p in EndPolicy],
                   default=EndPolicy.NO_REFUND.value, help="R8 policy for the final year")

    c = command("credit", "Credit an issued invoice with a credit note (R12).", _cmd_credit)
    c.add_argument("number", metavar="NUMBER", help="the invoice number, e.g. F000012")
    c.add_argument("--reason", required=True, help="why the invoice is credited",
                   type=_arg("--reason", lambda text, field: document_text(
                       text, field, max_length=MAX_REASON_LENGTH)))
    c.add_argument("--amount", type=_amount_arg("--amount"), metavar="AMOUNT",
                   help="credit only this amount (default: all that remains)")
    c.add_argument("--date", type=_date_arg("--date"), metavar="DATE",
                   help="credit note date (default: today)")
    _register_options(c)

    r = command("run", "Issue every missing invoice of a portfolio up to a year.", _cmd_run)
    r.add_argument("portfolio", metavar="PORTFOLIO",
                   help="a folder of agreement *.toml files, or one .csv")
    r.add_argument("--through", type=_year("--through"), required=True, metavar="YEAR",
                   help="bill every charge up to and including this year")
    r.add_argument("--date", type=_date_arg("--date"), metavar="DATE",
                   help="date of the documents issued (default: today)")
    r.add_argument("--dry-run", action="store_true", help="show what would be issued; issue nothing")
    r.add_argument("--workers", type=_workers("--workers"), metavar="N",
                   help="processes rendering PDFs (numbering stays serial; default: one per "
                        "core, at most 4)")
    r.add_argument("--end-policy", choices=[p.value for p in EndPolicy],
                   default=EndPolicy.NO_REFUND.value, help="R8 policy for final years")
    r.add_argument("--sync-files", action="store_true",
                   help="flush each PDF/XML to disk before renaming it (slower; the register "
                        "is always synced and keeps every file's exact bytes)")
    _register_options(r)

    v = command("verify", "Check the register's hash chain, numbering and files.", _cmd_verify)
    v.add_argument("--register", metavar="PATH|URL", type=_text_arg("--register"),
                   help="register database")
    v.add_argument("--out", metavar="DIR", type=_text_arg("--out"),
                   help="folder with the PDF and XML files (default: every folder the "
                        "register wrote to, else invoices)")
    v.add_argument("--expect-head", metavar="HASH", type=_head_arg,
                   help="a chain head printed by an earlier command: exit 1 unless the "
                        "register still contains it")
    v.add_argument("--json", action="store_true", help="print one JSON object")

    w = command("write-files", "Write issued documents' PDF and XML again from the register.",
                _cmd_write_files)
    w.add_argument("numbers", nargs="*", metavar="NUMBER",
                   help="the documents to write (default: every document)")
    w.add_argument("--register", metavar="PATH", type=_text_arg("--register"),
                   help="register database")
    w.add_argument("--out", metavar="DIR", type=_text_arg("--out"),
                   help="folder for <number>.pdf and <number>.xml (default: invoices)")
    w.add_argument("--json", action="store_true", help="print one JSON object")

    led = command("ledger", "Export every document, with open and overdue amounts.", _cmd_ledger)
    led.add_argument("--register", metavar="PATH|URL", type=_text_arg("--register"),
                     help="register database")
    led.add_argument("--format", choices=["csv", "json"], default=None,
                     help="csv (the default of the full ledger) or json; --aging and --buyer "
                          "print a readable table unless a format is given")
    led.add_argument("--json", action="store_true", help="short for --format json")
    led.add_argument("--as-of", type=_date_arg("--as-of"), metavar="DATE",
                     help="the ledger as it stood on this day: open and overdue "
                          "(--aging: default today)")
    led.add_argument("--aging", action="store_true",
                     help="open amounts by days overdue (not yet due, 1-30, 31-60, 61-90, "
                          "over 90), in total and per municipality")
    led.add_argument("--buyer", metavar="KBO",
                     help="statement of account of one municipality: every document, "
                          "payment and reminder with the running balance")

    pay = command("pay", "Record a payment, import a bank statement, or reverse a payment.",
                  _cmd_pay)
    pay.add_argument("number", nargs="?", metavar="NUMBER", help="the invoice paid")
    pay.add_argument("--amount", type=_amount_arg("--amount"), metavar="AMOUNT",
                     help="the amount paid in euro, e.g. 7000.00")
    pay.add_argument("--date", type=_date_arg("--date"), metavar="DATE",
                     help="payment (or reversal) date (default: today; never later)")
    pay.add_argument("--statement", metavar="FILE", type=_text_arg("--statement"),
                     help="a bank statement: CODA 2.x or camt.053 XML (format read from the "
                          "content)")
    pay.add_argument("--bank-csv", metavar="FILE", type=_text_arg("--bank-csv"),
                     help="bank lines: date,amount,communication")
    pay.add_argument("--reverse", type=_payment_id, metavar="ID",
                     help="undo payment ID (recorded by mistake) with a recorded reversal")
    pay.add_argument("--reason", type=_arg("--reason", lambda text, field: document_text(
                         text, field, max_length=MAX_REASON_LENGTH)),
                     help="with --reverse: why the payment is undone")
    pay.add_argument("--register", metavar="PATH|URL", type=_text_arg("--register"),
                     help="register database")
    pay.add_argument("--json", action="store_true", help="print one JSON object")

    ev = command("events", "List the events (issues, payments, reminders) after a sequence "
                           "number.", _cmd_events)
    ev.add_argument("--since", type=_sequence, default=0, metavar="N",
                    help="only events with a sequence above N (default 0: all)")
    ev.add_argument("--register", metavar="PATH|URL", type=_text_arg("--register"),
                    help="register database")
    ev.add_argument("--json", action="store_true", help="print one JSON list")

    reg = command("register", "Set up a register (PostgreSQL roles) or copy one.",
                  _cmd_register_help)
    reg_sub = reg.add_subparsers(dest="register_command", metavar="ACTION",
                                 parser_class=_Parser)
    init = reg_sub.add_parser(
        "init", help="create the schema and the issuer and reader roles",
        description="Create the register's tables and, on PostgreSQL, the group roles "
                    "mbp_billing_issuer (SELECT, INSERT) and mbp_billing_reader (SELECT); "
                    "run as the database owner.")
    init.add_argument("location", metavar="URL|PATH", type=_text_arg("URL|PATH"),
                      help="postgresql://... or an SQLite file")
    init.add_argument("--json", action="store_true", help="print one JSON object")
    init.set_defaults(handler=_cmd_register_init)
    cp = reg_sub.add_parser(
        "copy", help="copy a register (SQLite <-> PostgreSQL), chain unchanged",
        description="Copy every document, stored file, payment, event and reminder letter "
                    "to an empty register; the target is verified before the copy commits.")
    cp.add_argument("source", metavar="FROM", type=_text_arg("FROM"),
                    help="the register to copy (path or URL)")
    cp.add_argument("target", metavar="TO", type=_text_arg("TO"),
                    help="a new file or an empty database")
    cp.add_argument("--json", action="store_true", help="print one JSON object")
    cp.set_defaults(handler=_cmd_register_copy)
    rem = command("remind", "Write a reminder letter to each municipality with overdue "
                            "invoices.", _cmd_remind)
    rem.add_argument("--as-of", type=_date_arg("--as-of"), required=True, metavar="DATE",
                     help="the day of the reminders: invoices overdue then (not after today)")
    rem.add_argument("--register", metavar="PATH|URL", type=_text_arg("--register"),
                     help="register database (default: $MBP_BILLING_REGISTER or "
                          "./mbp-billing-register.sqlite3)")
    rem.add_argument("--out", metavar="DIR", type=_text_arg("--out"),
                     help="where to write the letters (default: reminders)")
    rem.add_argument("--interval", type=_interval, default=None,
                     metavar="DAYS", help="least days between two letters to one "
                                          "municipality (default 14)")
    rem.add_argument("--locale", default="nl_BE", type=_locale_arg, help="language of the letters "
                                                       "(default nl_BE)")
    rem.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _workers(option: str) -> Callable[[str], int]:
    return _arg(option, lambda text, field: parse_whole_number(
        text, field, minimum=1, maximum=64, what="a number of processes"))


_payment_id = _arg("--reverse", lambda text, field: parse_whole_number(
    text, field, minimum=1, maximum=10**12, what="a payment id (see ledger)"))

_sequence = _arg("--since", lambda text, field: parse_whole_number(
    text, field, minimum=0, maximum=10**15, what="an event sequence number"))


def _cmd_register_help(args: argparse.Namespace, out: TextIO) -> int:
    raise _UsageError(f"{args.prog} register: give an action, init or copy (see --help)")


def _check_head(text: str, field: str) -> str:
    if len(text) > 200 or not re.fullmatch(r"[0-9a-f]{64}", text.strip().lower()):
        raise InvalidValue(field, text if len(text) <= 200 else f"{text[:20]}...",
                           "must be the 64 hexadecimal digits of a chain_head (or "
                           "reminders_chain_head) printed by an earlier command")
    return text.strip().lower()


_head_arg = _arg("--expect-head", _check_head)


def _check_locale(text: str, field: str) -> str:
    """A locale the letters and invoices have labels for, refused naming the option."""
    if text == "nl_BE":  # the default: no need to load Babel to know it
        return text
    from .render.formatting import Formatter

    try:
        Formatter.for_locale(text)
    except InvalidValue as exc:
        raise InvalidValue(field, exc.value, exc.reason) from None
    return text


_locale_arg = _arg("--locale", _check_locale)


def _register_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--register", metavar="PATH|URL", type=_text_arg("--register"),
                   help="register database: an SQLite file or a postgresql:// URL (default: "
                        "$MBP_BILLING_REGISTER or ./mbp-billing-register.sqlite3)")
    p.add_argument("--out", metavar="DIR", type=_text_arg("--out"),
                   help="where to write <number>.pdf and <number>.xml")
    p.add_argument("--locale", default="nl_BE", type=_locale_arg, help="language of the PDF (default nl_BE)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


#: Exit codes of every command (documented in README.md and docs/cli.md).
EXIT_OK = 0
#: ``verify`` found problems (and only that).
EXIT_PROBLEMS = 1
#: Bad input: nothing was written and no number was used.
EXIT_BAD_INPUT = 2
#: Documents were issued and recorded, but their files could not be written.
EXIT_FILES_NOT_WRITTEN = 3
#: The reader of stdout went away (``| head``): 128 + SIGPIPE, as a shell
#: reports for a Unix tool; 1 stays reserved for ``verify``.
EXIT_BROKEN_PIPE = 141
#: Interrupted with Ctrl-C: 128 + SIGINT.
EXIT_INTERRUPTED = 130


def program_name(argv0: str | None = None) -> str:
    """The program as the user typed it: ``mbp-billing`` or ``python -m mbp_billing``."""
    name = os.path.basename(sys.argv[0] if argv0 is None and sys.argv else argv0 or "")
    return "mbp-billing" if name.removesuffix(".exe") == "mbp-billing" else PROG


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _report(err: TextIO, as_json: bool, message: str, *, field: str | None = None,
            value: Any = None, hint: str | None = None, **extra: Any) -> None:
    """One error: one line on stderr, or under --json one JSON object (all of stderr)."""
    if as_json:
        record = {"error": message, "field": field, "value": _json_value(value), "hint": hint,
                  **extra}
        err.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        err.write(f"error: {message}\n")
        for line in extra.get("problems", ()):
            err.write(f"  {line}\n")


def _report_error(exc: BillingError, err: TextIO, as_json: bool,
                  args: argparse.Namespace | None, prog: str) -> int:
    """Report a refused command on stderr; return its exit code (2, or 3 for files)."""
    from .portfolio import PortfolioError

    if isinstance(exc, PortfolioError):
        _report(err, as_json,
                f"{len(exc.problems)} problem(s) in the portfolio; nothing was issued",
                field="portfolio", value=getattr(args, "portfolio", None),
                hint="fix every problem listed, then run again", problems=list(exc.problems))
        return EXIT_BAD_INPUT
    if isinstance(exc, FilesNotWritten):
        register = getattr(args, "register", None)
        # Letters are written again by remind on the same day; documents by write-files.
        command = (f"remind --as-of {args.as_of.isoformat()}"
                   if args is not None and getattr(args, "handler", None) is _cmd_remind
                   else f"write-files {' '.join(exc.numbers)}")
        repair = (f"{prog} {command} --out {shlex.quote(exc.out_dir)}"
                  + ("" if register is None else f" --register {shlex.quote(register)}"))
        _report(err, as_json, f"{exc}; fix the folder (space, permissions), then repair "
                              f"with: {repair}", field=exc.field, value=exc.value,
                hint=f"fix the folder (space, permissions), then repair with: {repair}",
                numbers=list(exc.numbers), repair=repair)
        return EXIT_FILES_NOT_WRITTEN
    _report(err, as_json, str(exc), field=exc.field, value=exc.value, hint=exc.reason)
    return EXIT_BAD_INPUT


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None, today: date | None = None) -> int:
    """Run the command line; return the exit code.

    0 success; 1 ``verify`` found problems; 2 bad input (nothing written, no
    number used); 3 documents issued and recorded but their files not written
    (the message names them and the ``write-files`` command that repairs it).
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    arguments = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in arguments or "--format=json" in arguments or any(
        pair == ("--format", "json") for pair in itertools.pairwise(arguments))
    prog = program_name()
    parser = build_parser(prog)
    args: argparse.Namespace | None = None
    try:
        args = parser.parse_args(arguments)
        if getattr(args, "handler", None) is None:
            parser.print_help(out)
            return EXIT_BAD_INPUT
        # The clock is read here, at the edge, and nowhere in the library.
        args.today = today if today is not None else date.today()
        args.stderr = err
        args.prog = prog
        code: int = args.handler(args, out)
        return code
    except _UsageError as exc:
        if exc.error is not None:
            _report(err, as_json, str(exc), field=exc.error.field, value=exc.error.value,
                    hint=exc.error.reason)
        else:
            # argparse names the option in "argument --year/-y: ..."; keep it as the field.
            named = re.search(r"(?:argument|required:|arguments:) (-[-\w]+)", str(exc))
            _report(err, as_json, str(exc), field=named[1] if named else None,
                    hint=f"see {prog} --help")
        return EXIT_BAD_INPUT
    except _Exit as exc:
        (out if exc.status == 0 else err).write(exc.text)
        return exc.status
    except BillingError as exc:
        return _report_error(exc, err, as_json, args, prog)
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader (e.g. `head`) went away; stop quietly, as Unix tools do,
        # and keep the interpreter from complaining when it flushes stdout.
        if out is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
