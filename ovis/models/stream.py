"""Kinesis-compatible streams: the frozen values the stream store keeps.

Sequence numbers: a shard's records are numbered 1, 2, 3... (``n``) in the order they were
committed; the sequence number a client sees is ``shard_base(index) + n`` written in decimal,
56 digits like AWS's. ``shard_base`` grows with the shard's index in its stream, so a child
shard's numbers are all above its parents'. "0" is never a record's number: it is the position
before every record of a shard (``n = 0``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

HASH_MAX = 2**128 - 1
_BASE = 49 * 10**54  # AWS's sequence numbers start with 49 and have 56 digits
_SHARD_SPAN = 10**40  # record numbers per shard (far more than any shard will hold)


def shard_base(index: int) -> int:
    """The sequence number of position ``n = 0`` of shard ``index``."""
    return _BASE + index * _SHARD_SPAN


def sequence_number(index: int, n: int) -> str:
    return str(shard_base(index) + n)


def record_number(index: int, sequence: str) -> int | None:
    """The ``n`` of a sequence number in shard ``index`` ("0" is 0); None if it is not one of
    this shard's numbers."""
    value = int(sequence)
    if value == 0:
        return 0
    n = value - shard_base(index)
    return n if 0 <= n < _SHARD_SPAN else None


def shard_id(index: int) -> str:
    return f"shardId-{index:012d}"


@dataclass(frozen=True, slots=True)
class ShardRecord:
    """One shard of a stream. ``end_n`` is set when the shard is closed (split, merge): the
    number of its last record (0 if it got none)."""

    stream: str
    index: int
    start_hash: int
    end_hash: int
    created_ms: int
    parent: int | None = None
    adjacent_parent: int | None = None
    end_n: int | None = None
    closed_ms: int | None = None

    @property
    def shard_id(self) -> str:
        return shard_id(self.index)

    @property
    def open(self) -> bool:
        return self.end_n is None


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """A stream's metadata (its shards are ``ShardRecord``s, its tags live under its ARN)."""

    name: str
    created_ms: int
    retention_hours: int = 24
    mode: str = "PROVISIONED"  # or ON_DEMAND
    next_index: int = 0  # the index the next shard created gets
    encryption: str = "NONE"
    key_id: str | None = None
    metrics: tuple[str, ...] = ()
    max_record_kib: int = 1024


@dataclass(frozen=True, slots=True)
class DataRecord:
    """One stored record: ``n`` is its number in its shard (see the module docstring)."""

    stream: str
    shard: int
    n: int
    partition_key: str
    data: bytes
    arrival_ms: int
    explicit_hash: str | None = None


@dataclass(frozen=True, slots=True)
class StreamState:
    """What the store holds for one stream: its metadata, its shards (ascending index), and
    each shard's highest record number (0 if it has none)."""

    stream: StreamRecord
    shards: tuple[ShardRecord, ...]
    last_n: dict[int, int] = field(default_factory=dict)


# ---- writes: every change of a stream, applied by the store in the order given -------------


@dataclass(frozen=True, slots=True)
class PutStream:
    """Create or replace the stream's metadata and the given shards (others are kept)."""

    stream: StreamRecord
    shards: tuple[ShardRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class AppendRecords:
    records: tuple[DataRecord, ...]


@dataclass(frozen=True, slots=True)
class DropStream:
    """The stream, its shards and its records (its tags are the caller's)."""

    name: str


StreamWrite = PutStream | AppendRecords | DropStream
