"""Hash-key ranges and resharding, as pure functions over ``ShardRecord``s.

Partition keys hash with MD5 into [0, 2^128 - 1]; a stream's open shards own contiguous,
disjoint ranges covering it all. ``ShardMap`` finds a hash key's open shard by bisection.
Resharding closes parents (``end_n`` = their last record number) and creates children with
``parent`` / ``adjacent_parent`` set; ``uniform`` reaches any shard count by splits then
merges, so every child's lineage is one or two parents as on AWS.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from ovis.models.stream import HASH_MAX, ShardRecord


def hash_key(partition_key: str) -> int:
    return int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big")


def even_ranges(count: int) -> list[tuple[int, int]]:
    """``count`` contiguous ranges as CreateStream splits the key space: equal sizes, the last
    one taking the remainder up to 2^128 - 1."""
    size = (HASH_MAX + 1) // count
    return [(i * size, HASH_MAX if i == count - 1 else (i + 1) * size - 1) for i in range(count)]


class ShardMap:
    """The open shards of a stream by hash range (immutable; rebuilt on reshard)."""

    __slots__ = ("_indexes", "_starts")

    def __init__(self, shards: Iterable[ShardRecord]) -> None:
        ordered = sorted((s for s in shards if s.open), key=lambda s: s.start_hash)
        self._starts = [s.start_hash for s in ordered]
        self._indexes = [s.index for s in ordered]

    def shard_for(self, key: int) -> int:
        """The index of the open shard whose range holds ``key`` (0 <= key <= 2^128 - 1)."""
        return self._indexes[bisect.bisect_right(self._starts, key) - 1]


@dataclass
class Reshard:
    """The outcome of a resharding: the closed parents and the new children, in creation
    order. ``next_index`` is the stream's next shard index afterwards."""

    next_index: int
    now_ms: int
    last_n: dict[int, int]
    closed: list[ShardRecord] = field(default_factory=list)
    opened: list[ShardRecord] = field(default_factory=list)

    def close(self, shard: ShardRecord) -> ShardRecord:
        done = dataclasses.replace(
            shard, end_n=self.last_n.get(shard.index, 0), closed_ms=self.now_ms
        )
        self.closed.append(done)
        return done

    def child(
        self, stream: str, start: int, end: int, parent: int, adjacent: int | None = None
    ) -> ShardRecord:
        shard = ShardRecord(stream, self.next_index, start, end, self.now_ms, parent, adjacent)
        self.next_index += 1
        self.opened.append(shard)
        return shard

    def split(self, shard: ShardRecord, new_start: int) -> tuple[ShardRecord, ShardRecord]:
        """Close ``shard``; children [start, new_start - 1] and [new_start, end]."""
        self.close(shard)
        low = self.child(shard.stream, shard.start_hash, new_start - 1, shard.index)
        high = self.child(shard.stream, new_start, shard.end_hash, shard.index)
        return low, high

    def merge(self, shard: ShardRecord, adjacent: ShardRecord) -> ShardRecord:
        """Close both; one child over both ranges, ``shard`` its parent."""
        self.close(shard)
        self.close(adjacent)
        start = min(shard.start_hash, adjacent.start_hash)
        end = max(shard.end_hash, adjacent.end_hash)
        return self.child(shard.stream, start, end, shard.index, adjacent.index)

    def final(self) -> list[ShardRecord]:
        """Every shard written: the closed ones with their end, then the still-open children."""
        closed = {s.index: s for s in self.closed}
        return [*self.closed, *(s for s in self.opened if s.index not in closed)]


def adjacent(a: ShardRecord, b: ShardRecord) -> bool:
    return a.end_hash + 1 == b.start_hash or b.end_hash + 1 == a.start_hash


def uniform(plan: Reshard, open_shards: list[ShardRecord], target: int) -> None:
    """Reshape ``open_shards`` into ``target`` even ranges (UpdateShardCount UNIFORM_SCALING):
    split at every target boundary no shard starts at, then merge, pairwise left to right, the
    shards inside each target range."""
    current = sorted(open_shards, key=lambda s: s.start_hash)
    for start, _end in even_ranges(target)[1:]:
        for i, s in enumerate(current):
            if s.start_hash < start <= s.end_hash:
                current[i : i + 1] = list(plan.split(s, start))
                break
    for start, end in even_ranges(target):
        inside = [s for s in current if start <= s.start_hash and s.end_hash <= end]
        while len(inside) > 1:  # a multi-way merge's intermediate children close at once
            inside[0:2] = [plan.merge(inside[0], inside[1])]
