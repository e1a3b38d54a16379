"""Pay only for what you use: what `import mbp_billing` and the rules commands load (issue 12).

Each check runs in a fresh interpreter (a test process has long since
imported everything) and reads its ``sys.modules`` at the end.  The public
names stay reachable from ``mbp_billing`` through PEP 562 lazy loading; the
tests below also hold the lazy mapping to ``__all__``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
from factories import ISSUE_EXAMPLE_TOML

import mbp_billing

#: Modules a plain import or a rules question must not load, by what they are.
HEAVY: dict[str, str] = {
    "reportlab": "PDF",
    "PIL": "PDF (images)",
    "mbp_billing.render": "PDF",
    "lxml": "XML",
    "xml": "XML",
    "mbp_billing.einvoice": "XML",
    "sqlite3": "database",
    "_sqlite3": "database",
    "psycopg": "database",
    "mbp_billing.register": "database",
    "mbp_billing.issuing": "database",
    "mbp_billing.runs": "database",
    "mbp_billing.audit": "database",
    "mbp_billing.ledger": "database",
    "babel": "locale data",
    "pandas": "analysis",
    "numpy": "analysis",
    "matplotlib": "analysis",
    "mbp_billing.analysis": "analysis",
    "mbp_billing.plot": "analysis",
    "mbp_billing.tables": "analysis",
    "concurrent.futures": "process pool",
    "multiprocessing": "process pool",
}

# Runs ``python -m mbp_billing ARGS`` (or only ``import mbp_billing``) and
# writes the names of the loaded modules, as JSON, to the file given.
_CHILD = """
import json, runpy, sys
out, argv = sys.argv[1], json.loads(sys.argv[2])
code = 0
if argv is None:
    import mbp_billing
else:
    sys.argv = ["mbp_billing", *argv]
    try:
        runpy.run_module("mbp_billing", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


def loaded_modules(tmp_path: Path, argv: list[str] | None, *, cwd: Path | None = None,
                   prelude: str = "") -> set[str]:
    """The modules loaded by ``import mbp_billing`` (``argv`` None) or a command."""
    out = tmp_path / "modules.json"
    subprocess.run([sys.executable, "-c", prelude + _CHILD, str(out), json.dumps(argv)],
                   check=True, cwd=cwd or tmp_path, capture_output=True)
    result = json.loads(out.read_text())
    assert result["code"] == 0, result
    return set(result["modules"])


def heavy(modules: set[str]) -> dict[str, str]:
    """The heavy modules among ``modules``, each with what it is."""
    found = {}
    for name in modules:
        for prefix, what in HEAVY.items():
            if name == prefix or name.startswith(prefix + "."):
                found[name] = what
    return found


def test_plain_import_loads_no_submodule(tmp_path: Path) -> None:
    """`import mbp_billing` loads none of its modules, so nothing heavy either."""
    modules = loaded_modules(tmp_path, None)
    assert heavy(modules) == {}
    assert sorted(m for m in modules if m.startswith("mbp_billing.")) == []


@pytest.mark.parametrize("argv", [
    ["quote", "--population", "32000", "--go-live", "2023-07-03", "--json"],
    ["quote", "--annual-fee", "7000.00", "--app-store", "2024-09-02",
     "--play-store", "2024-09-12", "--explain"],
    ["term", "--signed-on", "2023-02-10", "--notice-sent-on", "2025-10-01", "--json"],
    ["schedule", "agreement.toml", "--through", "2027", "--json", "--explain"],
    ["quote", "--help"],
], ids=["quote-json", "quote-explain", "term", "schedule", "help"])
def test_rules_commands_load_nothing_heavy(tmp_path: Path, argv: list[str]) -> None:
    """quote, schedule and term load no PDF, XML, database, locale or analysis code."""
    (tmp_path / "agreement.toml").write_text(ISSUE_EXAMPLE_TOML, encoding="utf-8")
    modules = loaded_modules(tmp_path, argv)
    assert "mbp_billing.schedule" in modules or argv[-1] == "--help"
    assert heavy(modules) == {}


def test_the_check_sees_a_heavy_import(tmp_path: Path) -> None:
    """The check fails when a heavy module creeps in (here: imported up front)."""
    modules = loaded_modules(tmp_path, ["term", "--signed-on", "2023-02-10",
                                        "--notice-sent-on", "2025-10-01"],
                             prelude="import mbp_billing.render\n")
    found = heavy(modules)
    assert found["reportlab"] == "PDF"
    assert found["babel"] == "locale data"
    assert "sqlite3" not in found


# -- The lazy public door ----------------------------------------------------------


def test_lazy_mapping_and_all_agree() -> None:
    """Every name of `__all__` has a module in the lazy mapping, and nothing else does."""
    mapping = mbp_billing._MODULE_OF
    assert sorted(mapping) == sorted(mbp_billing.__all__), (
        "add each public name to both __all__ and _MODULE_OF in mbp_billing/__init__.py")


@pytest.mark.parametrize("name", mbp_billing.__all__)
def test_every_public_name_resolves_from_its_module(name: str) -> None:
    """Each name loads from the module the mapping names, which lists it in its `__all__`."""
    module = importlib.import_module(f"mbp_billing.{mbp_billing._MODULE_OF[name]}")
    assert name in module.__all__
    assert getattr(mbp_billing, name) is getattr(module, name)


def test_dir_lists_every_public_name() -> None:
    """`dir(mbp_billing)` shows every public name, loaded yet or not."""
    assert set(mbp_billing.__all__) <= set(dir(mbp_billing))


def test_unknown_name_is_an_attribute_error() -> None:
    """A misspelt name raises AttributeError naming it (hasattr stays False)."""
    with pytest.raises(AttributeError, match="'qoute'"):
        mbp_billing.qoute  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(mbp_billing, "qoute")


def test_type_checkers_see_every_public_name() -> None:
    """The TYPE_CHECKING imports of __init__.py name every public name, from its module."""
    tree = ast.parse(inspect.getsource(mbp_billing))
    seen = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom):
                    seen.update({alias.name: stmt.module for alias in stmt.names})
    assert seen == mbp_billing._MODULE_OF


def test_issuing_loads_neither_platypus_nor_the_barcode_widgets(tmp_path: Path) -> None:
    """`invoice` draws on a bare canvas: ReportLab's platypus and widgets stay unloaded.

    Importing them cost about 0.2 s of each start-up (issue 12); the QR
    encoder is loaded without its package (mbp_billing.render.qr).
    """
    modules = loaded_modules(tmp_path, ["invoice", "--example", "--date", "2023-07-10",
                                        "--json"])
    assert "reportlab.pdfgen.canvas" in modules
    assert [m for m in modules if m.startswith(("reportlab.platypus",
                                                "reportlab.graphics.barcode"))] == []
