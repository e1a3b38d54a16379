"""Helpers of the run tests: write portfolios to disk, run the CLI, read the register."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from mbp_billing.agreement import Agreement
from mbp_billing.cli import main
from mbp_billing.portfolio import PortfolioEntry
from mbp_billing.register import Register
from mbp_billing.schedule import EndPolicy, build_schedule

#: The documented CSV header, written out here rather than imported.
HEADER = [
    "signed_on", "population", "annual_fee", "population_year", "app_store_live_on",
    "play_store_live_on", "notice_sent_on", "dissolved_on", "buyer_name", "buyer_kbo",
    "buyer_street", "buyer_postcode", "buyer_city", "buyer_reference", "amendments",
]

Key = tuple[str, int, str]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def agreement_row(agreement: Agreement) -> list[str]:
    """One CSV row of ``agreement`` in the documented columns."""
    b = agreement.buyer
    assert b is not None
    amendments = ";".join(
        f"{a.from_year}:population={a.population}" if a.population is not None
        else f"{a.from_year}:annual_fee={a.annual_fee}" for a in agreement.amendments)
    return [_cell(v) for v in (
        agreement.signed_on, agreement.population, agreement.annual_fee,
        agreement.population_year, agreement.app_store_live_on, agreement.play_store_live_on,
        agreement.notice_sent_on, agreement.dissolved_on, b.name, b.kbo, b.street, b.postcode,
        b.city, b.reference, amendments)]


def write_csv(agreements: Iterable[Agreement], path: Path) -> Path:
    """Write a portfolio CSV with the documented header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(agreement_row(a) for a in agreements)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def agreements_of(entries: Iterable[PortfolioEntry]) -> list[Agreement]:
    """The agreements of portfolio entries."""
    return [e.agreement for e in entries]


def expected_charges(agreements: Iterable[Agreement], through: int, issue_date: date,
                     policy: EndPolicy = EndPolicy.NO_REFUND) -> dict[Key, Decimal]:
    """Every (buyer, year, kind) the rules bill up to ``through`` by ``issue_date``."""
    expected: dict[Key, Decimal] = {}
    for a in agreements:
        assert a.buyer is not None
        for charge in build_schedule(a, through, policy=policy):
            if charge.earliest_invoice_date <= issue_date:
                key = (a.buyer.kbo, charge.year, charge.kind)
                assert key not in expected
                expected[key] = charge.amount
    return expected


def run_cli(argv: Sequence[str]) -> tuple[int, str, str]:
    """``main(argv)`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, today=date(2026, 11, 30))
    return code, out.getvalue(), err.getvalue()


def run_json(argv: Sequence[str]) -> dict[str, Any]:
    """Run a CLI command with ``--json``, require exit 0, return the document."""
    code, out, err = run_cli([*argv, "--json"])
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


def cli_process(argv: Sequence[str], **popen: Any) -> subprocess.Popen[str]:
    """``python -m mbp_billing ARGV`` as a child process."""
    return subprocess.Popen([sys.executable, "-m", "mbp_billing", *argv], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def register_keys(path: Path | str) -> dict[Key, list[str]]:
    """The invoice numbers of each (buyer, year, kind) in the register at ``path``."""
    keys: dict[Key, list[str]] = {}
    with Register.open(path, create=False) as reg:
        for d in reg.documents():
            if d.type == "invoice":
                keys.setdefault((d.buyer_kbo, d.year, d.kind), []).append(d.number)
    return keys


def numbers(path: Path) -> list[str]:
    """Every document number of the register at ``path``, in order of issue."""
    with Register.open(path, create=False) as reg:
        return [d.number for d in reg.documents()]


def gapless(series: str, count: int) -> list[str]:
    """``F000001 .. F00000<count>``."""
    return [f"{series}{i:06d}" for i in range(1, count + 1)]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Name -> bytes of every file in ``folder`` (hidden ones included)."""
    if not folder.exists():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
