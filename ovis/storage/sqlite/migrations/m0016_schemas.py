"""Migration 16: the EventBridge Schemas registry (``schema_registries``: one row per registry,
its description and tags as JSON; ``schemas``: one row per (registry, schema) with its latest
version number, type, description, tags and modification time; ``schema_versions``: one row per
version with its content). New tables; existing data is unchanged.
"""

from __future__ import annotations

import sqlite3

VERSION = 16


def upgrade(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_registries (name TEXT PRIMARY KEY, "
        "arn TEXT NOT NULL, description TEXT, tags TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS schemas (registry TEXT NOT NULL, name TEXT NOT NULL, "
        "arn TEXT NOT NULL, type TEXT NOT NULL, latest INTEGER NOT NULL, description TEXT, "
        "tags TEXT NOT NULL, modified INTEGER NOT NULL, PRIMARY KEY (registry, name))"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_versions (registry TEXT NOT NULL, "
        "name TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, "
        "content TEXT NOT NULL, created INTEGER NOT NULL, "
        "PRIMARY KEY (registry, name, version))"
    )
