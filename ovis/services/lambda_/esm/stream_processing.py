"""BatchProcessor: one batch of a shard (or of one lane of it) through the function, with
Lambda's error handling for streams. Returns only when every record of the batch is done.

Contract of ``process(entries, done, members, on_success)``:
- Success (no function error and, with ReportBatchItemFailures, no failure reported):
  ``on_success(result)`` then ``done(entries)``.
- ReportBatchItemFailures naming records: the records before the lowest failed sequence
  number are ``done``; the batch is retried from it (a retry). An invalid response (an
  identifier that is missing, not a string, not in the batch) fails the whole batch.
- Function error: with BisectBatchOnFunctionError a batch of two or more is split in halves,
  first half first, and each is retried (splits are not retries); otherwise, and for a single
  record, the batch is retried after a backoff until MaximumRetryAttempts retries are spent
  (-1: forever). Records older than MaximumRecordAgeInSeconds (-1: forever) are given up on
  before any invocation.
- Giving up: the OnFailure record is delivered first (retried with backoff until the
  destination takes it, never dropped); without a destination the records are discarded, as
  AWS does. Either way they count in ``stats.dropped`` and are then ``done``.
- Throttles (TooManyRequestsException), a missing or inactive function and any other error of
  the invoke call itself: the same batch again after a backoff, never counted as a retry,
  never dropped.
The shard (lane) is blocked meanwhile: order is kept.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ovis.errors import ApiError
from ovis.invoke.invoker import InvokeResult
from ovis.services.lambda_.esm.item_failures import failed_items
from ovis.services.lambda_.esm.on_failure import (
    RECORD_AGE_EXCEEDED,
    RETRIES_EXHAUSTED,
    failure_record,
)
from ovis.services.lambda_.esm.stream_batches import Entry, bisect, payload
from ovis.services.lambda_.esm.stream_context import StreamContext, backoff

log = logging.getLogger(__name__)

Done = Callable[[Sequence[Entry]], None]
Members = Callable[[], dict[str, Any]]
OnSuccess = Callable[[InvokeResult], None]


@dataclass
class _Part:
    entries: list[Entry]
    retries: int = 0
    invokes: int = 0
    last: InvokeResult | None = None


class BatchProcessor:
    def __init__(self, ctx: StreamContext, shard_id: str) -> None:
        self.ctx = ctx
        self.shard_id = shard_id
        m = ctx.mapping
        self.max_retries = -1 if m.maximum_retry_attempts is None else m.maximum_retry_attempts
        self.max_age_s = -1 if m.maximum_record_age_s is None else m.maximum_record_age_s
        self.bisect = bool(m.bisect_batch_on_function_error)
        self.reports = m.reports_item_failures

    async def process(
        self,
        entries: list[Entry],
        done: Done,
        members: Members | None = None,
        on_success: OnSuccess | None = None,
    ) -> None:
        stats = self.ctx.stats
        parts: deque[_Part] = deque([_Part(entries)])
        while parts:
            part = parts.popleft()
            if self.max_age_s >= 0 and part.entries:
                cutoff = time.time() * 1000 - self.max_age_s * 1000
                n = 0
                while n < len(part.entries) and part.entries[n].arrival_ms < cutoff:
                    n += 1
                if n:
                    await self._give_up(part.entries[:n], RECORD_AGE_EXCEEDED, part, done)
                    if n == len(part.entries):
                        continue
                    part.entries = part.entries[n:]
            result = await self._invoke(part, members)
            seqs = [e.seq for e in part.entries]
            failed: set[str] | None = None
            if result.function_error is None:
                failed = failed_items(result.payload, set(seqs)) if self.reports else set()
            if failed == set():  # the whole batch succeeded
                if on_success is not None:
                    on_success(result)
                done(part.entries)
                stats.processed += len(part.entries)
                stats.last_processing_result = "OK"
                continue
            if failed:  # partial batch response: done up to the lowest failed record
                cut = seqs.index(min(failed, key=lambda s: (len(s), s)))
                done(part.entries[:cut])
                stats.processed += cut
                part.entries = part.entries[cut:]
                stats.failed += len(part.entries)
                part.retries += 1
            else:  # a function error, or an invalid partial batch response
                stats.failed += len(part.entries)
                if self.bisect and len(part.entries) > 1:
                    first, second = bisect(part.entries)
                    parts.appendleft(_Part(second, part.retries, part.invokes, part.last))
                    parts.appendleft(_Part(first, part.retries, part.invokes, part.last))
                    stats.last_processing_result = "PROBLEM: Function call failed"
                    continue
                part.retries += 1
            stats.last_processing_result = "PROBLEM: Function call failed"
            if 0 <= self.max_retries < part.retries:
                await self._give_up(part.entries, RETRIES_EXHAUSTED, part, done)
                continue
            await asyncio.sleep(backoff(self.ctx.options.retry_backoff_s, part.retries))
            parts.appendleft(part)

    async def _invoke(self, part: _Part, members: Members | None) -> InvokeResult:
        ctx = self.ctx
        attempt = 0
        while True:
            body = payload(part.entries, members() if members is not None else None)
            if part.entries:
                ctx.target.iterator_age(time.time() * 1000 - part.entries[-1].arrival_ms)
            try:
                result = await ctx.target.invoke(body)
            except asyncio.CancelledError:
                raise
            except ApiError as e:  # throttled, function missing or not Active
                ctx.stats.throttles += e.code == "TooManyRequestsException"
                ctx.stats.last_processing_result = f"PROBLEM: {e.code}: {e}"
            except Exception as e:  # the invoke path itself failed: keep the batch
                log.warning("stream mapping %s: invoke failed: %r", ctx.mapping.uuid, e)
                ctx.stats.last_processing_result = f"PROBLEM: {type(e).__name__}"
            else:
                part.invokes += 1
                part.last = result
                ctx.stats.invocations += 1
                return result
            attempt += 1
            await asyncio.sleep(backoff(ctx.options.throttle_backoff_s, attempt))

    async def _give_up(self, entries: list[Entry], condition: str, part: _Part, done: Done) -> None:
        ctx = self.ctx
        destination = ctx.mapping.on_failure_destination
        if destination and entries:
            record = failure_record(
                condition=condition,
                function_arn=ctx.target.function_arn,
                invoke_count=part.invokes,
                last=part.last,
                shard_id=self.shard_id,
                entries=entries,
                stream_arn=ctx.arn,
                batch_info_key=ctx.shape.batch_info_key,
            )
            attempt = 0
            while True:
                try:
                    await ctx.failures.send(destination, record)
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # DeliveryError, or anything the sender raised
                    attempt += 1
                    ctx.stats.last_processing_result = (
                        f"PROBLEM: OnFailure destination {destination} unreachable: {e}"
                    )
                    await asyncio.sleep(backoff(ctx.options.delivery_backoff_s, attempt))
        elif entries:
            log.warning(
                "stream mapping %s: %d records of %s discarded (%s, no OnFailure destination)",
                ctx.mapping.uuid,
                len(entries),
                self.shard_id,
                condition,
            )
        ctx.stats.dropped += len(entries)
        done(entries)
