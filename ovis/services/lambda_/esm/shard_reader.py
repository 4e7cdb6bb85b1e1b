"""ShardReader: one shard of a stream mapping, from its checkpoint to its end.

Contract of ``run()``:
- Reads the shard in order after its checkpoint (``"0"``: from the oldest retained record),
  as soon as records are put (it waits on ``StreamSource.wait``, registered before each read
  so no put is missed; it never sleeps to poll), reading ahead a bounded buffer.
- Each record becomes its Lambda event record once (``RecordShape``); FilterCriteria drops the
  records no pattern keeps (they are done at once, so they are checkpointed past).
- Kept records go to the lanes (ParallelizationFactor; one for tumbling windows), which batch
  and invoke (``stream_lanes``); the shard's checkpoint is the low watermark over the lanes,
  marked on the ``CheckpointWriter`` after every batch (and every window change).
- Returns when the shard is closed (``update`` delivers the closed view) and every record is
  done: its final checkpoint, marked ``finished``, is then durable (children may start).
- Cancelled (mapping disabled, updated, deleted, server stopping): in-flight batches are
  abandoned; they run again from the last checkpoint next time (at least once).
An error of the source or the writer propagates (the poller's supervisor retries it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from ovis.models.event_source import ShardView, StreamRecordView
from ovis.services.lambda_.esm.checkpoints import ShardCheckpoint
from ovis.services.lambda_.esm.stream_batches import Entry, Watermark, encode
from ovis.services.lambda_.esm.stream_context import StreamContext
from ovis.services.lambda_.esm.stream_lanes import Lane, TumblingLane, lane_of
from ovis.services.lambda_.esm.stream_processing import BatchProcessor
from ovis.services.lambda_.esm.tumbling import OpenWindow

READ_LIMIT = 10_000  # GetRecords' limit


class ShardReader:
    def __init__(self, ctx: StreamContext, view: ShardView, checkpoint: ShardCheckpoint | None):
        self.ctx = ctx
        self.view = view
        self.shard_id = view.shard_id
        position = checkpoint.position if checkpoint is not None else "0"
        self.watermark = Watermark(position)
        self.read_position = position
        self.poke = asyncio.Event()
        self.space = asyncio.Event()
        self.buffered = 0
        self.buffered_bytes = 0
        self.finished = False
        m = ctx.mapping
        # read ahead at least a full batch, so a batching window is not waited out for want
        # of records the reader held back
        self.buffer_records = max(ctx.options.buffer_records, m.batch_size)
        processor = BatchProcessor(ctx, self.shard_id)
        self.tumbling: TumblingLane | None = None
        self.lanes: list[Lane]
        if m.tumbling_window_s:
            window = OpenWindow.from_json(checkpoint.window) if checkpoint is not None else None
            self.tumbling = TumblingLane(
                processor,
                m.batch_size,
                m.tumbling_window_s,
                window,
                ctx.options.window_grace_ms,
                self._done,
                self._released,
                self._checkpoint,
            )
            self.lanes = [self.tumbling]
        else:
            n = max(1, min(10, m.parallelization_factor or 1))
            self.lanes = [
                Lane(
                    processor, m.batch_size, m.maximum_batching_window_s, self._done, self._released
                )
                for _ in range(n)
            ]

    def update(self, view: ShardView) -> None:
        """The shard's current description (the poller passes it on every look at the stream)."""
        if view.closed and not self.view.closed:
            self.view = view
            self.poke.set()

    # ---- progress -------------------------------------------------------------------------

    def _window_json(self) -> str | None:
        w = self.tumbling.window if self.tumbling is not None else None
        return w.to_json() if w is not None else None

    def _checkpoint(self) -> None:
        self.ctx.writer.mark(
            ShardCheckpoint(self.shard_id, self.watermark.current, window=self._window_json())
        )

    def _done(self, entries: Sequence[Entry]) -> None:
        self.watermark.done(e.seq for e in entries)
        if self.watermark.position() is not None:
            self._checkpoint()

    def _released(self, entries: Sequence[Entry]) -> None:
        self.buffered -= len(entries)
        self.buffered_bytes -= sum(e.size for e in entries)
        self.space.set()

    # ---- reading --------------------------------------------------------------------------

    def _route(self, records: list[StreamRecordView]) -> None:
        ctx = self.ctx
        stats = ctx.stats
        stats.polled += len(records)
        stats.iterator_age_ms = max(0, int(time.time() * 1000) - records[-1].arrival_ms)
        identity = ctx.identity()
        keep = ctx.filter.keep if ctx.filter.active else None
        self.watermark.add(r.sequence_number for r in records)
        dropped: list[str] = []
        per_lane: list[list[Entry]] = [[] for _ in self.lanes]
        n = len(self.lanes)
        for r in records:
            record = ctx.shape.record(r, self.shard_id, identity)
            if keep is not None and not keep(record):
                dropped.append(r.sequence_number)
                continue
            entry = Entry(r.sequence_number, r.partition_key, r.arrival_ms, encode(record))
            per_lane[lane_of(r.partition_key, n)].append(entry)
            self.buffered += 1
            self.buffered_bytes += entry.size
        for lane, entries in zip(self.lanes, per_lane, strict=True):
            if entries:
                lane.put(entries)
        if dropped:
            stats.filtered_out += len(dropped)
            self.watermark.done(dropped)
            if self.watermark.position() is not None:
                self._checkpoint()
        self.read_position = records[-1].sequence_number

    async def _read_loop(self) -> None:
        ctx, opts = self.ctx, self.ctx.options
        while True:
            if self.buffered >= self.buffer_records or self.buffered_bytes >= opts.buffer_bytes:
                self.space.clear()
                await self.space.wait()
                continue
            self.poke.clear()
            # Register for the next put before reading, so one landing during the read wakes us.
            waiter = asyncio.ensure_future(ctx.source.wait(ctx.arn, opts.shard_refresh_s))
            try:
                records = await ctx.source.read(
                    ctx.arn,
                    self.shard_id,
                    self.read_position,
                    min(READ_LIMIT, self.buffer_records - self.buffered),
                    max(1, opts.buffer_bytes - self.buffered_bytes),
                )
                if records:
                    self._route(records)
                    continue
                if self.view.closed:
                    return
                poked = asyncio.ensure_future(self.poke.wait())
                try:
                    await asyncio.wait((waiter, poked), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    poked.cancel()
            finally:
                waiter.cancel()  # never awaited: our own cancellation must not be swallowed

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for lane in self.lanes:
                group.create_task(lane.run())
            await self._read_loop()
            for lane in self.lanes:  # the shard is closed and read: drain and stop
                lane.closing = True
                lane.wake.set()
        self.ctx.writer.mark(
            ShardCheckpoint(
                self.shard_id, self.watermark.current, finished=True, window=self._window_json()
            )
        )
        await self.ctx.writer.flush()
        self.finished = True
