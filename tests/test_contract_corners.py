"""Issue 9 part 5: the contract read exactly in its corners."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import populations

from mbp_billing import (
    DEFAULT_TARIFF,
    Agreement,
    Amendment,
    EndPolicy,
    NotBillable,
    Tariff,
    TariffBook,
    build_schedule,
    quote,
    termination,
)

#: A later table that would reprice every tier (18,000 inhabitants: 5000 -> 4000).
NEW_TABLE = Tariff.from_bounds(2027, [(20_000, "4000.00"), (None, "9000.00")])
BOOK = TariffBook((DEFAULT_TARIFF, NEW_TABLE))


def _signed(on: date, population: int = 18_000, **extra: object) -> Agreement:
    return Agreement(signed_on=on, population=population, tariff=BOOK,
                     app_store_live_on=date(2024, 3, 4), play_store_live_on=date(2024, 3, 4),
                     **extra)  # type: ignore[arg-type]


def test_new_tariff_table_never_reprices_a_signed_agreement() -> None:
    """R1, Annex 2 §1: the table in force at signing keeps applying after a new one."""
    schedule = build_schedule(_signed(date(2024, 2, 1)), through=2029)
    assert [c.annual_fee for c in schedule] == [Decimal("5000.00")] * 6
    step = str(schedule.for_year(2028).steps[0])
    assert "tariff of 2023" in step and "the tariff of 2027 applies only after an amendment" in step


def test_an_amendment_moves_the_agreement_to_the_table_of_its_year() -> None:
    """R9: from an amendment's year on, that year's table prices the amended basis."""
    agreement = _signed(date(2024, 2, 1), amendments=[Amendment(from_year=2028,
                                                                population=18_000)])
    fees = {c.year: c.annual_fee for c in build_schedule(agreement, through=2029)}
    assert fees[2027] == Decimal("5000.00")
    assert fees[2028] == fees[2029] == Decimal("4000.00")


def test_an_agreement_signed_under_the_new_table_uses_it() -> None:
    """Signed in 2027, the 2027 table applies from the start."""
    agreement = Agreement(signed_on=date(2027, 2, 1), population=18_000, tariff=BOOK,
                          app_store_live_on=date(2027, 3, 4), play_store_live_on=date(2027, 3, 4))
    assert {c.annual_fee for c in build_schedule(agreement, through=2029)} == {Decimal("4000.00")}


@given(populations(), st.integers(2023, 2030), st.integers(2023, 2035))
def test_fee_follows_the_table_at_signing_until_an_amendment(population: int, signed: int,
                                                            year: int) -> None:
    """Without an amendment, every year's fee is the signing table's fee (property)."""
    agreement = Agreement(signed_on=date(signed, 1, 1), population=population, tariff=BOOK)
    assert agreement.annual_fee_for(year) == BOOK.fee_for(population, signed)


def test_quote_uses_the_table_in_force_at_go_live() -> None:
    """A quote prices the go-live year with the table then in force, with no agreement."""
    charge = quote(population=18_000, app_store_live_on=date(2028, 1, 5),
                   play_store_live_on=date(2028, 1, 5), tariff=BOOK)
    assert charge.annual_fee == Decimal("4000.00")


def test_quote_explanation_names_no_agreement() -> None:
    """A quote has no agreement, so no step says 'from the agreement'."""
    for charge in (quote(population=9000, app_store_live_on=date(2024, 5, 2),
                         play_store_live_on=date(2024, 5, 2)),
                   quote(annual_fee="6000.00", app_store_live_on=date(2024, 5, 2),
                         play_store_live_on=date(2024, 5, 2))):
        text = charge.explain()
        assert "agreement" not in text, text


def test_app_live_after_the_agreement_ended_is_billed_nothing() -> None:
    """The fee is owed from the month the app is available, within the agreement (R2, R7)."""
    agreement = Agreement(signed_on=date(2023, 2, 10), population=9000,
                          dissolved_on=date(2024, 3, 10),
                          app_store_live_on=date(2024, 3, 20), play_store_live_on=date(2024, 3, 20))
    schedule = build_schedule(agreement, through=2026)
    assert list(schedule) == []
    with pytest.raises(NotBillable, match="went live on 2024-03-20, after the agreement ended"):
        schedule.for_year(2024)


@pytest.mark.parametrize(("policy", "months", "amount"), [
    (EndPolicy.NO_REFUND, 10, Decimal("2916.67")),
    (EndPolicy.PRO_RATA, 1, Decimal("291.67")),
])
def test_agreement_ending_on_the_first_day_of_the_billing_start_month(
        policy: EndPolicy, months: int, amount: Decimal) -> None:
    """Live and ended on 1 March: one charge for 2024, ending that day (R4, R7, R8)."""
    agreement = Agreement(signed_on=date(2023, 2, 10), population=9000,
                          dissolved_on=date(2024, 3, 1),
                          app_store_live_on=date(2024, 3, 1), play_store_live_on=date(2024, 3, 1))
    charges = list(build_schedule(agreement, through=2026, policy=policy))
    assert [(c.year, c.months, c.amount, c.final) for c in charges] == [
        (2024, months, amount, True)]


def test_agreement_ending_the_day_before_the_billing_start_month_is_billed_nothing() -> None:
    """Ended on 29 February, live from 1 March: nothing is owed."""
    agreement = Agreement(signed_on=date(2023, 2, 10), population=9000,
                          dissolved_on=date(2024, 2, 29),
                          app_store_live_on=date(2024, 3, 1), play_store_live_on=date(2024, 3, 1))
    assert list(build_schedule(agreement, through=2026)) == []


def test_years_in_the_initial_term_are_annual_not_renewals() -> None:
    """A year whose 1 January falls in the initial term is an annual charge, not a renewal."""
    agreement = Agreement(signed_on=date(2023, 6, 1), population=9000,
                          app_store_live_on=date(2023, 9, 1), play_store_live_on=date(2023, 9, 1))
    schedule = build_schedule(agreement, through=2025)
    in_initial = str(schedule.for_year(2024).steps[-2])
    assert "annual charge within the initial term" in in_initial
    assert "renewal" not in in_initial
    assert "renewal" in str(schedule.for_year(2025).steps[-2])


def test_year_skipped_because_signed_after_1_january_says_so() -> None:
    """Not in force on 1 January because signed later that year (R5), not 'ends on'."""
    agreement = Agreement(signed_on=date(2024, 2, 10), population=9000,
                          dissolved_on=date(2026, 12, 31),
                          app_store_live_on=date(2023, 6, 20), play_store_live_on=date(2023, 6, 20))
    schedule = build_schedule(agreement, through=2025)
    assert [c.year for c in schedule] == [2023, 2025]
    with pytest.raises(NotBillable) as caught:
        schedule.for_year(2024)
    assert "signed on 2024-02-10, after 1 January 2024" in str(caught.value)
    assert "ends on" not in str(caught.value)


def test_fallback_termination_explains_why_no_fixed_term_date_was_left() -> None:
    """A notice within 30 days of the fourth term's end: three months, and why (R7)."""
    result = termination(date(2023, 2, 10), date(2027, 1, 20))
    assert result.ends_on == date(2027, 4, 20)
    assert "no end of a term or financial year remains at least 30 days" in result.reason
    assert "fourth fixed term ends on 2027-02-09" in result.reason
    plain = termination(date(2023, 2, 10), date(2027, 3, 1))
    assert plain.reason == "R7: indefinite duration, three months' notice"
