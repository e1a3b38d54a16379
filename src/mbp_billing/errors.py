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
    "AccessDenied",
    "BillingError",
    "FilesNotWritten",
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

    Examples:
        >>> e = BillingError("population", -3, "must be a positive whole number (R1)")
        >>> isinstance(e, ValueError), e.field, e.value
        (True, 'population', -3)
        >>> str(e)
        'population -3: must be a positive whole number (R1)'
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
    """An input value is malformed or breaks a rule; fix the input.

    Examples:
        >>> from mbp_billing import parse_amount
        >>> try:
        ...     parse_amount(600.6, "annual_fee")
        ... except InvalidValue as e:
        ...     print(e.field, e.value)
        annual_fee 600.6
    """


class NotBillable(BillingError):
    """The request is well-formed but the rules give no charge for it.

    Examples:
        >>> from datetime import date
        >>> from mbp_billing import Agreement, build_schedule
        >>> not_live = Agreement(signed_on=date(2023, 2, 10), population=9000)
        >>> build_schedule(not_live, through=2024).for_year(2024)
        Traceback (most recent call last):
        ...
        mbp_billing.errors.NotBillable: year 2024: no charge: the app is not yet live in both stores (R2); add app_store_live_on and play_store_live_on
    """


class RegisterConflict(BillingError):
    """The request contradicts what the register already holds.

    Raised, for example, for a second full credit of an invoice or an
    invoice dated before the latest one issued.

    Examples:
        >>> e = RegisterConflict("number", "F000001", "is already fully credited")
        >>> isinstance(e, BillingError), str(e)
        (True, "number 'F000001': is already fully credited")
    """


class AccessDenied(BillingError):
    """The register's database refused this role the privilege the command needs.

    Raised on a shared (PostgreSQL) register when, for example, a role that
    may only read tries to issue an invoice; the message names the role, the
    privilege and the role to ask for.

    Examples:
        >>> e = AccessDenied("register", "postgresql://alice@db/billing",
        ...                  "role alice may not INSERT table documents")
        >>> isinstance(e, BillingError), e.field
        (True, 'register')
    """


class FilesNotWritten(BillingError):
    """Documents were issued and recorded, but their files could not be written.

    Not bad input: the numbers are used and the register keeps every
    document's exact bytes.  Fix the folder (space, permissions), then write
    the files again from the register (:func:`~mbp_billing.issuing.write_files`,
    or ``mbp-billing write-files NUMBER ... --out DIR``).  The command line
    exits with code 3.

    Args:
        numbers: the documents whose files are missing.
        out_dir: the folder that could not be written.
        why: the system's reason, such as ``No space left on device``.

    Examples:
        >>> e = FilesNotWritten(("F000003", "F000004"), "invoices", "No space left on device")
        >>> e.numbers, e.field
        (('F000003', 'F000004'), '--out')
        >>> print(e)
        --out 'invoices': cannot be written (No space left on device); F000003, F000004 are issued and recorded in the register, but their PDF and XML files are missing
    """

    def __init__(self, numbers: tuple[str, ...], out_dir: str, why: str, *,
                 files: str = "PDF and XML files") -> None:
        self.numbers = tuple(numbers)
        self.out_dir = out_dir
        self.why = why
        super().__init__(
            "--out", out_dir,
            f"cannot be written ({why}); {', '.join(self.numbers)} "
            f"{'is' if len(self.numbers) == 1 else 'are'} issued and recorded in the register, "
            f"but their {files} are missing")
