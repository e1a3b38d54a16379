"""The two parties of every invoice: the seller EV DV and the buyer.

Enterprise (KBO) numbers and the IBAN are validated with python-stdnum; no
check digit is computed by hand here.

>>> SELLER.enterprise_number_display
'0643.634.986'
>>> Party(name="Gemeente Voorbeeld", kbo="0207.123.407", street="Marktplein 1",
...       postcode="9999", city="Voorbeeld").kbo
'0207123407'
"""

from __future__ import annotations

from typing import Any, Final

import attrs
from stdnum import exceptions as stdnum_errors
from stdnum.be import iban as be_iban
from stdnum.be import vat as be_vat

from .errors import InvalidValue
from .text import document_text

__all__ = [
    "BUYER_FIELDS",
    "SELLER",
    "SELLER_BIC",
    "SELLER_IBAN",
    "Party",
    "normalize_iban",
    "normalize_kbo",
]


def normalize_kbo(value: object, field: str = "kbo") -> str:
    """Validate a Belgian enterprise number and return its 10 digits.

    >>> normalize_kbo("BE 0643.634.986")
    '0643634986'
    >>> normalize_kbo("0643.634.987")
    Traceback (most recent call last):
    ...
    mbp_billing.errors.InvalidValue: kbo '0643.634.987': is not a valid Belgian enterprise number (check digits do not match); copy it from the KBO, e.g. '0207.123.407'
    """
    if not isinstance(value, str):
        raise InvalidValue(field, value, "must be a string such as '0207.123.407'")
    if not value.isascii() or len(value) > 40:
        # python-stdnum would read other scripts' digits; one reading everywhere.
        raise InvalidValue(field, value, "is not a Belgian enterprise number; write it with "
                                         "the digits 0-9, e.g. '0207.123.407'")
    try:
        digits = be_vat.validate(value)
    except stdnum_errors.ValidationError as exc:
        why = {
            stdnum_errors.InvalidChecksum: "check digits do not match",
            stdnum_errors.InvalidLength: "wrong number of digits",
            stdnum_errors.InvalidFormat: "not ten digits",
        }.get(type(exc), "malformed")
        raise InvalidValue(
            field, value,
            f"is not a valid Belgian enterprise number ({why}); "
            "copy it from the KBO, e.g. '0207.123.407'",
        ) from None
    if digits.endswith("00"):
        # stdnum accepts check digits 00 (first eight digits a multiple of 97),
        # but the KBO never issues them and Peppol refuses them (COMMON-R043).
        raise InvalidValue(field, value, "is not a valid Belgian enterprise number (check "
                                         "digits 00 are never issued); copy it from the KBO")
    return str(digits)


def normalize_iban(value: str, field: str = "iban") -> str:
    """Validate a Belgian IBAN and return it compact (no spaces)."""
    try:
        return str(be_iban.validate(value))
    except stdnum_errors.ValidationError:
        raise InvalidValue(field, value, "is not a valid Belgian IBAN") from None


def _no_control_characters(value: str, field: str) -> None:
    # XML 1.0 (the UBL e-invoice) cannot carry C0 controls except tab/LF/CR.
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise InvalidValue(field, value, "contains a control character; remove it")


def _required_text(value: object, name: str) -> str:
    # NFC, printable in the PDF's font, bounded: checked when the buyer is read.
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"buyer.{name}", value, "is required; give non-empty text")
    return document_text(value, f"buyer.{name}")


def _name(value: str) -> str:
    return _required_text(value, "name")


def _street(value: str) -> str:
    return _required_text(value, "street")


def _postcode(value: str) -> str:
    return _required_text(value, "postcode")


def _city(value: str) -> str:
    return _required_text(value, "city")


def _kbo(value: str) -> str:
    return normalize_kbo(value, "buyer.kbo")


