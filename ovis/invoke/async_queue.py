"""The durable asynchronous invocation queue (InvocationType=Event, InvokeAsync).

Contract: ``submit()`` returns only after the event is committed to the store, so a 202 is never
sent for an event a crash could lose. Events run at least once: an event leaves the store only
after its invocation finished; after a crash, everything still stored runs again. Throttles and
platform errors put the event back with backoff without counting as an attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from ovis.errors import (
    ApiError,
    ResourceConflictException,
    ResourceNotFoundException,
    TooManyRequestsException,
)
from ovis.invoke.invoker import Invoker
from ovis.invoke.registry import FunctionRegistry
from ovis.models.arn import function_arn
from ovis.models.function import LATEST
from ovis.sandbox.instance import Invocation
from ovis.storage.store import AsyncEvent, Store

log = logging.getLogger(__name__)


class AsyncQueue:
    def __init__(
        self, store: Store, registry: FunctionRegistry, invoker: Invoker, workers: int = 8
    ) -> None:
        self.store = store
        self.registry = registry
        self.invoker = invoker
        self.workers = workers
        self._wake = asyncio.Event()
        self._running: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._dispatcher: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(workers)

    def start(self) -> None:
        self._dispatcher = asyncio.get_running_loop().create_task(self._dispatch())

    async def submit(self, function: str, qualifier: str, payload: bytes, request_id: str) -> None:
        event = AsyncEvent(request_id, function, qualifier, payload, int(time.time() * 1000))
        await asyncio.to_thread(self.store.enqueue_async, event)
        self._wake.set()

    async def _dispatch(self) -> None:
        while True:
            now = int(time.time() * 1000)
            due = await asyncio.to_thread(self.store.due_async, now, self.workers * 4)
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
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.5)

    async def _run(self, event: AsyncEvent) -> None:
        try:
            q = None if event.qualifier in ("", LATEST) else event.qualifier
            try:
                cfg = self.invoker.resolve(event.function, q)
            except ResourceNotFoundException:
                log.warning(
                    "async event %s: function %s:%s no longer exists; dropped",
                    event.event_id,
                    event.function,
                    event.qualifier,
                )
                await asyncio.to_thread(self.store.finish_async, event.event_id)
                return
            except ResourceConflictException:  # not Active yet
                await self._requeue(event, 1000)
                return
            s = self.invoker.settings
            inv = Invocation(
                event.event_id,
                event.payload,
                function_arn(s.region, s.account_id, event.function, q),
            )
            try:
                await self.invoker.invoke(cfg, inv, target=(event.function, q) if q else None)
            except TooManyRequestsException:
                await self._requeue(event, 500)
                return
            except ApiError:
                log.exception("async event %s failed to start", event.event_id)
                await self._requeue(event, 1000)
                return
            await asyncio.to_thread(self.store.finish_async, event.event_id)
        except Exception:
            log.exception("async event %s: platform error; will retry", event.event_id)
            with contextlib.suppress(Exception):
                await self._requeue(event, 1000)
        finally:
            self._running.discard(event.event_id)
            self._slots.release()
            self._wake.set()

    async def _requeue(self, event: AsyncEvent, delay_ms: int) -> None:
        await asyncio.to_thread(
            self.store.retry_async,
            event.event_id,
            event.attempts,
            int(time.time() * 1000) + delay_ms,
        )

    async def close(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
