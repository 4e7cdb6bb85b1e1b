"""The embedded SQLite backend: ``SqliteStorage(path)`` and its per-aggregate repositories."""

from __future__ import annotations

from ovis.storage.sqlite.storage import SqliteStorage

__all__ = ["SqliteStorage"]
