"""Write docs/analyst.ipynb from the cells below, executed, with its outputs.

Run: python docs/make_notebook.py (needs the test extra: nbformat, nbclient,
ipykernel).  The outputs are deterministic (fixed dates, a register built in
a temporary folder, no timings), and tests/test_docs.py checks that the
stored outputs are what the notebook produces.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

CELLS = [
    ("markdown", "# Billing analysis for the 285 Flemish municipalities\n\n"
     "The example portfolio has every Flemish municipality of 2026 with its Statbel "
     "population on 1 January 2026 (source: Statbel, open data) and *generated* agreement "
     "dates. Replace it with `mb.load_portfolio('portfolio/')` for the real agreements. "
     "Every table below is a `Table`: it shows with nl_BE numbers and a totals row, and "
     "exports with `to_pandas()`, `to_polars()`, `to_csv()` and `to_records()`."),
    ("code", "from datetime import date\n\n"
     "import matplotlib\n"
     "import mbp_billing as mb\n"
     "from mbp_billing.plot import (plot_merger_effect, plot_monthly_cash, "
     "plot_monthly_revenue,\n"
     "                              plot_population_vs_bounds, plot_revenue_by_tier, "
     "plot_what_if)\n\n"
     "matplotlib.rcParams['figure.dpi'] = 72  # small, stable images in the saved notebook\n"
     "portfolio = mb.example_portfolio()\n"
     "forecast = mb.forecast(portfolio, range(2026, 2031))\n"
     "forecast"),
    ("code", "plot_revenue_by_tier(forecast);"),
    ("markdown", "## Money that computes\n\n"
     "In a DataFrame, money is an exact decimal (Arrow `decimal128`): it sums, pivots and "
     "plots, and every total equals the `Decimal` total to the cent. Tiers are "
     "categoricals, dates are dates, and the columns keep their record keys."),
    ("code", "df = forecast.to_pandas()\n"
     "pivot = df.pivot_table(index='year', columns='tier', values='amount', aggfunc='sum')\n"
     "print(df.dtypes.to_string())\n"
     "print('pivot total', pivot.to_numpy().sum(), '== table total', "
     "forecast.total('amount'))\n"
     "pivot"),
    ("markdown", "## What if prices rise 10 % from 2027?\n\n"
     "`TariffBook.with_change` builds the what-if tariff (each fee changed exactly, rounded "
     "half-up to the cent once). The forecast applies it to every agreement as an R9 "
     "amendment from 2027, unlike a real new tariff table, which never reprices a signed "
     "agreement. The not-yet-live municipalities get an assumed go-live of 1 March 2027."),
    ("code", "book = mb.DEFAULT_TARIFF_BOOK.with_change(percent=10, from_year=2027)\n"
     "not_live = [e.buyer_kbo for e in portfolio if e.agreement.billing_start is None]\n"
     "go_live = {kbo: date(2027, 3, 1) for kbo in not_live}\n"
     "what_if = mb.forecast(portfolio, range(2026, 2031), tariff=book, go_live=go_live)\n"
     "what_if"),
    ("code", "plot_what_if(what_if);"),
    ("markdown", "Any single amount explains itself, rule by rule, in the scenario and in the "
     "baseline:"),
    ("code", "lokeren = next(e for e in portfolio if e.agreement.buyer.name.endswith('Lokeren'))\n"
     "print(mb.explain_amount(portfolio, lokeren.buyer_kbo, 2027, tariff=book))"),
    ("markdown", "## The 2025 mergers\n\n"
     "Each predecessor with its tier and fee (figures of 1 January 2024), beside the merged "
     "municipality (1 January 2025). `tier_kept` marks mergers whose successor stays in its "
     "largest predecessor's tier: they still lose the smaller predecessors' fees."),
    ("code", "mb.mergers_table()"),
    ("code", "effect = mb.merger_effect(years=range(2025, 2031))\n"
     "effect[:13]"),
    ("code", "plot_merger_effect(effect, 2026);"),
    ("markdown", "## Re-tiering with new population figures\n\n"
     "Which municipalities would change tier if their fee followed the newer figures "
     "(an R9 price adjustment)?"),
    ("code", "table = mb.PopulationTable.builtin()\n"
     "mb.retiering(table, 2024, 2025)"),
    ("code", "plot_population_vs_bounds(table, 2026, window=1500);"),
    ("markdown", "## The year month by month\n\n"
     "A register built here in a temporary folder: the runs of January 2025, January 2026 "
     "and July 2026, payments for most invoices, and one credit note. The analysis opens "
     "it read-only."),
    ("code", "import tempfile\n"
     "from datetime import timedelta\n"
     "from decimal import Decimal\n"
     "from pathlib import Path\n\n"
     "register = Path(tempfile.mkdtemp()) / 'register.sqlite3'\n"
     "with mb.Register.open(register) as reg:\n"
     "    for issued_on in (date(2025, 1, 13), date(2026, 1, 12), date(2026, 7, 1)):\n"
     "        mb.run_portfolio(portfolio, issued_on.year, issue_date=issued_on, register=reg)\n"
     "    for i, d in enumerate(reg.documents()):\n"
     "        if i % 10:  # every tenth invoice stays unpaid, every eleventh half paid\n"
     "            paid = d.amount if i % 10 != 1 else (d.amount / 2).quantize(Decimal('0.01'))\n"
     "            reg.record_payment(d.number, paid, d.issue_date + timedelta(days=10 + i % 35))\n"
     "    number = reg.invoices_for(portfolio[3].buyer_kbo, 2026)[0].number\n"
     "    mb.credit_invoice(number, reason='population figure corrected', amount=Decimal('1500.00'),\n"
     "                      issue_date=date(2026, 2, 16), register=reg)\n"
     "mb.documents_table(register)[-3:]"),
    ("code", "mb.payments_table(register)[:3]"),
    ("markdown", "Revenue recognised per month: each invoice over its service months (a "
     "first-year invoice over its months only), the credit note reversing the months of "
     "the invoice it credits. Cents are spread so that the months sum exactly."),
    ("code", "as_of = date(2026, 9, 30)\n"
     "revenue = mb.monthly_revenue(register, [2026], as_of=as_of)\n"
     "revenue"),
    ("code", "plot_monthly_revenue(revenue);"),
    ("markdown", "Cash per month: expected by due date (30 days after the invoice), received "
     "from the register's payments, and what is still open."),
    ("code", "cash = mb.monthly_cash(register, [2026], as_of=as_of)\n"
     "cash"),
    ("code", "plot_monthly_cash(cash);"),
]


def build() -> nbformat.NotebookNode:
    """The notebook's cells, without outputs."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    for kind, source in CELLS:
        maker = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(maker(source))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


def execute(nb: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    """Run every cell in ``folder``, without timing metadata."""
    import nbclient

    client: Any = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(folder)}})
    client.execute()
    nb.metadata.pop("widgets", None)
    return nb


if __name__ == "__main__":
    here = Path(__file__).parent
    nbformat.write(execute(build(), here), here / "analyst.ipynb")
