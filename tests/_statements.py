"""Builders of bank statements (CODA 2.x and camt.053) for the import tests.

The layouts follow the Febelfin CODA 2.x record description (128-character
records 0, 1, 2.1-2.3, 8 and 9) and the ISO 20022 camt.053 message; the
files they make are read back by the same parsers as a bank's files.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs

#: Where the real statements from other projects' test suites are (never copied).
SHARED_BANK = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bank"
EVDV_IBAN = "BE86375111750850"


@attrs.frozen
class Move:
    """One movement: positive amount is a credit, negative a debit."""

    amount: str
    communication: str = ""
    structured: bool = False
    name: str = "Gemeente Een"
    booked_on: date = date(2026, 4, 10)
    reversal: bool = False
    reference: str = ""


def _ddmmyy(day: date) -> str:
    return day.strftime("%d%m%y")


def _amount(value: Decimal) -> str:
    # sign (0 credit, 1 debit) and 15 digits with three decimals
    return ("1" if value < 0 else "0") + f"{int(abs(value) * 1000):015d}"


def _record(text: str) -> str:
    if len(text) > 128:
        raise ValueError(f"record longer than 128: {text!r}")
    return text.ljust(128)


def coda(moves: Sequence[Move], *, account: str = EVDV_IBAN, day: date = date(2026, 4, 10),
         sequence: int = 1, old_balance: str = "1000.00") -> bytes:
    """A CODA 2 file of one statement of ``account`` holding ``moves``."""
    old = Decimal(old_balance)
    acct = account.ljust(34) + "EUR"
    records = [_record(f"00000{_ddmmyy(day)}725" + "05" + " " * 8 + "0" * 10 + "EV DV".ljust(26)
                       + "GKCCBEBB".ljust(11) + "00316449101" + " " + "00000" + " " * 16
                       + " " * 16 + " " * 7 + "2")]
    records.append(_record(f"12{sequence:03d}{acct}{_amount(old)}{_ddmmyy(day)}"
                           + "EV DV".ljust(26) + "Zichtrekening".ljust(35) + f"{sequence:03d}"))
    debit = credit = Decimal(0)
    for n, move in enumerate(moves, start=1):
        value = Decimal(move.amount)
        if value < 0:
            debit -= value
        else:
            credit += value
        if move.structured:
            comm = "1101" + move.communication.ljust(50)
        else:
            comm = "0" + move.communication[:53].ljust(53)
        ref = (move.reference or f"REF{sequence:03d}{n:04d}").ljust(21)[:21]
        code = "00150000" if value >= 0 else "00101000"
        records.append(_record(f"21{n:04d}0000{ref}{_amount(value)}{_ddmmyy(move.booked_on)}"
                               f"{code}{comm[:54]}{_ddmmyy(move.booked_on)}{sequence:03d}0"
                               "1 0"))
        r_part = "4MD06" if move.reversal else " " * 5
        records.append(_record(f"22{n:04d}0000{' ' * 53}{' ' * 35}{'GKCCBEBB'.ljust(11)}   "
                               f"{r_part}{' ' * 8}1 0"))
        records.append(_record(f"23{n:04d}0000{'BE41063012345610'.ljust(37)}"
                               f"{move.name[:35].ljust(35)}{' ' * 43}0 0"))
    new = old + credit - debit
    records.append(_record(f"8{sequence:03d}{acct}{_amount(new)}{_ddmmyy(day)}"))
    count = len(records) - 1
    records.append(_record(f"9{' ' * 15}{count:06d}{int(debit * 1000):015d}"
                           f"{int(credit * 1000):015d}" + " " * 75 + "2"))
    return ("\n".join(records) + "\n").encode("cp1252")


def camt053(moves: Sequence[Move], *, account: str = EVDV_IBAN, day: date = date(2026, 4, 10),
            version: str = "02", statement_id: str = "STMT-1") -> bytes:
    """A camt.053.001.<version> statement of ``account`` holding ``moves``."""
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"
    entries = []
    for n, move in enumerate(moves, start=1):
        value = Decimal(move.amount)
        side = "CRDT" if value >= 0 else "DBIT"
        party = "Dbtr" if value >= 0 else "Cdtr"
        remittance = (f"<Strd><CdtrRefInf><Ref>{move.communication}</Ref></CdtrRefInf></Strd>"
                      if move.structured else f"<Ustrd>{move.communication}</Ustrd>")
        ref = move.reference or f"{statement_id}-{n}"
        entries.append(
            f"<Ntry><Amt Ccy=\"EUR\">{abs(value)}</Amt><CdtDbtInd>{side}</CdtDbtInd>"
            + ("<RvslInd>true</RvslInd>" if move.reversal else "")
            + f"<Sts>BOOK</Sts><BookgDt><Dt>{move.booked_on.isoformat()}</Dt></BookgDt>"
            f"<AcctSvcrRef>{ref}</AcctSvcrRef><NtryDtls><TxDtls>"
            f"<RltdPties><{party}><Nm>{move.name}</Nm></{party}></RltdPties>"
            f"<RmtInf>{remittance}</RmtInf></TxDtls></NtryDtls></Ntry>")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{ns}"><BkToCstmrStmt>
<GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>{day.isoformat()}T20:00:00</CreDtTm></GrpHdr>
<Stmt><Id>{statement_id}</Id><ElctrncSeqNb>1</ElctrncSeqNb>
<CreDtTm>{day.isoformat()}T20:00:00</CreDtTm>
<Acct><Id><IBAN>{account}</IBAN></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>
{''.join(entries)}
</Stmt></BkToCstmrStmt></Document>
""".encode()
