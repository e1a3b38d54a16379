"""The billing schedule: one charge per year (R2-R5, R8, R9)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise

import attrs
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from strategies import agreements, amendments

from mbp_billing.agreement import Agreement, Amendment
from mbp_billing.errors import InvalidValue, NotBillable
from mbp_billing.schedule import EndPolicy, Schedule, build_schedule

S = date(2023, 2, 10)


def agreement(**changes: object) -> Agreement:
    """The issue's example agreement (32,000 inhabitants, live July 2023), changed (test helper)."""
    base = Agreement(signed_on=S, population=32_000, app_store_live_on=date(2023, 6, 20),
                     play_store_live_on=date(2023, 7, 3))
    return attrs.evolve(base, **changes)


def rows(schedule: Schedule) -> list[tuple[int, str, int, str]]:
    """(year, kind, months, amount) of every charge (test helper)."""
    return [(c.year, c.kind, c.months, str(c.amount)) for c in schedule]


# -- tables ---------------------------------------------------------------------

def test_example_schedule() -> None:
    """July go-live: 6 pro-rated months, then full years (R4, R5)."""
    schedule = build_schedule(agreement(), through=2026)
    assert rows(schedule) == [
        (2023, "first", 6, "3500.00"),
        (2024, "annual", 12, "7000.00"),
        (2025, "annual", 12, "7000.00"),
        (2026, "annual", 12, "7000.00"),
    ]
    first = schedule[0]
    assert (first.period_start, first.period_end) == (date(2023, 7, 1), date(2023, 12, 31))
    assert (schedule[1].period_start, schedule[1].period_end) == (date(2024, 1, 1),
                                                                  date(2024, 12, 31))
    assert schedule.total == Decimal("24500.00")
    assert not any(c.final for c in schedule)


@pytest.mark.parametrize(
    ("app", "play", "first"),
    [
        (date(2022, 11, 14), date(2022, 10, 1), (2023, "first", 12, "7000.00")),
        (date(2024, 1, 31), date(2024, 1, 2), (2024, "first", 12, "7000.00")),
        (date(2023, 12, 31), date(2023, 12, 1), (2023, "first", 1, "583.33")),
        (date(2023, 12, 15), date(2024, 1, 2), (2024, "first", 12, "7000.00")),
    ],
)
def test_first_charge_edges(app: date, play: date, first: tuple[int, str, int, str]) -> None:
    """Go-live before 2023, in January, in December, and the later store crossing a year (R2-R4)."""
    schedule = build_schedule(agreement(app_store_live_on=app, play_store_live_on=play),
                              through=2025)
    assert rows(schedule)[0] == first
    assert rows(schedule)[1][:3] == (first[0] + 1, "annual", 12)


def test_not_live_means_no_charges() -> None:
    """With one store date missing the schedule is empty and says why (R2)."""
    schedule = build_schedule(agreement(play_store_live_on=None), through=2030)
    assert len(schedule) == 0
    with pytest.raises(NotBillable) as info:
        schedule.for_year(2024)
    assert "R2" in str(info.value)


def test_no_charge_before_the_first_year() -> None:
    """Asking for a year before billing starts is NotBillable citing R3."""
    schedule = build_schedule(agreement(), through=2026)
    with pytest.raises(NotBillable, match="R2, R3"):
        schedule.for_year(2022)
    assert schedule.for_year(2024).amount == Decimal("7000.00")


def test_through_before_the_first_year_is_empty() -> None:
    """A --through year before the go-live year lists nothing."""
    assert len(build_schedule(agreement(), through=2022)) == 0
    with pytest.raises(InvalidValue):
        build_schedule(agreement(), through="2025")  # type: ignore[arg-type]


def test_notice_ending_on_31_december_stops_renewals() -> None:
    """A notice ending the agreement on 31 December 2025 leaves 2025 as the last year (R5, R7)."""
    schedule = build_schedule(agreement(notice_sent_on=date(2025, 10, 1)), through=2030)
    assert [c.year for c in schedule] == [2023, 2024, 2025]
    assert schedule[-1].final and schedule[-1].amount == Decimal("7000.00")
    with pytest.raises(NotBillable, match="2025-12-31"):
        schedule.for_year(2026)


