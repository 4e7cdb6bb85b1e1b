"""Result output: tables for people, TSV for pipes, JSON for programs.

Contract: what goes to stdout never loses characters. On a terminal a table is a rich table
that may wrap but never cuts a cell short (no ellipsis). When stdout is not a terminal, a
table is written as tab-separated values (a header line, then one line per row, no
padding), so ``cut -f1`` and ``awk -F'\\t'`` work and a 64-character name stays whole.
``--json`` writes the API's own data as indented JSON.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

# Columns whose values are numbers are right-aligned on a terminal.
Column = tuple[str, bool]  # (header, numeric)


def stdout_is_terminal() -> bool:
    """Whether stdout is an interactive terminal (decides tables vs TSV, progress bars)."""
    return sys.stdout.isatty()


def out_console() -> Console:
    """Console for results on stdout; when piped, wide enough that nothing wraps."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = 10_000
    return console


def err_console() -> Console:
    """Console for progress, warnings and status on stderr."""
    return Console(stderr=True, highlight=False)


F = TypeVar("F", bound=Callable[..., Any])


def json_option(help_text: str = "Print the API's data as JSON.") -> Callable[[F], F]:
    """The `--json` flag every listing takes (parameter name `as_json`)."""
    return click.option("--json", "as_json", is_flag=True, help=help_text)


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):  # boto3 parses timestamps; print them as ISO 8601 again
        return value.isoformat()
    return str(value)


def print_json(data: Any) -> None:
    """Write `data` as indented JSON (datetimes as ISO 8601, other objects via str)."""
    click.echo(json.dumps(strip_metadata(data), indent=2, default=_json_default))


def strip_metadata(data: Any) -> Any:
    """A boto3 response without its ResponseMetadata (not part of the resource)."""
    if isinstance(data, dict) and "ResponseMetadata" in data:
        return {k: v for k, v in data.items() if k != "ResponseMetadata"}
    return data


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def print_table(columns: Sequence[Column | str], rows: Iterable[Sequence[Any]]) -> None:
    """Print `rows` under `columns` (see the module's contract for terminal vs pipe)."""
    cols = [(c, False) if isinstance(c, str) else c for c in columns]
    cells = [[_cell(v) for v in row] for row in rows]
    if not stdout_is_terminal():
        lines = ["\t".join(h for h, _ in cols)]
        lines += ["\t".join(c.replace("\t", " ").replace("\n", " ") for c in row) for row in cells]
        click.echo("\n".join(lines))
        return
    table = Table(box=None, header_style="bold")
    for header, numeric in cols:
        table.add_column(header, justify="right" if numeric else "left", overflow="fold")
    for row in cells:
        table.add_row(*(Text(c) for c in row))  # Text: a '[x]' in data is not markup
    out_console().print(table)


def print_fields(fields: Iterable[tuple[str, Any]]) -> None:
    """Print key/value pairs: an aligned grid on a terminal, `key<TAB>value` lines when piped."""
    pairs = [(k, _cell(v)) for k, v in fields]
    if not stdout_is_terminal():
        click.echo("\n".join(f"{k}\t{v}" for k, v in pairs))
        return
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in pairs:
        grid.add_row(Text(key), Text(value))
    out_console().print(grid)
