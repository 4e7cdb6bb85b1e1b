"""Migration 2: find a function's async results without scanning every result.

``async_results(function)`` (``ovis async results --function``, the admin endpoint) filters
by function and orders by finish time; with many results that was a full table scan and a
sort. The index serves both. Adding an index is idempotent and changes no data.
"""

from __future__ import annotations

import sqlite3

VERSION = 2


def upgrade(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE INDEX IF NOT EXISTS async_results_function ON async_results (function, finished_ms)"
    )
