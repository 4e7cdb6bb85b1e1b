"""Migration 4: event source mappings.

One row per mapping: the whole mapping as JSON (``data``) and, as columns, what is looked up
or must be unique: a function has at most one mapping per event source (AWS answers
ResourceConflictException for a second one), enforced here by a unique index so that two
concurrent creates cannot both succeed. The mapping's tags live in the ``tags`` table under
its ARN, like every other resource's.
"""

from __future__ import annotations

import sqlite3

VERSION = 4


def upgrade(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS event_source_mappings ("
        " uuid TEXT PRIMARY KEY,"
        " function_arn TEXT NOT NULL,"
        " event_source_arn TEXT NOT NULL,"
        " data TEXT NOT NULL)"
    )
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS event_source_mappings_pair"
        " ON event_source_mappings (function_arn, event_source_arn)"
    )
