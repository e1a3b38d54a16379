"""Issuing documents: charge -> numbered document -> register -> files.

This is where the one-way flow meets the only state.  Inside one register
transaction it takes the next number, builds the document, renders its PDF
and UBL (pure), checks the output files, and records everything; only after
the commit are the files written, each to a temporary name and renamed.  A
refused request consumes no number and writes nothing; a crash after the
commit is repaired by asking again, which returns the issued document and
rewrites its files from the exact bytes kept in the register.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs

from .agreement import Agreement
from .documents import CreditNote, Document, Invoice
from .einvoice import to_ubl
from .errors import FilesNotWritten, InvalidValue, RegisterConflict
from .money import money_str
from .register import Register, StoredDocument
from .render import render_pdf
from .schedule import Charge, EndPolicy, build_schedule

__all__ = [
    "CREDIT_SERIES",
    "INVOICE_SERIES",
    "Issued",
    "charge_for",
    "check_out_dir",
    "credit_invoice",
    "issue_invoice",
    "refuse_foreign_files",
    "regular_file_bytes",
    "render_files",
    "require_buyer",
    "sweep_temporary_files",
    "write_atomically",
    "write_files",
]

#: Series letter of invoices: F000001, F000002, ...  # R12
INVOICE_SERIES: Final = "F"
#: Series letter of credit notes: C000001, ...  # R12
CREDIT_SERIES: Final = "C"


@attrs.frozen
class Issued:
    """The outcome of an issue or credit request.

    Returned by :func:`issue_invoice` and :func:`credit_invoice`.

    Attributes:
        stored: the document as the register holds it.
        new: ``False`` when the invoice had been issued before and was
            returned unchanged.
        pdf_path: where the PDF was written, or ``None`` without ``out_dir``.
        xml_path: where the UBL XML was written, or ``None`` without ``out_dir``.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Register, example_agreement
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> with Register.open(folder / "register.sqlite3") as reg:
        ...     issued = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                            register=reg, out_dir=folder / "invoices")
        >>> issued.new, issued.document.number, issued.pdf_path.name, issued.xml_path.name
        (True, 'F000001', 'F000001.pdf', 'F000001.xml')
        >>> issued.to_record()["structured_communication"]
        '+++000/0000/00101+++'
    """

    stored: StoredDocument
    new: bool
    pdf_path: Path | None = None
    xml_path: Path | None = None

    @property
    def document(self) -> Document:
        """The document value."""
        return self.stored.document

    def to_record(self) -> dict[str, Any]:
        """JSON-ready summary (the ``--json`` output of ``invoice``/``credit``)."""
        doc = self.document
        record = self.stored.to_record()
        record["already_issued"] = not self.new
        if isinstance(doc, Invoice):
            record["structured_communication"] = doc.structured_communication_display
        record["pdf"] = None if self.pdf_path is None else str(self.pdf_path)
        record["xml"] = None if self.xml_path is None else str(self.xml_path)
        return record


def require_buyer(agreement: Agreement, where: str = "agreement") -> Any:
    """The agreement's buyer, or an error saying what to add."""
    if agreement.buyer is None:
        raise InvalidValue("buyer", None, f"{where} has no [buyer] table; add name, kbo, street, "
                                          "postcode and city to invoice it")
    return agreement.buyer


def charge_for(agreement: Agreement, year: int, policy: EndPolicy = EndPolicy.NO_REFUND) -> Charge:
    """The charge of ``year``, or :class:`NotBillable` saying why there is none."""
    return build_schedule(agreement, through=year, policy=policy).for_year(year)


def render_files(document: Document, locale: str = "nl_BE") -> tuple[bytes, bytes]:
    """The PDF and UBL bytes of a document (pure); the UBL carries the PDF."""
    pdf = render_pdf(document, locale=locale)
    return pdf, to_ubl(document, pdf=pdf)


def _targets(out_dir: Path, number: str) -> tuple[Path, Path]:
    return out_dir / f"{number}.pdf", out_dir / f"{number}.xml"


