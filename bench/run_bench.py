"""Benchmark of start-up and of the 285-municipality catch-up run (issue 4 item 8, issue 12).

A script, not a test: run it with the project's interpreter from the
repository root::

    .venv/bin/python bench/run_bench.py            # table, 3 repetitions
    .venv/bin/python bench/run_bench.py --repeat 5 --json

In one process it measures

(a) the floor: bare ReportLab drawing N one-page invoice-like PDFs (a canvas,
    a dozen text lines, a table-like block and a rectangle, ``invariant=1``,
    into an in-memory buffer), N being the number of invoices of (b);
(b) the catch-up run: :func:`mbp_billing.runs.run_portfolio` over
    :func:`mbp_billing.examples.example_portfolio` through 2026, dated
    2026-11-30, from an empty register, with PDF and UBL written to a folder
    (as the ``run`` command does), with ``workers=1`` and ``workers=2``;
(c) for context, the renderer alone: ``render_files`` (PDF + UBL) of the
    same N invoices in this process, without register or files;
(d) start-up, as whole processes: ``python -c pass``, the stack floor (an
    interpreter importing only attrs, dateutil, argparse, json and
    tomllib), ``python -c "import mbp_billing"`` and ``python -m mbp_billing
    quote ... --json``, interleaved in a shuffled order, ``--startup-runs``
    times each;
(e) the catch-up run through the command line, start-up included: ``python
    -m mbp_billing run portfolio.csv --through 2026 --date 2026-11-30`` (the
    same portfolio, written as a CSV; default workers), once per repetition
    next to (a) and to a whole process drawing (a)'s pages.

Each figure of (a)-(c) is the best wall time (``time.perf_counter``) of
``--repeat`` repetitions; (d) and (e) are medians of whole-process wall
times.  The repetitions interleave (a), (b), (c) and (e) so that a busy
machine slows them alike.  Every repetition of (b) gets a fresh temporary
register and output folder.  Finally (b) with one worker runs once more
under cProfile, and the time is broken down by where it goes.  See
``bench/README.md`` for how to read the numbers.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gc
import inspect
import io
import json
import os
import platform
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import reportlab
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from mbp_billing.documents import Invoice
from mbp_billing.examples import example_portfolio
from mbp_billing.issuing import render_files
from mbp_billing.portfolio import CSV_COLUMNS, Portfolio
from mbp_billing.register import Register
from mbp_billing.runs import RunResult, run_portfolio
from mbp_billing.schedule import build_schedule

THROUGH = 2026
ISSUE_DATE = date(2026, 11, 30)
#: The issue's target: the run within this factor of the bare ReportLab floor.
TARGET_RATIO = 3.0
#: Start-up targets (issue 12): the median under this many seconds and within
#: this factor of the stack floor.
STARTUP_TARGETS = {"quote": (0.150, 2.0), "import": (0.100, 1.5)}
#: The stack floor: an interpreter that imports only what the rules stand on.
STACK_FLOOR = "import attrs, dateutil.relativedelta, argparse, json, tomllib"
QUOTE_ARGS = ("quote", "--population", "32000", "--go-live", "2023-07-03", "--json")
#: The environment of the measured processes.  Without PYTHONDONTWRITEBYTECODE:
#: an installed package has its bytecode compiled by pip, while a checkout
#: installed in editable mode under PYTHONDONTWRITEBYTECODE=1 would compile
#: every module of mbp_billing from source at each start (about 40 ms).  The
#: warm-up runs write the bytecode caches (``__pycache__``, ignored by git).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
#: Where registers and output folders go (``--tmpdir``); None: the system's.
TMPDIR: str | None = None
#: The folders of the timed runs, removed only when all timing is done: on a
#: file system without a journal (ext4 here), creating a file right after
#: thousands were deleted nearby scans past their inodes, so deleting one
#: run's 1,366 files just before the next run made that run pay for it.
_KEPT: list[tempfile.TemporaryDirectory[str]] = []


def kept_folder(prefix: str) -> Path:
    """A fresh temporary folder, removed by :func:`remove_kept_folders`."""
    folder = tempfile.TemporaryDirectory(prefix=prefix, dir=TMPDIR)
    _KEPT.append(folder)
    return Path(folder.name)


def remove_kept_folders() -> None:
    while _KEPT:
        _KEPT.pop().cleanup()


# -- (a) the floor ---------------------------------------------------------------


def bare_reportlab_page(i: int) -> bytes:
    """One invoice-like A4 page drawn on a bare canvas: the floor of any PDF invoice."""
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, invariant=1)
    c.setTitle(f"Factuur F{i:06d}")
    c.setFont("Helvetica-Bold", 20)
    c.drawString(50, 780, "Factuur")
    c.setFont("Helvetica", 10)
    c.drawRightString(545, 780, f"F{i:06d}")
    lines = [
        "Eigen Vermogen Digitaal Vlaanderen", "Havenlaan 88, 1000 Brussel",
        "Ondernemingsnummer 0207.123.407", f"Gemeente {i}", "Marktplein 1", "9999 Voorbeeld",
        "Datum: 30 november 2026", "Vervaldatum: 30 december 2026", f"Referentie: MBP-{i:05d}",
        "Mijn Burgerprofiel app", "Periode: 1 januari 2026 - 31 december 2026",
        "Niet onderworpen aan btw (artikel 6 W.btw)",
    ]
    for k, line in enumerate(lines):
        c.drawString(50, 740 - 14 * k, line)
    # A table-like block: header row, three rows of three cells, rules between.
    y = 520
    for row, cells in enumerate([("Omschrijving", "Maanden", "Bedrag"),
                                 ("Jaarvergoeding", "12", "7.000,00"),
                                 ("BTW", "", "0,00"),
                                 ("Totaal", "", f"{7000 + i},00")]):
        c.drawString(50, y - 18 * row, cells[0])
        c.drawString(330, y - 18 * row, cells[1])
        c.drawRightString(545, y - 18 * row, cells[2])
        c.line(50, y - 18 * row - 5, 545, y - 18 * row - 5)
    c.rect(50, 300, 495, 120, stroke=1, fill=0)
    c.drawString(60, 400, f"Gestructureerde mededeling +++000/0000/{i:05d}+++")
    c.showPage()
    c.save()
    return buffer.getvalue()


def time_baseline(n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        bare_reportlab_page(i)
    return time.perf_counter() - start


# -- (b) the run and (c) the renderer -----------------------------------------------


def catch_up_run(portfolio: Portfolio, workers: int, root: Path) -> tuple[float, RunResult]:
    """One run from an empty register in ``root``; the wall time of ``run_portfolio``."""
    with Register.open(root / "register.sqlite3") as register:
        start = time.perf_counter()
        result = run_portfolio(portfolio, THROUGH, issue_date=ISSUE_DATE, register=register,
                               out_dir=root / "out", workers=workers)
        elapsed = time.perf_counter() - start
    return elapsed, result


def time_run(portfolio: Portfolio, workers: int) -> tuple[float, RunResult]:
    return catch_up_run(portfolio, workers, kept_folder("mbp-bench-"))


def due_invoices(portfolio: Portfolio) -> list[Invoice]:
    """The invoices the run issues, numbered as it numbers them, for (c)."""
    due = [(charge, entry) for entry in portfolio
           for charge in build_schedule(entry.agreement, THROUGH)
           if charge.earliest_invoice_date <= ISSUE_DATE]
    order = {id(e): i for i, e in enumerate(portfolio)}
    due.sort(key=lambda d: (d[0].year, d[0].kind != "first", order[id(d[1])]))
    invoices = []
    for counter, (charge, entry) in enumerate(due, start=1):
        assert entry.agreement.buyer is not None
        invoices.append(Invoice.build(charge, entry.agreement.buyer, number=f"F{counter:06d}",
                                      issue_date=ISSUE_DATE))
    return invoices


def time_renderer(invoices: list[Invoice]) -> float:
    start = time.perf_counter()
    for invoice in invoices:
        render_files(invoice)
    return time.perf_counter() - start


# -- (d) start-up and (e) the run through the command line: whole processes --------


def startup_commands() -> dict[str, list[str]]:
    """The start-up measurements of (d), by name."""
    py = sys.executable
    return {
        "pass": [py, "-c", "pass"],
        "floor": [py, "-c", STACK_FLOOR],
        "import": [py, "-c", "import mbp_billing"],
        "quote": [py, "-m", "mbp_billing", *QUOTE_ARGS],
    }


def wall(command: list[str], cwd: Path) -> float:
    """The wall time of one whole process, which must succeed."""
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=cwd, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=CHILD_ENV)
    return time.perf_counter() - start


def time_startup(runs: int, cwd: Path, progress: Callable[[str], None]) -> dict[str, list[float]]:
    """``runs`` wall times of each start-up command, interleaved in shuffled rounds."""
    commands = startup_commands()
    quote = subprocess.run(commands["quote"], check=True, cwd=cwd, capture_output=True,
                           text=True, env=CHILD_ENV)  # Warm-up, and a check that it answers.
    if json.loads(quote.stdout)["amount"] != "3500.00":
        raise SystemExit(f"quote answered {quote.stdout!r}")
    for command in commands.values():
        wall(command, cwd)  # Warm-up: bytecode caches written, files in the page cache.
    samples: dict[str, list[float]] = {name: [] for name in commands}
    order = random.Random(12)
    for round_ in range(1, runs + 1):
        names = list(commands)
        order.shuffle(names)
        for name in names:
            samples[name].append(wall(commands[name], cwd))
        if round_ % 10 == 0 or round_ == runs:
            progress(f"start-up round {round_}/{runs}: " + ", ".join(
                f"{k} {statistics.median(v) * 1000:.0f} ms" for k, v in samples.items()))
    return samples


def write_portfolio_csv(portfolio: Portfolio, path: Path) -> None:
    """``portfolio`` as a portfolio CSV in the documented columns, for ``run``."""
    def cell(value: object) -> str:
        return "" if value is None else value.isoformat() if isinstance(value, date) else str(value)

    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for entry in portfolio:
            a, b = entry.agreement, entry.agreement.buyer
            assert b is not None
            values = {
                "signed_on": a.signed_on, "population": a.population, "annual_fee": a.annual_fee,
                "population_year": a.population_year, "app_store_live_on": a.app_store_live_on,
                "play_store_live_on": a.play_store_live_on, "notice_sent_on": a.notice_sent_on,
                "dissolved_on": a.dissolved_on,
                **{f"buyer_{k}": getattr(b, k) for k in ("name", "kbo", "street", "postcode",
                                                         "city", "reference")},
                "amendments": ";".join(
                    f"{m.from_year}:population={m.population}" if m.population is not None
                    else f"{m.from_year}:annual_fee={m.annual_fee}" for m in a.amendments),
            }
            writer.writerow([cell(values[c]) for c in CSV_COLUMNS])


def time_cli_run(csv_path: Path, n: int) -> float:
    """``python -m mbp_billing run`` of the portfolio into a fresh folder: its wall time."""
    root = kept_folder("mbp-bench-cli-")
    command = [sys.executable, "-m", "mbp_billing", "run", str(csv_path),
               "--through", str(THROUGH), "--date", ISSUE_DATE.isoformat(),
               "--register", str(root / "register.sqlite3"), "--out", str(root / "out"),
               "--json"]
    start = time.perf_counter()
    done = subprocess.run(command, check=True, cwd=root, capture_output=True, text=True,
                          env=CHILD_ENV)
    elapsed = time.perf_counter() - start
    record = json.loads(done.stdout)
    if len(record["issued"]) + len(record["credited"]) != n:
        raise SystemExit(f"the run through the command line issued {len(record['issued'])} "
                         f"documents, the dry run said {n}")
    return elapsed


def floor_process_command(n: int) -> list[str]:
    """A whole process that imports ReportLab and draws (a)'s ``n`` pages."""
    code = "\n".join([
        "import io",
        "from reportlab.lib.pagesizes import A4",
        "from reportlab.pdfgen.canvas import Canvas",
        inspect.getsource(bare_reportlab_page),
        f"for i in range({n}):",
        "    bare_reportlab_page(i)",
    ])
    return [sys.executable, "-c", code]


