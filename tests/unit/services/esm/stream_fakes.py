"""Fakes of our own parts for the stream poller's unit tests: a stream in memory (the
StreamSource contract), a function target, a checkpoint repository with the contract's
rules, and an OnFailure sender."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ovis.errors import TooManyRequestsException
from ovis.invoke.invoker import InvokeResult
from ovis.models.event_source import ShardView, StreamRecordView
from ovis.models.event_source_mapping import EventSourceMapping, MappingState
from ovis.services.lambda_.esm.checkpoints import ShardCheckpoint, seq_key
from ovis.services.lambda_.esm.kinesis_records import KinesisShape
from ovis.services.lambda_.esm.stream_context import StreamOptions
from ovis.services.lambda_.esm.stream_poller import StreamPoller

ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/s1"
FN = "arn:aws:lambda:us-east-1:000000000000:function:f"
FAST = StreamOptions(
    retry_backoff_s=(0.001, 0.002),
    throttle_backoff_s=(0.001, 0.002),
    delivery_backoff_s=(0.001, 0.002),
    window_grace_ms=10,
    shard_refresh_s=0.2,
)


@dataclass
class _Shard:
    view: ShardView
    records: list[StreamRecordView] = field(default_factory=list)


class FakeStream:
    def __init__(self, shards: int = 1, arn: str = ARN) -> None:
        self.arn = arn
        self._seq = 100
        self._shards: dict[str, _Shard] = {}
        self._event = asyncio.Event()
        self.exists = True
        for _ in range(shards):
            self._add(None, None)

    def _add(self, parent: str | None, adjacent: str | None) -> str:
        sid = f"shardId-{len(self._shards):012d}"
        self._shards[sid] = _Shard(ShardView(sid, parent, adjacent, str(self._seq + 1), None))
        return sid

    def _notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    @property
    def shard_ids(self) -> list[str]:
        return list(self._shards)

    def open_shards(self) -> list[str]:
        return [s for s, v in self._shards.items() if not v.view.closed]

    def put(
        self,
        data: bytes | str,
        key: str = "k",
        shard: str | None = None,
        arrival_ms: int | None = None,
    ) -> str:
        sid = shard or self.open_shards()[0]
        sh = self._shards[sid]
        assert not sh.view.closed
        self._seq += 1
        raw = data.encode() if isinstance(data, str) else data
        at = int(time.time() * 1000) if arrival_ms is None else arrival_ms
        sh.records.append(StreamRecordView(str(self._seq), key, raw, at))
        self._notify()
        return str(self._seq)

    def split(self, sid: str) -> tuple[str, str]:
        sh = self._shards[sid]
        sh.view = replace(sh.view, ending_sequence=str(self._seq))
        a, b = self._add(sid, None), self._add(sid, None)
        self._notify()
        return a, b

    def merge(self, sid: str, adjacent: str) -> str:
        for s in (sid, adjacent):
            self._shards[s].view = replace(self._shards[s].view, ending_sequence=str(self._seq))
        child = self._add(sid, adjacent)
        self._notify()
        return child

    # ---- StreamSource
    def stream_exists(self, arn: str) -> bool:
        return self.exists and arn == self.arn

    async def shards(self, arn: str) -> list[ShardView]:
        return [s.view for s in self._shards.values()]

    async def read(
        self, arn: str, shard_id: str, after: str, limit: int, max_bytes: int
    ) -> list[StreamRecordView]:
        await asyncio.sleep(0)
        out: list[StreamRecordView] = []
        size = 0
        for r in self._shards[shard_id].records:
            if seq_key(r.sequence_number) <= seq_key(after):
                continue
            if len(out) >= limit or (out and size + len(r.data) > max_bytes):
                break
            out.append(r)
            size += len(r.data)
        return out

    async def position_latest(self, arn: str, shard_id: str) -> str:
        recs = self._shards[shard_id].records
        return recs[-1].sequence_number if recs else "0"

    async def position_at(self, arn: str, shard_id: str, timestamp_ms: int) -> str:
        pos = "0"
        for r in self._shards[shard_id].records:
            if r.arrival_ms >= timestamp_ms:
                break
            pos = r.sequence_number
        return pos

    async def wait(self, arn: str, timeout_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._event.wait()


Handler = Callable[[dict[str, Any]], Any]


class FakeTarget:
    """Runs ``handler(event)``: a return value is the response (JSON); raising ValueError is a
    function error; raising an ApiError is what the invoker raises (throttle...)."""

    def __init__(self, handler: Handler | None = None, function_arn: str = FN) -> None:
        self.function_arn = function_arn
        self.handler = handler or (lambda e: None)
        self.events: list[dict[str, Any]] = []
        self.calls = 0
        self.active = 0
        self.max_active = 0
        self.delay = 0.0

    def iterator_age(self, age_ms: float) -> None:
        self.last_iterator_age = age_ms

    async def invoke(self, payload: bytes) -> InvokeResult:
        self.calls += 1
        event = json.loads(payload)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            try:
                out = self.handler(event)
            except ValueError as e:
                self.events.append(event)
                return InvokeResult(
                    "rid",
                    json.dumps({"errorMessage": str(e)}).encode(),
                    "$LATEST",
                    function_error="Unhandled",
                )
            self.events.append(event)
            return InvokeResult("rid", json.dumps(out).encode(), "$LATEST")
        finally:
            self.active -= 1

    def datas(self) -> list[str]:
        """Every record's data delivered successfully-or-not, in invocation order."""
        return [
            base64.b64decode(r["kinesis"]["data"]).decode()
            for e in self.events
            for r in e["Records"]
        ]


