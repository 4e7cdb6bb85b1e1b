"""Shared by the SQS poller's unit tests: a real QueueService over a real SqliteStorage in a temp
dir, the SqsQueueSource over it, and a scripted fake of FunctionTarget (our own code)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ovis.invoke.invoker import InvokeResult
from ovis.models.event_source_mapping import EventSourceMapping, MappingState
from ovis.services.lambda_.esm.sqs_poller import SqsPoller
from ovis.services.lambda_.esm.sqs_scaling import LoopScaler
from ovis.services.sqs.queues import QueueService, SendRequest
from ovis.services.sqs.source import SqsQueueSource
from ovis.settings import Settings
from ovis.storage.sqlite.storage import SqliteStorage

Handler = Callable[[dict[str, Any]], Awaitable[InvokeResult] | InvokeResult]


def ok(payload: bytes = b"null") -> InvokeResult:
    return InvokeResult("rid", payload, "$LATEST")


def error() -> InvokeResult:
    return InvokeResult("rid", b'{"errorMessage":"boom"}', "$LATEST", function_error="Unhandled")


@dataclass
class FakeTarget:
    """Records every event; ``handler`` answers (or raises, e.g. TooManyRequestsException)."""

    handler: Handler = lambda event: ok()
    events: list[dict[str, Any]] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)
    running: int = 0
    peak: int = 0

    async def invoke(self, payload: bytes) -> InvokeResult:
        event = json.loads(payload)
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            got = self.handler(event)
            if not isinstance(got, InvokeResult):
                got = await got
            self.events.append(event)
            self.payloads.append(payload)
            return got
        finally:
            self.running -= 1

    def bodies(self) -> list[str]:
        return [r["body"] for e in self.events for r in e["Records"]]


class Env:
    def __init__(self, tmp: Path) -> None:
        self.settings = Settings(data_dir=tmp)
        self.storage = SqliteStorage(tmp / "ovis.db")
        self.queues = QueueService(self.storage.queues, self.settings, self.storage.tags)
        self.source = SqsQueueSource(self.queues)

    async def queue(self, name: str, **attributes: Any) -> str:
        await self.queues.create_queue(name, {k: str(v) for k, v in attributes.items()})
        return self.queues.arn(name)

    async def send(self, arn: str, *bodies: str, **kw: Any) -> None:
        q = self.queues.queue_by_arn(arn)
        for i in range(0, len(bodies), 100):
            await self.queues.send_batch(q, [SendRequest(b, **kw) for b in bodies[i : i + 100]])

    async def counts(self, arn: str) -> tuple[int, int, int]:
        q = self.queues.queue_by_arn(arn)
        return await asyncio.to_thread(
            self.storage.queues.sqs_counts, q.name, int(time.time() * 1000)
        )

    def poller(
        self,
        arn: str,
        target: FakeTarget,
        *,
        ceiling: int = 1000,
        backoff_s: tuple[float, float] = (0.01, 0.05),
        scaler: LoopScaler | None = None,
        **fields: Any,
    ) -> SqsPoller:
        mapping = replace(mapping_for(arn), **fields)
        return SqsPoller(
            mapping, self.source, target, lambda: ceiling, backoff_s=backoff_s, scaler=scaler
        )

    def close(self) -> None:
        self.storage.close()


def mapping_for(arn: str) -> EventSourceMapping:
    return EventSourceMapping(
        uuid="u-1",
        function_arn="arn:aws:lambda:us-east-1:000000000000:function:f",
        event_source_arn=arn,
        batch_size=10,
        maximum_batching_window_s=0,
        state=MappingState.ENABLED,
        enabled=True,
        last_modified=0.0,
    )


async def until(cond: Callable[[], Awaitable[bool] | bool], timeout: float = 10.0) -> None:
    """Poll a condition with a deadline (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if not isinstance(got, bool):
            got = await got
        if got:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def run(tmp: Path, body: Callable[[Env], Coroutine[Any, Any, None]], timeout: float = 30) -> None:
    env = Env(tmp)

    async def main() -> None:
        await env.queues.start()
        try:
            await body(env)
        finally:
            await env.queues.close()

    try:
        asyncio.run(asyncio.wait_for(main(), timeout))
    finally:
        env.close()


class Running:
    """``async with Running(poller):`` runs ``poller.run()`` as the runner would, then stops it
    (cancel, then ``close()``)."""

    def __init__(self, poller: SqsPoller) -> None:
        self.poller = poller
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SqsPoller:
        self.task = asyncio.create_task(self.poller.run())
        return self.poller

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()
        try:
            await self.task
        except asyncio.CancelledError:
            pass
        await self.poller.close()
