"""Text that goes on a document: one reading, checked when it is given.

Every text printed on an invoice or credit note (the buyer's name and
address, its reference, a credit note's reason) is normalised to Unicode NFC
and checked here, when the agreement or request is read, so that a document
never fails half-way through a run and never shows a black box.

The PDF uses the standard Helvetica font in WinAnsi encoding (Windows code
page 1252: Latin-1 accents, the euro sign, typographic quotes and dashes).
A few characters outside it have an exact spelling inside it and are mapped
(the Dutch ``ĳ`` ligature is ``ij``); any other character is refused by its
Unicode name.

>>> document_text("  Gemeente Sint-Ĳsbrecht ", "buyer.name")
'Gemeente Sint-IJsbrecht'
>>> document_text("Gemeente Zoë", "buyer.name")
'Gemeente Zoë'
"""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path
from typing import Final

from .errors import InvalidValue

__all__ = ["MAX_NAME_LENGTH", "MAX_REASON_LENGTH", "document_text", "refuse_special_file"]

#: Longest buyer name, street, city or reference accepted (characters): a
#: legal name such as "Gemeentebestuur van de fusiegemeente ..." stays well
#: under it, and the invoice's address block wraps it on one page.
MAX_NAME_LENGTH: Final = 200
#: Longest credit note reason accepted (characters): it is printed in full.
MAX_REASON_LENGTH: Final = 300

#: Characters outside WinAnsi with an exact spelling inside it.
_MAPPED: Final = {
    "\u0133": "ij",  # LATIN SMALL LIGATURE IJ
    "\u0132": "IJ",  # LATIN CAPITAL LIGATURE IJ
    "\u2010": "-",  # HYPHEN
    "\u2011": "-",  # NON-BREAKING HYPHEN
    "\u2212": "-",  # MINUS SIGN
    "\u202f": "\u00a0",  # NARROW NO-BREAK SPACE
    "\u2009": " ",  # THIN SPACE
}


def _printable(ch: str) -> bool:
    if ch in "\t\n\r":
        return False
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return unicodedata.category(ch) != "Cc"


def document_text(value: object, field: str, *, max_length: int = MAX_NAME_LENGTH,
                  required: bool = True) -> str:
    """Normalise text for a document and refuse what the PDF cannot show.

    Args:
        value: the text as given.
        field: the input's name, used in error messages.
        max_length: the most characters accepted.
        required: refuse an empty text (else it is returned as ``""``).

    Returns:
        The text in NFC, trimmed, with the mapped characters replaced.

    Raises:
        InvalidValue: not a string; empty when required; no visible
            character; a control character or line break; a character
            the PDF font cannot show (named); longer than ``max_length``.

    Examples:
        >>> document_text("Cafe\\u0301", "buyer.name")
        'Café'
        >>> document_text("Gemeente \\u4e2d", "buyer.name")
        Traceback (most recent call last):
        ...
        mbp_billing.errors.InvalidValue: buyer.name 'Gemeente 中': contains U+4E2D CJK UNIFIED IDEOGRAPH-4E2D, which the invoice's font (Helvetica, WinAnsi) cannot show; write it in Latin letters
    """
    if not isinstance(value, str):
        raise InvalidValue(field, value, "must be text")
    if len(value) > 4 * max_length:
        raise InvalidValue(field, f"{value[:40]}...", f"is longer than {max_length} "
                                                      "characters; shorten it")
    text = unicodedata.normalize("NFC", value)
    text = "".join(_MAPPED.get(ch, ch) for ch in text).strip()
    for ch in text:
        if not _printable(ch):
            if ch in "\t\n\r" or unicodedata.category(ch) == "Cc":
                raise InvalidValue(field, value, "contains a control character or line "
                                                 "break; write it on one line")
            name = unicodedata.name(ch, "unnamed character")
            raise InvalidValue(field, value, f"contains U+{ord(ch):04X} {name}, which the "
                                             "invoice's font (Helvetica, WinAnsi) cannot "
                                             "show; write it in Latin letters")
    if not text:
        if required:
            raise InvalidValue(field, value, "is required; give non-empty text")
        return ""
    if not any(unicodedata.category(ch)[0] in "LNS" for ch in text):
        raise InvalidValue(field, value, "has no visible letter or digit; give real text")
    if len(text) > max_length:
        raise InvalidValue(field, f"{text[:40]}...", f"is longer than {max_length} "
                                                     "characters; shorten it")
    return text


def refuse_special_file(path: Path, field: str) -> None:
    """Refuse, without opening it, an input that is not a regular file.

    Reading a FIFO would wait for a writer forever, and a folder or device
    is never an agreement, portfolio, statement or population file.  A path
    that cannot be examined is left to the caller's read, which reports it.

    Raises:
        InvalidValue: ``path`` is a folder, FIFO, socket or device.

    Examples:
        >>> import tempfile
        >>> refuse_special_file(Path(tempfile.mkdtemp()), "agreement")
        Traceback (most recent call last):
        ...
        mbp_billing.errors.InvalidValue: agreement '...': is not a regular file (a folder, FIFO or device); give the file itself
    """
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return
    if not stat.S_ISREG(info.st_mode):
        raise InvalidValue(field, str(path), "is not a regular file (a folder, FIFO or "
                                             "device); give the file itself")
