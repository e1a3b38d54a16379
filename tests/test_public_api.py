"""The public door: `mbp_billing.__all__` is sorted, importable, documented and typed."""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import itertools
import pkgutil
import re
from types import ModuleType
from typing import Any

import pytest

import mbp_billing

PUBLIC = tuple(mbp_billing.__all__)
MODULES = tuple(
    importlib.import_module(info.name)
    for info in pkgutil.iter_modules(mbp_billing.__path__, "mbp_billing.")
    if info.name != "mbp_billing.__main__"  # importing it would run the command line
)
FUNCTIONS = tuple(n for n in PUBLIC if inspect.isfunction(getattr(mbp_billing, n)))
CLASSES = tuple(n for n in PUBLIC if inspect.isclass(getattr(mbp_billing, n)))
CONSTANTS = tuple(n for n in PUBLIC if n not in FUNCTIONS and n not in CLASSES)


def _attribute_docstrings(module: ModuleType) -> dict[str, str]:
    """The string literal right after each top-level assignment of ``module``."""
    body = ast.parse(inspect.getsource(module)).body
    found = {}
    for stmt, after in itertools.pairwise(body):
        targets = (stmt.targets if isinstance(stmt, ast.Assign)
                   else [stmt.target] if isinstance(stmt, ast.AnnAssign) else [])
        if (isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)):
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = inspect.cleandoc(after.value.value)
    return found


def _defining_module(name: str) -> ModuleType:
    """The submodule whose own ``__all__`` lists ``name`` and that assigns it."""
    for module in MODULES:
        if name in getattr(module, "__all__", ()) and name in _attribute_docstrings(module):
            return module
    raise LookupError(f"no module assigns {name} with a docstring")


def _docstring(name: str) -> str:
    obj = getattr(mbp_billing, name)
    if name in CONSTANTS:
        return _attribute_docstrings(_defining_module(name))[name]
    # The object's own docstring: a class without one must not borrow its base's.
    return obj.__doc__ or ""


def _public_callables(cls: type) -> list[tuple[str, Any]]:
    """The public methods and properties defined on ``cls`` itself."""
    found = []
    for attr, value in vars(cls).items():
        if attr.startswith("_"):
            continue
        if isinstance(value, classmethod | staticmethod):
            value = value.__func__
        elif isinstance(value, property):
            value = value.fget
        if inspect.isfunction(value):
            found.append((f"{cls.__name__}.{attr}", value))
    return found


def test_all_is_sorted() -> None:
    """`mbp_billing.__all__` is in plain `sorted()` order."""
    assert list(PUBLIC) == sorted(PUBLIC)


def test_all_has_no_duplicates() -> None:
    """Every public name is listed once."""
    assert len(set(PUBLIC)) == len(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name_is_importable(name: str) -> None:
    """Each name of `__all__` imports from `mbp_billing`."""
    namespace: dict[str, Any] = {}
    exec(f"from mbp_billing import {name}", namespace)
    assert namespace[name] is getattr(mbp_billing, name)


def test_star_import_gives_exactly_all() -> None:
    """`from mbp_billing import *` binds exactly the names of `__all__`."""
    namespace: dict[str, Any] = {}
    exec("from mbp_billing import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(PUBLIC)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_module_has_own_all(module: ModuleType) -> None:
    """Every module of the package has an `__all__` naming only what it has."""
    names = module.__dict__.get("__all__")
    assert isinstance(names, list), f"{module.__name__} has no __all__ list"
    assert [n for n in names if not hasattr(module, n)] == []


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name_is_in_a_module_all(name: str) -> None:
    """Each public name is also public in the module that defines it."""
    homes = [m.__name__ for m in MODULES if name in m.__dict__.get("__all__", ())]
    assert homes, f"{name} is in no module's __all__"


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name_has_runnable_example(name: str) -> None:
    """Each public name's own docstring has a summary line and a `>>>` example."""
    doc = _docstring(name)
    assert doc.strip(), f"{name} has no docstring"
    assert ">>>" in doc, f"{name}'s docstring has no >>> example"


@pytest.mark.parametrize("name", CONSTANTS)
def test_constant_examples_pass(name: str) -> None:
    """The examples of a constant's attribute docstring pass (doctest skips them)."""
    module = _defining_module(name)
    test = doctest.DocTestParser().get_doctest(
        _docstring(name), dict(vars(module)), f"{module.__name__}.{name}", module.__file__, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert test.examples
    assert runner.failures == 0


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_documents_args_and_returns(name: str) -> None:
    """Each public function has Args for every parameter, and Returns."""
    func = getattr(mbp_billing, name)
    doc = inspect.getdoc(func) or ""
    params = list(inspect.signature(func).parameters)
    assert "\nReturns:\n" in doc, f"{name} has no Returns section"
    if params:
        args = doc.partition("\nArgs:\n")[2]
        listed = re.findall(r"^    (\w+):", args.split("\n\n")[0], re.M)
        assert listed == params, f"{name}: Args {listed} != parameters {params}"


@pytest.mark.parametrize("func", [
    *(pytest.param(getattr(mbp_billing, n), id=n) for n in FUNCTIONS),
    *(pytest.param(f, id=q) for n in CLASSES for q, f in _public_callables(getattr(mbp_billing, n))),
])
def test_public_callable_is_fully_annotated(func: Any) -> None:
    """Every parameter and the return of public functions and methods are annotated."""
    signature = inspect.signature(func)
    missing = [p.name for p in signature.parameters.values()
               if p.annotation is inspect.Parameter.empty and p.name not in ("self", "cls")]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    assert missing == [], f"{func.__qualname__} lacks annotations for {missing}"
