"""Retention: records older than their stream's retention period are trimmed, and closed
shards closed before it are forgotten, by a supervised loop (``step``: wait, then trim).

Contract: trimming never makes a record number reusable (the store keeps each shard's count);
a reader positioned before trimmed records continues from the oldest retained one.
"""

from __future__ import annotations

import asyncio

from ovis.services.kinesis.catalog import StreamCatalog, now_ms

HOUR_MS = 3_600_000


class Retention:
    def __init__(self, catalog: StreamCatalog, interval_s: float = 60.0) -> None:
        self.catalog = catalog
        self.interval_s = interval_s

    async def step(self) -> None:
        """One iteration of the ``kinesis-retention`` loop."""
        await asyncio.sleep(self.interval_s)
        await self.trim()

    async def trim(self, now: int | None = None) -> int:
        """Trim every stream as of ``now`` (default: the clock); how many records went."""
        now = now_ms() if now is None else now
        cutoffs = {s.name: now - s.record.retention_hours * HOUR_MS for s in self.catalog.streams()}
        gone = await asyncio.to_thread(self.catalog.store.kinesis_trim, cutoffs)
        for name, cutoff in cutoffs.items():
            s = self.catalog.find(name)
            if s is None:
                continue
            for idx, shard in list(s.shards.items()):
                if shard.closed_ms is not None and shard.closed_ms < cutoff:
                    del s.shards[idx]
        return gone
