"""Migration 15: CloudWatch Logs streams created by CreateLogStream (``log_streams``: one row
per (group, stream), its creation time) and subscription filters (``log_subscriptions``: one
row per (group, filter) holding its JSON form and the id of the last log event the delivery
loop handed to the destination). New tables, and an index so the loop reads a group's events
after an id without scanning. Existing data is unchanged.
"""

from __future__ import annotations

import sqlite3

VERSION = 15


def upgrade(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS log_streams (grp TEXT NOT NULL, name TEXT NOT NULL, "
        "created INTEGER NOT NULL, PRIMARY KEY (grp, name))"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS log_subscriptions (grp TEXT NOT NULL, name TEXT NOT NULL, "
        "data TEXT NOT NULL, cursor INTEGER NOT NULL, PRIMARY KEY (grp, name))"
    )
    db.execute("CREATE INDEX IF NOT EXISTS log_events_grp_id ON log_events (grp, id)")