def refuse_foreign_files(out_dir: Path | None, number: str, pdf: bytes, xml: bytes) -> None:
    """Refuse when ``<number>.pdf``/``.xml`` in ``out_dir`` hold other bytes than ours.

    Args:
        out_dir: the output folder, or ``None`` (nothing to check).
        number: the document number the files are named after.
        pdf: the PDF bytes that belong under that name.
        xml: the UBL bytes that belong under that name.

    Raises:
        RegisterConflict: a file holds something else than a start of our bytes.

    Examples:
        >>> import tempfile
        >>> refuse_foreign_files(Path(tempfile.mkdtemp()), "F000001", b"%PDF", b"<x/>")
    """
    if out_dir is None:
        return
    _current_files(_targets(out_dir, number), (pdf, xml))


def _current_files(paths: tuple[Path, Path], data: tuple[bytes, bytes]
                   ) -> tuple[bytes | None, bytes | None]:
    """What each path holds now (``None``: absent); refuse one that holds other bytes."""
    found: list[bytes | None] = []
    for path, ours in zip(paths, data, strict=True):
        # A file that holds only the start of our bytes (empty included) is
        # our own write cut short by a power failure: it is rewritten.  Any
        # other content is somebody else's, or altered, and is never replaced.
        current = regular_file_bytes(path)
        if current is not None and not ours.startswith(current):
            raise RegisterConflict(
                "out", str(path), "exists with other content; move it away or choose "
                                  "another --out directory")
        found.append(current)
    return found[0], found[1]


