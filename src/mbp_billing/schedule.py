"""The billing schedule: one charge per calendar year (R2-R5, R8).

:func:`build_schedule` turns an :class:`~mbp_billing.agreement.Agreement`
into the charges it implies, oldest first.  Every :class:`Charge` can
explain itself step by step, citing the rule for each step.

>>> from datetime import date
>>> from mbp_billing.agreement import Agreement
>>> a = Agreement(signed_on=date(2023, 2, 10), population=32000,
...               app_store_live_on=date(2023, 6, 20), play_store_live_on=date(2023, 7, 3))
>>> for c in build_schedule(a, through=2025):
...     print(c.year, c.kind, c.months, c.amount)
2023 first 6 3500.00
2024 annual 12 7000.00
2025 annual 12 7000.00
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, overload

import attrs

from .agreement import Agreement
from .errors import InvalidValue, NotBillable
from .money import money_str
from .proration import (
    EARLIEST_BILLING_START,
    go_live_date,
    months_billed,
    months_fraction,
    prorated_amount,
)
from .tariff import DEFAULT_TARIFF_BOOK, TariffBook, Tier, check_population
from .term import terms

__all__ = [
    "Charge",
    "ChargeKind",
    "EndPolicy",
    "Schedule",
    "Step",
    "build_schedule",
    "months_in_force",
    "quote",
]

ChargeKind = Literal["first", "annual"]


class EndPolicy(enum.Enum):
    """What happens to the year in which the agreement ends.  # R8 (policy)

    ``NO_REFUND`` (default): an annual invoice issued because the agreement
    was in force on 1 January stays due in full; the agreement gives no
    refund.  ``PRO_RATA``: the final year is billed (or credited down) to the
    months in force, the month of the end counting in full.

    Examples:
        >>> from datetime import date
        >>> from mbp_billing import Agreement
        >>> a = Agreement(signed_on=date(2023, 2, 10), population=32000,
        ...               app_store_live_on=date(2023, 6, 20), play_store_live_on=date(2023, 7, 3),
        ...               notice_sent_on=date(2024, 12, 15))
        >>> a.ends_on
        datetime.date(2025, 2, 9)
        >>> [c.amount for c in build_schedule(a, through=2026)]
        [Decimal('3500.00'), Decimal('7000.00'), Decimal('7000.00')]
        >>> [c.amount for c in build_schedule(a, through=2026, policy=EndPolicy.PRO_RATA)]
        [Decimal('3500.00'), Decimal('7000.00'), Decimal('1166.67')]
        >>> EndPolicy("pro-rata")
        <EndPolicy.PRO_RATA: 'pro-rata'>
    """

    NO_REFUND = "no-refund"
    PRO_RATA = "pro-rata"


@attrs.frozen
class Step:
    """One step of an explanation: the rule it applies and what it found.

    Attributes:
        rule: the rule applied, such as ``"R4"``.
        text: what the rule gave for this charge.

    Examples:
        >>> step = Step("R4", "months = 13 - 7 = 6")
        >>> str(step)
        '[R4] months = 13 - 7 = 6'
    """

    rule: str
    text: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.text}"


@attrs.frozen
class Charge:
    """What is owed for one calendar year, and why.

    Attributes:
        year: the calendar year billed.
        kind: ``"first"`` (pro-rated first year, R4) or ``"annual"`` (R5).
        months: months billed, 1..12.
        annual_fee: the fee for a full year (R1, R9).
        amount: ``annual_fee x months / 12`` rounded once, half-up (R4).
        period_start, period_end: the service period, inclusive.
        tier: the population tier, or ``None`` when the fee was stated.
        final: this is the year in which the agreement ends (R8).
        billable_from: the earliest invoice date: the go-live date for the
            first year (R2, R4), 1 January for a renewal (R5).
        steps: the explanation, one :class:`Step` per rule applied.

    Examples:
        >>> from datetime import date
        >>> c = quote(population=32000, app_store_live_on=date(2023, 6, 20),
        ...           play_store_live_on=date(2023, 7, 3))
        >>> c.year, c.kind, c.months, c.amount, c.tier.number, c.is_prorated
        (2023, 'first', 6, Decimal('3500.00'), 3, True)
        >>> print(c.explain())
        2023 first: 3500.00 EUR
          [R1] population 32,000 is tier 3 (25,001 to 50,000 inhabitants; tariff of 2023): 7000.00 EUR a year
          [R2] App Store 2023-06-20, Play Store 2023-07-03: go-live 2023-07-03 (the Play Store is later)
          [R3] billing starts on 2023-07-01, the first day of the go-live month (not before January 2023)
          [R4] months = 13 - 7 = 6 (07/2023 to 12/2023; the go-live month counts in full)
          [R4] 7000.00 x 6/12 = 3500.00 EUR exactly
    """

    year: int
    kind: ChargeKind
    months: int
    annual_fee: Decimal
    amount: Decimal
    period_start: date
    period_end: date
    tier: Tier | None = None
    final: bool = False
    billable_from: date | None = None
    steps: tuple[Step, ...] = attrs.field(default=(), repr=False, eq=False)

    @property
    def earliest_invoice_date(self) -> date:
        """The first day an invoice for this charge may carry (R4, R5)."""
        return self.billable_from or self.period_start

    @property
    def is_prorated(self) -> bool:
        """Whether fewer than 12 months are billed."""
        return self.months < 12

    def explain(self) -> str:
        """The computation of this charge, one rule-cited line per step."""
        head = f"{self.year} {self.kind}: {money_str(self.amount)} EUR"
        return "\n".join([head, *(f"  {step}" for step in self.steps)])

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict: amounts as two-decimal strings, dates ISO."""
        return {
            "year": self.year,
            "kind": self.kind,
            "months": self.months,
            "annual_fee": money_str(self.annual_fee),
            "amount": money_str(self.amount),
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "tier": None if self.tier is None else self.tier.number,
            "final": self.final,
            "explanation": [str(s) for s in self.steps],
        }


