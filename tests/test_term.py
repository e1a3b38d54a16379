"""The term and termination rules (R6, R7; Art. 10)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import dates

from mbp_billing.errors import InvalidValue
from mbp_billing.term import (
    FIXED_TERMS,
    NOTICE_DAYS,
    indefinite_from,
    term,
    termination,
    terms,
)

S = date(2023, 2, 10)
LEAP = date(2024, 2, 29)


def d(text: str) -> date:
    """Parse an ISO date (test helper)."""
    return date.fromisoformat(text)


# -- R6 -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("signed", "expected"),
    [
        (S, [("2023-02-10", "2024-02-09"), ("2024-02-10", "2025-02-09"),
             ("2025-02-10", "2026-02-09"), ("2026-02-10", "2027-02-09")]),
        (LEAP, [("2024-02-29", "2025-02-27"), ("2025-02-28", "2026-02-27"),
                ("2026-02-28", "2027-02-27"), ("2027-02-28", "2028-02-28")]),
        (date(2023, 1, 31), [("2023-01-31", "2024-01-30"), ("2024-01-31", "2025-01-30"),
                             ("2025-01-31", "2026-01-30"), ("2026-01-31", "2027-01-30")]),
        (date(2023, 12, 31), [("2023-12-31", "2024-12-30"), ("2024-12-31", "2025-12-30"),
                              ("2025-12-31", "2026-12-30"), ("2026-12-31", "2027-12-30")]),
    ],
)
def test_four_fixed_terms(signed: date, expected: list[tuple[str, str]]) -> None:
    """Term k runs from S + (k-1) years to the day before S + k years, relativedelta style (R6)."""
    found = terms(signed)
    assert [(t.index, t.start, t.end) for t in found] == [
        (k, d(a), d(b)) for k, (a, b) in enumerate(expected, start=1)
    ]


@pytest.mark.parametrize(("signed", "start"), [(S, "2027-02-10"), (LEAP, "2028-02-29")])
def test_indefinite_regime_starts_at_s_plus_four_years(signed: date, start: str) -> None:
    """After the initial term and three renewals, indefinite duration starts at S + 4y (R6)."""
    assert indefinite_from(signed) == d(start)
    assert indefinite_from(signed) == terms(signed)[-1].end + timedelta(days=1)


@pytest.mark.parametrize("index", [0, 5, -1])
def test_only_four_fixed_terms_exist(index: int) -> None:
    """Term numbers outside 1..4 are refused."""
    with pytest.raises(InvalidValue):
        term(S, index)


# -- R7 -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("signed", "notice", "ends", "regime"),
    [
        # A notice on the signing day ends the agreement at the first 31 December.
        (S, "2023-02-10", "2023-12-31", "fixed"),
        (S, "2023-10-01", "2023-12-31", "fixed"),
        # Exactly 30 days before the end of term 1 qualifies; 29 days does not.
        (S, "2024-01-10", "2024-02-09", "fixed"),
        (S, "2024-01-11", "2024-12-31", "fixed"),
        # Exactly 30 days before 31 December qualifies; 29 days does not.
        (S, "2024-12-01", "2024-12-31", "fixed"),
        (S, "2024-12-02", "2025-02-09", "fixed"),
        # In the fourth term the fixed regime still applies (not indefinite at S + 3y).
        (S, "2026-02-20", "2026-12-31", "fixed"),
        # The end of the fourth term: 30 days qualifies, 29 falls through to 3 months.
        (S, "2027-01-10", "2027-02-09", "fixed"),
        (S, "2027-01-11", "2027-04-11", "indefinite"),
        # The switch: S + 4y - 1 day (no candidate left) and S + 4y (indefinite).
        (S, "2027-02-09", "2027-05-09", "indefinite"),
        (S, "2027-02-10", "2027-05-10", "indefinite"),
        # Three months' notice clamps at month ends.
        (S, "2027-08-31", "2027-11-30", "indefinite"),
        (S, "2028-11-30", "2029-02-28", "indefinite"),
        # Signed on 29 February.
        (LEAP, "2025-01-28", "2025-02-27", "fixed"),
        (LEAP, "2025-01-29", "2025-12-31", "fixed"),
        (LEAP, "2027-12-01", "2027-12-31", "fixed"),
        (LEAP, "2027-12-02", "2028-02-28", "fixed"),
        (LEAP, "2028-01-29", "2028-02-28", "fixed"),
        (LEAP, "2028-01-30", "2028-04-30", "indefinite"),
        (LEAP, "2028-02-28", "2028-05-28", "indefinite"),
        (LEAP, "2028-02-29", "2028-05-29", "indefinite"),
    ],
)
def test_termination_table(signed: date, notice: str, ends: str, regime: str) -> None:
    """The last day in force after a notice, at every edge of R7."""
    result = termination(signed, d(notice))
    assert (result.ends_on, result.regime) == (d(ends), regime)
    assert result.reason.startswith("R7")


def test_notice_before_signing_is_an_error() -> None:
    """A notice dated before the signing is refused, naming both dates (R7)."""
    with pytest.raises(InvalidValue) as info:
        termination(S, date(2023, 2, 9))
    assert info.value.field == "notice_sent_on"
    assert "2023-02-09" in str(info.value) and "2023-02-10" in str(info.value)


def _candidates(signed: date) -> set[date]:
    """R7's candidate end dates, recomputed independently (test helper)."""
    last = signed + relativedelta(years=FIXED_TERMS) - timedelta(days=1)
    ends = {signed + relativedelta(years=k) - timedelta(days=1) for k in range(1, 5)}
    ends |= {date(y, 12, 31) for y in range(signed.year, last.year + 1)}
    return {c for c in ends if signed <= c <= last}


@given(dates(), st.integers(min_value=0, max_value=8 * 366))
@example(date(2024, 2, 29), 365 * 4 - 31)
@example(date(2023, 1, 31), 0)
@example(date(2023, 12, 31), 335)
@example(date(2023, 2, 10), 1460)
def test_termination_properties(signed: date, offset: int) -> None:
    """Fixed: the first candidate at least 30 days on; indefinite: exactly N + 3 months (R7)."""
    notice = signed + timedelta(days=offset)
    result = termination(signed, notice)
    earliest = notice + timedelta(days=NOTICE_DAYS)
    qualifying = sorted(c for c in _candidates(signed) if c >= earliest)
    if result.regime == "fixed":
        assert notice < indefinite_from(signed)
        assert result.ends_on >= earliest
        assert result.ends_on == qualifying[0]
    else:
        assert result.ends_on == notice + relativedelta(months=3)
        assert notice >= indefinite_from(signed) or not qualifying
    assert result.ends_on > notice


@given(dates(), st.integers(min_value=1, max_value=3000))
def test_notice_before_signing_always_refused(signed: date, days_before: int) -> None:
    """Any notice before the signing date raises InvalidValue (R7)."""
    with pytest.raises(InvalidValue):
        termination(signed, signed - timedelta(days=days_before))


@given(dates())
@example(date(2024, 2, 29))
@example(date(2023, 12, 31))
@example(date(2023, 1, 31))
def test_terms_are_contiguous_years(signed: date) -> None:
    """The four terms follow each other without gap or overlap, each about a year (R6)."""
    found = terms(signed)
    assert found[0].start == signed
    for before, after in pairwise(found):
        assert after.start == before.end + timedelta(days=1)
    for t in found:
        assert 364 <= (t.end - t.start).days <= 365
