"""StreamCatalog: every stream in memory, and the one ordered way to change them.

Contract:
- Stream metadata and each stream's open shards by hash range live in memory, loaded by
  ``start()`` and written through; lookups (``stream``, ``by_arn``, ``shard``) do no I/O.
- ``write(name, item)`` submits a change (records, resharding, metadata, deletion) to ONE
  ordered group commit (``ovis.storage.group_commit``): concurrent writers share a transaction
  and an fsync, and the store applies changes in the order they were decided here. It returns
  once the change is committed. If the write fails nothing of it is stored: an append only
  burns its record numbers; a metadata write reloads the stream from the store (keeping every
  record number and shard index already handed out, so none is handed out twice); the caller
  gets InternalFailureException.
- ``notify(name)`` wakes every ``wait(name)``: one asyncio.Event per stream, replaced on set.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from ovis.models.stream import AppendRecords, ShardRecord, StreamRecord, StreamWrite
from ovis.services.kinesis.errors import (
    InternalFailureException,
    InvalidArgumentException,
    ResourceNotFoundException,
    ValidationException,
    shard_not_found,
    stream_not_found,
)
from ovis.services.kinesis.repository import StreamRepository
from ovis.services.kinesis.shards import ShardMap
from ovis.storage.group_commit import GroupCommit

log = logging.getLogger("ovis.kinesis")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def shard_index(text: str) -> int | None:
    """``shardId-000000000003`` (or a bare number) -> 3; None if it is neither."""
    digits = text.removeprefix("shardId-")
    return int(digits) if digits.isdigit() and len(digits) <= 20 else None


@dataclass
class Stream:
    """One stream in memory: metadata, every retained shard, the open shards' map, and per
    shard the last record number given out and the last arrival time (kept monotonic)."""

    record: StreamRecord
    arn: str
    shards: dict[int, ShardRecord]
    last_n: dict[int, int]
    map: ShardMap
    last_arrival: dict[int, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.record.name

    def open_shards(self) -> list[ShardRecord]:
        return [s for s in self.shards.values() if s.open]

    def ordered(self) -> list[ShardRecord]:
        """Every retained shard by index: parents before children."""
        return sorted(self.shards.values(), key=lambda x: x.index)


class StreamCatalog:
    def __init__(self, store: StreamRepository, region: str, account: str) -> None:
        self.store = store
        self.region = region
        self.account = account
        self._arn_prefix = f"arn:aws:kinesis:{region}:{account}:stream/"
        self._streams: dict[str, Stream] = {}
        self._events: dict[str, asyncio.Event] = {}
        self._commit: GroupCommit[StreamWrite] = GroupCommit(store.kinesis_write)
        self.closed = False

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        states = await asyncio.to_thread(self.store.kinesis_streams)
        self._streams = {
            st.stream.name: self.build(st.stream, st.shards, st.last_n) for st in states
        }

    def close(self) -> None:
        self.closed = True
        self.interrupt_waits()

    def interrupt_waits(self) -> None:
        for ev in self._events.values():
            ev.set()

    # ---- names and lookups ------------------------------------------------------------------

    def arn(self, name: str) -> str:
        return self._arn_prefix + name

    def name_of(self, stream_name: str | None, stream_arn: str | None) -> str:
        """The stream a request names by StreamName and/or StreamARN (not checked to exist)."""
        if stream_arn is not None:
            if not stream_arn.startswith(self._arn_prefix) or stream_arn == self._arn_prefix:
                raise ResourceNotFoundException(
                    f"Stream {stream_arn.rpartition('/')[2]} under account "
                    f"{self.account} not found."
                )
            name = stream_arn[len(self._arn_prefix) :]
            if stream_name is not None and stream_name != name:
                raise InvalidArgumentException(
                    f"StreamARN {stream_arn} and StreamName {stream_name} do not match."
                )
            return name
        if stream_name is None:
            raise ValidationException("Either StreamName or StreamARN must be provided.")
        return stream_name

    def stream(self, name: str) -> Stream:
        s = self._streams.get(name)
        if s is None:
            raise stream_not_found(name, self.account)
        return s

    def find(self, name: str) -> Stream | None:
        return self._streams.get(name)

    def by_arn(self, arn: str) -> Stream | None:
        if not arn.startswith(self._arn_prefix):
            return None
        return self._streams.get(arn[len(self._arn_prefix) :])

    def streams(self) -> list[Stream]:
        return [self._streams[n] for n in sorted(self._streams)]

    def shard(self, s: Stream, text: str) -> ShardRecord:
        idx = shard_index(text)
        shard = s.shards.get(idx) if idx is not None else None
        if shard is None:
            raise shard_not_found(text, s.name, self.account)
        return shard

    def open_shard_count(self) -> int:
        return sum(len(s.open_shards()) for s in self._streams.values())

    # ---- changes ----------------------------------------------------------------------------

    def build(
        self, rec: StreamRecord, shards: Iterable[ShardRecord], last_n: dict[int, int]
    ) -> Stream:
        by_index = {s.index: s for s in shards}
        counts = {i: last_n.get(i, s.end_n or 0) for i, s in by_index.items()}
        return Stream(rec, self.arn(rec.name), by_index, counts, ShardMap(by_index.values()))

    def add(self, s: Stream) -> None:
        self._streams[s.name] = s

    def remove(self, name: str) -> None:
        self._streams.pop(name, None)

    async def write(self, name: str, item: StreamWrite) -> None:
        try:
            await self._commit.submit(item)
        except Exception:
            log.exception("stream %s: write failed", name)
            if not isinstance(item, AppendRecords):
                await self._reload(name)
            raise InternalFailureException("Internal service failure.") from None

    async def _reload(self, name: str) -> None:
        states = await asyncio.to_thread(self.store.kinesis_streams)
        mem = self._streams.get(name)
        for st in states:
            if st.stream.name != name:
                continue
            rec, last = st.stream, dict(st.last_n)
            if mem is not None:  # later batches may have used these numbers and indexes
                next_index = max(rec.next_index, mem.record.next_index)
                rec = dataclasses.replace(rec, next_index=next_index)
                for idx, n in mem.last_n.items():
                    last[idx] = max(last.get(idx, 0), n)
            self._streams[name] = self.build(rec, st.shards, last)
            return
        self._streams.pop(name, None)

    # ---- waiting ----------------------------------------------------------------------------

    def notify(self, name: str) -> None:
        ev = self._events.pop(name, None)
        if ev is not None:
            ev.set()

    async def wait(self, name: str, timeout_s: float) -> None:
        """Until the next ``notify(name)`` or ``timeout_s``; at once after ``close()``."""
        if self.closed:
            return
        ev = self._events.get(name)
        if ev is None:
            ev = self._events[name] = asyncio.Event()
        try:
            await asyncio.wait_for(ev.wait(), timeout_s)
        except TimeoutError:
            pass