@pytest.mark.parametrize(
    ("policy", "months", "amount", "period_end"),
    [
        (EndPolicy.NO_REFUND, 12, "7000.00", date(2026, 12, 31)),
        (EndPolicy.PRO_RATA, 2, "1166.67", date(2026, 2, 9)),
    ],
)
def test_final_year_follows_the_end_policy(policy: EndPolicy, months: int, amount: str,
                                           period_end: date) -> None:
    """In force on 1 January 2026, ending 9 Feb: no-refund bills the year, pro-rata 2 months (R5, R8)."""
    schedule = build_schedule(agreement(notice_sent_on=date(2025, 12, 15)), through=2030,
                              policy=policy)
    assert [c.year for c in schedule] == [2023, 2024, 2025, 2026]
    last = schedule[-1]
    assert (last.months, str(last.amount), last.period_end, last.final) == (
        months, amount, period_end, True)
    assert schedule.policy is policy


@pytest.mark.parametrize(
    ("policy", "months", "amount"),
    [(EndPolicy.NO_REFUND, 6, "3500.00"), (EndPolicy.PRO_RATA, 3, "1750.00")],
)
def test_end_in_the_first_year(policy: EndPolicy, months: int, amount: str) -> None:
    """Dissolved in September of the go-live year: pro-rata bills July-September only (R8)."""
    schedule = build_schedule(agreement(dissolved_on=date(2023, 9, 15)), through=2030,
                              policy=policy)
    assert rows(schedule) == [(2023, "first", months, amount)]


def test_end_on_31_december_is_the_same_under_both_policies() -> None:
    """An end on 31 December bills the full year under either policy (R8)."""
    a = agreement(dissolved_on=date(2024, 12, 31))
    assert rows(build_schedule(a, 2030)) == rows(build_schedule(a, 2030, policy=EndPolicy.PRO_RATA))
    assert rows(build_schedule(a, 2030))[-1] == (2024, "annual", 12, "7000.00")


def test_end_before_go_live_means_no_charges() -> None:
    """An agreement that ends before the billing start has no charges."""
    a = agreement(dissolved_on=date(2023, 5, 31))
    assert len(build_schedule(a, through=2030)) == 0


def test_signed_after_1_january_of_a_renewal_year_skips_only_that_year() -> None:
    """Live in 2023 but signed in March 2024: 2024 is not in force on 1 January, 2025 is (R5)."""
    a = Agreement(signed_on=date(2024, 3, 1), population=5_000,
                  app_store_live_on=date(2023, 6, 1), play_store_live_on=date(2023, 6, 1))
    schedule = build_schedule(a, through=2026)
    assert [c.year for c in schedule] == [2023, 2025, 2026]
    assert [c.kind for c in schedule] == ["first", "annual", "annual"]


def test_amendments_change_only_their_years() -> None:
    """Re-tiering from 2025 and a stated fee from 2027 leave earlier years alone (R9)."""
    a = agreement(amendments=(Amendment(2025, population=60_000),
                              Amendment(2027, annual_fee=Decimal("7500.00"))))
    schedule = build_schedule(a, through=2028)
    assert [(c.year, str(c.annual_fee), str(c.amount)) for c in schedule] == [
        (2023, "7000.00", "3500.00"),
        (2024, "7000.00", "7000.00"),
        (2025, "10000.00", "10000.00"),
        (2026, "10000.00", "10000.00"),
        (2027, "7500.00", "7500.00"),
        (2028, "7500.00", "7500.00"),
    ]
    assert [None if c.tier is None else c.tier.number for c in schedule] == [3, 3, 4, 4, None, None]


def test_amendment_in_the_first_year_applies_to_the_pro_rated_charge() -> None:
    """An amendment effective in the go-live year sets that year's fee too (R9, R4)."""
    a = agreement(amendments=(Amendment(2023, population=10_000),))
    assert rows(build_schedule(a, through=2024)) == [
        (2023, "first", 6, "1750.00"), (2024, "annual", 12, "3500.00")]


