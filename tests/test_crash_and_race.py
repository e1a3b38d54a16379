"""Crash and concurrency safety of runs: kill -9 and resume, two runs at once.

The portfolio is a slice of the example portfolio (Statbel population of the
285 Flemish municipalities, generated dates): the 40 municipalities that go
live from 2025 on, about 60 invoices, so that each run takes a few seconds.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from _portfolios import cli_process, expected_charges, gapless, register_keys, snapshot, write_csv
from factories import agreement, buyer, kbo

from mbp_billing import runs
from mbp_billing.audit import verify
from mbp_billing.errors import InvalidValue
from mbp_billing.examples import example_portfolio
from mbp_billing.issuing import sweep_temporary_files
from mbp_billing.portfolio import Portfolio, PortfolioEntry
from mbp_billing.register import Register
from mbp_billing.runs import run_portfolio
from mbp_billing.schedule import EndPolicy

RUN_DATE = date(2026, 11, 30)
#: Seed of the kill delays; a failure names the delays so it can be replayed.
SEED = 20261130
KILLS = 8


@pytest.fixture(scope="module")
def subset(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The 40-municipality CSV and what the rules bill for it through 2026."""
    agreements = [e.agreement for e in example_portfolio()
                  if e.agreement.billing_start is not None
                  and date(2025, 1, 1) <= e.agreement.billing_start <= RUN_DATE][:40]
    assert len(agreements) == 40
    path = write_csv(agreements, tmp_path_factory.mktemp("subset") / "portfolio.csv")
    return {"csv": path, "expected": expected_charges(agreements, 2026, RUN_DATE)}


def _argv(csv_path: Path, register: Path | str, out: Path) -> list[str]:
    return ["run", str(csv_path), "--through", "2026", "--date", RUN_DATE.isoformat(),
            "--register", str(register), "--out", str(out), "--json"]


def _finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    result: dict[str, Any] = json.loads(stdout)
    return result


def _registered(register: Path | str) -> int:
    """How many invoice keys the register holds (0 before it exists)."""
    try:
        return len(register_keys(register))
    except InvalidValue:
        return 0


def _assert_complete(register: Path | str, out: Path, expected: dict[Any, Decimal]) -> None:
    keys = register_keys(register)
    assert {k: len(v) for k, v in keys.items()} == dict.fromkeys(expected, 1)
    with Register.open(register, create=False) as reg:
        stored = reg.documents()
        assert [d.number for d in stored] == gapless("F", len(expected))
        assert {(d.buyer_kbo, d.year, d.kind): d.amount for d in stored} == expected
        assert verify(reg, out) == []
    names = sorted(snapshot(out))
    assert not [n for n in names if n.endswith(".tmp") or n.startswith(".")]
    assert names == sorted(f"{n}.{ext}" for n in gapless("F", len(expected))
                           for ext in ("pdf", "xml"))


def test_killed_runs_resume_to_exactly_one_invoice_each(subset: dict[str, Any], tmp_path: Path,
                                                        register_location: Path | str) -> None:
    """kill -9 at random moments, then a full run: each invoice once, gapless, files intact.

    On PostgreSQL too, against an uninterrupted run on SQLite: same numbers, same bytes.
    """
    reference_register, reference_out = tmp_path / "ref.sqlite3", tmp_path / "ref-out"
    started = time.monotonic()
    _finish(cli_process(_argv(subset["csv"], reference_register, reference_out)))
    duration = time.monotonic() - started

    register, out = register_location, tmp_path / "out"
    rng = random.Random(SEED)
    history = []
    for _ in range(KILLS):
        delay = rng.uniform(0.05, duration)
        process = cli_process(_argv(subset["csv"], register, out))
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        count = _registered(register)
        history.append((round(delay, 2), process.returncode, count))
    assert any(code == -signal.SIGKILL for _, code, _ in history), history

    final = _finish(cli_process(_argv(subset["csv"], register, out)))
    assert len(final["issued"]) + final["already_issued"] == len(subset["expected"]), history
    _assert_complete(register, out, subset["expected"])
    # Resuming numbers and renders exactly as one uninterrupted run would.
    assert register_keys(register) == register_keys(reference_register)
    assert snapshot(out) == snapshot(reference_out)


def test_two_runs_started_together_issue_each_invoice_once(subset: dict[str, Any], tmp_path: Path,
                                                           register_location: Path | str) -> None:
    """Two runs on one register at the same time both succeed and never duplicate or skip."""
    register, out = register_location, tmp_path / "out"
    first = cli_process(_argv(subset["csv"], register, out))
    second = cli_process(_argv(subset["csv"], register, out))
    results = [_finish(first), _finish(second)]
    total = len(subset["expected"])
    issued = [r["number"] for result in results for r in result["issued"]]
    assert sorted(issued) == gapless("F", total)  # together: all, none twice
    for result in results:
        assert len(result["issued"]) + result["already_issued"] == total
    _assert_complete(register, out, subset["expected"])


