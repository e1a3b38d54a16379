"""Every shell example of the tutorial runs as written; the notebook executes."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

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


def test_analyst_notebook_executes() -> None:
    """docs/analyst.ipynb runs top to bottom and shows tables and charts."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(DOCS / "analyst.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(DOCS)}}).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    kinds = {k for o in outputs for k in o.get("data", {})}
    assert {"text/html", "image/png"} <= kinds


def test_notebook_is_stored_without_outputs() -> None:
    """The committed notebook has no outputs, so it diffs cleanly and runs fresh."""
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(DOCS / "analyst.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