def test_stated_fee_half_up_in_the_schedule() -> None:
    """A stated fee of 1200.06 live in December bills 100.01, then the full fee (R4)."""
    a = Agreement(signed_on=S, annual_fee="1200.06", app_store_live_on=date(2023, 12, 1),
                  play_store_live_on=date(2023, 12, 24))
    assert rows(build_schedule(a, through=2024)) == [
        (2023, "first", 1, "100.01"), (2024, "annual", 12, "1200.06")]


def test_explanations_cite_the_rules() -> None:
    """Each charge explains itself step by step, citing R1-R5 (and R8/R9 when they apply)."""
    a = agreement(app_store_live_on=date(2022, 11, 1), play_store_live_on=date(2022, 12, 1),
                  notice_sent_on=date(2025, 12, 15),
                  amendments=(Amendment(2025, population=15_001),))
    schedule = build_schedule(a, through=2030, policy=EndPolicy.PRO_RATA)
    first = schedule[0].explain()
    for rule in ("[R1]", "[R2]", "[R3]", "[R4]"):
        assert rule in first
    assert "32,000" in first and "tier 3" in first and "before January 2023" in first
    assert "[R5] in force on 1 January 2024" in schedule[1].explain()
    assert "amendment from 2025 (R9)" in schedule[2].explain()
    last = schedule[-1].explain()
    assert "[R8]" in last and "pro-rata" in last and "rounded once, half-up" in last


def test_explain_shows_the_exact_x_xx5_value() -> None:
    """The explanation of 1200.06 x 1/12 shows 100.005 and the rounded 100.01 (R4)."""
    a = Agreement(signed_on=S, annual_fee="1200.06", app_store_live_on=date(2023, 12, 1),
                  play_store_live_on=date(2023, 12, 1))
    text = build_schedule(a, through=2023).explain()
    assert "1200.06 x 1/12 = 100.005, rounded once, half-up to the cent: 100.01 EUR" in text


def test_records_are_json_ready() -> None:
    """to_records gives two-decimal strings and ISO dates."""
    record = build_schedule(agreement(), through=2023).to_records()[0]
    assert {k: record[k] for k in ("year", "kind", "months", "annual_fee", "amount",
                                   "period_start", "period_end")} == {
        "year": 2023, "kind": "first", "months": 6, "annual_fee": "7000.00",
        "amount": "3500.00", "period_start": "2023-07-01", "period_end": "2023-12-31"}


def test_schedule_has_an_html_table() -> None:
    """Notebooks get a plain HTML table of the charges."""
    html = build_schedule(agreement(), through=2024)._repr_html_()
    assert html.startswith("<table>") and "<td>3500.00</td>" in html and "<td>2024</td>" in html


# -- properties -------------------------------------------------------------------

THROUGH = st.integers(min_value=2023, max_value=2042)
POLICIES = st.sampled_from(list(EndPolicy))


def _expected_years(a: Agreement, through: int) -> list[int]:
    """Years R3-R5 and R7 imply, computed independently of build_schedule (test helper)."""
    start, ends = a.billing_start, a.ends_on
    if start is None or (ends is not None and ends < start) or start.year > through:
        return []
    return [start.year] + [
        y for y in range(start.year + 1, through + 1)
        if a.signed_on <= date(y, 1, 1) and (ends is None or date(y, 1, 1) <= ends)
    ]


@given(agreements(live=False), THROUGH, POLICIES)
@example(Agreement(signed_on=date(2024, 2, 29), population=15_000,
                   app_store_live_on=date(2024, 2, 29), play_store_live_on=date(2024, 1, 31),
                   notice_sent_on=date(2027, 12, 31)), 2035, EndPolicy.PRO_RATA)
@example(Agreement(signed_on=date(2023, 12, 31), population=50_001,
                   app_store_live_on=date(2022, 12, 31), play_store_live_on=date(2023, 12, 31)),
         2030, EndPolicy.NO_REFUND)