# -- the same races, made deterministic in one process ------------------------------

def _two_buyers() -> Portfolio:
    return Portfolio((
        PortfolioEntry("a.toml", agreement()),
        PortfolioEntry("b.toml", agreement(buyer=buyer(kbo=kbo(3), name="Gemeente Drie"),
                                           notice_sent_on=date(2025, 12, 20))),
    ))


def _competing_run(monkeypatch: pytest.MonkeyPatch, register_path: Path,
                   **competitor: Any) -> None:
    """Let another run complete between this run's plan and its first write."""
    real_plan = runs._plan

    def plan_then_compete(*args: Any, **kwargs: Any) -> Any:
        planned = real_plan(*args, **kwargs)
        monkeypatch.setattr(runs, "_plan", real_plan)
        with Register.open(register_path) as other:
            run_portfolio(register=other, **competitor)
        return planned

    monkeypatch.setattr(runs, "_plan", plan_then_compete)


def test_invoices_issued_by_another_run_after_planning_are_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that planned before another one issued re-reads under the lock and skips them."""
    portfolio, path = _two_buyers(), tmp_path / "r.sqlite3"
    _competing_run(monkeypatch, path, portfolio=portfolio, through=2024,
                   issue_date=date(2026, 1, 5))
    with Register.open(path) as reg:
        result = run_portfolio(portfolio, 2026, issue_date=date(2026, 1, 5), register=reg)
        documents = reg.documents()
        assert reg.verify() == []
    assert [d.number for d in documents] == gapless("F", 8)
    assert len({(d.buyer_kbo, d.year, d.kind) for d in documents}) == 8
    assert {x.year for x in result.issued} == {2025, 2026}
    assert result.already_issued == 4


def test_a_final_year_credited_by_another_run_is_not_credited_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """R8 pro-rata: two runs that both planned the credit issue it once between them."""
    portfolio, path = _two_buyers(), tmp_path / "r.sqlite3"
    with Register.open(path) as reg:
        run_portfolio(portfolio, 2026, issue_date=date(2026, 1, 5), register=reg)
    _competing_run(monkeypatch, path, portfolio=portfolio, through=2026,
                   issue_date=date(2026, 3, 2), policy=EndPolicy.PRO_RATA)
    with Register.open(path) as reg:
        result = run_portfolio(portfolio, 2026, issue_date=date(2026, 3, 2), register=reg,
                               policy=EndPolicy.PRO_RATA)
        notes = [d for d in reg.documents() if d.type == "credit_note"]
        assert result.credited == ()
        assert [(n.number, n.amount) for n in notes] == [("C000001", Decimal("5833.33"))]
        assert reg.credited_total(notes[0].credits or "") == Decimal("5833.33")
        assert reg.verify() == []


def test_sweep_removes_only_temporary_files_of_dead_writers(tmp_path: Path) -> None:
    """Leftovers of a killed writer go; a running writer's temporary file stays."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    live = tmp_path / f".F000001.pdf.{os.getppid()}.tmp"
    orphan = tmp_path / f".F000002.pdf.{dead.pid}.tmp"
    for path in (live, orphan):
        path.write_bytes(b"partial")
    assert sweep_temporary_files(tmp_path) == 1
    assert live.exists() and not orphan.exists()


def test_documents_committed_before_a_kill_get_their_files(tmp_path: Path) -> None:
    """Invoices and credit notes recorded but never written to disk are written by the next run."""
    portfolio, path, out = _two_buyers(), tmp_path / "r.sqlite3", tmp_path / "out"
    with Register.open(path) as reg:
        run_portfolio(portfolio, 2026, issue_date=date(2026, 1, 5), register=reg)
        run_portfolio(portfolio, 2026, issue_date=date(2026, 3, 2), register=reg,
                      policy=EndPolicy.PRO_RATA)
        assert not out.exists()
        result = run_portfolio(portfolio, 2026, issue_date=date(2026, 3, 2), register=reg,
                               out_dir=out, policy=EndPolicy.PRO_RATA)
        assert result.issued == () and result.files_repaired == 9
        assert verify(reg, out) == []
    assert len(snapshot(out)) == 2 * 9


def test_rendering_processes_end_with_a_killed_run(subset: dict[str, Any],
                                                   tmp_path: Path) -> None:
    """After kill -9 of a run with two workers, its rendering processes end too."""
    process = cli_process([*_argv(subset["csv"], tmp_path / "r.sqlite3", tmp_path / "out"),
                           "--workers", "2"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list((tmp_path / "out").glob("*.pdf")):
        time.sleep(0.02)  # files appear after the first batch, rendered by the pool
    process.send_signal(signal.SIGKILL)
    # The children hold the same stdout: communicate() returns only when all have ended.
    process.communicate(timeout=20)
    assert process.returncode == -signal.SIGKILL
