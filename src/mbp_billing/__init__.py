"""mbp_billing: the Mijn Burgerprofiel app agreement as correct invoices.

One public door: every public name is importable from here, and each command
of ``python -m mbp_billing`` is one function of this package:

========== ===================================================
command    function
========== ===================================================
quote      :func:`quote`
schedule   :func:`build_schedule` (``Agreement.from_toml``)
term       :func:`termination`
invoice    :func:`issue_invoice`
credit     :func:`credit_invoice`
run        :func:`run_portfolio` (``load_portfolio``)
verify     :func:`verify`
ledger     :func:`build_ledger`, :func:`aging` (``--aging``),
           :func:`account_statement` (``--buyer``)
pay        :meth:`Register.record_payment`, :func:`import_statement`
           (:func:`read_statement`), :func:`import_bank_lines`,
           :meth:`Register.reverse_payment`
events     :meth:`Register.events`
register   :func:`init_register`, :func:`copy_register`
remind     :func:`remind` (letters: :class:`Reminder`, :func:`render_reminder_pdf`)
========== ===================================================

>>> from datetime import date
>>> import mbp_billing as mb
>>> mb.quote(population=18000, app_store_live_on=date(2024, 9, 2),
...          play_store_live_on=date(2024, 9, 5)).amount
Decimal('1666.67')
"""

from .agreement import Agreement, Amendment, parse_date
from .analysis import charges_table, forecast, retiering, with_go_live
from .audit import verify
from .contracts import json_schema, json_schema_names
from .documents import CreditNote, Invoice, Line, structured_communication
from .dunning import RemindResult, plan_reminders, remind
from .einvoice import to_ubl
from .errors import AccessDenied, BillingError, InvalidValue, NotBillable, RegisterConflict
from .examples import example_agreement, example_portfolio
from .issuing import Issued, credit_invoice, issue_invoice
from .ledger import Ledger, LedgerRow, build_ledger, import_bank_lines
from .money import parse_amount, round_money
from .parties import SELLER, Party
from .population import Municipality, PopulationTable
from .portfolio import Portfolio, PortfolioEntry, PortfolioError, load_portfolio
from .proration import billing_start, go_live_date, months_billed, prorated_amount
from .receivables import AGING_BUCKETS, AccountStatement, Aging, account_statement, aging
from .register import (
    CopyResult,
    Event,
    Payment,
    Register,
    copy_register,
    default_register_path,
    init_register,
)
from .reminders import Reminder, ReminderLine
from .render import epc_qr_payload, render_pdf, render_reminder_pdf
from .runs import RunResult, run_portfolio
from .schedule import Charge, EndPolicy, Schedule, Step, build_schedule, quote
from .statements import Statement, StatementEntry, StatementImport, import_statement, read_statement
from .tables import Table
from .tariff import DEFAULT_TARIFF, DEFAULT_TARIFF_BOOK, Tariff, TariffBook, Tier
from .term import Term, Termination, termination, terms

__all__ = [
    "AGING_BUCKETS",
    "AccessDenied",
    "AccountStatement",
    "Aging",
    "Agreement",
    "Amendment",
    "BillingError",
    "Charge",
    "CopyResult",
    "CreditNote",
    "DEFAULT_TARIFF",
    "DEFAULT_TARIFF_BOOK",
    "EndPolicy",
    "Event",
    "InvalidValue",
    "Invoice",
    "Issued",
    "Ledger",
    "LedgerRow",
    "Line",
    "Municipality",
    "NotBillable",
    "Party",
    "Payment",
    "PopulationTable",
    "Portfolio",
    "PortfolioEntry",
    "PortfolioError",
    "Register",
    "RegisterConflict",
    "RemindResult",
    "Reminder",
    "ReminderLine",
    "RunResult",
    "SELLER",
    "Schedule",
    "Statement",
    "StatementEntry",
    "StatementImport",
    "Step",
    "Table",
    "Tariff",
    "TariffBook",
    "Term",
    "Termination",
    "Tier",
    "account_statement",
    "aging",
    "billing_start",
    "build_ledger",
    "build_schedule",
    "charges_table",
    "copy_register",
    "credit_invoice",
    "default_register_path",
    "epc_qr_payload",
    "example_agreement",
    "example_portfolio",
    "forecast",
    "go_live_date",
    "import_bank_lines",
    "import_statement",
    "init_register",
    "issue_invoice",
    "json_schema",
    "json_schema_names",
    "load_portfolio",
    "months_billed",
    "parse_amount",
    "parse_date",
    "plan_reminders",
    "prorated_amount",
    "quote",
    "read_statement",
    "remind",
    "render_pdf",
    "render_reminder_pdf",
    "retiering",
    "round_money",
    "run_portfolio",
    "structured_communication",
    "termination",
    "terms",
    "to_ubl",
    "verify",
    "with_go_live",
]

__version__ = "0.1.0"
