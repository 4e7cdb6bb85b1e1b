"""Lanes: the concurrent batches of one shard (ParallelizationFactor). Records are routed to a
lane by a hash of their partition key, so one key's records stay in order in one lane; each
lane invokes one batch at a time. Tumbling windows use one lane (a window's state is the
shard's).

Contract of ``Lane.run``: takes batches from its queue as soon as records are there (window
0) or when the batch is full, its payload limit is near, or MaximumBatchingWindowInSeconds
has passed since the oldest queued record was read; each batch goes through the
``BatchProcessor``; returns once ``closing`` is set and its queue is empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections import deque
from collections.abc import Callable, Sequence

from ovis.invoke.invoker import InvokeResult
from ovis.services.lambda_.esm.stream_batches import MAX_PAYLOAD, Entry, take_batch
from ovis.services.lambda_.esm.stream_processing import BatchProcessor
from ovis.services.lambda_.esm.tumbling import MAX_STATE_BYTES, OpenWindow, returned_state


def lane_of(partition_key: str, lanes: int) -> int:
    if lanes == 1:
        return 0
    digest = hashlib.md5(partition_key.encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big") % lanes


async def wait_event(event: asyncio.Event, timeout: float | None) -> None:
    """Wait for ``event`` at most ``timeout`` seconds (None: forever)."""
    if timeout is None:
        await event.wait()
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(max(0.0, timeout)):
            await event.wait()


class Lane:
    def __init__(
        self,
        processor: BatchProcessor,
        batch_size: int,
        window_s: float,
        done: Callable[[Sequence[Entry]], None],
        released: Callable[[Sequence[Entry]], None],
    ) -> None:
        self.processor = processor
        self.batch_size = batch_size
        self.window_s = window_s
        self.queue: deque[Entry] = deque()
        self.queued_bytes = 0
        self.wake = asyncio.Event()
        self.closing = False
        self.done = done  # records finished: the watermark moves
        self.released = released  # records left the queue: the reader may read more

    def put(self, entries: Sequence[Entry]) -> None:
        self.queue.extend(entries)
        self.queued_bytes += sum(e.size for e in entries)
        self.wake.set()

    def _take(self, batch: list[Entry]) -> list[Entry]:
        self.queued_bytes -= sum(e.size for e in batch)
        self.released(batch)
        return batch

    async def run(self) -> None:
        while True:
            self.wake.clear()
            if not self.queue:
                if self.closing:
                    return
                await self.wake.wait()
                continue
            if (
                self.window_s > 0
                and not self.closing
                and len(self.queue) < self.batch_size
                and self.queued_bytes < MAX_PAYLOAD
            ):
                left = self.queue[0].read_at + self.window_s - time.monotonic()
                if left > 0:
                    await wait_event(self.wake, left)
                    continue
            batch = self._take(take_batch(self.queue, self.batch_size))
            await self.processor.process(batch, self.done)


class TumblingLane(Lane):
    """One lane of a shard with TumblingWindowInSeconds: batches never mix windows; each
    invocation carries the window, its state and the final/terminated-early flags; when the
    window's end has passed (plus a small grace for puts still committing), the final
    invocation of the window goes with the window's last records (maybe none). When the shard
    ends (closed by a reshard) an open window ends early."""

    def __init__(
        self,
        processor: BatchProcessor,
        batch_size: int,
        size_s: int,
        window: OpenWindow | None,
        grace_ms: int,
        done: Callable[[Sequence[Entry]], None],
        released: Callable[[Sequence[Entry]], None],
        window_changed: Callable[[], None],
    ) -> None:
        super().__init__(processor, batch_size, 0, done, released)
        self.size_s = size_s
        self.window = window
        self.grace_ms = grace_ms
        self.window_changed = window_changed  # checkpoint the window now (no records done)

    def _in_window(self, window: OpenWindow) -> int:
        """How many queued records (from the head) belong to ``window`` (late ones do too),
        at most a batch: ``batch_size`` records whose payload, with the window's state,
        stays under the invocation limit (one record at least)."""
        n = 0
        room = MAX_PAYLOAD - len(json.dumps(window.state)) - 2048
        for e in self.queue:
            if e.arrival_ms >= window.end_ms or n >= self.batch_size:
                break
            room -= e.size
            if n and room < 0:
                break
            n += 1
        return n

    async def _invoke(
        self, window: OpenWindow, batch: list[Entry], *, final: bool, early: bool
    ) -> None:
        proc = self.processor

        def members() -> dict[str, object]:
            return window.members(proc.shard_id, proc.ctx.arn, final=final, early=early)

        def on_success(result: InvokeResult) -> None:
            window.state = returned_state(result.payload)

        await proc.process(batch, self.done, members, on_success)

    async def _close(self, window: OpenWindow, batch: list[Entry], early: bool) -> None:
        await self._invoke(window, batch, final=True, early=early)
        self.window = None
        self.window_changed()

    async def run(self) -> None:
        while True:
            self.wake.clear()
            now_ms = time.time() * 1000
            w = self.window
            if w is None:
                if not self.queue:
                    if self.closing:
                        return
                    await self.wake.wait()
                    continue
                start = self.queue[0].arrival_ms - self.queue[0].arrival_ms % (self.size_s * 1000)
                w = self.window = OpenWindow(start, self.size_s)
            n = self._in_window(w)
            ended = now_ms >= w.end_ms + self.grace_ms
            if n == 0 and self.queue and not ended:
                # the next record is of a later window, so this one has ended
                ended = True
            if ended or (self.closing and n == len(self.queue)):
                batch = self._take([self.queue.popleft() for _ in range(n)])
                if n and self._in_window(w):  # more of this window than one batch holds
                    await self._invoke(w, batch, final=False, early=False)
                    continue
                await self._close(w, batch, early=not ended)
                continue
            if n == 0:
                await wait_event(self.wake, (w.end_ms + self.grace_ms - now_ms) / 1000)
                continue
            batch = self._take([self.queue.popleft() for _ in range(n)])
            await self._invoke(w, batch, final=False, early=False)
            if len(json.dumps(w.state)) > MAX_STATE_BYTES:  # AWS ends such a window early
                await self._close(w, [], early=True)