@attrs.frozen
class Schedule(Sequence[Charge]):
    """The charges of one agreement, one per calendar year, oldest first.

    A sequence of :class:`Charge`; made by :func:`build_schedule`.

    Attributes:
        agreement: the agreement the charges follow from.
        through: the last calendar year computed.
        charges: the charges, oldest first.
        policy: the R8 treatment of the year the agreement ends.

    Examples:
        >>> from datetime import date
        >>> from mbp_billing import Agreement
        >>> a = Agreement(signed_on=date(2023, 2, 10), population=32000,
        ...               app_store_live_on=date(2023, 6, 20), play_store_live_on=date(2023, 7, 3))
        >>> s = build_schedule(a, through=2025)
        >>> len(s), s.total, s.for_year(2024).amount
        (3, Decimal('17500.00'), Decimal('7000.00'))
        >>> s.to_records()[0]["period_start"]
        '2023-07-01'
    """

    agreement: Agreement = attrs.field(repr=False)
    through: int
    charges: tuple[Charge, ...]
    policy: EndPolicy = EndPolicy.NO_REFUND

    def __len__(self) -> int:
        return len(self.charges)

    @overload
    def __getitem__(self, index: int) -> Charge: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Charge, ...]: ...

    def __getitem__(self, index: int | slice) -> Charge | tuple[Charge, ...]:
        return self.charges[index]

    def __iter__(self) -> Iterator[Charge]:
        return iter(self.charges)

    def for_year(self, year: int) -> Charge:
        """The charge of ``year``.

        Raises:
            NotBillable: when the rules give no charge for that year.
        """
        for charge in self.charges:
            if charge.year == year:
                return charge
        raise NotBillable("year", year, _why_no_charge(self, year))

    @property
    def total(self) -> Decimal:
        """Sum of the charges' amounts."""
        return sum((c.amount for c in self.charges), Decimal("0.00"))

    def to_records(self) -> list[dict[str, Any]]:
        """Every charge as a JSON-ready dict."""
        return [c.to_record() for c in self.charges]

    def explain(self) -> str:
        """The explanation of every charge."""
        return "\n".join(c.explain() for c in self.charges)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{c.year}</td><td>{c.kind}</td><td>{c.months}</td>"
            f"<td>{money_str(c.annual_fee)}</td><td>{money_str(c.amount)}</td>"
            f"<td>{c.period_start.isoformat()}</td><td>{c.period_end.isoformat()}</td></tr>"
            for c in self.charges
        )
        return ("<table><thead><tr><th>year</th><th>kind</th><th>months</th>"
                "<th>annual_fee</th><th>amount</th><th>period_start</th><th>period_end</th>"
                f"</tr></thead><tbody>{rows}</tbody></table>")


