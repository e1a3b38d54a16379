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
from pathlib import Path

from .register import Problem, Register

__all__ = ["verify"]


def verify(register: Register, out_dir: Path | None = None) -> list[Problem]:
    """Every problem found, each naming the document number and file.

    Checks the register's hash chain and gapless numbering
    (:meth:`Register.verify`) and, when ``out_dir`` is given, that each
    document's ``<number>.pdf`` and ``<number>.xml`` there exist and still
    have the SHA-256 recorded at issue.  An empty list means all is well.

    Args:
        register: the register to check.
        out_dir: the folder of the issued files; ``None`` checks only the
            register.

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
        ...     after = verify(reg, out)
        >>> before
        []
        >>> [(p.number, pathlib.Path(p.file).name, p.message) for p in after]
        [('F000001', 'F000001.xml', 'file does not match the SHA-256 recorded at issue (altered or replaced)')]
    """
    problems = register.verify()
    if out_dir is None:
        return problems
    for number, pdf_sha256, xml_sha256 in register.file_hashes():
        for fmt, recorded in (("pdf", pdf_sha256), ("xml", xml_sha256)):
            path = out_dir / f"{number}.{fmt}"
            if not path.is_file():
                problems.append(Problem(number, str(path), "file is missing"))
                continue
            if hashlib.sha256(path.read_bytes()).hexdigest() != recorded:
                problems.append(Problem(number, str(path),
                                        "file does not match the SHA-256 recorded at issue "
                                        "(altered or replaced)"))
    return problems
