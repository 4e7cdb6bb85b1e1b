"""Resharding: SplitShard, MergeShards, UpdateShardCount (UNIFORM_SCALING), and the shard
listings of DescribeStream / ListShards.

Contract: a reshard is immediate (the stream stays ACTIVE). The memory switches first, so a
record put after the call started goes to the children; the change then goes through the
catalog's ordered commit after every record already numbered in the parents, whose
``end_n`` (EndingSequenceNumber) therefore covers them all. Waiters are woken once committed.
"""

from __future__ import annotations

import dataclasses

from ovis.models.stream import PutStream, ShardRecord
from ovis.services.kinesis import commands as cmd
from ovis.services.kinesis import limits
from ovis.services.kinesis.catalog import Stream, StreamCatalog, now_ms, shard_index
from ovis.services.kinesis.errors import (
    InvalidArgumentException,
    LimitExceededException,
    ResourceInUseException,
)
from ovis.services.kinesis.management import shard_limit_error
from ovis.services.kinesis.shards import Reshard, ShardMap, adjacent, even_ranges, uniform


class Resharding:
    def __init__(self, catalog: StreamCatalog) -> None:
        self.catalog = catalog

    async def _apply(self, s: Stream, plan: Reshard) -> None:
        for shard in plan.final():
            s.shards[shard.index] = shard
            s.last_n.setdefault(shard.index, 0)
        s.map = ShardMap(s.shards.values())
        s.record = dataclasses.replace(s.record, next_index=plan.next_index)
        await self.catalog.write(s.name, PutStream(s.record, tuple(plan.final())))
        self.catalog.notify(s.name)

    @staticmethod
    def _plan(s: Stream) -> Reshard:
        return Reshard(s.record.next_index, now_ms(), s.last_n)

    def _open_shard(self, s: Stream, text: str, operation: str) -> ShardRecord:
        shard = self.catalog.shard(s, text)
        if not shard.open:
            raise ResourceInUseException(
                f"Shard {text} in stream {s.name} under account {self.catalog.account} has "
                f"already been merged or split, and thus is not eligible for {operation}."
            )
        return shard

    def _check_limit(self, more: int) -> None:
        if more > 0 and self.catalog.open_shard_count() + more > limits.SHARD_LIMIT:
            raise shard_limit_error(self.catalog, more)

    async def split_shard(self, c: cmd.SplitShard) -> None:
        s = self.catalog.stream(c.stream)
        shard = self._open_shard(s, c.shard_id, "splitting")
        key = int(c.new_starting_hash_key)
        if not shard.start_hash < key <= shard.end_hash:
            raise InvalidArgumentException(
                f"NewStartingHashKey {c.new_starting_hash_key} used in SplitShard() on shard "
                f"{c.shard_id} in stream {s.name} under account {self.catalog.account} is not "
                f"both greater than one plus the shard's StartingHashKey {shard.start_hash} "
                f"and less than the shard's EndingHashKey {shard.end_hash}."
            )
        self._check_limit(1)
        plan = self._plan(s)
        plan.split(shard, key)
        await self._apply(s, plan)

    async def merge_shards(self, c: cmd.MergeShards) -> None:
        s = self.catalog.stream(c.stream)
        a = self._open_shard(s, c.shard_id, "merging")
        b = self._open_shard(s, c.adjacent_shard_id, "merging")
        if a.index == b.index or not adjacent(a, b):
            raise InvalidArgumentException(
                f"Shards {c.shard_id} and {c.adjacent_shard_id} in stream {s.name} under "
                f"account {self.catalog.account} are not an adjacent pair of shards eligible "
                "for merging"
            )
        plan = self._plan(s)
        plan.merge(a, b)
        await self._apply(s, plan)

    async def update_shard_count(self, name: str, target: int) -> int:
        """UNIFORM_SCALING to ``target`` open shards; returns the count before."""
        s = self.catalog.stream(name)
        current = len(s.open_shards())
        if target < 1:
            raise InvalidArgumentException(f"TargetShardCount {target} must be at least 1.")
        if target > 2 * current:
            raise LimitExceededException(
                "UpdateShardCount cannot scale up over double your current open shard count. "
                f"Current open shard count: {current} Target shard count: {target}"
            )
        if 2 * target < current:
            raise LimitExceededException(
                "UpdateShardCount cannot scale down below half your current open shard count. "
                f"Current open shard count: {current} Target shard count: {target}"
            )
        self._check_limit(target - current)
        ranges = sorted((x.start_hash, x.end_hash) for x in s.open_shards())
        if ranges != even_ranges(target):
            plan = self._plan(s)
            uniform(plan, s.open_shards(), target)
            await self._apply(s, plan)
        return current


def list_shards(s: Stream, c: cmd.ShardListing) -> tuple[list[ShardRecord], bool]:
    """The shards (ascending id) a listing selects, at most ``c.limit``, and whether more
    follow. AT_TRIM_HORIZON: the shards whose parents are no longer retained."""
    shards = s.ordered()
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
        after = shard_index(c.filter_shard_id)
        shards = [x for x in shards if after is None or x.index > after]
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
        start = shard_index(c.exclusive_start)
        shards = [x for x in shards if start is None or x.index > start]
    return shards[: c.limit], len(shards) > c.limit
