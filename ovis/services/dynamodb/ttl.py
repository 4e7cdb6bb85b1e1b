"""Time to live and stream retention: the supervised ``dynamodb-ttl`` loop.

Each step waits ``interval_s`` then deletes every item whose TTL attribute (epoch seconds, a
Number) is due, as the service (a REMOVE stream record with userIdentity
dynamodb.amazonaws.com), and trims change records older than 24 hours. Items that expired more
than five years ago are left alone, as AWS does.
"""

from __future__ import annotations

import asyncio

from ovis.services.dynamodb.changes import RETENTION_MS
from ovis.services.dynamodb.items import ItemService
from ovis.services.dynamodb.tables import now_ms


class TimeToLive:
    def __init__(self, items: ItemService, interval_s: float = 1.0) -> None:
        self.items = items
        self.interval_s = interval_s

    async def step(self) -> None:
        """One iteration of the ``dynamodb-ttl`` loop."""
        await asyncio.sleep(self.interval_s)
        await self.items.expire()
        await asyncio.to_thread(self.items.store.ddb_trim_changes, now_ms() - RETENTION_MS)
