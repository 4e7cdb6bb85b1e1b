"""Migration 14: S3 object tag sets (GetObjectTagging / PutObjectTagging, ``x-amz-tagging``
on PUT): a JSON list of [key, value] pairs on each object row, empty for existing objects.
"""

from __future__ import annotations

import sqlite3

VERSION = 14


def upgrade(db: sqlite3.Connection) -> None:
    columns = {row[1] for row in db.execute("PRAGMA table_info(s3_objects)")}
    if "tags" not in columns:  # re-running over a database that has it changes nothing
        db.execute("ALTER TABLE s3_objects ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'")