def _why_no_charge(schedule: Schedule, year: int) -> str:
    a = schedule.agreement
    start = a.billing_start
    if start is None:
        return ("no charge: the app is not yet live in both stores (R2); "
                "add app_store_live_on and play_store_live_on")
    if year < start.year:
        return f"no charge: billing starts on {start.isoformat()} (R2, R3); pick {start.year} or later"
    if year > schedule.through:
        return f"no charge computed beyond {schedule.through}; raise --through"
    ends = a.ends_on
    live = a.go_live
    if ends is not None and live is not None and live > ends:
        return (f"no charge: the app went live on {live.isoformat()}, after the agreement "
                f"ended on {ends.isoformat()}; the fee is owed only from the month the app "
                "is available within the agreement (R2, R7)")
    if a.signed_on > date(year, 1, 1) and year > start.year:
        return (f"no charge: the agreement was signed on {a.signed_on.isoformat()}, after "
                f"1 January {year}, so it was not in force on 1 January {year} (R5); "
                f"{year + 1} is the first year billed after the first")
    if ends is not None:
        return (f"no charge: the agreement ends on {ends.isoformat()} and is not in force "
                f"on 1 January {year} (R5, R7)")
    return f"no charge for {year}"


def _fee_steps(agreement: Agreement, year: int, *, quoted: bool = False) -> list[Step]:
    basis, from_year = agreement.basis_for(year)
    source = "the agreement" if from_year is None else f"the amendment from {from_year} (R9)"
    if basis.annual_fee is not None:
        if quoted:  # a quote has no agreement
            return [Step("R1", f"annual fee {money_str(basis.annual_fee)} EUR as given")]
        return [Step("R1", f"annual fee {money_str(basis.annual_fee)} EUR as stated in {source}")]
    assert basis.population is not None
    table_year = agreement.tariff_year_for(year)
    tier = agreement.tariff.tier_for(basis.population, table_year)
    observed = ("" if from_year is not None or agreement.population_year is None
                else f" on 1 January {agreement.population_year}")
    table = agreement.tariff.for_year(table_year)
    lower = max((t.max_population for t in table.tiers
                 if t.max_population is not None and t.number < tier.number), default=0)
    if tier.max_population is None:
        bound = f"more than {lower:,}"
    elif lower:
        bound = f"{lower + 1:,} to {tier.max_population:,}"
    else:
        bound = f"up to and including {tier.max_population:,}"
    return [Step(
        "R1",
        f"population {basis.population:,}{observed}{'' if quoted else f' from {source}'} "
        f"is tier {tier.number} "
        f"({bound} inhabitants; tariff of {table.valid_from}{_table_why(agreement, year)}): "
        f"{money_str(tier.annual_fee)} EUR a year",
    )]


def _table_why(agreement: Agreement, year: int) -> str:
    # Say why an older table still prices this year (R1, R9, Annex 2 §1).
    newest = agreement.tariff.for_year(year).valid_from
    used = agreement.tariff.for_year(agreement.tariff_year_for(year)).valid_from
    if newest == used:
        return ""
    return (f", in force when the price was agreed; the tariff of {newest} applies only "
            "after an amendment (R9)")


def _start_steps(agreement: Agreement, start: date) -> list[Step]:
    app, play = agreement.app_store_live_on, agreement.play_store_live_on
    live = agreement.go_live
    assert app is not None and play is not None and live is not None
    if app == play:
        which = "both stores on the same day"
    else:
        which = "the Play Store is later" if play > app else "the App Store is later"
    steps = [Step("R2", f"App Store {app.isoformat()}, Play Store {play.isoformat()}: "
                        f"go-live {live.isoformat()} ({which})")]
    if live < EARLIEST_BILLING_START:
        steps.append(Step("R3", f"go-live is before January 2023: billing starts on "
                                f"{EARLIEST_BILLING_START.isoformat()}"))
    else:
        steps.append(Step("R3", f"billing starts on {start.isoformat()}, the first day of the "
                                "go-live month (not before January 2023)"))
    return steps


