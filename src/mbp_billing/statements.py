"""Bank statements: CODA 2.x and ISO 20022 camt.053, read and matched to invoices.

:func:`read_statement` reads the bytes of a statement file and detects its
format from the content (never from the file name): a CODA file (Febelfin,
the Belgian banks' daily statement) is parsed by ``febelfin-coda``, Tryton's
maintained parser, and checked for consistency; a camt.053 XML of any
published version is read on the message's own namespace.  Either gives one
:class:`Statement` value: the account, the statement date, and its entries
with a stable identity each.

:func:`import_statement` records the credits on EV DV's account that carry
the structured communication of an issued invoice, each bank entry once
however often the statement is imported, and reports the rest.

>>> statement = read_statement(camt053_example())
>>> statement.format, statement.account, len(statement.entries)
('camt.053.001.02', 'BE86375111750850', 1)
>>> entry = statement.entries[0]
>>> entry.amount, entry.structured, entry.name
(Decimal('3500.00'), '000000000101', 'Gemeente Voorbeeld')
"""

from __future__ import annotations

import hashlib
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, Final

import attrs
from stdnum import iban as std_iban
from stdnum.be import ogm_vcs

from .errors import InvalidValue
from .money import money_str, parse_amount
from .parties import SELLER_IBAN
from .register import Register

__all__ = [
    "Statement",
    "StatementEntry",
    "StatementImport",
    "camt053_example",
    "cannot_pay",
    "find_structured_communication",
    "import_statement",
    "invoices_by_communication",
    "read_statement",
]

_FIELD: Final = "--statement"
#: Communications typed as ``+++ddd/dddd/ddddd+++`` (or with ``***``) in free text.
_TYPED_OGM: Final = re.compile(r"([+*]{3})\s*(\d{3})\s*/?\s*(\d{4})\s*/?\s*(\d{5})\s*\1")


def find_structured_communication(text: str | None) -> str | None:
    """The 12 digits of a valid structured communication in ``text``, if any.

    The whole text may be the 12 digits (as banks pass a structured
    reference), or a ``+++ddd/dddd/ddddd+++`` may be typed inside free
    text; the check digits (mod 97) must be right (python-stdnum).

    Examples:
        >>> find_structured_communication("Factuur +++000/0000/00101+++ dank u")
        '000000000101'
        >>> find_structured_communication("000000000101")
        '000000000101'
        >>> find_structured_communication("+++000/0000/00102+++") is None
        True
    """
    if not text:
        return None
    bare = re.sub(r"[\s/+*]", "", text)
    if re.fullmatch(r"\d{12}", bare) and ogm_vcs.is_valid(bare):
        return bare
    for match in _TYPED_OGM.finditer(text):
        digits = "".join(match.groups()[1:])
        if ogm_vcs.is_valid(digits):
            return digits
    return None


def _display(digits: str) -> str:
    return f"+++{ogm_vcs.format(digits)}+++"


@attrs.frozen
class StatementEntry:
    """One movement of a bank statement.

    Attributes:
        entry: a stable identity of the bank entry (account, statement,
            entry sequence or the bank's own reference), the same in every
            import of this statement or of an overlapping one.
        booked_on: the booking date.
        amount: the amount moved, positive, exact to the cent.
        credit: money in (``True``) or out.
        reversal: a return, reject or reversal; never a payment.
        communication: the communication as the bank gave it.
        structured: the 12 digits of a valid structured communication, if any.
        name: the counterparty's name, as the bank gave it.

    Examples:
        >>> entry = read_statement(camt053_example()).entries[0]
        >>> entry.can_pay, entry.shown_communication()
        (True, '+++000/0000/00101+++')
    """

    entry: str
    booked_on: date
    amount: Decimal
    credit: bool
    reversal: bool
    communication: str
    structured: str | None
    name: str

    @property
    def can_pay(self) -> bool:
        """Only plain credits can pay an invoice."""
        return self.credit and not self.reversal

    def shown_communication(self) -> str:
        """The structured communication as printed, else the free text."""
        return _display(self.structured) if self.structured else self.communication


@attrs.frozen
class Statement:
    """A bank statement, whatever its file format.

    Attributes:
        format: ``"CODA"`` or the camt message name, e.g. ``camt.053.001.02``.
        account: the statement's account, as an IBAN without spaces when
            the file gives one.
        number: the statement's sequence number(s).
        date: the statement's date (its closing balance date).
        entries: every movement, in the statement's order.

    Examples:
        >>> statement = read_statement(camt053_example())
        >>> statement.number, statement.date
        ('1', datetime.date(2023, 8, 2))
    """

    format: str
    account: str
    number: str
    date: date
    entries: tuple[StatementEntry, ...]


