"""Migration 8: EventBridge Scheduler's schedule groups, schedules and fire outbox.

``schedules`` holds each schedule's definition and its timer state (next nominal fire, when it
is due, the last recorded fire); ``schedule_fires`` is the outbox of recorded fires not yet
delivered or dead-lettered. A group's tags live in the ``tags`` table under its ARN.
"""

from __future__ import annotations

import sqlite3

VERSION = 8

SCHEMA = """
CREATE TABLE IF NOT EXISTS schedule_groups (
    name TEXT PRIMARY KEY,
    arn TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    client_token TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS schedules (
    grp TEXT NOT NULL,
    name TEXT NOT NULL,
    arn TEXT NOT NULL,
    definition TEXT NOT NULL,
    state TEXT NOT NULL,
    client_token TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    next_fire_ms INTEGER,
    next_due_ms INTEGER,
    last_fired_ms INTEGER,
    PRIMARY KEY (grp, name)
);
CREATE TABLE IF NOT EXISTS schedule_fires (
    execution_id TEXT PRIMARY KEY,
    schedule_arn TEXT NOT NULL,
    grp TEXT NOT NULL,
    name TEXT NOT NULL,
    target TEXT NOT NULL,
    fire_ms INTEGER NOT NULL,
    due_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
"""


def upgrade(db: sqlite3.Connection) -> None:
    # One statement at a time: executescript would commit the migration's transaction.
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