# -- the profile -------------------------------------------------------------------


def _where(key: tuple[str, int, str]) -> str:
    """``package.module:function`` for a pstats key."""
    filename, _line, name = key
    if filename == "~":  # a built-in: "<method 'execute' of 'sqlite3.Connection' objects>"
        return name
    parts = Path(filename).with_suffix("").parts
    anchors = [i for i, p in enumerate(parts)
               if p in ("site-packages", "src") or re.fullmatch(r"python3\.\d+", p)]
    parts = parts[anchors[-1] + 1:] if anchors else parts[-1:]
    module = ".".join(p for p in parts if p != "__init__")
    return f"{module}:{name}"


def _module(key: tuple[str, int, str]) -> str:
    where = _where(key)
    if ":" in where:
        return where.split(":", 1)[0]
    if "sqlite3" in where:
        return "sqlite3 (C)"
    if "posix." in where or "io.open" in where or "_io.Buffered" in where:
        return "file I/O (C)"
    return "builtins (C)"


#: Categories by entry point (cumulative time; they do not call one another).
_ENTRY_POINTS = {
    "PDF rendering (render.render_pdf)": [("mbp_billing/render/pdf.py", "render_pdf")],
    "UBL (einvoice.to_ubl)": [("mbp_billing/einvoice.py", "to_ubl")],
    "schedule (schedule.build_schedule)": [("mbp_billing/schedule.py", "build_schedule")],
    # The files of a batch are written by a background thread (not seen by
    # cProfile); what the run's thread waits for them is counted here.
    "file writes (write_files, or waiting for the writer thread)": [
        ("mbp_billing/issuing.py", "write_files"), ("mbp_billing/runs.py", "settle")],
}


