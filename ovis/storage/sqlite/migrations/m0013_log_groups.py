"""Migration 13: declared CloudWatch Logs log groups (``ovis.services.logs``): one row per
group holding its JSON form (``ovis.models.log_group``). New table only; log events stay in
``log_events``.
"""

from __future__ import annotations

import sqlite3

VERSION = 13


def upgrade(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS log_groups (name TEXT PRIMARY KEY, data TEXT NOT NULL)")
