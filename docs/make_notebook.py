"""Write docs/analyst.ipynb (without outputs) from the cells below.

Run: python docs/make_notebook.py.  The test suite executes the notebook.
"""

from pathlib import Path

import nbformat

CELLS = [
    ("markdown", "# Billing forecast for the 285 Flemish municipalities\n\n"
     "The example portfolio has every Flemish municipality of 2026 with its Statbel "
     "population on 1 January 2026 and generated agreement dates. Replace it with "
     "`mb.load_portfolio('portfolio/')` for the real agreements."),
    ("code", "import mbp_billing as mb\n"
     "from mbp_billing.plot import plot_population_vs_bounds, plot_revenue_by_tier\n\n"
     "portfolio = mb.example_portfolio()\n"
     "forecast_2027 = mb.forecast(portfolio, [2027])\n"
     "forecast_2027"),
    ("code", "plot_revenue_by_tier(forecast_2027);"),
    ("markdown", "## 2027-2030, with what-if go-live dates\n\n"
     "Agreements not yet live can be given a go-live date to see their effect."),
    ("code", "from datetime import date\n\n"
     "not_live = [e.buyer_kbo for e in portfolio if e.agreement.billing_start is None]\n"
     "what_if = {kbo: date(2027, 3, 1) for kbo in not_live}\n"
     "forecast = mb.forecast(portfolio, range(2027, 2031), go_live=what_if)\n"
     "df = forecast.to_pandas()\n"
     "df.pivot(index='year', columns='tier', values='amount')"),
    ("code", "plot_revenue_by_tier(forecast);"),
    ("markdown", "## Re-tiering with new population figures\n\n"
     "Which municipalities would change tier if their fee followed the newer figures "
     "(an R9 price adjustment)?"),
    ("code", "table = mb.PopulationTable.builtin()\n"
     "mb.retiering(table, 2024, 2025)"),
    ("code", "mb.retiering(table, 2025, 2026, portfolio=mb.example_portfolio(2025))"),
    ("code", "plot_population_vs_bounds(table, 2026, window=1500);"),
    ("markdown", "## Why is Lokeren's invoice higher?"),
    ("code", "before = mb.quote(population=table.population('46014', 2024),\n"
     "                  app_store_live_on=date(2024, 1, 1), play_store_live_on=date(2024, 1, 1))\n"
     "after = mb.quote(population=table.population('46029', 2026),\n"
     "                 app_store_live_on=date(2026, 1, 1), play_store_live_on=date(2026, 1, 1))\n"
     "print(before.explain())\n"
     "print(after.explain())"),
    ("code", "charges = mb.charges_table(portfolio, 2026)\n"
     "print(len(charges), 'charges through 2026; first rows:')\n"
     "charges[:3]"),
]


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    for kind, source in CELLS:
        maker = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(maker(source))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


if __name__ == "__main__":
    nbformat.write(build(), Path(__file__).with_name("analyst.ipynb"))
