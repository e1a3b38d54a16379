"""mbp_billing: the Mijn Burgerprofiel app agreement as correct invoices.

One public door: every public name is importable from here.

>>> from datetime import date
>>> import mbp_billing as mb
>>> mb.quote(population=18000, app_store_live_on=date(2024, 9, 2),
...          play_store_live_on=date(2024, 9, 5)).amount
Decimal('1666.67')
"""

from .agreement import Agreement, Amendment, parse_date
from .errors import BillingError, InvalidValue, NotBillable, RegisterConflict
from .money import parse_amount, round_money
from .parties import SELLER, Party
from .proration import billing_start, go_live_date, months_billed, prorated_amount
from .schedule import Charge, EndPolicy, Schedule, Step, build_schedule, quote
from .tariff import DEFAULT_TARIFF, DEFAULT_TARIFF_BOOK, Tariff, TariffBook, Tier
from .term import Term, Termination, termination, terms

__all__ = [
    "DEFAULT_TARIFF",
    "DEFAULT_TARIFF_BOOK",
    "SELLER",
    "Agreement",
    "Amendment",
    "BillingError",
    "Charge",
    "EndPolicy",
    "InvalidValue",
    "NotBillable",
    "Party",
    "RegisterConflict",
    "Schedule",
    "Step",
    "Tariff",
    "TariffBook",
    "Term",
    "Termination",
    "Tier",
    "billing_start",
    "build_schedule",
    "go_live_date",
    "months_billed",
    "parse_amount",
    "parse_date",
    "prorated_amount",
    "quote",
    "round_money",
    "termination",
    "terms",
]

__version__ = "0.1.0"
