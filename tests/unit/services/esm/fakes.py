"""In-memory stand-ins for the event source mapping package's collaborators (unit tests only):
a mapping store, a tag store, a queue lookup, a stream source, pollers, and a real
FunctionService over an in-memory function registry."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from ovis.invoke.registry import FunctionRegistry
from ovis.invoke.repositories import FunctionRepository
from ovis.models.alias import Alias
from ovis.models.event_source import QueueInfo
from ovis.models.event_source_mapping import EventSourceMapping
from ovis.models.function import LATEST, FunctionConfig, State
from ovis.services.lambda_.esm.commands import create_command
from ovis.services.lambda_.esm.mappings import MappingService
from ovis.services.lambda_.esm.poller import MappingStats
from ovis.services.lambda_.esm.sources import StreamSource
from ovis.services.lambda_.functions import FunctionService
from ovis.settings import Settings
from ovis.storage.code import CodeStore
from ovis.storage.errors import ConflictError

ACCOUNT = "000000000000"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders"
FIFO = f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders.fifo"
STREAM = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/clicks"
DLQ = f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"
FN_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn"


class Store:
    """MappingRepository in memory (with the uniqueness the SQLite store enforces)."""

    def __init__(self) -> None:
        self.rows: dict[str, EventSourceMapping] = {}
        self.tags: dict[str, dict[str, str]] = {}
        self.fail_writes = False

    def _check(self) -> None:
        if self.fail_writes:
            raise OSError("disk full")

    def esm_mappings(self) -> list[EventSourceMapping]:
        return [self.rows[k] for k in sorted(self.rows)]

    def esm_get(self, uuid: str) -> EventSourceMapping | None:
        return self.rows.get(uuid)

    def esm_insert(self, m: EventSourceMapping, arn: str, tags: Mapping[str, str]) -> None:
        self._check()
        if m.uuid in self.rows or any(
            (r.function_arn, r.event_source_arn) == (m.function_arn, m.event_source_arn)
            for r in self.rows.values()
        ):
            raise ConflictError("exists")
        self.rows[m.uuid] = m
        if tags:
            self.tags.setdefault(arn, {}).update(tags)

    def esm_put(self, m: EventSourceMapping) -> None:
        self._check()
        if m.uuid in self.rows:
            self.rows[m.uuid] = m

    def esm_delete(self, uuid: str, arn: str) -> None:
        self._check()
        self.rows.pop(uuid, None)
        self.tags.pop(arn, None)


class Tags:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get_tags(self, arn: str) -> dict[str, str]:
        return dict(self.store.tags.get(arn, {}))

    def put_tags(self, arn: str, tags: dict[str, str]) -> None:
        self.store.tags.setdefault(arn, {}).update(tags)

    def delete_tags(self, arn: str, keys: Iterable[str] | None = None) -> None:
        if keys is None:
            self.store.tags.pop(arn, None)
            return
        for k in keys:
            self.store.tags.get(arn, {}).pop(k, None)


class Queues:
    def __init__(self) -> None:
        self.queues = {
            QUEUE: QueueInfo(QUEUE, "http://q/orders", False, 30),
            FIFO: QueueInfo(FIFO, "http://q/orders.fifo", True, 30),
            DLQ: QueueInfo(DLQ, "http://q/dlq", False, 30),
        }

    def queue_info(self, arn: str) -> QueueInfo | None:
        return self.queues.get(arn)


class Streams:
    """Only ``stream_exists`` matters to validation."""

    def __init__(self, *arns: str) -> None:
        self.arns = set(arns)

    def stream_exists(self, arn: str) -> bool:
        return arn in self.arns


class _Functions:
    def put_function(self, cfg: FunctionConfig) -> None: ...

    def put_alias(self, function: str, name: str, doc: dict[str, Any]) -> None: ...


def config(name: str = "fn", version: str = LATEST, timeout: int = 3) -> FunctionConfig:
    return FunctionConfig(
        name, version, "python3.11", "role", "app.handler", "sha", 1, "d", "now", "rev",
        timeout=timeout, state=State.ACTIVE,
    )  # fmt: skip


def functions(
    tmp_path: Path, *configs: FunctionConfig, aliases: tuple[Alias, ...] = ()
) -> FunctionService:
    registry = FunctionRegistry(cast(FunctionRepository, _Functions()))

    async def fill() -> None:
        for cfg in configs:
            await registry.put(cfg)
        for a in aliases:
            await registry.put_alias(a)

    asyncio.run(fill())
    return FunctionService(
        Settings(), registry, CodeStore(tmp_path / "code"), {}, tags=cast(Any, None)
    )


def service(
    tmp_path: Path,
    *configs: FunctionConfig,
    streams: StreamSource | Streams | None = None,
    store: Store | None = None,
    aliases: tuple[Alias, ...] = (),
) -> MappingService:
    store = store or Store()
    fns = functions(tmp_path, *(configs or (config(),)), aliases=aliases)
    return MappingService(fns, store, Tags(store), Queues(), streams=cast(StreamSource, streams))


def create(svc: MappingService, **params: Any) -> EventSourceMapping:
    """CreateEventSourceMapping with wire parameters (FunctionName "fn" unless given)."""
    params.setdefault("FunctionName", "fn")
    return asyncio.run(svc.create(create_command(params)))


def mapping(uuid: str = "00000000-0000-0000-0000-000000000001", **kw: Any) -> EventSourceMapping:
    from ovis.models.event_source_mapping import MappingState

    base = EventSourceMapping(uuid, FN_ARN, QUEUE, 10, 0, MappingState.CREATING, True, 1.0)
    return dataclasses.replace(base, **kw)


class FakePoller:
    """A poller that runs until cancelled and records its life."""

    def __init__(self, m: EventSourceMapping, log: list[tuple[str, str, int]]) -> None:
        self.mapping = m
        self.stats = MappingStats()
        self.log = log
        self.closed = False

    async def run(self) -> None:
        self.log.append(("run", self.mapping.uuid, self.mapping.batch_size))
        await asyncio.Event().wait()

    async def close(self) -> None:
        self.closed = True
        self.log.append(("close", self.mapping.uuid, self.mapping.batch_size))


async def until(cond: Callable[[], bool | Awaitable[bool]], timeout: float = 5.0) -> None:
    """Wait for a condition, polling with a deadline (never a bare sleep)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        out = cond()
        if isinstance(out, Awaitable):
            out = await out
        if out:
            return
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.001)
