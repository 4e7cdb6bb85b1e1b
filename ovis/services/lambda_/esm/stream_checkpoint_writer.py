"""CheckpointWriter: a poller's checkpoints written behind its batches, coalesced.

Contract: ``mark(checkpoint)`` records a shard's new checkpoint in memory at once
(``current`` is what every reader and the shard scheduler see) and returns without I/O; the
``run()`` loop writes every checkpoint marked since its last write in one repository call (one
transaction), so checkpointing after each batch never limits throughput: while one write is
in flight, later marks of a shard replace each other and go in the next. ``flush()`` returns
once every mark made before it is durable (a finished shard is flushed before its children
start). ``write_pending()`` writes what is left (``close`` calls it after ``run`` stopped).
A mark lost in a crash only means records after the previous durable checkpoint are
delivered again (at least once).
"""

from __future__ import annotations

import asyncio

from ovis.services.lambda_.esm.checkpoints import CheckpointRepository, ShardCheckpoint


class CheckpointWriter:
    def __init__(self, repository: CheckpointRepository, mapping_uuid: str) -> None:
        self.repository = repository
        self.mapping_uuid = mapping_uuid
        self.current: dict[str, ShardCheckpoint] = {}
        self._dirty: dict[str, ShardCheckpoint] = {}
        self._wake = asyncio.Event()
        self._clean = asyncio.Event()
        self._clean.set()
        self.writes = 0

    def mark(self, checkpoint: ShardCheckpoint) -> None:
        self.current[checkpoint.shard_id] = checkpoint
        self._dirty[checkpoint.shard_id] = checkpoint
        self._clean.clear()
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.write_pending()

    async def write_pending(self) -> None:
        batch = dict(self._dirty)
        if batch:
            updates = [(self.mapping_uuid, c) for c in batch.values()]
            await asyncio.to_thread(self.repository.save, updates)
            self.writes += 1
            for shard, c in batch.items():
                if self._dirty.get(shard) is c:
                    del self._dirty[shard]
        if not self._dirty:
            self._clean.set()

    async def flush(self) -> None:
        await self._clean.wait()