def _amount_step(annual_fee: Decimal, months: int, amount: Decimal, rule: str) -> Step:
    exact = Fraction(annual_fee) * months_fraction(months)
    if months == 12:
        return Step(rule, f"12 of 12 months: the full annual fee {money_str(amount)} EUR")
    if exact == Fraction(amount):
        return Step(rule, f"{money_str(annual_fee)} x {months}/12 = {money_str(amount)} EUR exactly")
    return Step(rule, f"{money_str(annual_fee)} x {months}/12 = {_digits(exact)}, "
                      f"rounded once, half-up to the cent: {money_str(amount)} EUR")


def _digits(exact: Fraction, places: int = 6) -> str:
    # The exact value, written out when it terminates within ``places``
    # decimals and truncated with "..." otherwise; no rounding is shown.
    scaled = exact * 10**places
    whole = scaled.numerator // scaled.denominator
    text = f"{whole // 10**places}.{whole % 10**places:0{places}d}".rstrip("0")
    return text if scaled.denominator == 1 else f"{text}..."


def months_in_force(period_start: date, ends_on: date) -> int:
    """Months billed in the final year under the pro-rata policy.  # R8 (policy)

    From the first month of the period through the month of the end, both
    counted in full, as the go-live month is in R4.

    Args:
        period_start: the first day of the final year's period.
        ends_on: the last day the agreement is in force.

    Returns:
        A number of months, 1 to 12.

    Examples:
        >>> months_in_force(date(2026, 1, 1), date(2026, 3, 31))
        3
        >>> months_in_force(date(2026, 1, 1), date(2026, 3, 1))
        3
    """
    return ends_on.month - period_start.month + 1


def _month_span(first: date, last: date) -> str:
    return f"{first.strftime('%m/%Y')} to {last.strftime('%m/%Y')}"


def build_schedule(
    agreement: Agreement,
    through: int,
    *,
    policy: EndPolicy = EndPolicy.NO_REFUND,
) -> Schedule:
    """Every charge of ``agreement`` from the first billed year to ``through``.

    One charge per calendar year, contiguous, none before 2023 (R3), none in
    a year the agreement is not in force on 1 January (R5), none after the
    end date (R7).  The first year is pro-rated (R4); the final year follows
    ``policy`` (R8).

    Args:
        agreement: the agreement.
        through: last calendar year to include.
        policy: the R8 treatment of the year the agreement ends.

    Returns:
        The :class:`Schedule`; empty while the app is not live in both stores.

    Raises:
        InvalidValue: ``through`` is not a whole calendar year.

    Examples:
        >>> from datetime import date
        >>> from mbp_billing import Agreement
        >>> a = Agreement(signed_on=date(2023, 2, 10), population=32000,
        ...               app_store_live_on=date(2023, 6, 20), play_store_live_on=date(2023, 7, 3))
        >>> [(c.year, c.kind, c.months, c.amount) for c in build_schedule(a, through=2024)]
        [(2023, 'first', 6, Decimal('3500.00')), (2024, 'annual', 12, Decimal('7000.00'))]
    """
    if isinstance(through, bool) or not isinstance(through, int):
        raise InvalidValue("through", through, "must be a calendar year such as 2026")
    charges: list[Charge] = []
    start = agreement.billing_start
    ends = agreement.ends_on
    live = agreement.go_live
    if start is None or (ends is not None and (ends < start or (live is not None
                                                               and live > ends))):
        # R2, R7: the fee is owed from the month the app is available, within
        # the agreement; an app live only after the end is billed nothing.
        return Schedule(agreement, through, (), policy)
    for year in range(start.year, through + 1):  # R5, Annex 2 §2: one charge per year
        first = year == start.year
        period_start = start if first else date(year, 1, 1)
        if not first and not agreement.in_force_on(period_start):
            if ends is not None and period_start > ends:
                break  # R7: no year after the end
            continue  # R5: signed after 1 January of this year; the next may be in force
        fee = agreement.annual_fee_for(year)
        steps = _fee_steps(agreement, year)
        months = months_billed(start) if first else 12
        period_end = date(year, 12, 31)
        rule = "R4" if first else "R5"
        if first:
            steps += _start_steps(agreement, start)
            if start < agreement.signed_on.replace(day=1):
                # RULES.md bills from the go-live month (R2, R3) and is silent on
                # an app live before signing; the literal reading is kept, and said.
                steps.append(Step("R3", f"note: billing starts before the signing date "
                                        f"{agreement.signed_on.isoformat()}; R2/R3 count from "
                                        "the go-live month regardless"))
            steps.append(Step("R4", f"months = 13 - {start.month} = {months} "
                                    f"({_month_span(start, period_end)}; the go-live month "
                                    "counts in full)"))
        else:
            initial = terms(agreement.signed_on)[0]
            what = ("annual charge within the initial term (ends "
                    f"{initial.end.isoformat()})" if period_start <= initial.end
                    else "renewal")
            steps.append(Step("R5", f"in force on 1 January {year}: {what} for "
                                    f"{year}-01-01 to {year}-12-31"))
        final = ends is not None and ends <= date(year, 12, 31)
        if final and ends is not None:
            if policy is EndPolicy.PRO_RATA and ends < period_end:
                months = months_in_force(period_start, ends)
                period_end = ends
                rule = "R8"
                steps.append(Step("R8", f"agreement ends on {ends.isoformat()}; pro-rata policy: "
                                        f"billed {months} months ({_month_span(period_start, ends)},"
                                        " the last month counts in full)"))
            else:
                steps.append(Step("R8", f"agreement ends on {ends.isoformat()}; no-refund policy: "
                                        "this year's invoice stays due as computed"))
        amount = prorated_amount(fee, months)
        steps.append(_amount_step(fee, months, amount, rule))
        charges.append(Charge(
            year=year, kind="first" if first else "annual", months=months, annual_fee=fee,
            amount=amount, period_start=period_start, period_end=period_end,
            tier=agreement.tier_for(year), final=final,
            billable_from=max(agreement.go_live or period_start, period_start) if first
            else period_start,
            steps=tuple(steps),
        ))
        if final:
            break
    return Schedule(agreement, through, tuple(charges), policy)


