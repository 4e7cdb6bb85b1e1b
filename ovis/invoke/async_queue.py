"""The durable asynchronous invocation queue (InvocationType=Event, InvokeAsync).

Contract:
- ``submit()`` returns only after the event is committed, so a 202 is never sent for an event a
  crash could lose. Events run at least once: an event leaves the store only in the same
  transaction that records where it ended; after a crash, everything still stored runs again.
- Every event ends in exactly one terminal place: a success record (delivered to OnSuccess, or
  kept locally), a failure record (delivered to OnFailure, or kept locally), a message in the
  function's dead-letter queue, or the undeliverable ledger (retried until delivered).
- Function errors are retried MaximumRetryAttempts times, about 1 and 2 minutes apart as in AWS.
  An attempt that would start after MaximumEventAgeInSeconds is not started (EventAgeExceeded).
  ``retry_scale`` compresses time for tests: it scales the retry delays and the event age
  limit alike, so their relation stays as in AWS. Throttles and platform errors go
  back to the queue with backoff and do not count as attempts.
- Recursion: each event carries how many async invocations led to it (from the X-Ray Lineage
  in the caller's trace header); past MAX_HOPS the chain is stopped unless the function's
  recursion config is Allow.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from ovis.errors import (
    ApiError,
    ResourceConflictException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from ovis.invoke.destinations import (
    BusSender,
    DeliveryError,
    Destinations,
    QueueSender,
    TopicSender,
)
from ovis.invoke.invoker import Invoker, InvokeResult
from ovis.invoke.registry import FunctionRegistry
from ovis.invoke.repositories import AsyncEventRepository
from ovis.models.arn import function_arn
from ovis.models.async_event import AsyncEvent, AsyncResult, LedgerEntry
from ovis.models.function import LATEST
from ovis.sandbox.instance import Invocation
from ovis.storage.group_commit import GroupCommit
from ovis.supervisor import Supervisor

log = logging.getLogger(__name__)

RETRY_DELAYS_S = (60.0, 120.0)  # AWS: about 1 minute, then 2 minutes
MAX_HOPS = 16
THROTTLE_BACKOFF_S = (0.5, 30.0)
DISPATCHER = "async-dispatcher"  # supervised loop names, as /_ovis/health reports them
LEDGER = "async-ledger"


class EventConfigs(Protocol):
    """What the queue needs to know about a function's async settings (control layer)."""

    def config_for(self, function: str, qualifier: str) -> Any: ...
    def recursion_mode(self, function: str) -> str: ...