class Throttled:
    def __init__(self, times: int) -> None:
        self.left = times

    def __call__(self, event: dict[str, Any]) -> Any:
        if self.left > 0:
            self.left -= 1
            raise TooManyRequestsException("Rate exceeded")
        return None


class MemoryCheckpoints:
    def __init__(self) -> None:
        self.started: set[str] = set()
        self.rows: dict[tuple[str, str], ShardCheckpoint] = {}
        self.saves = 0

    def load(self, mapping_uuid: str) -> dict[str, ShardCheckpoint] | None:
        if mapping_uuid not in self.started:
            return None
        return {s: c for (m, s), c in self.rows.items() if m == mapping_uuid}

    def start(
        self, mapping_uuid: str, initial: Sequence[ShardCheckpoint]
    ) -> dict[str, ShardCheckpoint]:
        if mapping_uuid not in self.started:
            self.started.add(mapping_uuid)
            self.save([(mapping_uuid, c) for c in initial])
        return self.load(mapping_uuid) or {}

    def save(self, updates: Sequence[tuple[str, ShardCheckpoint]]) -> None:
        self.saves += 1
        for m, c in updates:
            if m not in self.started:
                continue
            old = self.rows.get((m, c.shard_id))
            if old is None or seq_key(c.position) >= seq_key(old.position):
                self.rows[(m, c.shard_id)] = c

    def mapping_ids(self) -> list[str]:
        return sorted(self.started)

    def delete(self, mapping_uuid: str) -> None:
        self.started.discard(mapping_uuid)
        for k in [k for k in self.rows if k[0] == mapping_uuid]:
            del self.rows[k]


class FakeSender:
    def __init__(self, fail_times: int = 0) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.fail_times = fail_times

    async def send(self, destination_arn: str, record: dict[str, Any]) -> None:
        from ovis.invoke.destinations import DeliveryError

        if self.fail_times > 0:
            self.fail_times -= 1
            raise DeliveryError("queue is gone")
        self.sent.append((destination_arn, record))


def mapping(**kw: Any) -> EventSourceMapping:
    base: dict[str, Any] = dict(
        uuid="u1",
        function_arn=FN,
        event_source_arn=ARN,
        batch_size=100,
        maximum_batching_window_s=0,
        state=MappingState.ENABLED,
        enabled=True,
        last_modified=time.time(),
        starting_position="TRIM_HORIZON",
        parallelization_factor=1,
        maximum_record_age_s=-1,
        bisect_batch_on_function_error=False,
        maximum_retry_attempts=-1,
        tumbling_window_s=0,
    )
    base.update(kw)
    return EventSourceMapping(**base)


@dataclass
class Rig:
    stream: FakeStream
    target: FakeTarget
    repo: MemoryCheckpoints
    sender: FakeSender
    mapping: EventSourceMapping

    def poller(self, m: EventSourceMapping | None = None) -> StreamPoller:
        return StreamPoller(
            m or self.mapping,
            self.stream,
            self.target,
            self.repo,
            self.sender,
            shape=KinesisShape(ARN, "us-east-1"),
            identity=lambda: "arn:aws:iam::000000000000:role/r",
            options=FAST,
        )


async def eventually(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


async def running(poller: StreamPoller, body: Callable[[], Awaitable[None]]) -> None:
    """Run ``poller`` while ``body`` runs, then stop and close it as the runner does."""
    task = asyncio.create_task(poller.run())
    try:
        await body()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await poller.close()
