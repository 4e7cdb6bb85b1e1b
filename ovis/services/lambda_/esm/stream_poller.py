"""StreamPoller: a Kinesis (later DynamoDB streams) event source mapping's poller, and the
factory the mapping runner calls.

Contract (with ``Poller``'s in ``poller.py``):
- ``run()`` resumes from durable state only: on the mapping's first start it decides each
  shard's starting point (TRIM_HORIZON: the oldest record; LATEST: records that arrived after
  the mapping was created or last changed, found by arrival time so a put racing the start is
  not skipped; AT_TIMESTAMP: records from StartingPositionTimestamp) and stores them
  (``CheckpointRepository.start``) before reading; on later starts it reads after the stored
  checkpoints. A shard without a checkpoint (a child of a reshard, a shard added later) starts
  at its beginning.
- One ``ShardReader`` per shard, and a shard starts only once its parents are finished (read
  to their end and checkpointed durably) or gone from the stream: resharding order. New shards
  are picked up when the stream changes (``StreamSource.wait``) and at least every
  ``shard_refresh_s``.
- Checkpoints are written behind the batches by a ``CheckpointWriter``; ``close()`` writes
  the last ones. After a kill -9 the mapping resumes from its last durable checkpoint: records
  after it are delivered again (at least once), none is lost.
- Deleting a mapping deletes its checkpoints: ``close()`` deletes them when ``deleted(uuid)``
  says the mapping is gone or being deleted (the runner closes the poller of a Deleting
  mapping before it removes the mapping); disabling or updating keeps them, so the next
  poller resumes. ``StreamPollerFactory.prune`` deletes those of mappings that no longer exist
  (a kill -9 between the two steps of a deletion), at start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

from ovis.invoke.destinations import QueueSender, TopicSender
from ovis.models.event_source import ShardView
from ovis.models.event_source_mapping import EventSourceMapping
from ovis.services.lambda_.esm.checkpoints import CheckpointRepository, ShardCheckpoint
from ovis.services.lambda_.esm.filters import RecordFilter
from ovis.services.lambda_.esm.kinesis_records import KinesisShape, RecordShape
from ovis.services.lambda_.esm.on_failure import DestinationSender, FailureSender
from ovis.services.lambda_.esm.poller import MappingStats
from ovis.services.lambda_.esm.shard_reader import ShardReader
from ovis.services.lambda_.esm.sources import StreamSource
from ovis.services.lambda_.esm.stream_checkpoint_writer import CheckpointWriter
from ovis.services.lambda_.esm.stream_context import BatchTarget, StreamContext, StreamOptions

log = logging.getLogger(__name__)


class StreamPoller:
    def __init__(
        self,
        mapping: EventSourceMapping,
        source: StreamSource,
        target: BatchTarget,
        checkpoints: CheckpointRepository,
        failures: FailureSender,
        *,
        shape: RecordShape,
        identity: Callable[[], str] = lambda: "",
        options: StreamOptions | None = None,
        deleted: Callable[[str], bool] = lambda _uuid: False,
    ) -> None:
        self.mapping = mapping
        self.deleted = deleted
        self.source = source
        self.target = target
        self.checkpoints = checkpoints
        self.failures = failures
        self.shape = shape
        self.identity = identity
        self.options = options or StreamOptions()
        self.stats = MappingStats()
        self.filter = RecordFilter.of(mapping)
        self._writer: CheckpointWriter | None = None
        self._closed = False
        self._recovering = False  # the last run() failed

    @property
    def arn(self) -> str:
        return self.mapping.event_source_arn

    async def _starting_point(self, shard: ShardView) -> ShardCheckpoint:
        m = self.mapping
        sid = shard.shard_id
        if m.starting_position == "LATEST":
            since = int(m.last_modified * 1000)
            return ShardCheckpoint(sid, await self.source.position_at(self.arn, sid, since))
        if m.starting_position == "AT_TIMESTAMP" and m.starting_position_timestamp is not None:
            at = int(m.starting_position_timestamp * 1000)
            return ShardCheckpoint(sid, await self.source.position_at(self.arn, sid, at))
        return ShardCheckpoint(sid, "0")  # TRIM_HORIZON

    async def _await_stream(self) -> None:
        while not self.source.stream_exists(self.arn):
            self.stats.last_processing_result = f"PROBLEM: Stream {self.arn} does not exist"
            await self.source.wait(self.arn, self.options.shard_refresh_s)

    async def _resume(self) -> dict[str, ShardCheckpoint]:
        uuid = self.mapping.uuid
        stored = await asyncio.to_thread(self.checkpoints.load, uuid)
        if stored is not None:
            return stored
        await self._await_stream()
        initial = [await self._starting_point(s) for s in await self.source.shards(self.arn)]
        return await asyncio.to_thread(self.checkpoints.start, uuid, initial)

    async def run(self) -> None:
        """Works until cancelled. An error ends it (the supervisor reports the loop failing,
        backs off and calls it again); the call after a failure returns as soon as the
        mapping resumed and the stream answered (nothing is in flight yet), so the supervisor
        sees a step succeed and reports the loop healthy again, then calls it once more."""
        try:
            await self._run()
        except BaseExceptionGroup as group:  # a reader's or the writer's error, as itself
            self._recovering = True
            raise _first(group) from None
        except Exception:
            self._recovering = True
            raise

    async def _run(self) -> None:
        writer = self._writer = CheckpointWriter(self.checkpoints, self.mapping.uuid)
        writer.current.update(await self._resume())
        await self._await_stream()
        shards = await self.source.shards(self.arn)
        if self._recovering:
            self._recovering = False
            return
        ctx = StreamContext(
            self.mapping,
            self.source,
            self.target,
            self.shape,
            self.filter,
            writer,
            self.failures,
            self.identity,
            self.options,
            self.stats,
        )
        readers: dict[str, ShardReader] = {}
        changed = asyncio.Event()
        async with asyncio.TaskGroup() as group:
            group.create_task(writer.run())
            while True:
                listed = {s.shard_id for s in shards}
                for sid in [sid for sid, r in readers.items() if r.finished]:
                    del readers[sid]
                for shard in shards:
                    reader = readers.get(shard.shard_id)
                    if reader is not None:
                        reader.update(shard)
                        continue
                    ck = writer.current.get(shard.shard_id)
                    if ck is not None and ck.finished:
                        continue
                    if not self._parents_done(shard, listed, writer):
                        continue
                    reader = readers[shard.shard_id] = ShardReader(ctx, shard, ck)
                    task = group.create_task(reader.run())
                    task.add_done_callback(lambda _t: changed.set())
                await self._wait_for_change(changed)
                await self._await_stream()
                shards = await self.source.shards(self.arn)

    @staticmethod
    def _parents_done(shard: ShardView, listed: set[str], writer: CheckpointWriter) -> bool:
        for parent in (shard.parent_shard_id, shard.adjacent_parent_shard_id):
            if parent is None or parent not in listed:
                continue  # no parent, or one trimmed away (nothing left to read in it)
            ck = writer.current.get(parent)
            if ck is None or not ck.finished:
                return False
        return True

    async def _wait_for_change(self, changed: asyncio.Event) -> None:
        """Until the stream changes (a put or a reshard), a reader finishes, or the refresh
        interval passes; a burst of puts leads to at most one look per 50 ms."""
        started = time.monotonic()
        waiter = asyncio.ensure_future(self.source.wait(self.arn, self.options.shard_refresh_s))
        flagged = asyncio.ensure_future(changed.wait())
        try:
            await asyncio.wait((waiter, flagged), return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            flagged.cancel()
        if not changed.is_set():
            rest = 0.05 - (time.monotonic() - started)
            if rest > 0:
                try:
                    async with asyncio.timeout(rest):
                        await changed.wait()
                except TimeoutError:
                    pass
        changed.clear()

    async def close(self) -> None:
        """Write the checkpoints marked but not yet written, or delete them all if the
        mapping is being deleted (idempotent)."""
        if self._closed:
            return
        self._closed = True
        uuid = self.mapping.uuid
        try:
            if self.deleted(uuid):
                await asyncio.to_thread(self.checkpoints.delete, uuid)
            elif self._writer is not None:
                await self._writer.write_pending()
        except Exception:  # the store is closing too: the last batches run again
            log.exception("stream mapping %s: last checkpoints not written", uuid)


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first error of a (nested) task group: what the supervisor should report."""
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


