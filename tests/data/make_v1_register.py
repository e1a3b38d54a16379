"""Make ``v1-register.sqlite3``: a register written by the previous release.

Run with the package as it was at commit 6019b17 (schema version 1, before
payments were chained), e.g.::

    git archive 6019b17 src | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old/src python tests/data/make_v1_register.py tests/data/v1-register.sqlite3

The file is kept in the repository so that the migration tests open what
the old code really wrote; it holds two invoices, a credit note, a manual
payment and one imported from a bank CSV.
"""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from mbp_billing import Agreement, Party, Register, credit_invoice, issue_invoice
from mbp_billing.ledger import import_bank_lines


def main(target: Path) -> None:
    target.unlink(missing_ok=True)
    one = Agreement(signed_on=date(2023, 2, 10), population=32000,
                    app_store_live_on=date(2023, 6, 20), play_store_live_on=date(2023, 7, 3),
                    buyer=Party(name="Gemeente Een", kbo="0207123407", street="Markt 1",
                                postcode="9999", city="Een"))
    with Register.open(target) as reg:
        issue_invoice(one, 2023, issue_date=date(2023, 7, 10), register=reg)
        issue_invoice(one, 2024, issue_date=date(2024, 1, 5), register=reg)
        credit_invoice("F000002", reason="population corrected", issue_date=date(2024, 1, 8),
                       register=reg, amount=Decimal("500.00"))
        reg.record_payment("F000001", Decimal("1500.00"), date(2023, 8, 1))
        import_bank_lines(reg, "date,amount,communication\n"
                               "2023-08-05,2000.00,+++000/0000/00101+++\n", source="bank.csv")
    with Register.open(target) as reg:  # checkpoint the WAL into the file
        pass


if __name__ == "__main__":
    main(Path(sys.argv[1]))