def profile_run(portfolio: Portfolio, top: int = 15) -> dict[str, Any]:
    """Profile one workers=1 run (cProfile sees the main thread) and break its time down."""
    with tempfile.TemporaryDirectory(prefix="mbp-bench-prof-", dir=TMPDIR) as tmp:
        profiler = cProfile.Profile()
        with Register.open(Path(tmp) / "register.sqlite3") as register:
            profiler.enable()
            run_portfolio(portfolio, THROUGH, issue_date=ISSUE_DATE, register=register,
                          out_dir=Path(tmp) / "out", workers=1)
            profiler.disable()
    stats = pstats.Stats(profiler)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = max(ct for (_, _, _, ct, _) in raw.values())

    categories: dict[str, float] = {}
    for label, functions in _ENTRY_POINTS.items():
        categories[label] = sum(v[3] for k, v in raw.items()
                                if any(k[0].replace(os.sep, "/").endswith(suffix) and k[2] == name
                                       for suffix, name in functions))
    # Leaf C calls: their own time is all of it.  (The file writes' reads of
    # the stored bytes are counted in both; they are a few milliseconds.)
    categories["SQLite (sqlite3 C calls, incl. commit fsync)"] = sum(
        v[2] for k, v in raw.items() if k[0] == "~" and "sqlite3" in k[2])
    categories["other (planning, numbering, hashing, Python glue)"] = (
        total - sum(categories.values()))

    cumulative = sorted(raw.items(), key=lambda kv: kv[1][3], reverse=True)[:top]
    by_module: dict[str, float] = {}
    for key, value in raw.items():
        by_module[_module(key)] = by_module.get(_module(key), 0.0) + value[2]
    modules = sorted(by_module.items(), key=lambda kv: kv[1], reverse=True)[:top]
    return {
        "total_s": total,
        "categories": [{"what": k, "seconds": v, "share": v / total}
                       for k, v in categories.items()],
        "top_cumulative": [{"function": _where(k), "calls": v[1], "cumulative_s": v[3],
                            "own_s": v[2]} for k, v in cumulative],
        "top_modules_own_time": [{"module": m, "own_s": s, "share": s / total}
                                 for m, s in modules],
    }