def _optional_text(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidValue("buyer.reference", value, "must be text")
    _no_control_characters(value, "buyer.reference")
    return document_text(value, "buyer.reference", required=False) or None


@attrs.frozen
class Party:
    """A legal person on an invoice, identified by its enterprise number.

    ``kbo`` is stored as 10 digits whatever form was given.  ``reference`` is
    the buyer's own order or purchase-order reference (Peppol BuyerReference).
    Build a buyer from an agreement's ``[buyer]`` table with
    :meth:`Party.from_mapping`.

    Attributes:
        name: the legal name, as invoiced.
        kbo: the enterprise number (KBO), validated and stored as 10 digits.
        street: street and number.
        postcode: the postal code.
        city: the municipality of the address.
        reference: the buyer's order reference, or ``None``.
        country: ISO 3166 country code, ``"BE"``.

    Raises:
        InvalidValue: an empty name or address field, a control character,
            a character the PDF font cannot show, text longer than
            :data:`~mbp_billing.text.MAX_NAME_LENGTH`, or an enterprise
            number with wrong check digits.  Text is kept in Unicode NFC.

    Examples:
        >>> buyer = Party(name="Gemeente Voorbeeld", kbo="BE 0207.123.407",
        ...               street="Marktplein 1", postcode="9999", city="Voorbeeld")
        >>> buyer.kbo, buyer.enterprise_number_display, buyer.reference
        ('0207123407', '0207.123.407', None)
    """

    name: str = attrs.field(converter=_name)
    kbo: str = attrs.field(converter=_kbo)
    street: str = attrs.field(converter=_street)
    postcode: str = attrs.field(converter=_postcode)
    city: str = attrs.field(converter=_city)
    reference: str | None = attrs.field(default=None, converter=_optional_text)
    country: str = "BE"

    @property
    def enterprise_number_display(self) -> str:
        """The enterprise number as printed: ``0643.634.986``."""
        k = self.kbo
        return f"{k[:4]}.{k[4:7]}.{k[7:]}"

    @classmethod
    def from_mapping(cls, data: dict[str, Any], where: str = "buyer") -> Party:
        """Build a buyer from a ``[buyer]`` table, refusing unknown or missing keys."""
        unknown = sorted(set(data) - set(BUYER_FIELDS))
        if unknown:
            allowed = ", ".join(BUYER_FIELDS)
            if len(unknown) == 1:
                raise InvalidValue(f"{where}.{unknown[0]}", data[unknown[0]],
                                   f"unknown key in [{where}]; allowed keys are {allowed}")
            raise InvalidValue("unknown keys", ", ".join(f"{where}.{k}" for k in unknown),
                               f"remove or rename them; allowed keys in [{where}] are {allowed}")
        missing = [k for k in BUYER_FIELDS if k != "reference" and k not in data]
        if missing:
            raise InvalidValue(
                f"{where}.{missing[0]}", None,
                f"is missing from [{where}]; add {missing[0]} = \"...\"",
            )
        return cls(**{k: data[k] for k in BUYER_FIELDS if k in data})


#: The keys of a ``[buyer]`` table, in order.
BUYER_FIELDS: Final = ("name", "kbo", "street", "postcode", "city", "reference")

#: The account of EV DV for every payment.  # R11, Annex 2 §2
SELLER_IBAN: Final = normalize_iban("BE86 3751 1175 0850", "seller.iban")
#: BIC of the bank that holds :data:`SELLER_IBAN`, derived by python-stdnum.
SELLER_BIC: Final = str(be_iban.to_bic(SELLER_IBAN))

SELLER: Final = Party(
    name="Eigen Vermogen Digitaal Vlaanderen",
    kbo="0643.634.986",
    street="Havenlaan 88",
    postcode="1000",
    city="Brussel",
)
"""Eigen Vermogen Digitaal Vlaanderen, the invoicing party.  # Parties, Annex 2 §2

Examples:
    >>> SELLER.name, SELLER.enterprise_number_display
    ('Eigen Vermogen Digitaal Vlaanderen', '0643.634.986')
"""
