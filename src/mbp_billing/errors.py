"""Errors raised by mbp_billing.

Every error is a :class:`BillingError` (itself a :class:`ValueError`), keeps the
offending ``field`` and ``value`` as attributes, and has a message that names
the field, the bad value, the rule and the fix.  The command line turns any
:class:`BillingError` into one line on stderr and exit code 2.

>>> try:
...     raise InvalidValue("population", -3, "must be a positive whole number (R1)")
... except BillingError as e:
...     print(e.field, e.value)
...     print(e)
population -3
population -3: must be a positive whole number (R1)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BillingError",
    "InvalidValue",
    "NotBillable",
    "RegisterConflict",
]


class BillingError(ValueError):
    """Root of every error this library raises on purpose.

    Args:
        field: the name of the input at fault (a TOML key, CLI option or
            attribute name).
        value: the offending value, as given.
        reason: what is wrong and how to fix it.
    """

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field} {value!r}: {reason}" if _needs_repr(value) else
                         f"{field} {value}: {reason}")


def _needs_repr(value: Any) -> bool:
    # Strings are quoted so an empty or blank value stays visible; numbers
    # and dates read better bare.
    return isinstance(value, str)


class InvalidValue(BillingError):
    """An input value is malformed or breaks a rule; fix the input."""


class NotBillable(BillingError):
    """The request is well-formed but the rules give no charge for it."""


class RegisterConflict(BillingError):
    """The request contradicts what the register already holds."""