# -- driver ----------------------------------------------------------------------


def measure(repeat: int, workers: list[int], profile: bool, renderer: bool,
            progress: Callable[[str], None], *, startup_runs: int = 0,
            cli_run: bool = False) -> dict[str, Any]:
    portfolio = example_portfolio()
    scratch = tempfile.TemporaryDirectory(prefix="mbp-bench-cwd-", dir=TMPDIR)
    cwd = Path(scratch.name)
    startup = time_startup(startup_runs, cwd, progress) if startup_runs else {}
    # N: the number of documents the run issues, from a dry run on an empty register.
    with tempfile.TemporaryDirectory(prefix="mbp-bench-dry-", dir=TMPDIR) as tmp, \
            Register.open(Path(tmp) / "register.sqlite3") as register:
        dry = run_portfolio(portfolio, THROUGH, issue_date=ISSUE_DATE, register=register,
                            dry_run=True)
    n = len(dry.issued) + len(dry.credited)
    invoices = due_invoices(portfolio) if renderer else []

    # Warm-up, untimed: imports, font metrics, Babel data, the first process pool.
    bare_reportlab_page(0)
    if invoices:
        render_files(invoices[0])
    csv_path = cwd / "portfolio.csv"
    if cli_run:
        write_portfolio_csv(portfolio, csv_path)
        wall(floor_process_command(1), cwd)
        time_cli_run(csv_path, n)  # Warm-up: bytecode caches written.

    best: dict[str, float] = {}
    samples: dict[str, list[float]] = {}

    def keep(name: str, seconds: float) -> None:
        best[name] = min(seconds, best.get(name, float("inf")))
        samples.setdefault(name, []).append(seconds)

    for rep in range(1, repeat + 1):
        gc.collect()
        keep("baseline", time_baseline(n))
        if cli_run:
            keep("cli_run", time_cli_run(csv_path, n))
            keep("floor_process", wall(floor_process_command(n), cwd))
        for w in workers:
            gc.collect()
            seconds, result = time_run(portfolio, w)
            documents = len(result.issued) + len(result.credited)
            if documents != n or result.total_amount != dry.total_amount:
                raise SystemExit(f"run with {w} worker(s) issued {documents} documents for "
                                 f"{result.total_amount}, the dry run said {n} for "
                                 f"{dry.total_amount}")
            keep(f"run_w{w}", seconds)
        if invoices:
            gc.collect()
            keep("renderer", time_renderer(invoices))
        progress(f"repetition {rep}/{repeat}: " + ", ".join(
            f"{k} {v * 1000 / n:.2f} ms/doc" for k, v in best.items()))

    base = best["baseline"]
    rows = [{"what": "(a) bare ReportLab, one-page canvas", "key": "baseline",
             "seconds": base, "ms_per_doc": base * 1000 / n, "ratio": 1.0}]
    for w in workers:
        s = best[f"run_w{w}"]
        rows.append({"what": f"(b) run_portfolio, workers={w}", "key": f"run_w{w}",
                     "seconds": s, "ms_per_doc": s * 1000 / n, "ratio": s / base})
    if invoices:
        s = best["renderer"]
        rows.append({"what": "(c) render_files alone (PDF + UBL)", "key": "renderer",
                     "seconds": s, "ms_per_doc": s * 1000 / n, "ratio": s / base})
    figures: dict[str, Any] = {
        "documents": n,
        "invoices": len(dry.issued),
        "credit_notes": len(dry.credited),
        "total_amount": str(dry.total_amount),
        "repeat": repeat,
        "target_ratio": TARGET_RATIO,
        "rows": rows,
        "ratios": {f"workers={w}": best[f"run_w{w}"] / base for w in workers},
        "within_target": {f"workers={w}": best[f"run_w{w}"] / base <= TARGET_RATIO
                          for w in workers},
        "machine": {"python": platform.python_version(), "reportlab": reportlab.Version,
                    "cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_average": os.getloadavg(), "tmpdir": TMPDIR or tempfile.gettempdir()},
    }
    if startup:
        medians = {k: statistics.median(v) for k, v in startup.items()}
        figures["startup"] = {
            "runs": startup_runs,
            "stack_floor": STACK_FLOOR,
            "quote": " ".join(QUOTE_ARGS),
            "rows": [{"what": name, "median_ms": medians[name] * 1000,
                      "min_ms": min(startup[name]) * 1000, "max_ms": max(startup[name]) * 1000,
                      "x_pass": medians[name] / medians["pass"],
                      "x_floor": medians[name] / medians["floor"]} for name in startup],
            "targets": {name: {"median_ms": medians[name] * 1000,
                               "limit_ms": limit * 1000, "x_floor": medians[name] / medians["floor"],
                               "limit_x_floor": ratio,
                               "met": medians[name] <= limit
                               and medians[name] / medians["floor"] <= ratio}
                        for name, (limit, ratio) in STARTUP_TARGETS.items()},
        }
    if cli_run:
        run_median = statistics.median(samples["cli_run"])
        floor_median = statistics.median(samples["baseline"])
        process_median = statistics.median(samples["floor_process"])
        figures["cli_run"] = {
            "command": f"python -m mbp_billing run portfolio.csv --through {THROUGH} "
                       f"--date {ISSUE_DATE.isoformat()} --register ... --out ... --json",
            "repeat": repeat,
            "median_s": run_median,
            "floor_median_s": floor_median,
            "floor_process_median_s": process_median,
            "ratio": run_median / floor_median,
            "ratio_to_floor_process": run_median / process_median,
            "target_ratio": TARGET_RATIO,
            "met": run_median / floor_median <= TARGET_RATIO,
        }
    scratch.cleanup()
    if profile:
        progress("profiling one workers=1 run (cProfile; slower than the timed runs)")
        figures["profile"] = profile_run(portfolio)
    remove_kept_folders()
    return figures


