"""Migration 5: stream event source mappings' checkpoints.

``stream_mapping_starts`` has a row once a mapping first started (its starting points are then
decided: a LATEST or AT_TIMESTAMP start must not move on a restart); ``stream_checkpoints``
holds each shard's position (a decimal string, compared by length then digits), whether a
closed shard is finished, and the open tumbling window's state.
"""

from __future__ import annotations

import sqlite3

VERSION = 5


def upgrade(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS stream_mapping_starts ("
        " mapping TEXT PRIMARY KEY, started_ms INTEGER NOT NULL)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS stream_checkpoints ("
        " mapping TEXT NOT NULL, shard TEXT NOT NULL, position TEXT NOT NULL,"
        " finished INTEGER NOT NULL DEFAULT 0, window TEXT,"
        " PRIMARY KEY (mapping, shard)) WITHOUT ROWID"
    )
