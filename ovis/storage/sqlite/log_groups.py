"""Declared CloudWatch Logs log groups in SQLite (migration 13).

Contract: synchronous, thread-safe, durable on return; one row per group, each write one
statement. Implements ``ovis.services.logs.repository.LogGroupRepository``.
"""

from __future__ import annotations

from ovis.models.log_group import LogGroup
from ovis.storage.sqlite.engine import Engine


class SqliteLogGroups:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create_log_group(self, group: LogGroup) -> bool:
        n = self._engine.write(
            "INSERT OR IGNORE INTO log_groups (name, data) VALUES (?, ?)",
            (group.name, group.to_json()),
        )
        return n == 1

    def log_group(self, name: str) -> LogGroup | None:
        rows = self._engine.read("SELECT data FROM log_groups WHERE name = ?", (name,))
        return LogGroup.from_json(rows[0][0]) if rows else None

    def declared_log_groups(self) -> list[LogGroup]:
        rows = self._engine.read("SELECT data FROM log_groups ORDER BY name")
        return [LogGroup.from_json(r[0]) for r in rows]

    def put_log_group(self, group: LogGroup) -> None:
        self._engine.write(
            "UPDATE log_groups SET data = ? WHERE name = ?", (group.to_json(), group.name)
        )

    def delete_log_group_declaration(self, name: str) -> bool:
        return self._engine.write("DELETE FROM log_groups WHERE name = ?", (name,)) == 1
