"""Bring a database to the schema this code knows, recording the version in the database.

``schema_version`` holds one row per applied migration; the database's version is the highest.
On open, each pending migration runs in order, each in its own transaction together with the
row that records it, so a crash leaves the database at one version or the next, never between.
The version is re-read inside each transaction: two processes opening one file at once apply
each migration once. A database whose version is newer than every known migration is refused
(``SchemaVersionError``) before anything is written.

(The runner is ``migrate.py`` because ``migrations/`` is the package of migration modules.)
"""

from __future__ import annotations

import sqlite3
import time

from ovis.storage.errors import SchemaVersionError
from ovis.storage.sqlite.engine import Engine
from ovis.storage.sqlite.migrations import MIGRATIONS
from ovis.storage.sqlite.migrations.base import Migration

_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_ms INTEGER NOT NULL)"
)


def schema_version(db: sqlite3.Connection) -> int:
    """The database's recorded version; 0 if none is recorded (new, or written before
    versioning: migration 1 adopts such a database as it is)."""
    exists = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if exists is None:
        return 0
    (version,) = db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    return int(version)


def migrate(engine: Engine, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Apply the pending ``migrations`` (ascending versions); returns the resulting version."""
    known = max((m.version for m in migrations), default=0)
    while True:
        with engine.transaction() as db:
            current = schema_version(db)
            if current > known:
                raise SchemaVersionError(
                    f"{engine.path} has schema version {current}, newer than this Ovis knows "
                    f"({known}); upgrade Ovis to open it"
                )
            pending = [m for m in migrations if m.version > current]
            if not pending:
                return current
            step = pending[0]
            step.upgrade(db)
            db.execute(_TABLE)
            db.execute(
                "INSERT INTO schema_version (version, description, applied_ms) VALUES (?, ?, ?)",
                (step.version, step.description, int(time.time() * 1000)),
            )
