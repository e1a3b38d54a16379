"""The 285-municipality catch-up run on PostgreSQL, as a ratio to the same run on SQLite (issue 10).

A script, not a test: run it with the project's interpreter from the
repository root::

    .venv/bin/python bench/register_backends.py              # best of 3
    .venv/bin/python bench/register_backends.py --repeat 5 --json
    .venv/bin/python bench/register_backends.py --postgres postgresql://me@db/bench

Each repetition runs :func:`mbp_billing.runs.run_portfolio` over
:func:`mbp_billing.examples.example_portfolio` through 2026, dated
2026-11-30, from an empty register, PDF and UBL written to a fresh folder,
once on a new SQLite file and once on a new PostgreSQL schema, alternating so
that a busy machine slows both alike; each figure is the best wall time.

Without ``--postgres`` it starts its own server for the measurement
(``initdb`` into a temporary folder, as the ``postgres`` system user when run
as root, Unix socket only) with PostgreSQL's default durability: ``fsync`` and
``synchronous_commit`` on, as SQLite's ``synchronous = FULL`` in the register.
The issue's target: PostgreSQL within 1.5x of SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from mbp_billing.examples import example_portfolio
from mbp_billing.register import Register
from mbp_billing.runs import run_portfolio

THROUGH = 2026
ISSUE_DATE = date(2026, 11, 30)
#: The issue's target: the PostgreSQL run within this factor of the SQLite run.
TARGET_RATIO = 1.5


@contextmanager
def throwaway_server() -> Iterator[str]:
    """A PostgreSQL server with default durability; yields the admin URL."""
    folder = Path(tempfile.mkdtemp(prefix="mbp-bench-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    try:
        subprocess.run([*as_user, "initdb", "-D", str(data), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--locale", "C"], check=True, capture_output=True,
                       cwd=folder)
        subprocess.run([*as_user, "pg_ctl", "-D", str(data), "-o",
                        f"-k {folder} -h '' -p 5432", "-l", str(folder / "log"), "-w",
                        "start"], check=True, capture_output=True, cwd=folder)
        yield f"postgresql://postgres@/postgres?host={folder}&port=5432"
    finally:
        subprocess.run([*as_user, "pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True, check=False, cwd=folder)
        shutil.rmtree(folder, ignore_errors=True)


def new_schema(admin_url: str, name: str) -> str:
    """A fresh schema on the server; the URL of a register in it."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.execute(f"CREATE SCHEMA {name}")
    joiner = "&" if "?" in admin_url else "?"
    return f"{admin_url}{joiner}options=-csearch_path%3D{name}"


def one_run(location: str | Path, out_dir: Path, workers: int) -> tuple[float, int]:
    """Time one catch-up run from an empty register; return (seconds, invoices)."""
    portfolio = example_portfolio()
    with Register.open(location) as reg:
        started = time.perf_counter()
        result = run_portfolio(portfolio, THROUGH, issue_date=ISSUE_DATE, register=reg,
                               out_dir=out_dir, workers=workers)
        elapsed = time.perf_counter() - started
        assert reg.verify() == [], "the run left a register that does not verify"
    return elapsed, len(result.issued)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (best of)")
    parser.add_argument("--workers", type=int, default=1, help="rendering processes")
    parser.add_argument("--postgres", metavar="URL",
                        help="an existing server (a role that may create schemas)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)

    times: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
    count = 0
    with (throwaway_server() if args.postgres is None
          else _given(args.postgres)) as admin_url, tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            for backend in ("sqlite", "postgresql"):
                location: str | Path = (Path(tmp) / f"r{i}.sqlite3" if backend == "sqlite"
                                        else new_schema(admin_url, f"bench_{i}"))
                seconds, count = one_run(location, Path(tmp) / f"out-{backend}-{i}",
                                         args.workers)
                times[backend].append(seconds)
                print(f"  {backend:<10} repetition {i + 1}: {seconds:6.2f} s, {count} invoices",
                      file=sys.stderr)
    best = {k: min(v) for k, v in times.items()}
    ratio = best["postgresql"] / best["sqlite"]
    record: dict[str, Any] = {
        "invoices": count, "workers": args.workers, "repeat": args.repeat,
        "best_seconds": {k: round(v, 3) for k, v in best.items()},
        "ms_per_invoice": {k: round(1000 * v / max(count, 1), 2) for k, v in best.items()},
        "ratio_postgresql_to_sqlite": round(ratio, 2), "target": TARGET_RATIO,
        "meets_target": ratio <= TARGET_RATIO,
        "python": platform.python_version(), "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(record, indent=2))
    else:
        print(f"catch-up run, {count} invoices, workers={args.workers}, best of {args.repeat}")
        for backend in ("sqlite", "postgresql"):
            print(f"  {backend:<10} {best[backend]:7.3f} s  "
                  f"{record['ms_per_invoice'][backend]:6.2f} ms/invoice")
        print(f"  ratio PostgreSQL / SQLite: {ratio:.2f} (target {TARGET_RATIO} or less: "
              f"{'met' if ratio <= TARGET_RATIO else 'NOT met'})")
    return 0


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


if __name__ == "__main__":
    sys.exit(main())