class StreamPollerFactory:
    """Builds a Kinesis mapping's poller (``PollerFactory``) from the server's parts."""

    def __init__(
        self,
        streams: StreamSource,
        target_for: Callable[[str], BatchTarget],
        checkpoints: CheckpointRepository,
        queues: QueueSender | None,
        region: str,
        *,
        identity_for: Callable[[str], str] = lambda _arn: "",
        options: StreamOptions | None = None,
        deleted: Callable[[str], bool] = lambda _uuid: False,
        topics: TopicSender | None = None,
    ) -> None:
        self.deleted = deleted  # whether a mapping is gone or being deleted
        self.streams = streams
        self.target_for = target_for
        self.checkpoints = checkpoints
        self.failures = DestinationSender(queues, topics)
        self.region = region
        self.identity_for = identity_for  # function ARN -> its execution role
        self.options = options or StreamOptions()

    def __call__(self, mapping: EventSourceMapping) -> StreamPoller:
        arn = mapping.function_arn
        return StreamPoller(
            mapping,
            self.streams,
            self.target_for(arn),
            self.checkpoints,
            self.failures,
            shape=KinesisShape(mapping.event_source_arn, self.region),
            identity=lambda: self._identity(arn),
            options=self.options,
            deleted=self.deleted,
        )

    def _identity(self, function_arn: str) -> str:
        try:
            return self.identity_for(function_arn)
        except Exception:  # the function is gone: its invocations will say so
            return ""

    async def forget(self, mapping_uuid: str) -> None:
        """Delete a mapping's checkpoints (its mapping was deleted)."""
        await asyncio.to_thread(self.checkpoints.delete, mapping_uuid)

    async def prune(self, existing: Callable[[], Iterable[str]]) -> None:
        """Delete the checkpoints of every mapping not in ``existing()`` (called after the
        mappings are loaded). Listed before ``existing`` is read: a mapping created meanwhile
        is in ``existing`` before its poller can store anything."""
        stored = await asyncio.to_thread(self.checkpoints.mapping_ids)
        keep = set(existing())
        for uuid in stored:
            if uuid not in keep:
                await asyncio.to_thread(self.checkpoints.delete, uuid)
