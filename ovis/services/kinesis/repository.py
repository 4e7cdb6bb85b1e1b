"""What the stream service stores: streams, their shards and their records.

Contract (whatever the backend): synchronous, thread-safe, durable on return. ``kinesis_write``
applies a batch of writes in order in ONE transaction (all or nothing): the service funnels
every change of a stream (records, resharding, metadata, deletion) through one ordered group
commit, so the store sees them in the order the service decided them. Reads are indexed by
(stream, shard, record number) and by (stream, shard, arrival time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from ovis.models.stream import DataRecord, StreamState, StreamWrite


class StreamRepository(Protocol):
    def kinesis_streams(self) -> list[StreamState]:
        """Every stream with its shards and each shard's highest record number."""
        ...

    def kinesis_write(self, batch: Sequence[StreamWrite]) -> None:
        """Apply ``batch`` in order, in one transaction."""
        ...

    def kinesis_read(
        self, stream: str, shard: int, after_n: int, limit: int, max_bytes: int
    ) -> list[DataRecord]:
        """Up to ``limit`` records of the shard numbered above ``after_n``, ascending, stopping
        before ``max_bytes`` of data (but at least one record)."""
        ...

    def kinesis_first_at(self, stream: str, shard: int, arrival_ms: int) -> int | None:
        """The number of the shard's first record that arrived at or after ``arrival_ms``."""
        ...

    def kinesis_trim(self, cutoffs: dict[str, int]) -> int:
        """Per stream: delete the records that arrived before its cutoff and the closed shards
        closed before it; returns how many records went."""
        ...


class StreamTagRepository(Protocol):
    """Tags by ARN (shared with every other resource's): ``put_tags`` adds or overwrites."""

    def get_tags(self, arn: str) -> dict[str, str]: ...
    def put_tags(self, arn: str, tags: dict[str, str]) -> None: ...
    def delete_tags(self, arn: str, keys: Iterable[str] | None = None) -> None: ...
