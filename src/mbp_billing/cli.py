"""The command line: ``python -m mbp_billing COMMAND ...``.

Every command prints a human table by default and one JSON document with
``--json``.  Any :class:`~mbp_billing.errors.BillingError` becomes one line
on stderr and exit code 2; nothing is half-written.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, NoReturn, TextIO

from .agreement import Agreement, parse_date
from .errors import BillingError, InvalidValue
from .money import money_str, parse_amount
from .schedule import Charge, EndPolicy, build_schedule, quote
from .term import termination

__all__ = ["main"]

PROG = "python -m mbp_billing"


class _UsageError(Exception):
    """Raised by the parser instead of exiting, so main() owns the exit code."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message} (see --help)")


Handler = Callable[[argparse.Namespace, TextIO], int]


def _year(text: str) -> int:
    if not text.isdigit() or not 1900 <= int(text) <= 2200:
        raise argparse.ArgumentTypeError(f"{text!r} is not a calendar year such as 2026")
    return int(text)


def _population(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"population {text!r} is not a whole number; give inhabitants such as 15000"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(
            f"population {text!r} must be a positive whole number of inhabitants")
    return value


def _date_arg(field: str) -> Callable[[str], date]:
    def convert(text: str) -> date:
        try:
            return parse_date(text, field)
        except InvalidValue as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return convert


def _amount_arg(text: str) -> Any:
    try:
        return parse_amount(text, "annual-fee")
    except InvalidValue as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    if args.go_live is not None:
        if args.app_store or args.play_store:
            raise InvalidValue("--go-live", args.go_live.isoformat(),
                               "give either --go-live or both store dates, not both")
        app = play = args.go_live
    else:
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
    charge = quote(population=args.population, annual_fee=args.annual_fee,
                   app_store_live_on=app, play_store_live_on=play)
    record = {
        "annual_fee": money_str(charge.annual_fee),
        "months": charge.months,
        "amount": money_str(charge.amount),
        "billing_start": charge.period_start.isoformat(),
        "first_year": charge.year,
        "period_end": charge.period_end.isoformat(),
        "tier": None if charge.tier is None else charge.tier.number,
    }
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


# -- parser -------------------------------------------------------------------

_EPILOGS = {
    "quote": """examples:
  python -m mbp_billing quote --population 32000 --app-store 2023-06-20 --play-store 2023-07-03
  python -m mbp_billing quote --annual-fee 7000.00 --go-live 2024-09-12 --json
  python -m mbp_billing quote --population 15001 --go-live 2022-10-01 --explain""",
    "schedule": """examples:
  python -m mbp_billing schedule gemeente.toml --through 2027
  python -m mbp_billing schedule gemeente.toml --through 2027 --json --explain
  python -m mbp_billing schedule gemeente.toml --end-policy pro-rata""",
    "term": """examples:
  python -m mbp_billing term --signed-on 2023-02-10 --notice-sent-on 2025-10-01
  python -m mbp_billing term --signed-on 2023-02-10 --notice-sent-on 2027-03-01 --json""",
}


def build_parser() -> argparse.ArgumentParser:
    """The argparse definition of every command (also used for the docs)."""
    parser = _Parser(
        prog=PROG,
        description="Billing engine for the Mijn Burgerprofiel app agreement.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run 'python -m mbp_billing COMMAND --help' for a command's options and examples.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_: str, handler: Handler) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_, epilog=_EPILOGS.get(name),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(handler=handler)
        return p

    q = command("quote", "Quote the first, pro-rated year for a go-live (R1-R4).", _cmd_quote)
    basis = q.add_mutually_exclusive_group(required=True)
    basis.add_argument("--population", type=_population, help="inhabitants on 1 January (R1)")
    basis.add_argument("--annual-fee", type=_amount_arg, metavar="AMOUNT",
                       help="annual fee in euro, e.g. 7000.00")
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
    s.add_argument("--through", type=_year, metavar="YEAR",
                   help="last year to list (default: the current year)")
    s.add_argument("--end-policy", choices=[p.value for p in EndPolicy],
                   default=EndPolicy.NO_REFUND.value,
                   help="R8: the final year stays due in full (no-refund, default) or is "
                        "pro-rated to the months in force")
    s.add_argument("--json", action="store_true", help="print one JSON list")
    s.add_argument("--explain", action="store_true", help="show every step with its rule")

    t = command("term", "When an agreement ends after a termination notice (R6, R7).", _cmd_term)
    t.add_argument("--signed-on", type=_date_arg("--signed-on"), required=True, metavar="DATE")
    t.add_argument("--notice-sent-on", type=_date_arg("--notice-sent-on"), required=True,
                   metavar="DATE", help="date the registered letter was sent")
    t.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None, today: date | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 problems found, 2 bad input)."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
        if getattr(args, "handler", None) is None:
            parser.print_help(out)
            return 2
        # The clock is read here, at the edge, and nowhere in the library.
        args.today = today if today is not None else date.today()
        code: int = args.handler(args, out)
        return code
    except _UsageError as exc:
        err.write(f"error: {exc}\n")
        return 2
    except BillingError as exc:
        err.write(f"error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130
