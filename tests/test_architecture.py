"""The import direction of the package: data flows one way (issue 12, docs/architecture.md).

Every ``import`` of every module under ``src/mbp_billing`` (also those inside
functions and under ``TYPE_CHECKING``) is read with :mod:`ast` and held to
the tables below.  They are data: to add a module, put its name in the layer
where it belongs (and in docs/architecture.md); a module in no layer fails
the test with a message saying so.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "mbp_billing"
DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"

#: The layers of mbp_billing, lowest first.  A module may import modules of
#: its own layer and of the layers below it, never of a layer above it.
#: A name is a module (``money``) or a package (``render``), without ``.py``.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("errors", "money", "text", "tables", "contracts")),
    ("facts", ("parties", "population")),
    ("rules", ("tariff", "proration", "term", "agreement", "schedule")),
    ("inputs", ("portfolio", "examples")),
    ("documents", ("documents", "reminders")),
    ("renderings", ("render", "einvoice")),
    ("register", ("register", "register_backends")),
    ("services", ("issuing", "runs", "audit", "ledger", "statements", "receivables",
                  "dunning")),
    ("analysis", ("analysis", "plot", "revenue")),
    ("interface", ("cli", "__main__", "__init__")),
]

#: Pairs kept apart both ways although one layer is above the other: the
#: register keeps renderings as bytes and never renders; the renderers are
#: pure functions of a document and never read the register.
APART: list[tuple[str, str]] = [("register", "render"), ("register", "einvoice"),
                                ("register_backends", "render"),
                                ("register_backends", "einvoice")]

#: Third-party (or standard library) packages only some modules may import.
ONLY: dict[str, tuple[str, ...]] = {
    "reportlab": ("render",),
    "sqlite3": ("register", "register_backends"),
    "psycopg": ("register", "register_backends"),
    "psycopg2": ("register", "register_backends"),
    "pandas": ("tables", "analysis", "plot", "ledger"),
    "matplotlib": ("plot",),
}

#: The layers inside the render package, lowest first, with the same rule.
RENDER_LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("words", ("labels",)),
    ("helpers", ("formatting", "qr")),
    ("parts", ("epc", "layout")),
    ("blocks", ("blocks",)),
    ("pages", ("invoice", "credit_note", "reminder")),
    ("entry", ("pdf", "__init__")),
]

_RANK = {module: rank for rank, (_, modules) in enumerate(LAYERS) for module in modules}
_LAYER = {module: name for name, modules in LAYERS for module in modules}
_RENDER_RANK = {m: rank for rank, (_, modules) in enumerate(RENDER_LAYERS) for m in modules}


def modules() -> list[Path]:
    """Every source file of the package."""
    return sorted(SRC.rglob("*.py"))


def dotted(path: Path) -> str:
    """``mbp_billing.render.qr`` for ``src/mbp_billing/render/qr.py``."""
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``, at any depth."""
    package = dotted(path) if path.name == "__init__.py" else dotted(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            if node.level and not node.module:  # from . import x: x a module, or a name
                for alias in node.names:
                    inner = SRC.parent.joinpath(*f"{prefix}.{alias.name}".split("."))
                    is_module = inner.is_dir() or inner.with_suffix(".py").is_file()
                    yield node.lineno, f"{prefix}.{alias.name}" if is_module else prefix
            else:
                yield node.lineno, prefix


def part(module: str) -> str:
    """The layer table's name of an mbp_billing module: its first component."""
    rest = module.removeprefix("mbp_billing").lstrip(".")
    return rest.split(".")[0] if rest else "__init__"


def place(path: Path) -> str:
    """The layer-table name of a source file (``__main__``, ``money``, ``render``)."""
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def problems_of(path: Path) -> list[str]:
    """Every import of ``path`` that breaks the tables, in words."""
    me = place(path)
    where = f"src/mbp_billing/{path.relative_to(SRC).as_posix()}"
    if me not in _RANK:
        return [f"{where}: module '{me}' is in no layer; place it in LAYERS in "
                "tests/test_architecture.py and in docs/architecture.md"]
    found = []
    for line, name in imports(path):
        top = name.split(".")[0]
        if top in ONLY and me not in ONLY[top]:
            found.append(f"{where}:{line}: imports {name}; only {', '.join(ONLY[top])} may")
        if top != "mbp_billing":
            continue
        other = part(name)
        if other not in _RANK:
            found.append(f"{where}:{line}: imports mbp_billing.{other}, which is in no layer")
        elif _RANK[other] > _RANK[me]:
            found.append(f"{where}:{line}: {me} ({_LAYER[me]}) imports {other} "
                         f"({_LAYER[other]}), a layer above it")
        elif (me, other) in APART or (other, me) in APART:
            found.append(f"{where}:{line}: {me} imports {other}; they are kept apart")
        elif me == other == "render":
            found.extend(_render_problems(path, line, name))
    return found


def _render_problems(path: Path, line: int, name: str) -> list[str]:
    inner = path.relative_to(SRC / "render").with_suffix("").name
    target = name.removeprefix("mbp_billing.render").lstrip(".").split(".")[0] or "__init__"
    where = f"src/mbp_billing/render/{path.name}:{line}"
    for module in (inner, target):
        if module not in _RENDER_RANK:
            return [f"{where}: render.{module} is in no layer; place it in RENDER_LAYERS "
                    "in tests/test_architecture.py"]
    if _RENDER_RANK[target] > _RENDER_RANK[inner]:
        return [f"{where}: render.{inner} imports render.{target}, a layer above it"]
    return []


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(SRC).as_posix())
def test_imports_follow_the_layers(path: Path) -> None:
    """Each module imports only its own layer and those below, and only allowed packages."""
    assert problems_of(path) == []


