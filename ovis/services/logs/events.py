"""The CloudWatch Logs use cases over the stored function logs.

Contract: reads see every line the log sink has flushed; ``delete_group`` removes the group's
events durably. Methods run the store's calls in a worker thread (the store is synchronous).
"""

from __future__ import annotations

import asyncio

from ovis.logs.repository import LogRepository
from ovis.services.logs.commands import FOREVER_MS, EventPage, EventQuery
from ovis.services.logs.filter_pattern import compile_pattern

BATCH = 1000


class LogEvents:
    def __init__(self, store: LogRepository) -> None:
        self.store = store

    async def groups(self) -> list[tuple[str, int]]:
        """(group name, creation time in ms) of every group."""
        return await asyncio.to_thread(self.store.log_groups)

    async def exists(self, group: str) -> bool:
        """Whether ``group`` has an event: one indexed probe, not a summary of every group
        (FilterLogEvents asks this on each call, and the console's live tail calls it every
        second)."""
        found = await asyncio.to_thread(self.store.filter_logs, group, 0, FOREVER_MS, 0, 1)
        return bool(found)

    async def streams(self, group: str, prefix: str = "") -> list[tuple[str, int, int]]:
        """(stream, first event ms, last event ms) of a group's streams starting with prefix."""
        found = await asyncio.to_thread(self.store.log_streams, group)
        return [s for s in found if s[0].startswith(prefix)]

    async def query(self, q: EventQuery) -> EventPage:
        events: list[tuple[str, int, str, int, int]] = []
        last_id = q.after_id
        matches = compile_pattern(q.pattern)
        while len(events) < q.limit:
            batch = await asyncio.to_thread(
                self.store.filter_logs, q.group, q.start_ms, q.end_ms, last_id, BATCH
            )
            if not batch:
                break
            for e in batch:
                last_id = e.event_id
                if q.streams and e.stream not in q.streams:
                    continue
                if q.stream_prefix and not e.stream.startswith(q.stream_prefix):
                    continue
                if not matches(e.message):
                    continue
                events.append((e.stream, e.timestamp, e.message, e.ingestion_time, e.event_id))
                if len(events) >= q.limit:
                    break
        return EventPage(events, last_id, len(events) >= q.limit)

    async def delete_group(self, group: str) -> None:
        await asyncio.to_thread(self.store.delete_log_group, group)