def read_statement(data: bytes, name: str = "statement") -> Statement:
    """Read a CODA 2.x or camt.053 statement; the format comes from the content.

    Args:
        data: the file's bytes.
        name: the file's name, for messages.

    Returns:
        The :class:`Statement`.

    Raises:
        InvalidValue: neither format, a CODA file whose records disagree, a
            camt message other than a statement, or an unreadable file.

    Examples:
        >>> read_statement(b"date,amount\\n", "x.csv")
        Traceback (most recent call last):
        ...
        mbp_billing.errors.InvalidValue: --statement 'x.csv': is neither a CODA file nor a camt.053 XML statement; give the file the bank delivered (or use --bank-csv for CSV lines)
    """
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return _read_camt(head, name)
    if head.startswith(b"0000") and b"\n1" in head[:300]:
        return _read_coda(head, name)
    raise InvalidValue(_FIELD, name, "is neither a CODA file nor a camt.053 XML statement; give "
                                     "the file the bank delivered (or use --bank-csv for CSV "
                                     "lines)")


def _entry_id(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


# -- CODA ------------------------------------------------------------------------

def _coda_account(structure: str, field: str) -> str:
    # Record 1/8 account field: structure 0 is a Belgian 12-digit account,
    # 2 a Belgian IBAN, 1 and 3 foreign accounts (Febelfin CODA 2.x, 1.2).
    if structure == "0":
        bban = field[:12]
        return f"BE{std_iban.calc_check_digits('BE00' + bban)}{bban}"
    width = {"1": 34, "2": 31, "3": 34}.get(structure, 34)
    return field[:width].strip().replace(" ", "")


def _read_coda(data: bytes, name: str) -> Statement:
    import coda  # febelfin-coda

    text = data.decode("cp1252", errors="replace")
    records = [line for line in text.splitlines() if line.strip()]
    # febelfin-coda checks these with assert, which python -O removes:
    # check the accounts of the old and new balance records here too.
    structure, old_account = "2", None
    for record in records:
        if record[:1] == "1" and len(record) >= 42:
            structure, old_account = record[1:2], _coda_account(record[1:2], record[5:42])
        elif record[:1] == "8" and len(record) >= 41:
            new_account = _coda_account(structure, record[4:41])
            if old_account is not None and new_account != old_account:
                raise InvalidValue(_FIELD, name, "is an inconsistent CODA file: its old balance "
                                                 f"is of account {old_account}, its new balance "
                                                 f"of {new_account}; ask the bank for the "
                                                 "statement again")
    try:
        parsed = coda.CODA(io.StringIO("\n".join(records) + "\n"))
    except (AssertionError, ValueError, IndexError, KeyError, TypeError,
            ArithmeticError) as exc:
        detail = f" ({exc})" if str(exc) else ""
        raise InvalidValue(_FIELD, name, f"is an inconsistent or damaged CODA file{detail}; "
                                         "ask the bank for the statement again") from None
    if not parsed.statements:
        raise InvalidValue(_FIELD, name, "holds no CODA statement")
    entries: list[StatementEntry] = []
    numbers: list[str] = []
    account = ""
    last = date.min
    for st in parsed.statements:
        if account and _coda_account(st._account_structure, st._account_currency) != account:
            raise InvalidValue(_FIELD, name, "holds statements of several accounts; import "
                                             "one account's file")
        account = _coda_account(st._account_structure, st._account_currency)
        moved = sum((m.amount for m in st.moves), Decimal(0))
        if st.new_balance is None or st.new_balance - st.old_balance != moved:
            raise InvalidValue(_FIELD, name, "is an inconsistent CODA file: the movements do "
                                             "not add up to the new balance; ask the bank for "
                                             "the statement again")
        numbers.append(str(st))
        last = max(last, st.new_balance_date)
        for move in st.moves:
            entries.append(_coda_entry(move, account, st, name))
    return Statement("CODA", account, ",".join(numbers), last, tuple(entries))


def _coda_entry(move: Any, account: str, st: Any, name: str) -> StatementEntry:
    amount = parse_amount(abs(move.amount), f"{name} movement {move.sequence} amount",
                          positive=False)
    communication = str(move.communication or "").strip()
    structured = None
    # Type 101/102 is a structured communication; free text (no type) may
    # carry one typed by the payer.
    if move.communication_type in {"101", "102", None}:
        structured = find_structured_communication(communication)
    # Record 2.2's R-transaction (CODA 2.3+): 1 reject, 2 return, 3 refund,
    # 4 reversal, 5 cancellation, with an ISO return reason such as MD06.
    # Older files have other data there, so both must look right.
    reversal = (move.r_transaction or "") in {"1", "2", "3", "4", "5"} and bool(
        re.fullmatch(r"[A-Z]{2}[0-9A-Z]{2}", move.r_reason or ""))
    return StatementEntry(
        entry=_entry_id("CODA", account, st.new_balance_date.isoformat(), st.new_sequence,
                        move.sequence, move.bank_reference.strip()),
        booked_on=move.entry_date, amount=amount, credit=move.amount > 0, reversal=reversal,
        communication=communication, structured=structured,
        name=str(move.counterparty_name or "").strip())


# -- camt.053 --------------------------------------------------------------------

_CAMT_NS: Final = re.compile(r"\{(urn:iso:std:iso:20022:tech:xsd:(camt\.\d{3}\.\d{3}\.\d{2}))\}")


def _read_camt(data: bytes, name: str) -> Statement:
    # The standard library's expat resolves no external entities; a
    # statement never needs a DTD, so one (the way to entity bombs) is refused.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise InvalidValue(_FIELD, name, "declares a DTD or entities, which no bank statement "
                                         "does; refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InvalidValue(_FIELD, name, f"is not well-formed XML ({exc})") from None
    found = _CAMT_NS.match(root.tag)
    if found is None or not found.group(2).startswith("camt.053."):
        kind = found.group(2) if found else root.tag
        raise InvalidValue(_FIELD, name, f"is a {kind} message, not a camt.053 bank-to-customer "
                                         "statement; give the end-of-day camt.053 file")
    ns = {"c": found.group(1)}
    statements = root.findall("c:BkToCstmrStmt/c:Stmt", ns)
    if not statements:
        raise InvalidValue(_FIELD, name, "holds no statement (Stmt)")
    entries: list[StatementEntry] = []
    numbers: list[str] = []
    accounts: set[str] = set()
    last = date.min
    for st in statements:
        account = (_text(st, "c:Acct/c:Id/c:IBAN", ns) or _text(st, "c:Acct/c:Id/c:Othr/c:Id", ns)
                   or "").replace(" ", "").upper()
        accounts.add(account)
        number = (_text(st, "c:LglSeqNb", ns) or _text(st, "c:ElctrncSeqNb", ns)
                  or _text(st, "c:Id", ns) or "")
        numbers.append(number)
        stated = _statement_date(st, ns, name)
        last = max(last, stated)
        for index, ntry in enumerate(st.findall("c:Ntry", ns), start=1):
            entries.extend(_camt_entries(ntry, ns, account, number, stated, index, name))
    if len(accounts) > 1:
        raise InvalidValue(_FIELD, name, f"holds statements of several accounts "
                                         f"({', '.join(sorted(accounts))}); import one account's")
    return Statement(found.group(2), accounts.pop(), ",".join(numbers), last, tuple(entries))


def _text(node: ET.Element, path: str, ns: dict[str, str]) -> str | None:
    found = node.find(path, ns)
    if found is None or found.text is None:
        return None
    return found.text.strip()


def _day(text: str | None, what: str, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise InvalidValue(_FIELD, name, f"has a bad {what} {text!r}") from None


def _statement_date(st: ET.Element, ns: dict[str, str], name: str) -> date:
    for bal in st.findall("c:Bal", ns):
        if _text(bal, "c:Tp/c:CdOrPrtry/c:Cd", ns) in {"CLBD", "CLAV"}:
            when = _day(_text(bal, "c:Dt/c:Dt", ns) or _text(bal, "c:Dt/c:DtTm", ns),
                        "balance date", name)
            if when is not None:
                return when
    for path in ("c:FrToDt/c:ToDtTm", "c:CreDtTm"):
        when = _day(_text(st, path, ns), "statement date", name)
        if when is not None:
            return when
    raise InvalidValue(_FIELD, name, "gives no statement date (closing balance or period)")


def _camt_entries(ntry: ET.Element, ns: dict[str, str], account: str, number: str,
                  stated: date, index: int, name: str) -> Iterable[StatementEntry]:
    where = f"{name} entry {index}"
    credit = _text(ntry, "c:CdtDbtInd", ns) == "CRDT"
    reversal = (_text(ntry, "c:RvslInd", ns) or "").lower() in {"true", "1"}
    booked = (_day(_text(ntry, "c:BookgDt/c:Dt", ns) or _text(ntry, "c:BookgDt/c:DtTm", ns)
                   or _text(ntry, "c:ValDt/c:Dt", ns), "booking date", name) or stated)
    bank_ref = _text(ntry, "c:AcctSvcrRef", ns) or _text(ntry, "c:NtryRef", ns)
    base = ("camt", account, bank_ref) if bank_ref else ("camt", account, number, index)
    txs = ntry.findall("c:NtryDtls/c:TxDtls", ns)
    amount = parse_amount(_text(ntry, "c:Amt", ns) or "", f"{where} amount", positive=False)
    split = credit and len(txs) > 1 and all(
        _tx_amount(tx, ns) is not None for tx in txs)
    parts = list(enumerate(txs, start=1)) if split else [(0, txs[0] if txs else None)]
    for sub, tx in parts:
        part_amount = amount
        if split and tx is not None:
            part_amount = parse_amount(_tx_amount(tx, ns), f"{where} transaction {sub} amount",
                                       positive=False)
        returned = tx is not None and tx.find("c:RtrInf", ns) is not None
        ref = free = ""
        counterparty = ""
        if tx is not None:
            ref = (_text(tx, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns) or "")
            free = " ".join(t.text.strip() for t in tx.findall("c:RmtInf/c:Ustrd", ns)
                            if t.text)
            party = "Dbtr" if credit else "Cdtr"
            counterparty = (_text(tx, f"c:RltdPties/c:{party}/c:Nm", ns)
                            or _text(tx, f"c:RltdPties/c:{party}/c:Pty/c:Nm", ns) or "")
        free = free or _text(ntry, "c:AddtlNtryInf", ns) or ""
        structured = find_structured_communication(ref) or find_structured_communication(free)
        yield StatementEntry(
            entry=_entry_id(*base, sub), booked_on=booked, amount=part_amount, credit=credit,
            reversal=reversal or returned, communication=ref or free, structured=structured,
            name=counterparty)


def _tx_amount(tx: ET.Element, ns: dict[str, str]) -> str | None:
    return _text(tx, "c:AmtDtls/c:TxAmt/c:Amt", ns) or _text(tx, "c:Amt", ns)


# -- matching --------------------------------------------------------------------

@attrs.frozen
class StatementImport:
    """What importing a statement did.

    Attributes:
        recorded: the payments recorded now: ``(number, amount, paid_on)``.
        already_recorded: entries recorded by an earlier import.
        unmatched: credits that pay no invoice: ``(entry, why)``.
        ignored: debits, returns and reversals (never payments).
        chain_head: the register's chain head after the import.

    Examples:
        >>> result = StatementImport((("F000001", Decimal("10.00"), date(2026, 1, 5)),), 0, (),
        ...                          1, "0" * 64)
        >>> result.to_record()["recorded"]
        [{'number': 'F000001', 'amount': '10.00', 'paid_on': '2026-01-05'}]
    """

    recorded: tuple[tuple[str, Decimal, date], ...]
    already_recorded: int
    unmatched: tuple[tuple[StatementEntry, str], ...]
    ignored: int
    chain_head: str

    def to_record(self) -> dict[str, Any]:
        """The ``pay --statement --json`` document."""
        return {
            "recorded": [{"number": n, "amount": money_str(a), "paid_on": d.isoformat()}
                         for n, a, d in self.recorded],
            "already_recorded": self.already_recorded,
            "unmatched": [{"date": e.booked_on.isoformat(), "amount": money_str(e.amount),
                           "communication": e.shown_communication(), "name": e.name,
                           "why": why} for e, why in self.unmatched],
            "ignored": self.ignored,
            "chain_head": self.chain_head,
        }


def invoices_by_communication(register: Register) -> dict[str, str]:
    """Each issued invoice's number, by its structured communication (12 digits).

    Shared by every import of bank lines, so they all match the same way.
    """
    found = {}
    for stored in register.documents():
        if stored.type == "invoice":
            found[str(stored.document.structured_communication)] = stored.number  # type: ignore[union-attr]
    return found


def import_statement(register: Register, statement: Statement, *, source: str = "statement",
                     as_of: date | None = None) -> StatementImport:
    """Record the payments a statement brings, each bank entry once.

    Only credits on EV DV's account can pay: a statement of another account
    is refused.  A credit pays the invoice whose structured communication it
    carries (CODA type 101, camt ``Strd/CdtrRefInf/Ref``, or typed in the
    free text), check digits verified.  Debits, returns and reversals are
    counted as ignored; a credit that pays no invoice (unknown or no
    communication, a fully credited invoice, a date before the invoice or
    after the statement) is listed as unmatched, so nothing received is
    lost.  The "already recorded" check runs inside the write transaction,
    so concurrent imports of the same statement record each entry once.

    Args:
        register: the register.
        statement: from :func:`read_statement`.
        source: recorded with each payment, e.g. the file's name.
        as_of: today; a statement dated later is refused.

    Returns:
        The :class:`StatementImport`: recorded, already recorded, unmatched,
        ignored, and the chain head after it.

    Raises:
        InvalidValue: another account's statement, or one dated after ``as_of``.

    Examples:
        >>> import pathlib, tempfile
        >>> from mbp_billing import example_agreement, issue_invoice
        >>> reg = Register.open(pathlib.Path(tempfile.mkdtemp()) / "r.sqlite3")
        >>> _ = issue_invoice(example_agreement(), 2023, issue_date=date(2023, 7, 10),
        ...                   register=reg)
        >>> statement = read_statement(camt053_example())
        >>> first = import_statement(reg, statement)
        >>> again = import_statement(reg, statement)
        >>> first.recorded, again.already_recorded
        ((('F000001', Decimal('3500.00'), datetime.date(2023, 8, 2)),), 1)
        >>> reg.close()
    """
    if statement.account != SELLER_IBAN:
        raise InvalidValue(_FIELD, statement.account,
                           f"is the statement of another account than EV DV's "
                           f"({std_iban.format(SELLER_IBAN)}); only money received on that "
                           "account can pay an invoice: give EV DV's statement")
    if as_of is not None and statement.date > as_of:
        raise InvalidValue(_FIELD, statement.date.isoformat(),
                           f"the statement is dated after today ({as_of.isoformat()}); "
                           "check the file")
    by_communication = invoices_by_communication(register)
    ignored = 0
    unmatched: list[tuple[StatementEntry, str]] = []
    candidates: list[tuple[StatementEntry, str]] = []
    for entry in statement.entries:
        if not entry.can_pay or entry.amount <= 0:
            ignored += 1  # debits, returns, reversals, and zero-amount information lines
            continue
        if entry.structured is None:
            unmatched.append((entry, "no structured communication"))
            continue
        number = by_communication.get(entry.structured)
        if number is None:
            unmatched.append((entry, "matches no issued invoice"))
        elif entry.booked_on > statement.date:
            unmatched.append((entry, f"dated after the statement ({statement.date.isoformat()})"))
        else:
            candidates.append((entry, number))
    recorded: list[tuple[str, Decimal, date]] = []
    already = 0
    with register.transaction():
        for entry, number in candidates:
            if register.entry_recorded(entry.entry):
                already += 1
                continue
            why = cannot_pay(register, number, entry.booked_on)
            if why is not None:
                unmatched.append((entry, why))
                continue
            payment = register.record_payment(number, entry.amount, entry.booked_on,
                                              reference=entry.structured, source=source,
                                              entry=entry.entry)
            recorded.append((payment.number, payment.amount, payment.paid_on))
        head = register.chain_head()
    order = {e.entry: i for i, e in enumerate(statement.entries)}
    unmatched.sort(key=lambda pair: order.get(pair[0].entry, 0))
    return StatementImport(tuple(recorded), already, tuple(unmatched), ignored, head)


def cannot_pay(register: Register, number: str, paid_on: date) -> str | None:
    """Why money received on ``paid_on`` cannot pay ``number`` (``None``: it can).

    The reasons an import reports a line as unmatched rather than refusing
    the whole file; :meth:`Register.record_payment` refuses the same.
    """
    stored = register.get(number)
    if paid_on < stored.issue_date:
        return f"dated before invoice {number} of {stored.issue_date.isoformat()}"
    if register.credited_total(number) >= stored.amount:
        return f"pays {number}, which is fully credited: a refund is due"
    return None


def camt053_example(amount: str = "3500.00", communication: str = "000000000101",
                    booked_on: date = date(2023, 8, 2)) -> bytes:
    """A small camt.053.001.02 statement of EV DV's account with one credit.

    For the documentation and quick tries; real statements come from the bank.

    >>> read_statement(camt053_example()).entries[0].booked_on
    datetime.date(2023, 8, 2)
    """
    day = booked_on.isoformat()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>EXAMPLE-1</MsgId><CreDtTm>{day}T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>EXAMPLE-1</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>{day}T18:00:00</CreDtTm>
<Acct><Id><IBAN>{SELLER_IBAN}</IBAN></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{amount}</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>
<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>{day}</Dt></BookgDt><AcctSvcrRef>EXAMPLE-1-1</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Gemeente Voorbeeld</Nm></Dbtr></RltdPties>
<RmtInf><Strd><CdtrRefInf><Ref>{communication}</Ref></CdtrRefInf></Strd></RmtInf>
</TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>
""".encode()
