"""MkDocs hooks: the CLI reference from argparse, the contracts from the shipped schemas."""

from __future__ import annotations

import argparse
import json
from typing import Any

from mbp_billing.cli import build_parser
from mbp_billing.contracts import json_schema, json_schema_names

MARKER = "<!-- cli-reference -->"
SCHEMAS_MARKER = "<!-- json-schemas -->"


def _reference() -> str:
    parser = build_parser()
    parts = ["```text", parser.format_help().rstrip(), "```"]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                parts += [f"## `{name}`", "", "```text", sub.format_help().rstrip(), "```", ""]
                for nested in sub._actions:  # e.g. register init, register copy
                    if isinstance(nested, argparse._SubParsersAction):
                        for inner, parser_ in nested.choices.items():
                            parts += [f"### `{name} {inner}`", "", "```text",
                                      parser_.format_help().rstrip(), "```", ""]
    return "\n".join(parts)


def _schemas() -> str:
    """A table of every shipped schema, then each one in full."""
    names = json_schema_names()
    parts = ["| schema | contract of | what |", "|---|---|---|"]
    for name in names:
        schema = json_schema(name)
        parts.append(f"| [`{name}.json`](#{name}) | {schema['title']} | "
                     f"{schema['description']} |")
    for name in names:
        schema = json_schema(name)
        parts += ["", f"### `{name}.json` {{#{name}}}", "", schema["description"], "",
                  f"`$id`: `{schema['$id']}`", "", "```json",
                  json.dumps(schema, indent=2, ensure_ascii=False), "```"]
    return "\n".join(parts)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace the markers: every command's --help; every published JSON Schema."""
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, _reference())
    if SCHEMAS_MARKER in markdown:
        markdown = markdown.replace(SCHEMAS_MARKER, _schemas())
    return markdown
