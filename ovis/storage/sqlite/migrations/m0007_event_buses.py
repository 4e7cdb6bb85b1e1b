"""Migration 7: EventBridge-compatible event buses (ovis.services.events).

``event_buses`` and ``event_rules`` hold definitions (rules keep their targets in their JSON);
``event_deliveries`` is the durable outbox: one row per (accepted event, matched target) until
it is delivered or dead-lettered; ``event_schedule_fires`` remembers the last slot each
scheduled rule fired for, so a restart never fires a slot twice. New tables only.
"""

from __future__ import annotations

import sqlite3

VERSION = 7

SCHEMA = """
CREATE TABLE IF NOT EXISTS event_buses (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS event_rules (
    bus TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (bus, name)
);
CREATE TABLE IF NOT EXISTS event_deliveries (
    id TEXT PRIMARY KEY,
    rule_arn TEXT NOT NULL,
    target TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    first_ms INTEGER NOT NULL,
    next_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    hops INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS event_deliveries_due ON event_deliveries (next_ms);
CREATE TABLE IF NOT EXISTS event_schedule_fires (
    rule_arn TEXT PRIMARY KEY,
    slot_ms INTEGER NOT NULL
);
"""


def upgrade(db: sqlite3.Connection) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
