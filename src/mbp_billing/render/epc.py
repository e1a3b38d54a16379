"""The EPC069-12 QR code's payload: the credit transfer a banking app prefills.

A page that asks for a payment (an invoice; later a reminder) describes it
as a :class:`CreditTransfer`; the payment block prints it and puts
:func:`transfer_payload` in its QR code (encoded by
:mod:`mbp_billing.render.qr`).  No ReportLab here: the payload is text.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

import attrs

from ..documents import Invoice
from ..errors import InvalidValue
from ..money import CURRENCY
from .formatting import exact_cents, one_line

__all__ = ["EPC_ERROR_CORRECTION", "CreditTransfer", "epc_qr_payload", "transfer_payload"]

_EPC_SERVICE_TAG: Final = "BCD"
_EPC_VERSION: Final = "002"  # Version 2: the BIC may be left out in the EEA; we still give it.
_EPC_CHARACTER_SET: Final = "1"  # UTF-8
_EPC_IDENTIFICATION: Final = "SCT"
_EPC_NAME_MAX: Final = 70
_EPC_MAX_AMOUNT: Final = Decimal("999999999.99")
#: The error correction level of the QR code: EPC069-12 prescribes M.
EPC_ERROR_CORRECTION: Final = "M"


@attrs.frozen
class CreditTransfer:
    """A SEPA credit transfer a page asks for: what the payment block prints (R11, R12).

    Attributes:
        amount: the amount to pay, in whole cents.
        due_date: pay no later than this date.
        beneficiary: the seller's name.
        iban: the seller's account (R11).
        bic: the seller's bank.
        communication: the structured communication as its 12 digits (R12).
        communication_display: the same as printed, ``+++000/0000/00101+++``.
    """

    amount: Decimal
    due_date: date
    beneficiary: str
    iban: str
    bic: str
    communication: str
    communication_display: str

    @classmethod
    def of_invoice(cls, invoice: Invoice) -> CreditTransfer:
        """The payment of ``invoice``'s total by its due date, with its communication."""
        return cls(amount=invoice.total, due_date=invoice.due_date,
                   beneficiary=invoice.seller.name, iban=invoice.iban, bic=invoice.bic,
                   communication=invoice.structured_communication,
                   communication_display=invoice.structured_communication_display)


def epc_qr_payload(invoice: Invoice) -> str:
    """The EPC069-12 QR payload that prefills the payment in a banking app.

    Version ``002``, UTF-8, SEPA credit transfer to EV DV's account (R11)
    for the invoice total, with the invoice's structured communication
    (R12) as the reference.  Elements are separated by a line feed and
    nothing follows the last element given.

    The reference goes in the *structured* remittance element (line 10), as
    the 12 digits without ``+++`` and slashes, and the unstructured element
    stays empty (EPC069-12 allows only one of the two).  The Belgian
    structured communication is a creditor reference in its own right:
    Febelfin's XML credit-transfer standard carries it as structured
    remittance (``CdtrRefInf``, issuer ``BBA``, the bare 12 digits);
    EPC069-12 allows any creditor reference of up to 35 characters there
    ("ISO 11649 RF Creditor Reference *may* be used"); and Odoo's
    ``account_qr_code_sepa``, common on Belgian invoices, puts a valid
    Belgian reference there the same way.  A banking app then fills its
    "gestructureerde mededeling" field, so the payment reaches the seller's
    statement (CODA) as structured and is matched to the invoice; as free
    text it would arrive unstructured.

    Args:
        invoice: the invoice to pay.

    Returns:
        The payload text; encode it as UTF-8 in a QR code of level M.

    Raises:
        InvalidValue: the total is outside what an EPC QR code can carry
            (0.01 to 999999999.99 euro) or has more than two decimals.

    Examples:
        >>> from datetime import date
        >>> from mbp_billing import Invoice, build_schedule, example_agreement
        >>> a = example_agreement()
        >>> inv = Invoice.build(build_schedule(a, through=2023)[0], a.buyer,
        ...                     number="F000123", issue_date=date(2023, 7, 10))
        >>> epc_qr_payload(inv).split("\\n")
        ['BCD', '002', '1', 'SCT', 'BBRUBEBB', 'Eigen Vermogen Digitaal Vlaanderen', 'BE86375111750850', 'EUR3500.00', '', '000000012326']
    """
    return transfer_payload(CreditTransfer.of_invoice(invoice))


def transfer_payload(transfer: CreditTransfer) -> str:
    """The EPC069-12 payload of ``transfer``: see :func:`epc_qr_payload`.

    Raises:
        InvalidValue: the amount is outside what an EPC QR code can carry
            (0.01 to 999999999.99 euro) or has more than two decimals.
    """
    amount = exact_cents(transfer.amount, "total")
    if not Decimal("0.01") <= amount <= _EPC_MAX_AMOUNT:
        raise InvalidValue("total", str(amount),
                           "is outside the 0.01-999999999.99 euro an EPC QR code can carry")
    elements = [
        _EPC_SERVICE_TAG,
        _EPC_VERSION,
        _EPC_CHARACTER_SET,
        _EPC_IDENTIFICATION,
        transfer.bic,
        # EPC069-12 allows 70 characters; a longer name is cut, never refused.
        one_line(transfer.beneficiary)[:_EPC_NAME_MAX],
        transfer.iban,
        f"{CURRENCY}{amount}",
        "",  # purpose code: none
        transfer.communication,  # R12, structured remittance (see above)
    ]
    return "\n".join(elements)
