"""RecordLog: putting records (PutRecord/PutRecords) and reading them with shard iterators
(GetShardIterator/GetRecords).

Contract:
- A put does no I/O but its commit: MD5 of the partition key (or the ExplicitHashKey), a
  bisection to the open shard, the shard's next record number, then the catalog's ordered
  group commit. It returns once the records are committed (all of a PutRecords or none); an
  acknowledged record survives a kill -9. Arrival times are monotonic per shard.
- Iterators are signed tokens (``iterators.py``); GetRecords needs no iterator state. On a
  closed shard, the read that reaches its end returns no next iterator and its ChildShards.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass

from ovis.models.stream import (
    HASH_MAX,
    AppendRecords,
    DataRecord,
    ShardRecord,
    record_number,
    sequence_number,
    shard_id,
)
from ovis.services.kinesis import commands as cmd
from ovis.services.kinesis import limits
from ovis.services.kinesis.catalog import Stream, StreamCatalog, now_ms
from ovis.services.kinesis.errors import (
    InvalidArgumentException,
    shard_not_found,
    stream_not_found,
)
from ovis.services.kinesis.iterators import IteratorCodec, Position
from ovis.services.kinesis.shards import hash_key


@dataclass(frozen=True)
class PutResult:
    shard_id: str
    sequence_number: str


@dataclass(frozen=True)
class RecordsPage:
    records: list[DataRecord]
    next_iterator: str | None  # None: the end of a closed shard was reached
    millis_behind: int
    children: list[ShardRecord]  # set with next_iterator None


class RecordLog:
    def __init__(self, catalog: StreamCatalog, secret: bytes) -> None:
        self.catalog = catalog
        self.iterators = IteratorCodec(secret)

    # ---- puts -------------------------------------------------------------------------------

    @staticmethod
    def _route(s: Stream, r: cmd.RecordInput, where: str) -> int:
        if r.explicit_hash_key is not None:
            key = int(r.explicit_hash_key)
            if key > HASH_MAX:
                raise InvalidArgumentException(
                    "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
                    f"[0, 2^128-1]. Specified value was {r.explicit_hash_key}"
                )
        else:
            key = hash_key(r.partition_key)
        size = len(r.data) + len(r.partition_key.encode())
        if size > s.record.max_record_kib * 1024:
            raise InvalidArgumentException(
                f"{where}Record size {size} bytes (data plus partition key) exceeds the maximum "
                f"record size of {s.record.max_record_kib * 1024} bytes."
            )
        return s.map.shard_for(key)

    async def put_records(self, c: cmd.PutRecords) -> list[PutResult]:
        """Store the records (all or none); each one's shard and sequence number, in order."""
        s = self.catalog.stream(c.stream)
        many = len(c.records) > 1
        # every check before any number is taken: a refused request changes nothing
        shards = [
            self._route(s, r, f"Records[{i}]: " if many else "") for i, r in enumerate(c.records)
        ]
        total = sum(len(r.data) + len(r.partition_key.encode()) for r in c.records)
        if many and total > limits.MAX_PUT_RECORDS_BYTES:
            raise InvalidArgumentException("Records size exceeds 5 MB limit")
        now = now_ms()
        out: list[PutResult] = []
        stored: list[DataRecord] = []
        for r, idx in zip(c.records, shards, strict=True):
            n = s.last_n[idx] + 1
            s.last_n[idx] = n
            arrival = max(now, s.last_arrival.get(idx, 0))
            s.last_arrival[idx] = arrival
            stored.append(
                DataRecord(s.name, idx, n, r.partition_key, r.data, arrival, r.explicit_hash_key)
            )
            out.append(PutResult(shard_id(idx), sequence_number(idx, n)))
        await self.catalog.write(s.name, AppendRecords(tuple(stored)))
        self.catalog.notify(s.name)
        return out

    # ---- iterators and reads ----------------------------------------------------------------

    async def after_time(self, s: Stream, index: int, ts: int) -> int:
        """The record number just before the shard's first record at or after ``ts``."""
        first = await asyncio.to_thread(self.catalog.store.kinesis_first_at, s.name, index, ts)
        return s.last_n.get(index, 0) if first is None else first - 1

    async def get_shard_iterator(self, c: cmd.GetShardIterator) -> str:
        s = self.catalog.stream(c.stream)
        shard = self.catalog.shard(s, c.shard_id)
        t = c.iterator_type
        if t == "TRIM_HORIZON":
            after = 0
        elif t == "LATEST":
            after = s.last_n.get(shard.index, 0)
        elif t in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            if c.sequence_number is None:
                raise InvalidArgumentException(
                    f"StartingSequenceNumber must be specified for ShardIteratorType {t}."
                )
            n = record_number(shard.index, c.sequence_number)
            if n is None:
                raise InvalidArgumentException(
                    f"StartingSequenceNumber {c.sequence_number} used in GetShardIterator on "
                    f"shard {shard.shard_id} in stream {s.name} under account "
                    f"{self.catalog.account} is invalid because it did not come from this stream."
                )
            after = max(n - 1, 0) if t == "AT_SEQUENCE_NUMBER" else n
        else:  # AT_TIMESTAMP (the codec checked the enum)
            if c.timestamp_ms is None:
                raise InvalidArgumentException(
                    "The timestampInMillis parameter cannot be null for ShardIteratorType "
                    "AT_TIMESTAMP."
                )
            after = await self.after_time(s, shard.index, c.timestamp_ms)
        position = Position(s.name, s.record.created_ms, shard.index, after, now_ms())
        return self.iterators.encode(position)

    async def get_records(self, token: str, limit: int) -> RecordsPage:
        now = now_ms()
        p = self.iterators.decode(token, now)
        s = self.catalog.find(p.stream)
        if s is None or s.record.created_ms != p.created_ms:  # deleted (maybe re-created)
            raise stream_not_found(p.stream, self.catalog.account)
        shard = s.shards.get(p.shard)
        if shard is None:
            raise shard_not_found(shard_id(p.shard), s.name, self.catalog.account)
        records = await asyncio.to_thread(
            self.catalog.store.kinesis_read,
            s.name,
            p.shard,
            p.after_n,
            limit,
            limits.MAX_GET_RECORDS_BYTES,
        )
        after = records[-1].n if records else p.after_n
        caught_up = after >= s.last_n.get(p.shard, 0)
        behind = 0 if caught_up or not records else max(now - records[-1].arrival_ms, 0)
        if shard.end_n is not None and after >= shard.end_n:
            children = [x for x in s.ordered() if p.shard in (x.parent, x.adjacent_parent)]
            return RecordsPage(records, None, behind, children)
        nxt = self.iterators.encode(dataclasses.replace(p, after_n=after, issued_ms=now))
        return RecordsPage(records, nxt, behind, [])
