"""One schema migration: its version number and the step that upgrades from the one before."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    upgrade: Callable[[sqlite3.Connection], None]