def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def lineage_hops(trace_header: str | None) -> int:
    """The hop count in an X-Ray trace header's ``Lineage=<id>:<count>`` field (0 if none)."""
    for part in (trace_header or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == "Lineage":
            try:
                return int(value.rsplit(":", 1)[-1])
            except ValueError:
                return 0
    return 0


class AsyncQueue:
    def __init__(
        self,
        store: AsyncEventRepository,
        registry: FunctionRegistry,
        invoker: Invoker,
        workers: int = 8,
        retry_scale: float = 1.0,
        supervisor: Supervisor | None = None,
    ) -> None:
        self.supervisor = supervisor or Supervisor()
        self.store = store
        self.registry = registry
        self.invoker = invoker
        self.workers = workers
        self.retry_scale = retry_scale
        self.configs: EventConfigs | None = None
        self.destinations = Destinations(None, self._submit_from_destination)
        self._wake = asyncio.Event()
        self._running: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(workers)
        self._throttles: dict[str, int] = {}
        # Accepts and completions arrive concurrently: commit them in batches (one fsync each).
        self._enqueue = GroupCommit(store.enqueue_async_many)
        self._finishes = GroupCommit(store.finish_async_many)

    def attach(
        self,
        configs: EventConfigs,
        queues: QueueSender | None,
        topics: TopicSender | None = None,
        buses: BusSender | None = None,
    ) -> None:
        """The async settings of functions and the destination services (None: absent)."""
        self.configs = configs
        self.destinations.queues = queues
        self.destinations.topics = topics
        self.destinations.buses = buses

    name = "async-queue"

    async def start(self) -> None:
        # Both loops run under the supervisor: a store error is logged, backed off and retried,
        # and health reports the loop degraded meanwhile; it never ends the loop (submit() keeps
        # accepting, so a dead dispatcher would strand every accepted event).
        self.supervisor.loop(DISPATCHER, self._dispatch_once)
        self.supervisor.loop(LEDGER, self._ledger_once)

    async def backlog(self) -> list[tuple[str, int, int]]:
        """(function, accepted events not yet finished, oldest one's received_ms) per function:
        what ``/metrics`` reports as the async backlog and its age. One read of the store."""
        return await asyncio.to_thread(self.store.async_backlog)

    async def submit(
        self, function: str, qualifier: str, payload: bytes, request_id: str, hops: int = 0
    ) -> None:
        event = AsyncEvent(request_id, function, qualifier, payload, _now_ms(), hops=hops)
        await self._enqueue.submit(event)
        if (metrics := self.invoker.metrics) is not None:
            metrics.lambda_metric(function, "AsyncEventsReceived", 1.0)
        self._wake.set()

    async def _submit_from_destination(
        self, function: str, qualifier: str | None, payload: bytes, hops: int
    ) -> None:
        try:
            self.invoker.resolve(function, qualifier)
        except ApiError as e:
            raise DeliveryError(e.message) from e
        await self.submit(function, qualifier or LATEST, payload, str(uuid.uuid4()), hops)

    # ---- dispatch --------------------------------------------------------------------------

    async def _dispatch_once(self) -> None:
        """Start every due event there is a worker slot for; wait for work when none was due."""
        due = await asyncio.to_thread(self.store.due_async, _now_ms(), self.workers * 4)
        started = 0
        for event in due:
            if event.event_id in self._running:
                continue
            await self._slots.acquire()
            self._running.add(event.event_id)
            task = asyncio.get_running_loop().create_task(self._run(event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        if started == 0:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.2)

    async def _run(self, event: AsyncEvent) -> None:
        try:
            await self._attempt(event)
        except Exception:
            log.exception("async event %s: platform error; will retry", event.event_id)
            with contextlib.suppress(Exception):
                await self._requeue(event, 1.0)
        finally:
            self._running.discard(event.event_id)
            self._slots.release()
            self._wake.set()

    async def _attempt(self, event: AsyncEvent) -> None:
        q = None if event.qualifier in ("", LATEST) else event.qualifier
        assert self.configs is not None, "attach() the event configs before start()"
        settings = self.configs.config_for(event.function, event.qualifier or LATEST)
        if event.hops >= MAX_HOPS and self.configs.recursion_mode(event.function) != "Allow":
            log.warning(
                "async event %s: recursive loop of %s stopped after %d invocations",
                event.event_id,
                event.function,
                event.hops,
            )
            await self._fail(event, settings, "RecursiveInvocationDetected", None)
            return
        if _now_ms() - event.received_ms > settings.max_age_s * 1000 * self.retry_scale:
            await self._fail(event, settings, "EventAgeExceeded", None)
            return
        try:
            cfg = self.invoker.resolve(event.function, q)
        except ResourceNotFoundException:
            await self._fail(event, settings, "FunctionNotFound", None)
            return
        except ResourceConflictException:  # not Active yet
            await self._requeue(event, 1.0)
            return
        if self.invoker.limiter.reserved.get(event.function) == 0:
            await self._fail(event, settings, "ZeroReservedConcurrency", None, invoked=False)
            return
        s = self.invoker.settings
        hex_id = event.event_id.replace("-", "")
        trace = (
            f"Root=1-{hex_id[:8]}-{hex_id[8:32]};Parent={hex_id[:16]};Sampled=0;"
            f"Lineage=ovis:{event.hops + 1}"
        )
        inv = Invocation(
            event.event_id,
            event.payload,
            function_arn(s.region, s.account_id, event.function, q),
            trace_id=trace,
        )
        if (metrics := self.invoker.metrics) is not None:
            age = float(_now_ms() - event.received_ms)
            metrics.lambda_metric(event.function, "AsyncEventAge", age, "Milliseconds")
        try:
            res = await self.invoker.invoke(cfg, inv, target=(event.function, q) if q else None)
        except TooManyRequestsException:
            await self._requeue(event, self._throttle_delay(event.event_id))
            return
        except ApiError:
            log.exception("async event %s failed to start", event.event_id)
            await self._requeue(event, 1.0)
            return
        self._throttles.pop(event.event_id, None)
        attempts = event.attempts + 1
        if res.function_error is None:
            await self._succeed(event, settings, res, attempts)
        elif attempts <= settings.max_retries:
            delay = RETRY_DELAYS_S[min(attempts, len(RETRY_DELAYS_S)) - 1] * self.retry_scale
            await asyncio.to_thread(
                self.store.retry_async, event.event_id, attempts, _now_ms() + int(delay * 1000)
            )
        else:
            await self._fail(event, settings, "RetriesExhausted", res, attempts=attempts)

    def _throttle_delay(self, event_id: str) -> float:
        n = self._throttles[event_id] = self._throttles.get(event_id, 0) + 1
        low, high = THROTTLE_BACKOFF_S
        return min(high, low * 2.0 ** (n - 1))

    async def _requeue(self, event: AsyncEvent, delay_s: float) -> None:
        await asyncio.to_thread(
            self.store.retry_async, event.event_id, event.attempts, _now_ms() + int(delay_s * 1000)
        )

    # ---- terminal places -------------------------------------------------------------------

    def _record(
        self, event: AsyncEvent, condition: str, res: InvokeResult | None, attempts: int
    ) -> dict[str, Any]:
        s = self.invoker.settings
        try:
            request_payload: Any = json.loads(event.payload) if event.payload else {}
        except ValueError:
            request_payload = event.payload.decode("utf-8", "replace")
        record: dict[str, Any] = {
            "version": "1.0",
            "timestamp": _iso(_now_ms()),
            "requestContext": {
                "requestId": event.event_id,
                "functionArn": function_arn(
                    s.region, s.account_id, event.function, event.qualifier or LATEST
                ),
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "requestPayload": request_payload,
        }
        if res is not None:
            ctx: dict[str, Any] = {
                "statusCode": res.status_code,
                "executedVersion": res.executed_version,
            }
            if res.function_error:
                ctx["functionError"] = res.function_error
            record["responseContext"] = ctx
            try:
                record["responsePayload"] = json.loads(res.payload) if res.payload else None
            except ValueError:
                record["responsePayload"] = res.payload.decode("utf-8", "replace")
        return record

    async def _succeed(
        self, event: AsyncEvent, settings: Any, res: InvokeResult, attempts: int
    ) -> None:
        record = self._record(event, "Success", res, attempts)
        await self._finish(event, "success", "Success", record, settings.on_success)

    async def _fail(
        self,
        event: AsyncEvent,
        settings: Any,
        condition: str,
        res: InvokeResult | None,
        attempts: int | None = None,
        invoked: bool = True,
    ) -> None:
        count = event.attempts if attempts is None else attempts
        record = self._record(event, condition, res, count if invoked else 0)
        if (metrics := self.invoker.metrics) is not None:  # dropped, whether sent on or not
            metrics.lambda_metric(event.function, "AsyncEventsDropped", 1.0)
        if settings.on_failure:
            await self._finish(event, "failure", condition, record, settings.on_failure)
            return
        cfg = self.registry.get(event.function, LATEST)
        dlq = cfg.dead_letter_target if cfg is not None else None
        if dlq:
            error = (record.get("responsePayload") or {}) if res is not None else {}
            message = error.get("errorMessage") if isinstance(error, dict) else None
            attributes = {
                "RequestID": {"DataType": "String", "StringValue": event.event_id},
                "ErrorCode": {
                    "DataType": "Number",
                    "StringValue": str(res.status_code if res is not None else 200),
                },
                "ErrorMessage": {
                    "DataType": "String",
                    "StringValue": (message or condition)[:1024],
                },
            }
            await self._finish(
                event,
                "failure",
                condition,
                record,
                dlq,
                body=event.payload.decode("utf-8", "replace"),
                attributes=attributes,
                kind="dlq",
            )
            return
        await self._finish(event, "failure", condition, record, None)

    async def _finish(
        self,
        event: AsyncEvent,
        outcome: str,
        condition: str,
        record: dict[str, Any],
        destination: str | None,
        body: str | None = None,
        attributes: dict[str, Any] | None = None,
        kind: str = "destination",
    ) -> None:
        record_json = json.dumps(record)
        result = AsyncResult(
            event.event_id, event.function, outcome, condition, destination, record_json, _now_ms()
        )
        if destination is None:
            await self._finishes.submit((event.event_id, result, None))
            return
        payload = body if body is not None else record_json
        try:
            await self.destinations.deliver(destination, payload, attributes, event.hops)
        except DeliveryError as e:
            if (metrics := self.invoker.metrics) is not None:
                name = "DeadLetterErrors" if kind == "dlq" else "DestinationDeliveryFailures"
                metrics.lambda_metric(event.function, name, 1.0)
            log.warning(
                "async event %s: %s %s not reachable (%s); kept in the ledger",
                event.event_id,
                kind,
                destination,
                e,
            )
            entry = LedgerEntry(
                str(uuid.uuid4()),
                event.event_id,
                event.function,
                kind,
                destination,
                payload,
                json.dumps(attributes or {}),
                str(e),
                1,
                _now_ms() + int(10_000 * self.retry_scale),
                _now_ms(),
            )
            await self._finishes.submit((event.event_id, None, entry))
            return
        await self._finishes.submit((event.event_id, result, None))

    # ---- the undeliverable ledger ----------------------------------------------------------

    async def _ledger_once(self) -> None:
        await asyncio.sleep(max(0.05, 5.0 * self.retry_scale))
        await self.redrive(only_due=True)

    async def redrive(self, entry_ids: set[str] | None = None, only_due: bool = False) -> int:
        """Try to deliver ledger entries again; returns how many were delivered."""
        entries = await asyncio.to_thread(self.store.ledger, _now_ms() if only_due else None)
        delivered = 0
        for e in entries:
            if entry_ids is not None and e.entry_id not in entry_ids:
                continue
            try:
                await self.destinations.deliver(
                    e.destination, e.body, json.loads(e.attributes) or None
                )
            except DeliveryError as err:
                backoff = min(3600.0, 10.0 * 2 ** min(e.attempts, 9)) * self.retry_scale
                await asyncio.to_thread(
                    self.store.ledger_update,
                    e.entry_id,
                    e.attempts + 1,
                    _now_ms() + int(backoff * 1000),
                    str(err),
                )
                continue
            outcome = "failure" if e.kind == "dlq" else "delivered"
            result = AsyncResult(
                e.event_id, e.function, outcome, "Redriven", e.destination, e.body, _now_ms()
            )
            await asyncio.to_thread(self.store.ledger_delivered, e.entry_id, result)
            delivered += 1
        return delivered

    async def close(self) -> None:
        """Stop dispatching and cancel running attempts (their events stay stored and run
        again after the next start). Idempotent."""
        await self.supervisor.stop(DISPATCHER)
        await self.supervisor.stop(LEDGER)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