def test_schedule_invariants(a: Agreement, through: int, policy: EndPolicy) -> None:
    """One charge per year in force on 1 January, never before 2023 or after the end (R3-R8)."""
    schedule = build_schedule(a, through, policy=policy)
    years = [c.year for c in schedule]
    assert years == _expected_years(a, through)
    assert len(set(years)) == len(years)
    ends = a.ends_on
    for i, c in enumerate(schedule):
        assert c.kind == ("first" if i == 0 else "annual")
        assert c.period_start >= date(2023, 1, 1)
        assert c.year == c.period_start.year == c.period_end.year
        assert c.period_start <= c.period_end
        assert 1 <= c.months <= 12
        assert c.annual_fee == a.annual_fee_for(c.year)
        assert Decimal("0") < c.amount <= c.annual_fee
        assert (c.amount == c.annual_fee) == (c.months == 12)
        assert ends is None or c.period_start <= ends
        assert c.final == (ends is not None and ends <= date(c.year, 12, 31))
        if c.kind == "annual" and not c.final:
            assert (c.months, c.period_start) == (12, date(c.year, 1, 1))
        if c.final and policy is EndPolicy.PRO_RATA and ends is not None:
            assert c.period_end == min(ends, date(c.year, 12, 31))
    assert not any(c.final for c in schedule[:-1])
    assert schedule.total == sum((c.amount for c in schedule), Decimal("0"))


@given(agreements(), THROUGH)
def test_schedule_is_contiguous_when_signed_in_time(a: Agreement, through: int) -> None:
    """Signed by 1 January after the first billed year: the years are contiguous (R5)."""
    start = a.billing_start
    assume(start is not None and a.signed_on <= date(start.year + 1, 1, 1))
    years = [c.year for c in build_schedule(a, through)]
    assert all(b == y + 1 for y, b in pairwise(years))
    if a.ends_on is None:
        assert years == list(range(start.year, through + 1))


@given(agreements(notice=True), THROUGH)
def test_policies_differ_only_in_the_final_year(a: Agreement, through: int) -> None:
    """Pro-rata bills the final year to the end month, never more than no-refund (R8)."""
    full = build_schedule(a, through)
    pro = build_schedule(a, through, policy=EndPolicy.PRO_RATA)
    assert [c.year for c in full] == [c.year for c in pro]
    for f, p in zip(full, pro, strict=True):
        if not f.final:
            assert f == p
        else:
            ends = a.ends_on
            assert ends is not None
            assert p.amount <= f.amount
            assert p.months == (ends.month - f.period_start.month + 1
                                if ends < date(f.year, 12, 31) else f.months)


@given(agreements(amended=False), amendments(years=(2023, 2040), count=(1, 1)), THROUGH)
@example(Agreement(signed_on=date(2023, 1, 31), population=15_000,
                   app_store_live_on=date(2023, 1, 31), play_store_live_on=date(2023, 1, 31)),
         (Amendment(2025, population=15_001),), 2030)
def test_amendments_never_change_earlier_years(a: Agreement, new: tuple[Amendment, ...],
                                               through: int) -> None:
    """Adding an amendment changes no charge of a year before it (R9)."""
    (amendment,) = new
    amended = attrs.evolve(a, amendments=(amendment,))
    before = {c.year: c for c in build_schedule(a, through)}
    after = {c.year: c for c in build_schedule(amended, through)}
    assert before.keys() == after.keys()
    for year, charge in before.items():
        if year < amendment.from_year:
            assert after[year] == charge
        else:
            assert after[year].annual_fee == amended.annual_fee_for(year)


@given(agreements(amended=True), THROUGH)
def test_sums_per_year_never_exceed_that_years_fee(a: Agreement, through: int) -> None:
    """Whatever the amendments, what a year bills is at most that year's fee (R1, R4, R9)."""
    per_year: dict[int, Decimal] = {}
    for c in build_schedule(a, through):
        per_year[c.year] = per_year.get(c.year, Decimal("0")) + c.amount
    for year, total in per_year.items():
        assert total <= a.annual_fee_for(year)


def test_billing_before_signing_is_flagged_in_the_explanation() -> None:
    """An app live before signing is billed from go-live (R2, R3), with a note saying so."""
    a = Agreement(signed_on=date(2024, 3, 1), population=5_000,
                  app_store_live_on=date(2023, 6, 1), play_store_live_on=date(2023, 6, 1))
    first = build_schedule(a, through=2023).for_year(2023)
    assert "before the signing date 2024-03-01" in first.explain()
    normal = build_schedule(agreement(), through=2023).for_year(2023)
    assert "signing date" not in normal.explain()
