"""The agreement's term and termination (R6, R7; Art. 10).

>>> from datetime import date
>>> t = termination(date(2023, 2, 10), date(2023, 10, 1))
>>> t.ends_on, t.regime
(datetime.date(2023, 12, 31), 'fixed')
>>> termination(date(2023, 2, 10), date(2027, 3, 1)).ends_on
datetime.date(2027, 6, 1)
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final, Literal

import attrs
from dateutil.relativedelta import relativedelta

from .errors import InvalidValue

__all__ = [
    "FIXED_TERMS",
    "NOTICE_DAYS",
    "Term",
    "Termination",
    "indefinite_from",
    "term",
    "termination",
    "terms",
]

#: The initial term and three tacit renewals.  # R6, Art. 10 §1-2
FIXED_TERMS: Final = 4
#: "tenminste dertig (30) dagen voor het verstrijken".  # R7, Art. 10 §1
NOTICE_DAYS: Final = 30
#: "een opzegtermijn van drie maanden".  # R7, Art. 10 §2
INDEFINITE_NOTICE: Final = relativedelta(months=3)

Regime = Literal["fixed", "indefinite"]


@attrs.frozen
class Term:
    """Fixed term ``index`` (1 = initial): ``start`` to ``end`` inclusive.

    Attributes:
        index: 1 for the initial term, 2 to 4 for the tacit renewals (R6).
        start: the first day of the term.
        end: the last day of the term.

    Examples:
        >>> from datetime import date
        >>> terms(date(2023, 2, 10))[1]
        Term(index=2, start=datetime.date(2024, 2, 10), end=datetime.date(2025, 2, 9))
    """

    index: int
    start: date
    end: date


def term(signed_on: date, index: int) -> Term:
    """Fixed term ``index`` (1..4) of an agreement signed on ``signed_on``.  # R6, Art. 10

    Term k runs from S + (k-1) years to the day before S + k years; each
    anniversary is computed from S directly (no drift at month ends).

    >>> term(date(2024, 2, 29), 2)
    Term(index=2, start=datetime.date(2025, 2, 28), end=datetime.date(2026, 2, 27))
    """
    if not 1 <= index <= FIXED_TERMS:
        raise InvalidValue("term", index, f"fixed terms are numbered 1 to {FIXED_TERMS}")
    start = signed_on + relativedelta(years=index - 1)
    end = signed_on + relativedelta(years=index) - timedelta(days=1)
    return Term(index, start, end)


def terms(signed_on: date) -> tuple[Term, ...]:
    """The four fixed terms: the initial one and three tacit renewals.  # R6

    Args:
        signed_on: the signing date S.

    Returns:
        Terms 1 to 4, each one year long, the first starting on ``signed_on``.

    Examples:
        >>> from datetime import date
        >>> [(t.start.isoformat(), t.end.isoformat()) for t in terms(date(2023, 2, 10))][-1]
        ('2026-02-10', '2027-02-09')
    """
    return tuple(term(signed_on, k) for k in range(1, FIXED_TERMS + 1))


def indefinite_from(signed_on: date) -> date:
    """First day of indefinite duration: S + 4 years.  # R6, Art. 10 §2 reading

    "After three tacit renewals" the agreement becomes indefinite; each
    renewal is itself a one-year term, so that is after the fourth year.
    """
    return signed_on + relativedelta(years=FIXED_TERMS)


@attrs.frozen
class Termination:
    """When an agreement ends after a notice, and why.

    ``ends_on`` is the last day the agreement is in force.  Made by
    :func:`termination`.

    Attributes:
        signed_on: the signing date S.
        notice_sent_on: the day the registered letter was sent.
        ends_on: the last day in force.
        regime: ``"fixed"`` (notice within the four fixed terms) or
            ``"indefinite"``.
        reason: the rule that gave ``ends_on``, in words.

    Examples:
        >>> from datetime import date
        >>> t = termination(date(2023, 2, 10), date(2024, 1, 20))
        >>> t.ends_on, t.regime
        (datetime.date(2024, 12, 31), 'fixed')
        >>> t.reason
        'R7: first end of the financial year at least 30 days after the notice (2024-02-19 or later)'
    """

    signed_on: date
    notice_sent_on: date
    ends_on: date
    regime: Regime
    reason: str


def _fixed_regime_candidates(signed_on: date) -> list[date]:
    # R7: the end of a running term or the end of the financial year.
    fixed = terms(signed_on)
    last = fixed[-1].end
    ends = {t.end for t in fixed}
    ends.update(date(y, 12, 31) for y in range(signed_on.year, last.year + 1))
    return sorted(d for d in ends if signed_on <= d <= last)


def termination(signed_on: date, notice_sent_on: date) -> Termination:
    """The last day in force after a registered letter sent on ``notice_sent_on``.  # R7

    Fixed regime (notice before S + 4 years): the first candidate date C with
    C >= N + 30 days, where candidates are the last day of each fixed term
    and every 31 December up to the end of the fourth term.  If none
    qualifies, or in the indefinite regime: N + 3 months.

    Args:
        signed_on: the signing date S.
        notice_sent_on: the day the registered termination letter was sent (N).

    Returns:
        The :class:`Termination`, with the last day in force and the reason.

    Raises:
        InvalidValue: when the notice predates the signing.

    Examples:
        >>> from datetime import date
        >>> termination(date(2023, 2, 10), date(2023, 10, 1)).ends_on
        datetime.date(2023, 12, 31)
        >>> t = termination(date(2023, 2, 10), date(2027, 3, 1))
        >>> t.ends_on, t.regime
        (datetime.date(2027, 6, 1), 'indefinite')
    """
    if notice_sent_on < signed_on:
        raise InvalidValue(
            "notice_sent_on", notice_sent_on.isoformat(),
            f"is before the signing date {signed_on.isoformat()}; "
            "a notice can only be sent once the agreement is signed",
        )
    earliest = notice_sent_on + timedelta(days=NOTICE_DAYS)
    if notice_sent_on < indefinite_from(signed_on):
        for candidate in _fixed_regime_candidates(signed_on):
            if candidate >= earliest:
                kind = "end of the financial year" if (candidate.month, candidate.day) == (12, 31) \
                    else "end of the running term"
                return Termination(
                    signed_on, notice_sent_on, candidate, "fixed",
                    f"R7: first {kind} at least {NOTICE_DAYS} days after the notice "
                    f"({earliest.isoformat()} or later)",
                )
    ends_on = notice_sent_on + INDEFINITE_NOTICE
    if notice_sent_on < indefinite_from(signed_on):
        # Sent during the fixed terms, but too late for any fixed-term end date.
        last = terms(signed_on)[-1].end
        return Termination(
            signed_on, notice_sent_on, ends_on, "indefinite",
            f"R7: no end of a term or financial year remains at least {NOTICE_DAYS} days "
            f"after the notice ({earliest.isoformat()} or later; the fourth fixed term ends "
            f"on {last.isoformat()}), so three months' notice applies, as for an "
            "indefinite duration",
        )
    return Termination(
        signed_on, notice_sent_on, ends_on, "indefinite",
        "R7: indefinite duration, three months' notice",
    )
