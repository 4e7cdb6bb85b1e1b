"""SqsPoller: one SQS event source mapping at work. Batch loops read the queue in process, invoke
the mapping's function with ``{"Records": [...]}`` and delete what succeeded, with AWS's
semantics ("Using Lambda with Amazon SQS"); ``SqsPollerFactory`` builds one per mapping for the
runner (``PollerFactory``).

Contract (what callers and users may rely on):
- Batching: up to BatchSize messages (10 at most on FIFO queues); with a batching window of 0
  a batch is one receive, invoked as soon as it returns messages; with a window of W seconds
  the loop keeps receiving until the batch is full, W seconds have passed since its first
  message, or the next record would take the payload over 6 MB (that record and the rest of
  the receive open the next batch). An empty queue is long-polled (the receive waits on the
  queue's events): an idle mapping costs no work.
- Filters: a message no pattern keeps is deleted and never reaches the function.
- Success deletes the batch (and its filtered messages) in one delete. A function error deletes
  nothing: the messages come back after the visibility timeout, and the queue's redrive policy
  moves a message received maxReceiveCount times to its dead-letter queue. With
  ReportBatchItemFailures every message but the reported ones is deleted; an invalid response
  fails the whole batch. FIFO: a failed message holds back the later messages of its group in
  the batch too (they are not deleted, so they come again after it, in order).
- Throttles (TooManyRequestsException) and a missing or inactive function keep the batch:
  the loop retries with exponential backoff, extends the messages' visibility while it holds
  them (so they neither reappear nor count another receive) and the mapping scales down. A
  throttle never drops a message nor sends it to the dead-letter queue.
- Scaling: ``LoopScaler`` (sqs_scaling.py) decides how many loops run; each loop has at most
  one batch in flight, so the loop count bounds the mapping's concurrent invocations.
- Durability: all state is the queue's. ``run`` may be cancelled or fail at any point: what a
  loop held is in flight and comes back after its visibility timeout. ``close()`` (idempotent)
  makes what the stopped loops held visible at once (change_visibility 0): a disabled or
  updated mapping hands its messages back without a visibility timeout's delay, which on a FIFO
  queue would block their groups that long. Delivery is at least once: a batch whose invocation
  was cut short by close comes again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ovis.errors import (
    ResourceConflictException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from ovis.invoke.invoker import Invoker, InvokeResult
from ovis.models.event_source import ReceivedMessage
from ovis.models.event_source_mapping import EventSourceMapping, SourceKind
from ovis.services.lambda_.esm.filters import RecordFilter
from ovis.services.lambda_.esm.item_failures import failed_items
from ovis.services.lambda_.esm.poller import MappingStats
from ovis.services.lambda_.esm.sources import QueueSource
from ovis.services.lambda_.esm.sqs_records import EventBuilder, encode_record, sqs_record
from ovis.services.lambda_.esm.sqs_scaling import LoopScaler
from ovis.services.lambda_.esm.target import FunctionTarget

log = logging.getLogger(__name__)

LONG_POLL_S = 20.0  # SQS's longest receive wait
FIFO_MAX_BATCH = 10
LOOPS_PER_CPU = 25  # the factory's default cap on a mapping's concurrent batches per CPU
OK = "OK"
FAILED = "PROBLEM: Function call failed"
THROTTLED = "PROBLEM: Function call throttled"
NO_FUNCTION = "PROBLEM: Function not found or not active"
NO_QUEUE = "PROBLEM: The event source queue does not exist"


class BatchTarget(Protocol):
    async def invoke(self, payload: bytes) -> InvokeResult: ...


@dataclass
class _Batch:
    messages: list[ReceivedMessage] = field(default_factory=list)
    builder: EventBuilder = field(default_factory=EventBuilder)
    filtered: list[str] = field(default_factory=list)  # receipts of messages no filter keeps
    carry: list[tuple[ReceivedMessage, bytes, float]] = field(default_factory=list)
    visible_until: float = float("inf")  # monotonic time the earliest message reappears

    @property
    def full(self) -> bool:
        return bool(self.carry)


class SqsPoller:
    def __init__(
        self,
        mapping: EventSourceMapping,
        source: QueueSource,
        target: BatchTarget,
        ceiling: Callable[[], int],
        *,
        backoff_s: tuple[float, float] = (0.1, 5.0),
        scaler: LoopScaler | None = None,
        long_poll_s: float = LONG_POLL_S,
    ) -> None:
        self.mapping = mapping
        self.arn = mapping.event_source_arn
        parts = self.arn.split(":")
        self.region = parts[3] if len(parts) > 3 else ""
        self.source = source
        self.target = target
        self.filter = RecordFilter(mapping.filter_patterns, SourceKind.SQS)
        self.scaler = scaler or LoopScaler(ceiling)
        self.backoff_s = backoff_s
        self.long_poll_s = long_poll_s
        self.stats = MappingStats()
        self._held: dict[int, dict[str, float]] = {}  # loop -> receipt -> visible-until
        self._loops: set[int] = set()
        self._next_loop = 0
        self._grow = asyncio.Event()
        self._tasks: asyncio.TaskGroup | None = None

    # --- lifecycle ---

    async def run(self) -> None:
        info = self.source.queue_info(self.arn)
        if info is None:
            self.stats.last_processing_result = NO_QUEUE
            await asyncio.sleep(self.backoff_s[1])  # the runner calls run again
            return
        try:
            async with asyncio.TaskGroup() as tg:
                self._tasks = tg
                for _ in range(self.scaler.target):
                    self._spawn()
                tg.create_task(self._control())
        except Exception:
            self._tasks = None
            await self.close()  # what the failed loops held goes back before run starts again
            raise
        except BaseException:
            self._tasks = None
            raise

    async def close(self) -> None:
        held = [h for receipts in self._held.values() for h in receipts]
        self._held.clear()
        if held:
            try:
                await self.source.change_visibility(self.arn, held, 0)
            except Exception:  # close must not raise; they reappear after their timeout
                log.exception("esm %s: could not release %d messages", self.mapping.uuid, len(held))

    # --- scaling ---

    def _spawn(self) -> None:
        if self._tasks is None:
            return
        lid = self._next_loop
        self._next_loop += 1
        self._loops.add(lid)
        self._tasks.create_task(self._loop(lid))

    async def _control(self) -> None:
        """Adds loops when batches come back full (woken by them, rate-limited by the scaler)."""
        while True:
            await self._grow.wait()
            self._grow.clear()
            if self.scaler.can_grow():
                backlog = await self.source.backlog(self.arn)
                target = self.scaler.grow(backlog, self._batch_size)
                while len(self._loops) < target:
                    self._spawn()
            await asyncio.sleep(self.scaler.interval_s)

    @property
    def _batch_size(self) -> int:
        info = self.source.queue_info(self.arn)
        size = max(1, self.mapping.batch_size)
        return min(size, FIFO_MAX_BATCH) if info is not None and info.fifo else size

    # --- one loop ---

    async def _loop(self, lid: int) -> None:
        held = self._held.setdefault(lid, {})
        carry: list[tuple[ReceivedMessage, bytes, float]] = []
        try:
            while True:
                batch = await self._gather(held, carry)
                if batch is None:
                    if self.scaler.idle(len(self._loops)):
                        return
                    continue
                carry = batch.carry
                if batch.full or len(batch.messages) >= self._batch_size:
                    self._grow.set()
                blocked = await self._process(held, batch)
                if blocked:  # FIFO: what follows a failure in its group waits for it
                    for m, _, _ in carry:
                        if m.attributes.get("MessageGroupId") in blocked:
                            held.pop(m.receipt_handle, None)
                    carry = [
                        c for c in carry if c[0].attributes.get("MessageGroupId") not in blocked
                    ]
                if not carry and len(self._loops) > self.scaler.target:
                    return
        finally:
            self._loops.discard(lid)
            if not held:
                self._held.pop(lid, None)

    async def _gather(
        self, held: dict[str, float], carry: list[tuple[ReceivedMessage, bytes, float]]
    ) -> _Batch | None:
        """The next batch, or None when a long poll found the queue empty."""
        size = self._batch_size
        window = float(self.mapping.maximum_batching_window_s or 0)
        batch = _Batch()
        for m, enc, until in carry:
            if batch.carry or len(batch.messages) >= size or not batch.builder.fits(enc):
                batch.carry.append((m, enc, until))
                continue
            batch.builder.add(enc)
            batch.messages.append(m)
            batch.visible_until = min(batch.visible_until, until)
        if batch.carry:
            return batch
        deadline: float | None = time.monotonic() + window if carry else None
        while len(batch.messages) < size:
            if deadline is None:
                wait = self.long_poll_s
            elif window <= 0:
                break
            else:
                wait = deadline - time.monotonic()
                if wait <= 0:
                    break
            info = self.source.queue_info(self.arn)
            if info is None:
                self.stats.last_processing_result = NO_QUEUE
                if batch.messages or batch.filtered:
                    break
                await asyncio.sleep(self.backoff_s[1])
                return None
            started = time.monotonic()
            got = await self.source.receive(self.arn, size - len(batch.messages), wait)
            if not got:
                if deadline is None and not batch.messages and not batch.filtered:
                    if time.monotonic() - started < wait / 2:
                        # Only a stopping server ends a long poll early: don't spin meanwhile.
                        await asyncio.sleep(self.backoff_s[0])
                    return None
                break
            until = started + info.visibility_timeout_s
            if deadline is None:
                deadline = time.monotonic() + window
            self.stats.polled += len(got)
            for m in got:
                held[m.receipt_handle] = until
                record = sqs_record(m, self.arn, self.region)
                if not self.filter.keep(record):
                    batch.filtered.append(m.receipt_handle)
                    continue
                enc = encode_record(record)
                if batch.carry or not batch.builder.fits(enc):
                    batch.carry.append((m, enc, until))  # over 6 MB: it opens the next batch
                    continue
                batch.builder.add(enc)
                batch.messages.append(m)
                batch.visible_until = min(batch.visible_until, until)
            if batch.carry:
                break
        self.stats.filtered_out += len(batch.filtered)
        return batch

    async def _process(self, held: dict[str, float], batch: _Batch) -> set[str]:
        """Invoke with the batch and settle it; the FIFO groups that had a failure."""
        if not batch.messages:
            await self._delete(held, batch.filtered)
            return set()
        payload = batch.builder.payload()
        attempt = 0
        while True:
            try:
                result = await self.target.invoke(payload)
                break
            except TooManyRequestsException:
                self.stats.throttles += 1
                self.stats.last_processing_result = THROTTLED
                self.scaler.throttled()
            except (ResourceNotFoundException, ResourceConflictException):
                self.stats.last_processing_result = NO_FUNCTION
            except Exception:  # anything else fails the batch like a function error would
                log.exception("esm %s: invoking the function failed", self.mapping.uuid)
                result = InvokeResult("", b"", "", function_error="Unhandled")
                break
            await self._hold(held, batch, attempt)
            attempt += 1
        self.stats.invocations += 1
        failed = self._failed(batch.messages, result)
        done = [m.receipt_handle for m in batch.messages if m.message_id not in failed]
        await self._delete(held, batch.filtered + done)
        for m in batch.messages:  # failed ones stay in flight: they come back on their own
            held.pop(m.receipt_handle, None)
        self.stats.processed += len(done)
        self.stats.failed += len(failed)
        self.stats.last_processing_result = FAILED if result.function_error else OK
        return {
            m.attributes["MessageGroupId"]
            for m in batch.messages
            if m.message_id in failed and "MessageGroupId" in m.attributes
        }

    def _failed(self, messages: list[ReceivedMessage], result: InvokeResult) -> set[str]:
        ids = [m.message_id for m in messages]
        if result.function_error:
            return set(ids)
        if not self.mapping.reports_item_failures:
            return set()
        failed = failed_items(result.payload, ids)
        if failed is None:  # an invalid response fails the whole batch, as on AWS
            return set(ids)
        if failed and any("MessageGroupId" in m.attributes for m in messages):
            blocked: set[str] = set()  # FIFO: nothing after a failure in its group
            for m in messages:
                group = m.attributes.get("MessageGroupId", "")
                if m.message_id in failed or group in blocked:
                    failed.add(m.message_id)
                    blocked.add(group)
        return failed

    async def _delete(self, held: dict[str, float], receipts: list[str]) -> None:
        if receipts:
            await self.source.delete(self.arn, receipts)
        for r in receipts:
            held.pop(r, None)

    async def _hold(self, held: dict[str, float], batch: _Batch, attempt: int) -> None:
        """Wait before retrying a throttled batch, keeping its messages hidden meanwhile."""
        low, high = self.backoff_s
        delay = min(high, low * 2**attempt) * random.uniform(0.5, 1.0)
        info = self.source.queue_info(self.arn)
        vis = max(info.visibility_timeout_s if info else 30, int(delay) + 5)
        now = time.monotonic()
        if batch.visible_until - now < delay + vis / 2:
            receipts = [m.receipt_handle for m in batch.messages] + batch.filtered
            await self.source.change_visibility(self.arn, receipts, vis)
            batch.visible_until = now + vis
            for r in receipts:
                held[r] = batch.visible_until
        await asyncio.sleep(delay)


class SqsPollerFactory:
    """``PollerFactory`` for SQS mappings: invokes through ``FunctionTarget`` and caps the
    loops at the mapping's MaximumConcurrency, the function's reserved concurrency, the
    account's unreserved concurrency and ``max_loops`` (default ``LOOPS_PER_CPU`` per CPU)."""

    def __init__(
        self,
        source: QueueSource,
        invoker: Invoker,
        *,
        max_loops: int | None = None,
        backoff_s: tuple[float, float] = (0.1, 5.0),
    ) -> None:
        self.source = source
        self.invoker = invoker
        # One host: past a few dozen concurrent batches per CPU more loops only add processes.
        self.max_loops = max_loops or LOOPS_PER_CPU * (os.cpu_count() or 1)
        self.backoff_s = backoff_s

    def __call__(self, mapping: EventSourceMapping) -> SqsPoller:
        target = FunctionTarget(self.invoker, mapping.function_arn)
        limiter = self.invoker.limiter

        def ceiling() -> int:
            reserved = limiter.reserved.get(target.name)
            caps = [reserved if reserved is not None else limiter.unreserved_limit]
            if mapping.scaling_maximum_concurrency:
                caps.append(mapping.scaling_maximum_concurrency)
            if self.max_loops:
                caps.append(self.max_loops)
            return max(1, min(caps))

        return SqsPoller(mapping, self.source, target, ceiling, backoff_s=self.backoff_s)
