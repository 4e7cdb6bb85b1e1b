"""The server's data directory option, shared by `ovis server` and `ovis image` so that both
find the same directory the same way: ``--data-dir``, else ``OVIS_DATA_DIR``, else
``.ovis-data`` (relative to the current directory)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

DEFAULT_DATA_DIR = ".ovis-data"
DATA_DIR_ENVVAR = "OVIS_DATA_DIR"

F = TypeVar("F", bound=Callable[..., Any])


def data_dir_option(help_text: str) -> Callable[[F], F]:
    """The `--data-dir` option (parameter `data_dir`, a Path), honouring OVIS_DATA_DIR."""
    return click.option(
        "--data-dir",
        envvar=DATA_DIR_ENVVAR,
        show_envvar=True,
        default=DEFAULT_DATA_DIR,
        show_default=True,
        type=click.Path(file_okay=False, path_type=Path),
        help=help_text,
    )