def quote(
    *,
    app_store_live_on: date,
    play_store_live_on: date,
    population: int | None = None,
    annual_fee: Decimal | str | int | None = None,
    tariff: TariffBook = DEFAULT_TARIFF_BOOK,
) -> Charge:
    """The first (pro-rated) charge for a go-live, without a full agreement.

    Give exactly one of ``population`` and ``annual_fee``.

    Args:
        app_store_live_on: the day the app appeared in the Apple App Store.
        play_store_live_on: the day the app appeared in the Google Play Store.
        population: the inhabitants, tiered by ``tariff`` (R1).
        annual_fee: a stated annual fee instead of a population.
        tariff: the tariff versions to apply.

    Returns:
        The :class:`Charge` of the go-live year, with its explanation.

    Raises:
        InvalidValue: for both or neither of population and fee, or bad values.

    Examples:
        >>> from datetime import date
        >>> c = quote(population=32000, app_store_live_on=date(2023, 6, 20),
        ...           play_store_live_on=date(2023, 7, 3))
        >>> c.year, c.months, c.amount
        (2023, 6, Decimal('3500.00'))
        >>> quote(annual_fee="6000.00", app_store_live_on=date(2024, 3, 4),
        ...       play_store_live_on=date(2024, 3, 4)).amount
        Decimal('5000.00')
    """
    if (population is None) == (annual_fee is None):
        raise InvalidValue("population", population,
                           "give exactly one of population and annual_fee")
    if population is not None:
        check_population(population)
    # A quote has no agreement: price it as one signed on the go-live day, so
    # that the tariff in force then applies (R1) and no term cuts the year short.
    live = go_live_date(app_store_live_on, play_store_live_on)
    assert live is not None
    agreement = Agreement(
        signed_on=live,
        population=population, annual_fee=annual_fee,
        app_store_live_on=app_store_live_on, play_store_live_on=play_store_live_on,
        tariff=tariff,
    )
    start = agreement.billing_start
    assert start is not None
    charge = build_schedule(agreement, through=start.year).charges[0]
    steps = _fee_steps(agreement, start.year, quoted=True) + list(charge.steps[1:])
    return attrs.evolve(charge, steps=tuple(steps))
