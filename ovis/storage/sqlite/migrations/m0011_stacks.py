"""Migration 11: CloudFormation stacks, their resources and events, and change sets.

Each aggregate is one row holding its JSON form (``ovis.models.stack``). Events are appended
with an increasing ``seq`` so they read back in the order they happened.
"""

from __future__ import annotations

import sqlite3

VERSION = 11


def upgrade(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS cfn_stacks (stack_id TEXT PRIMARY KEY, data TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS cfn_resources ("
        " stack_id TEXT NOT NULL,"
        " logical_id TEXT NOT NULL,"
        " data TEXT NOT NULL,"
        " PRIMARY KEY (stack_id, logical_id))"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS cfn_events ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " stack_id TEXT NOT NULL,"
        " data TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS cfn_events_by_stack ON cfn_events (stack_id, seq)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS cfn_change_sets ("
        " change_set_id TEXT PRIMARY KEY,"
        " stack_id TEXT NOT NULL,"
        " data TEXT NOT NULL)"
    )
