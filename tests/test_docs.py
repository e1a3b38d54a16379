"""Every shell example of the tutorial runs as written; the notebook executes."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.S)


def _blocks(page: Path) -> list[tuple[str, str]]:
    return [(m[1], m[2]) for m in FENCE.finditer(page.read_text(encoding="utf-8"))]


def _run_console_blocks(page: Path, workdir: Path) -> list[str]:
    """Write the page's `# file:` blocks, run its `$` lines; return failures."""
    failures = []
    env = {**os.environ, "MBP_BILLING_REGISTER": str(workdir / "default.sqlite3")}
    for lang, body in _blocks(page):
        first, _, rest = body.partition("\n")
        if first.startswith("# file: "):
            (workdir / first.removeprefix("# file: ").strip()).write_text(rest, encoding="utf-8")
            continue
        if lang != "console":
            continue
        for line in body.splitlines():
            if not line.startswith("$ "):
                continue
            command, _, comment = line[2:].partition("  # ")
            expected = int(comment.removeprefix("exit ")) if comment.startswith("exit") else 0
            argv = shlex.split(command)
            if argv[0] == "python":
                argv[0] = sys.executable
            done = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True,
                                  timeout=120)
            if done.returncode != expected or "Traceback" in done.stderr:
                failures.append(f"{line}\n-> exit {done.returncode}\n{done.stdout}{done.stderr}")
    return failures


def test_tutorial_ends_with_both_invoices_paid(tmp_path: Path) -> None:
    """Every `$` line of the tutorial exits as the page says, and both invoices end paid."""
    assert _run_console_blocks(DOCS / "tutorial.md", tmp_path) == []
    done = subprocess.run(
        [sys.executable, "-m", "mbp_billing", "ledger", "--register", "register.sqlite3",
         "--format", "json", "--as-of", "2024-03-01"],
        cwd=tmp_path, capture_output=True, text=True, check=True)
    statuses = {row["number"]: row["status"] for row in json.loads(done.stdout)}
    assert statuses == {"F000001": "paid", "F000002": "paid"}
    assert sorted(p.name for p in (tmp_path / "invoices").iterdir()) == [
        "F000001.pdf", "F000001.xml", "F000002.pdf", "F000002.xml"]


def _make_notebook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_notebook", DOCS / "make_notebook.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_FIRST_RUN_NOTICE = "Matplotlib is building the font cache"


def _shown(notebook: Any) -> list[list[dict[str, Any]]]:
    """What each code cell shows: text exactly, images by kind (their bytes depend on the
    platform's font rendering)."""
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        shown = []
        for out in cell.outputs:
            if out.get("name") == "stderr" and _FIRST_RUN_NOTICE in out.get("text", ""):
                continue  # printed once per machine by matplotlib, not by the notebook
            data = {k: ("<png>" if k == "image/png" else v) for k, v in out.get("data", {}).items()}
            shown.append({"type": out.output_type, "text": out.get("text"), "data": data,
                          "error": out.get("evalue")})
        cells.append(shown)
    return cells


def test_analyst_notebook_runs_in_under_a_minute_and_shows_what_is_saved() -> None:
    """docs/analyst.ipynb, rebuilt from docs/make_notebook.py and run, shows tables and
    charts, no error, in under a minute; its saved outputs are exactly what it produces."""
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    maker = _make_notebook()
    started = time.monotonic()
    fresh = maker.execute(maker.build(), DOCS)
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"the notebook took {elapsed:.0f} s"
    outputs = [o for c in fresh.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"
                and _FIRST_RUN_NOTICE not in o.get("text", "")]
    kinds = {k for o in outputs for k in o.get("data", {})}
    assert {"text/html", "image/png"} <= kinds
    saved = nbformat.read(DOCS / "analyst.ipynb", as_version=4)
    assert [c.source for c in saved.cells] == [c.source for c in fresh.cells], \
        "docs/analyst.ipynb is stale: run python docs/make_notebook.py"
    assert _shown(saved) == _shown(fresh), \
        "the saved outputs differ from a fresh run: run python docs/make_notebook.py"
