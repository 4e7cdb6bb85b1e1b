"""StreamAdmin: creating and deleting streams, and what they are configured with (retention,
tags, stream mode, monitoring and encryption settings).

Contract: every change is committed (through the catalog's ordered commit) before it returns;
CreateStream's stream is ACTIVE at once (its name is taken before the commit, so two creates
of one name cannot both succeed). Tags live in the shared tags repository under the stream's
ARN. Monitoring and encryption settings are recorded and reported, not enforced.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable

from ovis.models.stream import DropStream, PutStream, ShardRecord, StreamRecord
from ovis.services.kinesis import commands as cmd
from ovis.services.kinesis import limits
from ovis.services.kinesis.catalog import Stream, StreamCatalog, now_ms
from ovis.services.kinesis.errors import (
    InvalidArgumentException,
    LimitExceededException,
    ResourceInUseException,
)
from ovis.services.kinesis.repository import StreamTagRepository
from ovis.services.kinesis.shards import even_ranges

ALL_METRICS = (
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
)


def shard_limit_error(catalog: StreamCatalog, more: int) -> LimitExceededException:
    return LimitExceededException(
        f"This request would exceed the shard limit for the account {catalog.account} in "
        f"{catalog.region}. Current shard count for the account: {catalog.open_shard_count()}. "
        f"Limit: {limits.SHARD_LIMIT}. Number of additional shards that would have resulted "
        f"from this request: {more}."
    )


class StreamAdmin:
    def __init__(self, catalog: StreamCatalog, tags: StreamTagRepository) -> None:
        self.catalog = catalog
        self.tags = tags

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
        if self.catalog.find(c.stream) is not None:
            raise ResourceInUseException(
                f"Stream {c.stream} under account {self.catalog.account} already exists."
            )
        if self.catalog.open_shard_count() + count > limits.SHARD_LIMIT:
            raise shard_limit_error(self.catalog, count)
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
        self.catalog.add(self.catalog.build(rec, shards, {}))  # the name is taken at once
        await self.catalog.write(c.stream, PutStream(rec, tuple(shards)))
        if c.tags:
            await asyncio.to_thread(self.tags.put_tags, self.catalog.arn(c.stream), dict(c.tags))

    async def delete_stream(self, name: str) -> None:
        self.catalog.stream(name)
        self.catalog.remove(name)
        await self.catalog.write(name, DropStream(name))
        await asyncio.to_thread(self.tags.delete_tags, self.catalog.arn(name))
        self.catalog.notify(name)

    async def _put_meta(self, s: Stream, rec: StreamRecord) -> None:
        s.record = rec
        await self.catalog.write(s.name, PutStream(rec))

    async def set_retention(self, name: str, hours: int, increase: bool) -> None:
        s = self.catalog.stream(name)
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
        """Enable or disable shard-level metrics ("ALL": every one); (before, after)."""
        s = self.catalog.stream(name)
        before = list(s.record.metrics)
        wanted = set(metrics)
        if "ALL" in wanted:
            wanted = set(ALL_METRICS)
        after = sorted(set(before) | wanted) if enable else sorted(set(before) - wanted)
        await self._put_meta(s, dataclasses.replace(s.record, metrics=tuple(after)))
        return before, after

    async def set_mode(self, name: str, mode: str) -> None:
        s = self.catalog.stream(name)
        await self._put_meta(s, dataclasses.replace(s.record, mode=mode))

    async def set_encryption(self, name: str, encryption: str, key_id: str | None) -> None:
        s = self.catalog.stream(name)
        rec = dataclasses.replace(s.record, encryption=encryption, key_id=key_id)
        await self._put_meta(s, rec)

    # ---- tags -------------------------------------------------------------------------------

    async def list_tags(self, name: str) -> dict[str, str]:
        self.catalog.stream(name)
        return await asyncio.to_thread(self.tags.get_tags, self.catalog.arn(name))

    async def add_tags(self, name: str, tags: dict[str, str]) -> None:
        self.catalog.stream(name)
        current = await asyncio.to_thread(self.tags.get_tags, self.catalog.arn(name))
        if len(current.keys() | tags.keys()) > limits.MAX_TAGS:
            raise LimitExceededException(
                f"Failed to add tags to stream {name} under account {self.catalog.account} "
                f"because a given stream cannot have more than {limits.MAX_TAGS} tags."
            )
        await asyncio.to_thread(self.tags.put_tags, self.catalog.arn(name), dict(tags))

    async def remove_tags(self, name: str, keys: list[str]) -> None:
        self.catalog.stream(name)
        await asyncio.to_thread(self.tags.delete_tags, self.catalog.arn(name), list(keys))
