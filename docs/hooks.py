"""MkDocs hook: generate the CLI reference from the argparse definitions."""

from __future__ import annotations

import argparse
from typing import Any

from mbp_billing.cli import build_parser

MARKER = "<!-- cli-reference -->"


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


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace the marker on the CLI page with every command's --help."""
    if MARKER in markdown:
        return markdown.replace(MARKER, _reference())
    return markdown
