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

Only what is used is loaded (PEP 562): ``import mbp_billing`` imports no
submodule, and each public name imports its module on first use, so a
question about the rules never loads the PDF, XML, database or analysis
code.  ``_MODULE_OF`` says which module each name lives in.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Type checkers and IDEs see every name where it is defined.
    from .agreement import Agreement, Amendment, FeeBasis, parse_date
    from .analysis import (
        charges_table,
        explain_amount,
        forecast,
        merger_effect,
        mergers_table,
        retiering,
        what_if,
        with_amendments,
        with_go_live,
        with_tariff,
    )
    from .audit import verify
    from .contracts import json_schema, json_schema_names
    from .documents import CreditNote, Invoice, Line, structured_communication
    from .dunning import RemindResult, plan_reminders, remind
    from .einvoice import to_ubl
    from .errors import (
        AccessDenied,
        BillingError,
        FilesNotWritten,
        InvalidValue,
        NotBillable,
        RegisterConflict,
    )
    from .examples import example_agreement, example_portfolio
    from .issuing import Issued, credit_invoice, issue_invoice
    from .ledger import BankImport, Ledger, LedgerRow, build_ledger, import_bank_lines
    from .money import parse_amount, parse_whole_number, round_money
    from .parties import SELLER, Party
    from .population import Municipality, PopulationTable
    from .portfolio import Portfolio, PortfolioEntry, PortfolioError, load_portfolio
    from .proration import billing_start, go_live_date, months_billed, prorated_amount
    from .receivables import AGING_BUCKETS, AccountStatement, Aging, account_statement, aging
    from .register import (
        CopyResult,
        Event,
        Payment,
        Problem,
        Register,
        StoredDocument,
        copy_register,
        default_register_path,
        init_register,
        open_read_only,
    )
    from .reminders import Reminder, ReminderLine
    from .render import epc_qr_payload, render_pdf, render_reminder_pdf
    from .revenue import (
        documents_table,
        monthly_cash,
        monthly_revenue,
        payments_table,
        spread_over_months,
    )
    from .runs import RunLine, RunResult, run_portfolio
    from .schedule import Charge, EndPolicy, Schedule, Step, build_schedule, quote
    from .statements import (
        Statement,
        StatementEntry,
        StatementImport,
        import_statement,
        read_statement,
    )
    from .tables import Table
    from .tariff import DEFAULT_TARIFF, DEFAULT_TARIFF_BOOK, Tariff, TariffBook, Tier
    from .term import Term, Termination, termination, terms
    from .text import document_text

__all__ = [
    "AGING_BUCKETS",
    "AccessDenied",
    "AccountStatement",
    "Aging",
    "Agreement",
    "Amendment",
    "BankImport",
    "BillingError",
    "Charge",
    "CopyResult",
    "CreditNote",
    "DEFAULT_TARIFF",
    "DEFAULT_TARIFF_BOOK",
    "EndPolicy",
    "Event",
    "FeeBasis",
    "FilesNotWritten",
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
    "Problem",
    "Register",
    "RegisterConflict",
    "RemindResult",
    "Reminder",
    "ReminderLine",
    "RunLine",
    "RunResult",
    "SELLER",
    "Schedule",
    "Statement",
    "StatementEntry",
    "StatementImport",
    "Step",
    "StoredDocument",
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
    "document_text",
    "documents_table",
    "epc_qr_payload",
    "example_agreement",
    "example_portfolio",
    "explain_amount",
    "forecast",
    "go_live_date",
    "import_bank_lines",
    "import_statement",
    "init_register",
    "issue_invoice",
    "json_schema",
    "json_schema_names",
    "load_portfolio",
    "merger_effect",
    "mergers_table",
    "monthly_cash",
    "monthly_revenue",
    "months_billed",
    "open_read_only",
    "parse_amount",
    "parse_date",
    "parse_whole_number",
    "payments_table",
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
    "spread_over_months",
    "structured_communication",
    "termination",
    "terms",
    "to_ubl",
    "verify",
    "what_if",
    "with_amendments",
    "with_go_live",
    "with_tariff",
]