def test_every_module_is_in_a_layer() -> None:
    """No module of the package is missing from the layer table."""
    missing = sorted({place(p) for p in modules()} - set(_RANK))
    assert missing == [], (f"place {missing} in LAYERS in tests/test_architecture.py "
                           "and in docs/architecture.md")


def test_a_crossed_layer_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check fails for a rules module importing the register, or an unknown module."""
    src = tmp_path / "mbp_billing"
    (src / "render").mkdir(parents=True)
    (src / "schedule.py").write_text("from .register import Register\nimport reportlab\n")
    (src / "register.py").write_text("def f():\n    from .cli import main\n"
                                     "    from mbp_billing.render import render_pdf\n")
    (src / "render" / "labels.py").write_text("from .blocks import payment\n")
    (src / "newthing.py").write_text("import sqlite3\n")
    monkeypatch.setattr(f"{__name__}.SRC", src)
    found = {p.name: problems_of(p) for p in (src / "schedule.py", src / "register.py",
                                              src / "render" / "labels.py",
                                              src / "newthing.py")}
    assert found["schedule.py"] == [
        "src/mbp_billing/schedule.py:1: schedule (rules) imports register (register), "
        "a layer above it",
        "src/mbp_billing/schedule.py:2: imports reportlab; only render may",
    ]
    assert found["register.py"] == [
        "src/mbp_billing/register.py:2: register (register) imports cli (interface), "
        "a layer above it",
        "src/mbp_billing/register.py:3: register imports render; they are kept apart",
    ]
    assert found["labels.py"] == [
        "src/mbp_billing/render/labels.py:1: render.labels imports render.blocks, "
        "a layer above it"]
    assert found["newthing.py"] == [
        "src/mbp_billing/newthing.py: module 'newthing' is in no layer; place it in LAYERS "
        "in tests/test_architecture.py and in docs/architecture.md"]


def test_architecture_page_names_every_placed_module() -> None:
    """docs/architecture.md shows every module of the layer table that exists."""
    text = DOC.read_text(encoding="utf-8")
    existing = {place(p) for p in modules()} - {"__init__", "__main__"}
    assert sorted(m for m in existing if f"`{m}`" not in text) == []
