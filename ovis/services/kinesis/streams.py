"""StreamService: the Kinesis-compatible stream service's use cases, composed, and the
``StreamSource`` (``ovis.services.lambda_.esm.sources``) event source mappings read in process.

The parts: ``catalog`` (streams in memory, the ordered group commit, waits), ``admin``
(streams and their settings), ``resharding``, ``records`` (puts, iterators, GetRecords),
``retention`` (the trimming loop's step). ``start()`` loads the catalog; ``close()`` wakes
every waiter.

StreamSource contract, as the protocol states it: positions are sequence-number strings ("0":
before every record of a shard); ``stream_exists`` does no I/O; ``shards`` lists every
retained shard, parents before children; ``read`` returns records after a position, in order,
at least one (if any) within ``max_bytes``; ``wait`` returns on the stream's next put or
reshard (one asyncio.Event per stream, no polling) or after its timeout, also for a stream
that does not exist.
"""

from __future__ import annotations

import asyncio

from ovis.models.event_source import ShardView, StreamRecordView
from ovis.models.stream import ShardRecord, record_number, sequence_number, shard_base, shard_id
from ovis.services.kinesis.catalog import Stream, StreamCatalog
from ovis.services.kinesis.errors import ResourceNotFoundException
from ovis.services.kinesis.management import StreamAdmin
from ovis.services.kinesis.records import RecordLog
from ovis.services.kinesis.repository import StreamRepository, StreamTagRepository
from ovis.services.kinesis.resharding import Resharding
from ovis.services.kinesis.retention import Retention


class StreamService:
    def __init__(
        self,
        store: StreamRepository,
        tags: StreamTagRepository,
        region: str,
        account: str,
        secret: bytes,
        *,
        trim_interval_s: float = 60.0,
    ) -> None:
        self.catalog = StreamCatalog(store, region, account)
        self.admin = StreamAdmin(self.catalog, tags)
        self.resharding = Resharding(self.catalog)
        self.records = RecordLog(self.catalog, secret)
        self.retention = Retention(self.catalog, trim_interval_s)

    async def start(self) -> None:
        await self.catalog.start()

    async def close(self) -> None:
        self.catalog.close()

    def interrupt_waits(self) -> None:
        self.catalog.interrupt_waits()

    async def trim_step(self) -> None:
        await self.retention.step()

    # ---- StreamSource -------------------------------------------------------------------------

    def _source(self, arn: str) -> Stream:
        s = self.catalog.by_arn(arn)
        if s is None:
            raise ResourceNotFoundException(f"Stream {arn} not found.")
        return s

    def stream_exists(self, arn: str) -> bool:
        return self.catalog.by_arn(arn) is not None

    async def shards(self, arn: str) -> list[ShardView]:
        return [_view(x) for x in self._source(arn).ordered()]

    async def read(
        self, arn: str, shard_id: str, after: str, limit: int, max_bytes: int
    ) -> list[StreamRecordView]:
        s = self._source(arn)
        shard = self.catalog.shard(s, shard_id)
        n = record_number(shard.index, after)
        if n is None:  # not one of this shard's numbers: before or after all of them
            n = 0 if int(after) < shard_base(shard.index) else s.last_n.get(shard.index, 0)
        store = self.catalog.store
        rows = await asyncio.to_thread(store.kinesis_read, s.name, shard.index, n, limit, max_bytes)
        return [
            StreamRecordView(sequence_number(r.shard, r.n), r.partition_key, r.data, r.arrival_ms)
            for r in rows
        ]

    async def position_latest(self, arn: str, shard_id: str) -> str:
        s = self._source(arn)
        shard = self.catalog.shard(s, shard_id)
        return _position(shard.index, s.last_n.get(shard.index, 0))

    async def position_at(self, arn: str, shard_id: str, timestamp_ms: int) -> str:
        s = self._source(arn)
        shard = self.catalog.shard(s, shard_id)
        return _position(shard.index, await self.records.after_time(s, shard.index, timestamp_ms))

    async def wait(self, arn: str, timeout_s: float) -> None:
        s = self.catalog.by_arn(arn)
        await self.catalog.wait(s.name if s is not None else arn, timeout_s)


def _position(index: int, n: int) -> str:
    return "0" if n <= 0 else sequence_number(index, n)


def _view(x: ShardRecord) -> ShardView:
    return ShardView(
        x.shard_id,
        shard_id(x.parent) if x.parent is not None else None,
        shard_id(x.adjacent_parent) if x.adjacent_parent is not None else None,
        sequence_number(x.index, 0),
        sequence_number(x.index, x.end_n) if x.end_n is not None else None,
    )
