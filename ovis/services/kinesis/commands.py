"""Kinesis's typed commands, built by the operation table from the validated request.

``stream`` is always a stream NAME: the table resolves StreamName / StreamARN first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CreateStream:
    stream: str
    shard_count: int | None = None
    mode: str | None = None  # StreamModeDetails.StreamMode
    tags: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class RecordInput:
    data: bytes
    partition_key: str
    explicit_hash_key: str | None = None


@dataclass(frozen=True, slots=True)
class PutRecords:
    stream: str
    records: tuple[RecordInput, ...]


@dataclass(frozen=True, slots=True)
class GetShardIterator:
    stream: str
    shard_id: str
    iterator_type: str
    sequence_number: str | None = None
    timestamp_ms: int | None = None


@dataclass(frozen=True, slots=True)
class SplitShard:
    stream: str
    shard_id: str
    new_starting_hash_key: str


@dataclass(frozen=True, slots=True)
class MergeShards:
    stream: str
    shard_id: str
    adjacent_shard_id: str


@dataclass(frozen=True, slots=True)
class ShardListing:
    """ListShards / DescribeStream paging: after ``exclusive_start`` (a shard id), at most
    ``limit``, filtered as ShardFilter says."""

    stream: str
    limit: int
    exclusive_start: str | None = None
    filter_type: str | None = None
    filter_shard_id: str | None = None
    filter_timestamp_ms: int | None = None
