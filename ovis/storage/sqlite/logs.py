"""Function log lines, by group and stream.

Contract: synchronous, thread-safe, durable on return; ``append_logs`` stores a batch
all-or-nothing and assigns increasing event ids in insertion order.
"""

from __future__ import annotations

from collections.abc import Iterable

from ovis.models.log_event import LogEvent
from ovis.storage.sqlite.engine import Engine

# Up to this many events in a query's time window, it is read by time (see filter_logs).
NARROW = 5000


class SqliteLogs:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append_logs(self, events: Iterable[LogEvent]) -> None:
        rows = [(e.group, e.stream, e.timestamp, e.ingestion_time, e.message) for e in events]
        if not rows:
            return
        with self._engine.transaction() as db:
            db.executemany(
                "INSERT INTO log_events (grp, stream, ts, ingested, message) VALUES (?,?,?,?,?)",
                rows,
            )

    def filter_logs(
        self, group: str, start_ms: int, end_ms: int, after_id: int, limit: int
    ) -> list[LogEvent]:
        """Up to ``limit`` events of ``group`` with start <= timestamp <= end and an id above
        ``after_id``, in id (insertion) order.

        Cost: a narrow time window (a live tail asking for the last seconds, every second) is
        read through the (grp, ts, id) index and sorted, in time proportional to the window;
        a wide one (paging a whole group, a subscription's cursor) walks the (grp, id) index
        from ``after_id`` and stops at ``limit``. Which is which is found by counting at most
        ``NARROW`` entries of the window in the (grp, ts, id) index (index only, and without
        ``after_id``, so the count never scans past the events already read)."""
        args = (group, start_ms, end_ms, after_id)
        window = self._engine.read(
            "SELECT COUNT(*) FROM (SELECT 1 FROM log_events INDEXED BY log_events_grp_ts "
            "WHERE grp = ? AND ts >= ? AND ts <= ? LIMIT ?)",
            (group, start_ms, end_ms, NARROW),
        )
        index = "log_events_grp_ts" if window[0][0] < NARROW else "log_events_grp_id"
        rows = self._engine.read(
            f"SELECT id, stream, ts, ingested, message FROM log_events INDEXED BY {index} "
            "WHERE grp = ? AND ts >= ? AND ts <= ? AND id > ? ORDER BY id LIMIT ?",
            (*args, limit),
        )
        return [LogEvent(group, r[1], r[2], r[4], r[0], r[3]) for r in rows]

    def log_groups(self) -> list[tuple[str, int]]:
        """(group, first ingestion time), by group name."""
        rows = self._engine.read(
            "SELECT grp, MIN(ingested) FROM log_events GROUP BY grp ORDER BY grp"
        )
        return [(r[0], r[1]) for r in rows]

    def log_streams(self, group: str) -> list[tuple[str, int, int]]:
        """(stream, first timestamp, last timestamp), by stream name."""
        rows = self._engine.read(
            "SELECT stream, MIN(ts), MAX(ts) FROM log_events WHERE grp = ? "
            "GROUP BY stream ORDER BY stream",
            (group,),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def last_log_id(self) -> int:
        """The id of the newest stored event (0: none)."""
        rows = self._engine.read("SELECT COALESCE(MAX(id), 0) FROM log_events")
        return int(rows[0][0])

    def delete_log_group(self, group: str) -> None:
        self._engine.write("DELETE FROM log_events WHERE grp = ?", (group,))
