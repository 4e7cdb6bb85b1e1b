"""Declared CloudWatch Logs log groups, streams and subscription filters in SQLite
(migrations 13 and 15).

Contract: synchronous, thread-safe, durable on return; each write one statement or one
transaction (all or nothing). Implements ``ovis.services.logs.repository.LogGroupRepository``,
``LogStreamRepository`` and ``SubscriptionRepository``. Deleting a group's declaration also
drops its declared streams and subscription filters; deleting a stream also drops its events.
"""

from __future__ import annotations

from ovis.models.log_group import LogGroup
from ovis.models.log_subscription import SubscriptionFilter
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
        with self._engine.transaction() as db:
            db.execute("DELETE FROM log_streams WHERE grp = ?", (name,))
            db.execute("DELETE FROM log_subscriptions WHERE grp = ?", (name,))
            return db.execute("DELETE FROM log_groups WHERE name = ?", (name,)).rowcount == 1

    # ---- streams (CreateLogStream)

    def create_log_stream(self, group: str, name: str, created_ms: int) -> bool:
        n = self._engine.write(
            "INSERT OR IGNORE INTO log_streams (grp, name, created) VALUES (?, ?, ?)",
            (group, name, created_ms),
        )
        return n == 1

    def declared_log_streams(self, group: str) -> list[tuple[str, int]]:
        """(stream, creation ms) of the streams CreateLogStream made in ``group``, by name."""
        rows = self._engine.read(
            "SELECT name, created FROM log_streams WHERE grp = ? ORDER BY name", (group,)
        )
        return [(r[0], r[1]) for r in rows]

    def delete_log_stream(self, group: str, name: str) -> bool:
        """Drop the stream's declaration and events; False if it had neither."""
        with self._engine.transaction() as db:
            n = db.execute(
                "DELETE FROM log_streams WHERE grp = ? AND name = ?", (group, name)
            ).rowcount
            n += db.execute(
                "DELETE FROM log_events WHERE grp = ? AND stream = ?", (group, name)
            ).rowcount
            return n > 0

    # ---- subscription filters

    def put_subscription_filter(self, f: SubscriptionFilter, cursor: int, limit: int) -> bool:
        """Create ``f`` (delivering events after id ``cursor``) or replace the filter of that
        name (keeping its cursor); False, writing nothing, if it is new and the group already
        has ``limit`` filters."""
        with self._engine.transaction() as db:
            updated = db.execute(
                "UPDATE log_subscriptions SET data = ? WHERE grp = ? AND name = ?",
                (f.to_json(), f.group, f.name),
            ).rowcount
            if updated:
                return True
            (count,) = db.execute(
                "SELECT COUNT(*) FROM log_subscriptions WHERE grp = ?", (f.group,)
            ).fetchone()
            if count >= limit:
                return False
            db.execute(
                "INSERT INTO log_subscriptions (grp, name, data, cursor) VALUES (?, ?, ?, ?)",
                (f.group, f.name, f.to_json(), cursor),
            )
            return True

    def subscription_filters(
        self, group: str | None = None
    ) -> list[tuple[SubscriptionFilter, int]]:
        """(filter, cursor) of ``group``'s filters (every group's with None), by group, name."""
        if group is None:
            rows = self._engine.read(
                "SELECT data, cursor FROM log_subscriptions ORDER BY grp, name"
            )
        else:
            rows = self._engine.read(
                "SELECT data, cursor FROM log_subscriptions WHERE grp = ? ORDER BY name",
                (group,),
            )
        return [(SubscriptionFilter.from_json(r[0]), r[1]) for r in rows]

    def advance_subscription(self, group: str, name: str, cursor: int) -> None:
        """Record that events up to id ``cursor`` were handed over (never moves back)."""
        self._engine.write(
            "UPDATE log_subscriptions SET cursor = MAX(cursor, ?) WHERE grp = ? AND name = ?",
            (cursor, group, name),
        )

    def delete_subscription_filter(self, group: str, name: str) -> bool:
        return (
            self._engine.write(
                "DELETE FROM log_subscriptions WHERE grp = ? AND name = ?", (group, name)
            )
            == 1
        )
