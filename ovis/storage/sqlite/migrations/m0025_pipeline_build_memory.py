"""Migration 25: each application's build memory limit (``pipeline_apps.build_memory``, in MB:
the cgroup its builds and tests run in). Existing applications get 3072, the default.
"""

from __future__ import annotations

import sqlite3

VERSION = 25


def upgrade(db: sqlite3.Connection) -> None:
    # Safe to run twice, as every migration is: a database replayed from an older version may
    # already have the column.
    columns = {row[1] for row in db.execute("PRAGMA table_info(pipeline_apps)")}
    if "build_memory" not in columns:
        db.execute(
            "ALTER TABLE pipeline_apps ADD COLUMN build_memory INTEGER NOT NULL DEFAULT 3072"
        )