def print_table(figures: dict[str, Any], out: Any) -> None:
    n = figures["documents"]
    out.write(f"Catch-up run through {THROUGH} dated {ISSUE_DATE}: {figures['invoices']} "
              f"invoice(s), {figures['credit_notes']} credit note(s), "
              f"{figures['total_amount']} EUR; N = {n} documents\n")
    machine = figures["machine"]
    out.write(f"best of {figures['repeat']} repetition(s); python {machine['python']}, "
              f"reportlab {machine['reportlab']}, {machine['cpus']} CPU(s), load average "
              f"{' '.join(f'{x:.1f}' for x in machine['load_average'])} at the end; "
              f"files in {machine['tmpdir']}\n\n")
    out.write(f"{'measurement':<40}{'wall s':>10}{'ms/doc':>10}{'x floor':>10}\n")
    for row in figures["rows"]:
        out.write(f"{row['what']:<40}{row['seconds']:>10.3f}{row['ms_per_doc']:>10.2f}"
                  f"{row['ratio']:>10.1f}\n")
    out.write(f"\ntarget: within {figures['target_ratio']:.0f}x of the floor -> "
              + ", ".join(f"{k}: {'met' if ok else 'NOT met'} ({figures['ratios'][k]:.1f}x)"
                          for k, ok in figures["within_target"].items()) + "\n")
    cli = figures.get("cli_run")
    if cli is not None:
        out.write(f"\n(e) the run through the command line, start-up included (median of "
                  f"{cli['repeat']})\n  {cli['command']}\n")
        out.write(f"  {'run, whole process':<40}{cli['median_s']:>10.3f} s"
                  f"{cli['median_s'] * 1000 / n:>8.2f} ms/doc\n")
        out.write(f"  {'(a) bare ReportLab, in this process':<40}{cli['floor_median_s']:>10.3f} s"
                  f"{cli['ratio']:>8.1f}x  <- target {cli['target_ratio']:.0f}x: "
                  f"{'met' if cli['met'] else 'NOT met'}\n")
        out.write(f"  {'(a) as a whole process (with imports)':<40}"
                  f"{cli['floor_process_median_s']:>10.3f} s"
                  f"{cli['ratio_to_floor_process']:>8.1f}x\n")
    start = figures.get("startup")
    if start is not None:
        out.write(f"\n(d) start-up, whole processes: median of {start['runs']} interleaved runs "
                  "each\n")
        out.write(f"  {'command':<22}{'median ms':>10}{'min':>8}{'max':>8}{'x pass':>8}"
                  f"{'x floor':>9}\n")
        labels = {"pass": "python -c pass", "floor": "stack floor",
                  "import": "import mbp_billing", "quote": "quote --json"}
        for row in start["rows"]:
            out.write(f"  {labels[row['what']]:<22}{row['median_ms']:>10.1f}{row['min_ms']:>8.1f}"
                      f"{row['max_ms']:>8.1f}{row['x_pass']:>8.2f}{row['x_floor']:>9.2f}\n")
        out.write(f"  stack floor: python -c \"{start['stack_floor']}\"; "
                  f"quote: python -m mbp_billing {start['quote']}\n")
        for name, target in start["targets"].items():
            out.write(f"  target {labels[name]}: < {target['limit_ms']:.0f} ms and within "
                      f"{target['limit_x_floor']}x of the floor -> "
                      f"{'met' if target['met'] else 'NOT met'} ({target['median_ms']:.0f} ms, "
                      f"{target['x_floor']:.2f}x)\n")
    prof = figures.get("profile")
    if prof is None:
        return
    total = prof["total_s"]
    out.write(f"\nWhere the workers=1 run's time goes (cProfile, {total:.2f} s profiled; "
              "profiling inflates Python-heavy parts)\n")
    for c in prof["categories"]:
        out.write(f"  {c['what']:<58}{c['seconds']:>9.2f} s{c['share'] * 100:>7.1f} %\n")
    out.write("\nTop cumulative functions\n")
    out.write(f"  {'function':<66}{'calls':>9}{'cum s':>9}{'own s':>9}\n")
    for f in prof["top_cumulative"]:
        out.write(f"  {f['function'][:66]:<66}{f['calls']:>9}{f['cumulative_s']:>9.2f}"
                  f"{f['own_s']:>9.2f}\n")
    out.write("\nOwn time by module\n")
    for m in prof["top_modules_own_time"]:
        out.write(f"  {m['module'][:58]:<58}{m['own_s']:>9.2f} s{m['share'] * 100:>7.1f} %\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, metavar="R",
                        help="repetitions; the best wall time of each counts (default 3)")
    parser.add_argument("--workers", default="1,2", metavar="LIST",
                        help="comma-separated worker counts for (b) (default 1,2)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile breakdown")
    parser.add_argument("--no-renderer", action="store_true",
                        help="skip (c), the renderer-alone measurement")
    parser.add_argument("--startup-runs", type=int, default=31, metavar="K",
                        help="whole-process runs of each start-up measurement (d); 0 skips "
                             "it (default 31)")
    parser.add_argument("--no-cli-run", action="store_true",
                        help="skip (e), the run through the command line")
    parser.add_argument("--tmpdir", metavar="DIR",
                        help="where the runs put their registers and files (default: the "
                             "system's temporary folder; e.g. /dev/shm to leave the disk out)")
    args = parser.parse_args(argv)
    global TMPDIR
    TMPDIR = os.path.abspath(args.tmpdir) if args.tmpdir else None  # the runs change folder
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    try:
        workers = [int(w) for w in args.workers.split(",") if w.strip()]
    except ValueError:
        parser.error("--workers takes a list such as 1,2")
    if not workers or min(workers) < 1:
        parser.error("--workers takes a list of whole numbers >= 1")

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.startup_runs < 0:
        parser.error("--startup-runs must be >= 0")
    figures = measure(args.repeat, workers, not args.no_profile, not args.no_renderer, progress,
                      startup_runs=args.startup_runs, cli_run=not args.no_cli_run)
    if args.json:
        json.dump(figures, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_table(figures, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
