"""Audit: is the register intact, and do the files on disk still match it?

>>> import tempfile, pathlib
>>> from mbp_billing.register import Register
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with Register.open(folder / "r.sqlite3") as reg:
...     verify(reg, folder)
[]
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Final

from .register import Problem, Register

__all__ = ["verify"]


_DOCUMENT_FILE: Final = re.compile(r"[A-Z]{1,3}\d{6}\.(pdf|xml)")


def _check_files(number: str, folder: Path, pdf_sha256: str, xml_sha256: str) -> list[Problem]:
    problems = []
    for fmt, recorded in (("pdf", pdf_sha256), ("xml", xml_sha256)):
        path = folder / f"{number}.{fmt}"
        if not path.is_file():
            problems.append(Problem(number, str(path), "file is missing"))
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != recorded:
            problems.append(Problem(number, str(path),
                                    "file does not match the SHA-256 recorded at issue "
                                    "(altered or replaced)"))
    return problems


def _unknown_files(folder: Path, known: set[str]) -> list[Problem]:
    if not folder.is_dir():
        return []
    return [Problem(None, str(path), "is named like a document, but the register holds no "
                                     f"document {path.stem} (written behind the tool's back, "
                                     "or the register lost it)")
            for path in sorted(folder.iterdir())
            if _DOCUMENT_FILE.fullmatch(path.name) and path.stem not in known]


def verify(register: Register, out_dir: Path | None = None, *,
           expect_head: str | None = None, remembered: bool = False,
           unplaced_dir: Path | None = None) -> list[Problem]:
    """Every problem found, each naming the document number and file.

    Checks the register's hash chain over documents and payments and its
    gapless numbering (:meth:`Register.verify`) and, when ``out_dir`` is
    given, that each document's ``<number>.pdf`` and ``<number>.xml`` there
    exist and still have the SHA-256 recorded at issue.  With
    ``remembered`` (and no ``out_dir``), the files are checked in every
    folder the register wrote them to.  In each folder checked, a file named
    like a document the register does not hold is reported too.

    Args:
        register: the register to check.
        out_dir: the folder of the issued files; ``None`` checks only the
            register (or the remembered folders).
        expect_head: a chain head kept from an earlier command; a problem
            unless the register's chain still contains it.
        remembered: check the files in the folders the register remembers.
        unplaced_dir: with ``remembered``, where to check the documents the
            register remembers no folder for (issued by the previous
            version); ``None`` leaves them unchecked.

    Returns:
        The problems found, in order of issue; empty when all is well.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import example_agreement, issue_invoice
        >>> out = pathlib.Path(tempfile.mkdtemp())
        >>> with Register.open(out / "register.sqlite3") as reg:
        ...     _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                       register=reg, out_dir=out)
        ...     before = verify(reg, out)
        ...     _ = (out / "F000001.xml").write_bytes(b"<altered/>")
        ...     after = verify(reg, remembered=True)
        >>> before
        []
        >>> [(p.number, pathlib.Path(p.file).name, p.message) for p in after]
        [('F000001', 'F000001.xml', 'file does not match the SHA-256 recorded at issue (altered or replaced)')]
    """
    problems = register.verify(expect_head=expect_head)
    hashes = {number: (pdf, xml) for number, pdf, xml in register.file_hashes()}
    if out_dir is not None:
        for number, (pdf_sha256, xml_sha256) in hashes.items():
            problems.extend(_check_files(number, out_dir, pdf_sha256, xml_sha256))
        problems.extend(_unknown_files(out_dir, set(hashes)))
    elif remembered:
        placed: set[str] = set()
        for folder, numbers in register.outputs().items():
            for number in numbers:
                if number in hashes:
                    problems.extend(_check_files(number, Path(folder), *hashes[number]))
            placed.update(numbers)
            problems.extend(_unknown_files(Path(folder), set(hashes)))
        if unplaced_dir is not None:
            for number, (pdf_sha256, xml_sha256) in hashes.items():
                if number not in placed:
                    problems.extend(_check_files(number, unplaced_dir, pdf_sha256, xml_sha256))
    return problems