_KINDS: Final = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"),
                  (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                  (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def regular_file_bytes(path: Path) -> bytes | None:
    """The bytes of a document file, ``None`` when absent; refuse anything but a regular file.

    A folder, FIFO, device or symbolic link where a document file goes is
    refused without being opened (reading a FIFO would wait forever, and a
    link would point the write elsewhere).

    Raises:
        InvalidValue: ``path`` is not a regular file, or cannot be read.

    Examples:
        >>> import tempfile
        >>> regular_file_bytes(Path(tempfile.mkdtemp()) / "F000001.pdf") is None
        True
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidValue("--out", str(path), f"cannot be used ({exc.strerror}); give "
                                               "another --out folder") from None
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a file")
        raise InvalidValue("--out", str(path), f"is {kind}, not a regular file; move it away "
                                               "or choose another --out folder (nothing was "
                                               "issued)")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise InvalidValue("--out", str(path), f"cannot be read ({exc.strerror}); move it "
                                               "away or choose another --out folder") from None


#: The longest temporary name next to a document file (see :func:`write_files`).
_TEMP_SAMPLE: Final = ".F000000.pdf.4194304.0123456789abcdef.tmp"


def check_out_dir(out_dir: Path) -> None:
    """Refuse an output folder that cannot hold the files, creating nothing.

    Called before a number is taken: an invoice must never be issued
    without the place its files go to.  A folder that does not exist yet is
    accepted when its nearest existing parent is a writable folder (it is
    made when the first file is written).

    Args:
        out_dir: the folder for ``<number>.pdf`` and ``<number>.xml``.

    Raises:
        InvalidValue: it is a file, or it could not be created or written.

    Examples:
        >>> import tempfile
        >>> check_out_dir(Path(tempfile.mkdtemp()) / "invoices" / "2026")
    """
    if not str(out_dir).strip():
        raise InvalidValue("--out", str(out_dir), "is empty; give a folder for the PDF and "
                                                  "XML files")
    _check_path_length(out_dir)
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise InvalidValue("--out", str(out_dir), "is a file, not a folder; give a folder "
                                                      "for the PDF and XML files")
        missing = []
        existing = out_dir.absolute()
        while not existing.exists():
            missing.append(existing)
            existing = existing.parent
    except OSError as exc:
        raise InvalidValue("--out", str(out_dir), f"cannot be used ({exc.strerror}); give "
                                                  "another folder") from None
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise InvalidValue("--out", str(out_dir), f"cannot be created or written ({existing} is "
                                                  "not a writable folder); give another folder")
    if missing:
        # Prove the folder can be made, then leave no trace of the probe.
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidValue("--out", str(out_dir), f"cannot be created ({exc.strerror}); "
                                                      "give a writable folder") from None
        for folder in missing:
            try:
                folder.rmdir()
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
                # Another run (or this run's file writer) has just started
                # writing there: the folder is in use, leave it.
                break


def _check_path_length(out_dir: Path) -> None:
    # A name the system cannot hold is bad input, found before a number is taken.
    longest = out_dir.absolute() / _TEMP_SAMPLE
    name_max, path_max = 255, 4096
    try:
        name_max = os.pathconf("/", "PC_NAME_MAX")
        path_max = os.pathconf("/", "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):  # pragma: no cover - not POSIX
        pass
    too_long = [part for part in longest.parts if len(os.fsencode(part)) > name_max]
    if too_long or len(os.fsencode(str(longest))) >= path_max:
        raise InvalidValue("--out", str(out_dir)[:80] + ("..." if len(str(out_dir)) > 80 else ""),
                           f"is longer than the system allows (a name at most {name_max} bytes, "
                           f"a path under {path_max}); give a shorter folder")


#: Flags of a temporary file: created new (never an existing file or a
#: pre-planted symbolic link), not inherited by child processes.
_EXCLUSIVE: Final = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
                     | getattr(os, "O_BINARY", 0))


def write_atomically(path: Path, data: bytes, *, sync: bool = True) -> Path:
    """Write ``data`` to ``path`` whole or not at all; nothing when it holds them already.

    The one way mbp_billing writes a file it produced (documents, reminder
    letters): the bytes go to a temporary name created exclusively (never an
    existing file or a pre-planted link), are flushed to disk with ``sync``,
    and are renamed over ``path`` in one step, so a reader sees the old file
    or the whole new one.  The folder is made when missing.

    Raises:
        OSError: the system's reason, for the caller to report (a full disk,
            a folder that cannot be written).

    Examples:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "letters" / "a.pdf"
        >>> write_atomically(target, b"%PDF-1.4").read_bytes()
        b'%PDF-1.4'
        >>> sorted(p.name for p in target.parent.iterdir())
        ['a.pdf']
    """
    if regular_file_bytes(path) != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, data, sync=sync)
    return path


def _atomic_write(path: Path, data: bytes, *, sync: bool = True) -> None:
    # A reader sees the old name absent or the whole new file, never a part:
    # the bytes go to a temporary name first and are renamed in one step.
    # (The caller has checked that ``path`` does not hold these bytes already.)
    for _ in range(8):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
        try:
            fd = os.open(tmp, _EXCLUSIVE, 0o644)
            break
        except FileExistsError:
            continue  # somebody planted that name: take another, never reuse it
    else:
        raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _writer_alive(tmp: Path) -> bool:
    # ".F000001.pdf.<pid>.<random>.tmp" (or, before the random part, ".<pid>.tmp"):
    # the process that is (or was) writing it.
    parts = tmp.name.split(".")
    pid = parts[-3] if len(parts[-2]) == 16 and parts[-3].isdigit() else parts[-2]
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists but belongs to someone else
    return True


def sweep_temporary_files(out_dir: Path) -> int:
    """Remove temporary files left by a killed writer; return how many.

    A temporary file whose writer is still running is left alone: a second
    run started at the same time must not pull a file from under the first
    one's rename.
    """
    removed = 0
    if out_dir.is_dir():
        for tmp in out_dir.glob(".*.tmp"):
            if _writer_alive(tmp):
                continue
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed


def write_files(register: Register, number: str, out_dir: Path, *, sync: bool = True,
                files: tuple[bytes, bytes] | None = None,
                remember: bool = True) -> tuple[Path, Path]:
    """Write a document's PDF and UBL from the register's bytes, atomically.

    Each file is written to a temporary name and renamed, so a killed
    process never leaves a half-written file under the real name.  With
    ``sync`` each file is also flushed to disk before the rename (a power
    cut cannot lose it); without, the register, which is always synced, stays
    the durable copy and the files can be rewritten from it byte for byte.
    ``files`` passes the PDF and UBL bytes a caller has just recorded, which
    saves reading them back from the register.  The register remembers
    the folder (see :meth:`Register.outputs`), so ``verify`` checks it;
    ``remember=False`` leaves that to the caller, who records a whole batch
    at once with :meth:`Register.remember_outputs` (the register is not
    touched then, when ``files`` are given).

    Raises:
        RegisterConflict: a file of that name exists with other content.
        FilesNotWritten: the folder or a file cannot be written; the document
            stays issued, and calling again writes its files.
    """
    pdf, xml = files or (register.file_bytes(number, "pdf"), register.file_bytes(number, "xml"))
    targets = _targets(out_dir, number)
    # One look at each name: refuse somebody else's file, skip one that
    # already holds our bytes (a repeated request rewrites nothing).
    current = _current_files(targets, (pdf, xml))
    try:
        if current[0] is None and current[1] is None:
            out_dir.mkdir(parents=True, exist_ok=True)
        for path, data, now in zip(targets, (pdf, xml), current, strict=True):
            if now != data:
                _atomic_write(path, data, sync=sync)
    except OSError as exc:
        raise FilesNotWritten((number,), str(out_dir), exc.strerror or str(exc)) from None
    if remember:
        # The register remembers the folder, so that verify checks it later.
        register.remember_output(number, out_dir)
    return targets


def _check_locale(locale: str) -> None:
    # Rendering a throwaway value would be wasteful; the renderer raises for
    # an unknown locale, and it runs before anything is recorded.
    if not isinstance(locale, str) or not locale:
        raise InvalidValue("locale", locale, "give a locale such as nl_BE")


def issue_invoice(
    agreement: Agreement,
    year: int,
    *,
    issue_date: date,
    register: Register,
    out_dir: Path | None = None,
    locale: str = "nl_BE",
    policy: EndPolicy = EndPolicy.NO_REFUND,
) -> Issued:
    """Issue the invoice of ``year``'s charge, or return the one already issued.

    One invoice per (buyer enterprise number, year, kind): asking again
    returns the issued invoice unchanged (R9: an amendment never changes an
    issued invoice) and rewrites its files byte for byte.

    Args:
        agreement: the agreement; it needs a ``[buyer]``.
        year: the calendar year whose charge to invoice.
        issue_date: the invoice date.
        register: the register that numbers and records the invoice.
        out_dir: where to write ``<number>.pdf`` and ``<number>.xml``;
            ``None`` keeps them only in the register.
        locale: the language of the PDF, such as ``nl_BE``.
        policy: the R8 treatment of the year the agreement ends.

    Returns:
        The :class:`Issued` invoice; ``new`` is ``False`` when it had been
        issued before.

    Raises:
        NotBillable: no charge that year, or the date is before it could be billed.
        InvalidValue: no ``[buyer]`` table.
        RegisterConflict: a back-dated invoice, or an output file with other content.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from mbp_billing import Register, example_agreement
        >>> a = example_agreement()
        >>> with Register.open(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3") as reg:
        ...     first = issue_invoice(a, 2023, issue_date=date(2023, 7, 10), register=reg)
        ...     again = issue_invoice(a, 2023, issue_date=date(2023, 7, 20), register=reg)
        >>> first.new, first.document.number, first.document.total
        (True, 'F000001', Decimal('3500.00'))
        >>> again.new, again.document.number, again.document.issue_date
        (False, 'F000001', datetime.date(2023, 7, 10))
    """
    _check_locale(locale)
    if out_dir is not None:
        check_out_dir(out_dir)
    buyer = require_buyer(agreement)
    charge = charge_for(agreement, year, policy)
    with register.transaction():
        existing = register.active_invoice(buyer.kbo, charge.year)
        if existing is not None and existing.kind != charge.kind:
            raise RegisterConflict(
                "year", charge.year,
                f"is already invoiced as a {existing.kind!r} charge ({existing.number}) but the "
                f"agreement now gives a {charge.kind!r} charge; credit {existing.number} first "
                "(credit command), then invoice again")
        if existing is None:
            invoice = Invoice.build(charge, buyer, number=register.next_number(INVOICE_SERIES),
                                    issue_date=issue_date)
            register.check_date(INVOICE_SERIES, issue_date)
            pdf, xml = render_files(invoice, locale)
            refuse_foreign_files(out_dir, invoice.number, pdf, xml)
            stored = register.insert(invoice, pdf=pdf, xml=xml)
            files: tuple[bytes, bytes] | None = (pdf, xml)
        else:
            stored = existing  # R9, Annex 2 §1: an amendment never changes an issued invoice
            files = None
    paths = (write_files(register, stored.number, out_dir, files=files)
             if out_dir is not None else (None, None))
    return Issued(stored, existing is None, *paths)


def credit_invoice(
    number: str,
    *,
    reason: str,
    issue_date: date,
    register: Register,
    out_dir: Path | None = None,
    amount: Decimal | None = None,
    locale: str = "nl_BE",
) -> Issued:
    """Credit an issued invoice, in full or by ``amount`` (R8, R12).

    Args:
        number: the number of the invoice to credit.
        reason: why it is credited, printed on the credit note.
        issue_date: the credit note's date.
        register: the register that holds the invoice.
        out_dir: where to write the credit note's PDF and XML; ``None`` keeps
            them only in the register.
        amount: the amount to credit; ``None`` credits all that remains.
        locale: the language of the PDF, such as ``nl_BE``.

    Returns:
        The :class:`Issued` credit note.

    Raises:
        InvalidValue: unknown number, a credit note number, or no reason.
        RegisterConflict: the invoice is already fully credited, or the
            credit exceeds what remains.

    Examples:
        >>> import pathlib, tempfile
        >>> from datetime import date
        >>> from decimal import Decimal
        >>> from mbp_billing import Register, example_agreement
        >>> with Register.open(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite3") as reg:
        ...     _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                       register=reg)
        ...     part = credit_invoice("F000001", reason="wrong population figure",
        ...                           issue_date=date(2023, 8, 1), register=reg,
        ...                           amount=Decimal("500.00"))
        ...     rest = credit_invoice("F000001", reason="agreement dissolved",
        ...                           issue_date=date(2023, 8, 2), register=reg)
        >>> part.document.number, part.document.total, part.document.invoice_number
        ('C000001', Decimal('500.00'), 'F000001')
        >>> rest.document.number, rest.document.total
        ('C000002', Decimal('3000.00'))
    """
    _check_locale(locale)
    if out_dir is not None:
        check_out_dir(out_dir)
    with register.transaction():
        stored = register.get(number)
        invoice = stored.document
        if not isinstance(invoice, Invoice):
            raise InvalidValue("number", number, "is a credit note; give an invoice number")
        remaining = invoice.total - register.credited_total(number)
        if remaining <= 0:
            raise RegisterConflict("number", number, "is already fully credited; "
                                                     "a second full credit is refused")
        credited = remaining if amount is None else amount
        if credited > remaining:
            raise RegisterConflict("amount", money_str(credited),
                                   f"exceeds what remains to credit on {number} "
                                   f"({money_str(remaining)})")
        note = CreditNote.build(invoice, number=register.next_number(CREDIT_SERIES),
                                issue_date=issue_date, reason=reason, amount=credited)
        pdf, xml = render_files(note, locale)
        refuse_foreign_files(out_dir, note.number, pdf, xml)
        new = register.insert(note, pdf=pdf, xml=xml)
    paths = (write_files(register, new.number, out_dir, files=(pdf, xml))
             if out_dir is not None else (None, None))
    return Issued(new, True, *paths)

