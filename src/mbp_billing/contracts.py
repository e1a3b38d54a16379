"""Published contracts: the JSON Schemas of every ``--json`` output and ``to_record()``.

Other systems read what mbp_billing prints with ``--json`` and what its
``to_record()`` methods return; these JSON Schemas (draft 2020-12) say
exactly what they get. They ship inside the package, in
``mbp_billing/schemas/``, one file per contract:

- ``cli-<command>.json``: the ``--json`` output of a command (for
  ``ledger``, ``--format json``), e.g. ``cli-run.json``;
- ``<record>.json``: the ``to_record()`` (or ``to_records()``) of a public
  class, named after the class in snake case, e.g. ``run_result.json`` for
  :meth:`~mbp_billing.runs.RunResult.to_record`;
- ``common.json``: the shared value types (amounts as ``"3500.00"`` strings,
  ISO dates, document numbers, enterprise numbers).

Each schema's ``$id`` carries the package version
(``https://mbp-billing.invalid/schemas/<version>/<name>``; the ``.invalid``
host says that the identifier names the schema and is not fetched: use
:func:`json_schema` or the files in the package). The schemas refer to each
other by relative ``$ref``, so a validator that registers them all by
``$id`` resolves every reference offline. ``docs/contracts.md`` lists them
and says how a change is announced.

This module reads files only: validating needs a JSON Schema library such as
``jsonschema``, which the tests use but the package does not require.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Final

from .errors import InvalidValue

__all__ = ["SCHEMA_DIALECT", "json_schema", "json_schema_names"]

#: The JSON Schema dialect of every published schema.
SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

_FOLDER: Final = "schemas"
_SUFFIX: Final = ".json"


def json_schema_names() -> tuple[str, ...]:
    """The names of the published schemas, sorted.

    Returns:
        The file names in ``mbp_billing/schemas/`` without ``.json``, such
        as ``"cli-run"`` (a command's ``--json``) or ``"run_result"`` (a
        ``to_record()``).

    Examples:
        >>> names = json_schema_names()
        >>> "cli-run" in names, "run_result" in names, "common" in names
        (True, True, True)
    """
    folder = resources.files("mbp_billing").joinpath(_FOLDER)
    return tuple(sorted(entry.name.removesuffix(_SUFFIX) for entry in folder.iterdir()
                        if entry.name.endswith(_SUFFIX)))


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema ``name`` as a new dict (a copy: changing it changes nothing here).

    Args:
        name: a schema name from :func:`json_schema_names`, such as
            ``"cli-run"`` or ``"ledger_row"`` (a trailing ``.json`` is allowed).

    Returns:
        The parsed schema, with ``$schema``, ``$id``, ``title`` and
        ``description``.

    Raises:
        InvalidValue: no schema has that name; the message lists the names.

    Examples:
        >>> schema = json_schema("cli-verify")
        >>> schema["$id"].endswith("/cli-verify.json"), sorted(schema["required"])
        (True, ['chain_head', 'documents', 'ok', 'problems'])
        >>> json_schema("common")["$defs"]["money"]["pattern"]
        '^(0|[1-9][0-9]*)\\\\.[0-9]{2}$'
    """
    stem = name.removesuffix(_SUFFIX)
    if stem not in json_schema_names():
        raise InvalidValue("schema", name,
                           f"is not a published schema; choose one of "
                           f"{', '.join(json_schema_names())}")
    loaded: dict[str, Any] = json.loads(_text(stem))
    return loaded


@cache
def _text(stem: str) -> str:
    return resources.files("mbp_billing").joinpath(_FOLDER, stem + _SUFFIX).read_text("utf-8")
