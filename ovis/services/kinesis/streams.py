"""StreamService: Kinesis-compatible streams, their records and their shards.

Contract:
- Stream metadata and shard maps live in memory (loaded by ``start()``, written through); a
  put does no metadata read: it hashes, bisects to the open shard, numbers the record and
  submits it to one ordered group commit (``ovis.storage.group_commit``), so concurrent puts
  share one transaction and one fsync. A put returns only once its records are committed: an
  acknowledged record survives a kill -9.
- Every change of a stream (records, resharding, metadata, deletion) goes through that one
  ordered commit, so the store applies them in the order decided here: a parent is closed
  after every record numbered in it, and records put after a reshard go to its children.
- A write that fails leaves the store unchanged; the stream's memory is then reloaded from the
  store, and the caller gets InternalFailureException (nothing was acknowledged).
- Record numbers increase strictly per shard and are never reused (trimming keeps the count).
- Streams are ACTIVE as soon as CreateStream answers (resharding is immediate, too).
- ``wait(arn)`` returns on the next put or reshard of that stream: one asyncio.Event per stream.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from ovis.models.event_source import ShardView, StreamRecordView
from ovis.models.stream import (
    HASH_MAX,
    AppendRecords,
    DataRecord,
    DropStream,
    PutStream,
    ShardRecord,
    StreamRecord,
    StreamWrite,
    record_number,
    sequence_number,
    shard_base,
    shard_id,
)
from ovis.services.kinesis import commands as cmd
from ovis.services.kinesis import limits
from ovis.services.kinesis.errors import (
    InternalFailureException,
    InvalidArgumentException,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
    ValidationException,
    shard_not_found,
    stream_not_found,
)
from ovis.services.kinesis.iterators import IteratorCodec, Position
from ovis.services.kinesis.repository import StreamRepository, StreamTagRepository
from ovis.services.kinesis.shards import Reshard, ShardMap, adjacent, even_ranges, hash_key, uniform
from ovis.storage.group_commit import GroupCommit

log = logging.getLogger("ovis.kinesis")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


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


@dataclass(frozen=True)
class PutResult:
    shard_id: str
    sequence_number: str


@dataclass(frozen=True)
class RecordsPage:
    records: list[DataRecord]
    next_iterator: str | None
    millis_behind: int
    children: list[ShardRecord]
    shard: int


def _shard_index(text: str) -> int | None:
    """``shardId-000000000003`` (or a bare number) -> 3; None if it is neither."""
    digits = text.removeprefix("shardId-")
    return int(digits) if digits.isdigit() and len(digits) <= 20 else None


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
        self.store = store
        self.tags = tags
        self.region = region
        self.account = account
        self.iterators = IteratorCodec(secret)
        self.trim_interval_s = trim_interval_s
        self._streams: dict[str, Stream] = {}
        self._events: dict[str, asyncio.Event] = {}
        self._commit: GroupCommit[StreamWrite] = GroupCommit(self.store.kinesis_write)
        self._closed = False

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        states = await asyncio.to_thread(self.store.kinesis_streams)
        self._streams = {}
        for st in states:
            self._streams[st.stream.name] = self._build(st.stream, st.shards, st.last_n)

    async def close(self) -> None:
        self._closed = True
        self.interrupt_waits()

    def interrupt_waits(self) -> None:
        for ev in self._events.values():
            ev.set()

    def _build(
        self, rec: StreamRecord, shards: Iterable[ShardRecord], last_n: dict[int, int]
    ) -> Stream:
        by_index = {s.index: s for s in shards}
        counts = {i: last_n.get(i, s.end_n or 0) for i, s in by_index.items()}
        return Stream(rec, self.arn(rec.name), by_index, counts, ShardMap(by_index.values()))

    async def _reload(self, name: str) -> None:
        """After a failed write: the stream as the store has it."""
        states = await asyncio.to_thread(self.store.kinesis_streams)
        for st in states:
            if st.stream.name == name:
                self._streams[name] = self._build(st.stream, st.shards, st.last_n)
                return
        self._streams.pop(name, None)

    async def _write(self, name: str, item: StreamWrite) -> None:
        try:
            await self._commit.submit(item)
        except Exception:
            log.exception("stream %s: write failed", name)
            await self._reload(name)
            raise InternalFailureException("Internal service failure.") from None

    # ---- names ----------------------------------------------------------------------------

    def arn(self, name: str) -> str:
        return f"arn:aws:kinesis:{self.region}:{self.account}:stream/{name}"

    def name_of(self, stream_name: str | None, stream_arn: str | None) -> str:
        """The stream a request names by StreamName and/or StreamARN (not checked to exist)."""
        if stream_arn is not None:
            prefix = f"arn:aws:kinesis:{self.region}:{self.account}:stream/"
            name = stream_arn[len(prefix) :] if stream_arn.startswith(prefix) else None
            if name is None or not name:
                raise ResourceNotFoundException(
                    f"Stream {stream_arn.rpartition('/')[2]} under account "
                    f"{self.account} not found."
                )
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

    def streams(self) -> list[Stream]:
        return [self._streams[n] for n in sorted(self._streams)]

    def shard(self, s: Stream, text: str) -> ShardRecord:
        idx = _shard_index(text)
        shard = s.shards.get(idx) if idx is not None else None
        if shard is None:
            raise shard_not_found(text, s.name, self.account)
        return shard

    def _notify(self, name: str) -> None:
        ev = self._events.pop(name, None)
        if ev is not None:
            ev.set()

    def open_shard_count(self) -> int:
        return sum(len(s.open_shards()) for s in self._streams.values())

    # ---- streams --------------------------------------------------------------------------

    async def create_stream(self, c: cmd.CreateStream) -> None:
        mode = c.mode or ("PROVISIONED" if c.shard_count is not None else "ON_DEMAND")
        if mode == "PROVISIONED" and c.shard_count is None:
            raise InvalidArgumentException(
                "ShardCount is required for streams in PROVISIONED mode."
            )
        count = limits.ON_DEMAND_SHARDS if mode == "ON_DEMAND" else int(c.shard_count or 0)
        if count < 1:
            raise InvalidArgumentException(
                f"ShardCount {count} is not valid: a stream needs at least 1 shard."
            )
        if c.stream in self._streams:
            raise ResourceInUseException(
                f"Stream {c.stream} under account {self.account} already exists."
            )
        if self.open_shard_count() + count > limits.SHARD_LIMIT:
            raise LimitExceededException(
                f"This request would exceed the shard limit for the account {self.account} "
                f"in {self.region}. Current shard count for the account: "
                f"{self.open_shard_count()}. Limit: {limits.SHARD_LIMIT}. Number of additional "
                f"shards that would have resulted from this request: {count}."
            )
        if c.tags and len(c.tags) > limits.MAX_TAGS:
            raise InvalidArgumentException(
                f"A stream cannot have more than {limits.MAX_TAGS} tags."
            )
        now = now_ms()
        shards = [
            ShardRecord(c.stream, i, start, end, now)
            for i, (start, end) in enumerate(even_ranges(count))
        ]
        rec = StreamRecord(c.stream, now, limits.DEFAULT_RETENTION_HOURS, mode, count)
        self._streams[c.stream] = self._build(rec, shards, {})  # taken at once: no double create
        await self._write(c.stream, PutStream(rec, tuple(shards)))
        if c.tags:
            await asyncio.to_thread(self.tags.put_tags, self.arn(c.stream), dict(c.tags))

    async def delete_stream(self, name: str) -> None:
        self.stream(name)
        del self._streams[name]
        await self._write(name, DropStream(name))
        await asyncio.to_thread(self.tags.delete_tags, self.arn(name))
        self._notify(name)

    async def _put_meta(self, s: Stream, rec: StreamRecord) -> None:
        s.record = rec
        await self._write(s.name, PutStream(rec))

    async def set_retention(self, name: str, hours: int, increase: bool) -> None:
        s = self.stream(name)
        if hours < limits.MIN_RETENTION_HOURS:
            raise InvalidArgumentException(
                f"Minimum allowed retention period is {limits.MIN_RETENTION_HOURS} hours. "
                f"Requested retention period ({hours} hours) is too short."
            )
        if hours > limits.MAX_RETENTION_HOURS:
            raise InvalidArgumentException(
                f"Maximum allowed retention period is {limits.MAX_RETENTION_HOURS} hours. "
                f"Requested retention period ({hours} hours) is too long."
            )
        current = s.record.retention_hours
        if increase and hours < current:
            raise InvalidArgumentException(
                f"Requested retention period ({hours} hours) for stream {name} can not be "
                f"shorter than existing retention period ({current} hours). Use "
                "DecreaseRetentionPeriod API."
            )
        if not increase and hours > current:
            raise InvalidArgumentException(
                f"Requested retention period ({hours} hours) for stream {name} can not be "
                f"longer than existing retention period ({current} hours). Use "
                "IncreaseRetentionPeriod API."
            )
        await self._put_meta(s, dataclasses.replace(s.record, retention_hours=hours))

    async def set_metrics(
        self, name: str, metrics: Iterable[str], enable: bool
    ) -> tuple[list[str], list[str]]:
        s = self.stream(name)
        before = list(s.record.metrics)
        wanted = set(metrics)
        if "ALL" in wanted:
            wanted = set(_ALL_METRICS)
        after = sorted(set(before) | wanted) if enable else sorted(set(before) - wanted)
        await self._put_meta(s, dataclasses.replace(s.record, metrics=tuple(after)))
        return before, after

    async def set_encryption(self, name: str, encryption: str, key_id: str | None) -> None:
        s = self.stream(name)
        await self._put_meta(s, dataclasses.replace(s.record, encryption=encryption, key_id=key_id))

    # ---- tags -----------------------------------------------------------------------------

    async def list_tags(self, name: str) -> dict[str, str]:
        self.stream(name)
        return await asyncio.to_thread(self.tags.get_tags, self.arn(name))

    async def add_tags(self, name: str, tags: dict[str, str]) -> None:
        self.stream(name)
        current = await asyncio.to_thread(self.tags.get_tags, self.arn(name))
        if len(current.keys() | tags.keys()) > limits.MAX_TAGS:
            raise LimitExceededException(
                f"Failed to add tags to stream {name} under account {self.account} because a "
                f"given stream cannot have more than {limits.MAX_TAGS} tags."
            )
        await asyncio.to_thread(self.tags.put_tags, self.arn(name), dict(tags))

    async def remove_tags(self, name: str, keys: list[str]) -> None:
        self.stream(name)
        await asyncio.to_thread(self.tags.delete_tags, self.arn(name), list(keys))

    # ---- records --------------------------------------------------------------------------

    def _route(self, s: Stream, r: cmd.RecordInput, where: str) -> int:
        if r.explicit_hash_key is not None:
            key = int(r.explicit_hash_key)
            if key > HASH_MAX:
                raise InvalidArgumentException(
                    f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
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
        """Store the records (all or none) and return each one's shard and sequence number."""
        s = self.stream(c.stream)
        many = len(c.records) > 1
        shards = [
            self._route(s, r, f"Records[{i}]: " if many else "") for i, r in enumerate(c.records)
        ]
        if many and sum(len(r.data) + len(r.partition_key.encode()) for r in c.records) > (
            limits.MAX_PUT_RECORDS_BYTES
        ):
            raise InvalidArgumentException("Records size exceeds 5 MB limit")
        now = now_ms()
        out: list[PutResult] = []
        stored: list[DataRecord] = []
        for r, idx in zip(c.records, shards, strict=True):
            n = s.last_n[idx] + 1
            s.last_n[idx] = n
            arrival = max(now, s.last_arrival.get(idx, 0))  # monotonic per shard
            s.last_arrival[idx] = arrival
            stored.append(
                DataRecord(s.name, idx, n, r.partition_key, r.data, arrival, r.explicit_hash_key)
            )
            out.append(PutResult(shard_id(idx), sequence_number(idx, n)))
        await self._write(s.name, AppendRecords(tuple(stored)))
        self._notify(s.name)
        return out

    # ---- resharding -----------------------------------------------------------------------

    async def _reshard(self, s: Stream, plan: Reshard) -> None:
        for shard in plan.final():
            s.shards[shard.index] = shard
            s.last_n.setdefault(shard.index, 0)
        s.map = ShardMap(s.shards.values())
        s.record = dataclasses.replace(s.record, next_index=plan.next_index)
        await self._write(s.name, PutStream(s.record, tuple(plan.final())))
        self._notify(s.name)

    def _plan(self, s: Stream) -> Reshard:
        return Reshard(s.record.next_index, now_ms(), s.last_n)

    def _open_shard(self, s: Stream, text: str, operation: str) -> ShardRecord:
        shard = self.shard(s, text)
        if not shard.open:
            raise ResourceInUseException(
                f"Shard {text} in stream {s.name} under account {self.account} has already "
                f"been merged or split, and thus is not eligible for {operation}."
            )
        return shard

    def _check_limit(self, more: int) -> None:
        if more > 0 and self.open_shard_count() + more > limits.SHARD_LIMIT:
            raise LimitExceededException(
                f"This request would exceed the shard limit for the account {self.account} "
                f"in {self.region}. Current shard count for the account: "
                f"{self.open_shard_count()}. Limit: {limits.SHARD_LIMIT}."
            )

    async def split_shard(self, c: cmd.SplitShard) -> None:
        s = self.stream(c.stream)
        shard = self._open_shard(s, c.shard_id, "splitting")
        key = int(c.new_starting_hash_key)
        if not shard.start_hash < key <= shard.end_hash:
            raise InvalidArgumentException(
                f"NewStartingHashKey {c.new_starting_hash_key} used in SplitShard() on shard "
                f"{c.shard_id} in stream {s.name} under account {self.account} is not both "
                f"greater than one plus the shard's StartingHashKey {shard.start_hash} and "
                f"less than the shard's EndingHashKey {shard.end_hash}."
            )
        self._check_limit(1)
        plan = self._plan(s)
        plan.split(shard, key)
        await self._reshard(s, plan)

    async def merge_shards(self, c: cmd.MergeShards) -> None:
        s = self.stream(c.stream)
        a = self._open_shard(s, c.shard_id, "merging")
        b = self._open_shard(s, c.adjacent_shard_id, "merging")
        if a.index == b.index or not adjacent(a, b):
            raise InvalidArgumentException(
                f"Shards {c.shard_id} and {c.adjacent_shard_id} in stream {s.name} under "
                f"account {self.account} are not an adjacent pair of shards eligible for merging"
            )
        plan = self._plan(s)
        plan.merge(a, b)
        await self._reshard(s, plan)

    async def update_shard_count(self, name: str, target: int) -> int:
        """UNIFORM_SCALING to ``target`` open shards; returns the count before."""
        s = self.stream(name)
        current = len(s.open_shards())
        if target < 1:
            raise InvalidArgumentException(f"TargetShardCount {target} must be at least 1.")
        if target > 2 * current:
            raise LimitExceededException(
                f"UpdateShardCount cannot scale up over double your current open shard count. "
                f"Current open shard count: {current} Target shard count: {target}"
            )
        if 2 * target < current:
            raise LimitExceededException(
                f"UpdateShardCount cannot scale down below half your current open shard count. "
                f"Current open shard count: {current} Target shard count: {target}"
            )
        self._check_limit(target - current)
        if target != current or not _is_even(s.open_shards()):
            plan = self._plan(s)
            uniform(plan, s.open_shards(), target)
            await self._reshard(s, plan)
        return current

    # ---- shard listings -------------------------------------------------------------------

    def list_shards(self, c: cmd.ShardListing) -> tuple[list[ShardRecord], bool]:
        """The shards (ascending id) the listing selects, and whether more follow."""
        s = self.stream(c.stream)
        shards = sorted(s.shards.values(), key=lambda x: x.index)
        t = c.filter_type
        if t == "AT_LATEST":
            shards = [x for x in shards if x.open]
        elif t == "AT_TRIM_HORIZON":
            shards = [
                x for x in shards if x.parent not in s.shards and x.adjacent_parent not in s.shards
            ]
        elif t == "AFTER_SHARD_ID":
            if c.filter_shard_id is None:
                raise InvalidArgumentException("ShardFilter AFTER_SHARD_ID requires a ShardId.")
            after = _shard_index(c.filter_shard_id) or -1
            shards = [x for x in shards if x.index > after]
        elif t in ("AT_TIMESTAMP", "FROM_TIMESTAMP"):
            if c.filter_timestamp_ms is None:
                raise InvalidArgumentException(f"ShardFilter {t} requires a Timestamp.")
            ts = c.filter_timestamp_ms
            if t == "AT_TIMESTAMP":
                shards = [
                    x
                    for x in shards
                    if x.created_ms <= ts and (x.closed_ms is None or x.closed_ms > ts)
                ]
            else:
                shards = [x for x in shards if x.closed_ms is None or x.closed_ms >= ts]
        if c.exclusive_start is not None:
            start = _shard_index(c.exclusive_start)
            shards = [x for x in shards if start is None or x.index > start]
        return shards[: c.limit], len(shards) > c.limit

    # ---- iterators and reads --------------------------------------------------------------

    async def get_shard_iterator(self, c: cmd.GetShardIterator) -> str:
        s = self.stream(c.stream)
        shard = self.shard(s, c.shard_id)
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
                    f"shard {shard.shard_id} in stream {s.name} under account {self.account} "
                    "is invalid because it did not come from this stream."
                )
            after = max(n - 1, 0) if t == "AT_SEQUENCE_NUMBER" else n
        else:  # AT_TIMESTAMP
            if c.timestamp_ms is None:
                raise InvalidArgumentException(
                    "The timestampInMillis parameter cannot be null for ShardIteratorType "
                    "AT_TIMESTAMP."
                )
            after = await self._after_time(s, shard.index, c.timestamp_ms)
        return self.iterators.encode(
            Position(s.name, s.record.created_ms, shard.index, after, now_ms())
        )

    async def _after_time(self, s: Stream, index: int, ts: int) -> int:
        first = await asyncio.to_thread(self.store.kinesis_first_at, s.name, index, ts)
        return s.last_n.get(index, 0) if first is None else first - 1

    async def get_records(self, token: str, limit: int) -> RecordsPage:
        now = now_ms()
        p = self.iterators.decode(token, now)
        s = self._streams.get(p.stream)
        if s is None or s.record.created_ms != p.created_ms:
            raise stream_not_found(p.stream, self.account)
        shard = s.shards.get(p.shard)
        if shard is None:
            raise shard_not_found(shard_id(p.shard), s.name, self.account)
        records = await asyncio.to_thread(
            self.store.kinesis_read, s.name, p.shard, p.after_n, limit, limits.MAX_GET_RECORDS_BYTES
        )
        after = records[-1].n if records else p.after_n
        last = s.last_n.get(p.shard, 0)
        behind = 0 if after >= last or not records else max(now - records[-1].arrival_ms, 0)
        if shard.end_n is not None and after >= shard.end_n:
            children = [
                x
                for x in sorted(s.shards.values(), key=lambda x: x.index)
                if p.shard in (x.parent, x.adjacent_parent)
            ]
            return RecordsPage(records, None, behind, children, p.shard)
        nxt = self.iterators.encode(dataclasses.replace(p, after_n=after, issued_ms=now))
        return RecordsPage(records, nxt, behind, [], p.shard)

    # ---- retention ------------------------------------------------------------------------

    async def trim_step(self) -> None:
        """One iteration of the retention loop (``Supervisor.loop``): wait, then trim."""
        await asyncio.sleep(self.trim_interval_s)
        await self.trim()

    async def trim(self, now: int | None = None) -> int:
        """Drop records older than their stream's retention, and closed shards closed before."""
        now = now_ms() if now is None else now
        cutoffs = {
            s.name: now - s.record.retention_hours * 3_600_000 for s in self._streams.values()
        }
        gone = await asyncio.to_thread(self.store.kinesis_trim, cutoffs)
        for name, cutoff in cutoffs.items():
            s = self._streams.get(name)
            if s is None:
                continue
            for idx in [
                i for i, x in s.shards.items() if x.closed_ms is not None and x.closed_ms < cutoff
            ]:
                del s.shards[idx]
        return gone

    # ---- StreamSource (ovis.services.lambda_.esm.sources), for event source mappings -------

    def _by_arn(self, arn: str) -> Stream | None:
        prefix = f"arn:aws:kinesis:{self.region}:{self.account}:stream/"
        return self._streams.get(arn[len(prefix) :]) if arn.startswith(prefix) else None

    def _source(self, arn: str) -> Stream:
        s = self._by_arn(arn)
        if s is None:
            raise ResourceNotFoundException(f"Stream {arn} not found.")
        return s

    def stream_exists(self, arn: str) -> bool:
        return self._by_arn(arn) is not None

    async def shards(self, arn: str) -> list[ShardView]:
        s = self._source(arn)
        return [_view(x) for x in sorted(s.shards.values(), key=lambda x: x.index)]

    async def read(
        self, arn: str, shard_id: str, after: str, limit: int, max_bytes: int
    ) -> list[StreamRecordView]:
        s = self._source(arn)
        shard = self.shard(s, shard_id)
        n = record_number(shard.index, after)
        if n is None:
            n = 0 if int(after) < shard_base(shard.index) else s.last_n.get(shard.index, 0)
        rows = await asyncio.to_thread(
            self.store.kinesis_read, s.name, shard.index, n, limit, max_bytes
        )
        return [
            StreamRecordView(sequence_number(r.shard, r.n), r.partition_key, r.data, r.arrival_ms)
            for r in rows
        ]

    def _position(self, index: int, n: int) -> str:
        return "0" if n <= 0 else sequence_number(index, n)

    async def position_latest(self, arn: str, shard_id: str) -> str:
        s = self._source(arn)
        shard = self.shard(s, shard_id)
        return self._position(shard.index, s.last_n.get(shard.index, 0))

    async def position_at(self, arn: str, shard_id: str, timestamp_ms: int) -> str:
        s = self._source(arn)
        shard = self.shard(s, shard_id)
        return self._position(shard.index, await self._after_time(s, shard.index, timestamp_ms))

    async def wait(self, arn: str, timeout_s: float) -> None:
        s = self._by_arn(arn)
        name = s.name if s is not None else arn
        ev = self._events.get(name)
        if ev is None:
            ev = self._events[name] = asyncio.Event()
        if self._closed:
            return
        try:
            await asyncio.wait_for(ev.wait(), timeout_s)
        except TimeoutError:
            pass


def _view(x: ShardRecord) -> ShardView:
    return ShardView(
        x.shard_id,
        shard_id(x.parent) if x.parent is not None else None,
        shard_id(x.adjacent_parent) if x.adjacent_parent is not None else None,
        sequence_number(x.index, 0),
        sequence_number(x.index, x.end_n) if x.end_n is not None else None,
    )


def _is_even(shards: list[ShardRecord]) -> bool:
    ranges = sorted((x.start_hash, x.end_hash) for x in shards)
    return ranges == even_ranges(len(ranges))


_ALL_METRICS = (
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
)