#: The module of each public name (``mbp_billing.<module>``), imported on first use.
_MODULE_OF: dict[str, str] = {
    "AGING_BUCKETS": "receivables",
    "AccessDenied": "errors",
    "AccountStatement": "receivables",
    "Aging": "receivables",
    "Agreement": "agreement",
    "Amendment": "agreement",
    "BankImport": "ledger",
    "BillingError": "errors",
    "Charge": "schedule",
    "CopyResult": "register",
    "CreditNote": "documents",
    "DEFAULT_TARIFF": "tariff",
    "DEFAULT_TARIFF_BOOK": "tariff",
    "EndPolicy": "schedule",
    "Event": "register",
    "FeeBasis": "agreement",
    "FilesNotWritten": "errors",
    "InvalidValue": "errors",
    "Invoice": "documents",
    "Issued": "issuing",
    "Ledger": "ledger",
    "LedgerRow": "ledger",
    "Line": "documents",
    "Municipality": "population",
    "NotBillable": "errors",
    "Party": "parties",
    "Payment": "register",
    "PopulationTable": "population",
    "Portfolio": "portfolio",
    "PortfolioEntry": "portfolio",
    "PortfolioError": "portfolio",
    "Problem": "register",
    "Register": "register",
    "RegisterConflict": "errors",
    "RemindResult": "dunning",
    "Reminder": "reminders",
    "ReminderLine": "reminders",
    "RunLine": "runs",
    "RunResult": "runs",
    "SELLER": "parties",
    "Schedule": "schedule",
    "Statement": "statements",
    "StatementEntry": "statements",
    "StatementImport": "statements",
    "Step": "schedule",
    "StoredDocument": "register",
    "Table": "tables",
    "Tariff": "tariff",
    "TariffBook": "tariff",
    "Term": "term",
    "Termination": "term",
    "Tier": "tariff",
    "account_statement": "receivables",
    "aging": "receivables",
    "billing_start": "proration",
    "build_ledger": "ledger",
    "build_schedule": "schedule",
    "charges_table": "analysis",
    "copy_register": "register",
    "credit_invoice": "issuing",
    "default_register_path": "register",
    "document_text": "text",
    "documents_table": "revenue",
    "epc_qr_payload": "render",
    "example_agreement": "examples",
    "example_portfolio": "examples",
    "explain_amount": "analysis",
    "forecast": "analysis",
    "go_live_date": "proration",
    "import_bank_lines": "ledger",
    "import_statement": "statements",
    "init_register": "register",
    "issue_invoice": "issuing",
    "json_schema": "contracts",
    "json_schema_names": "contracts",
    "load_portfolio": "portfolio",
    "merger_effect": "analysis",
    "mergers_table": "analysis",
    "monthly_cash": "revenue",
    "monthly_revenue": "revenue",
    "months_billed": "proration",
    "open_read_only": "register",
    "parse_amount": "money",
    "parse_date": "agreement",
    "parse_whole_number": "money",
    "payments_table": "revenue",
    "plan_reminders": "dunning",
    "prorated_amount": "proration",
    "quote": "schedule",
    "read_statement": "statements",
    "remind": "dunning",
    "render_pdf": "render",
    "render_reminder_pdf": "render",
    "retiering": "analysis",
    "round_money": "money",
    "run_portfolio": "runs",
    "spread_over_months": "revenue",
    "structured_communication": "documents",
    "termination": "term",
    "terms": "term",
    "to_ubl": "einvoice",
    "verify": "audit",
    "what_if": "analysis",
    "with_amendments": "analysis",
    "with_go_live": "analysis",
    "with_tariff": "analysis",
}

__version__ = "0.1.0"


if not TYPE_CHECKING:  # Hidden from type checkers, so a misspelt name stays an error.

    def __getattr__(name: str) -> Any:
        """Import a public name's module on first use, and keep the name (PEP 562)."""
        module = _MODULE_OF.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value  # Later look-ups do not come here again.
        return value


def __dir__() -> list[str]:
    """Every public name, loaded or not, with the module's own attributes."""
    return sorted({*globals(), *__all__})
