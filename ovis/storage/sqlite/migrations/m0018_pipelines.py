"""Migration 18: application pipelines (``pipeline_apps``: one row per application, its
template, branch and build time limit; ``pipeline_runs``: one row per run, (app, seq), its
commit, state, stages as JSON and reason). New tables; existing data is unchanged.
"""

from __future__ import annotations

import sqlite3

VERSION = 18


def upgrade(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS pipeline_apps (name TEXT PRIMARY KEY, "
        "template TEXT NOT NULL, branch TEXT NOT NULL, created REAL NOT NULL, "
        "owner_key TEXT NOT NULL, build_timeout INTEGER NOT NULL)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS pipeline_runs (app TEXT NOT NULL, seq INTEGER NOT NULL, "
        "commit_sha TEXT NOT NULL, branch TEXT NOT NULL, state TEXT NOT NULL, "
        "created REAL NOT NULL, updated REAL NOT NULL, stages TEXT NOT NULL, "
        "reason TEXT NOT NULL, PRIMARY KEY (app, seq))"
    )
    db.execute("CREATE INDEX IF NOT EXISTS pipeline_runs_state ON pipeline_runs (state)")
