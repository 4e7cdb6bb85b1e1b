"""The subscription delivery loop: hands the lines stored in a group (function log lines and
PutLogEvents alike) that match one of its subscription filters to the filter's Lambda
function, as AWS's ``awslogs`` event: ``{"awslogs": {"data": base64(gzip(json))}}``, the JSON
being ``{"messageType": "DATA_MESSAGE", "owner", "logGroup", "logStream",
"subscriptionFilters": [name], "logEvents": [{"id", "timestamp", "message"}]}``.

Contract:
- It runs under the supervisor (loop ``logs-subscriptions``), never on the invoke or the
  PutLogEvents path: it wakes when the log sink has flushed, when PutLogEvents stored events or
  a filter changed, and otherwise every ``interval_s`` (a safety net).
- Each filter keeps a durable cursor (the id of the last event handed over). Events after it
  are read in id order, those matching the filter's pattern are batched per stream (bounded
  in count and bytes) and submitted as asynchronous invocations (durable in the async queue,
  with its retries), and only then is the cursor advanced. So a line accepted (PutLogEvents
  answered, or a function's line flushed by the sink) is delivered once the loop runs; after a
  kill -9 between a submit and its cursor write, that batch is submitted again (at least once,
  never lost). Function lines still in the sink's memory at a kill -9 are lost with it (the
  sink's own contract), so never delivered.
- A destination that no longer exists or whose resource policy no longer allows
  ``logs.amazonaws.com`` makes the batch dropped with a warning (AWS drops what its
  destination refuses); a store error leaves the cursor where it was, for the next run.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import json
import logging
from collections.abc import Iterator

from ovis.invoke.destinations import DeliveryError
from ovis.logs.repository import LogRepository
from ovis.models.log_event import LogEvent
from ovis.models.log_subscription import SubscriptionFilter
from ovis.services.logs.commands import FOREVER_MS
from ovis.services.logs.filter_pattern import compile_pattern
from ovis.services.logs.repository import SubscriptionRepository
from ovis.services.logs.subscriptions import PRINCIPAL, FunctionTarget, group_arn
from ovis.supervisor import Supervisor

log = logging.getLogger(__name__)

LOOP = "logs-subscriptions"
READ_BATCH = 5000
MAX_EVENTS_PER_PAYLOAD = 10_000
MAX_PAYLOAD_MESSAGE_BYTES = 150_000  # raw; compressed and base64'd it stays under 256 KB


def awslogs_event(owner: str, f: SubscriptionFilter, stream: str, events: list[LogEvent]) -> bytes:
    """The payload a Lambda subscriber receives for ``events`` of one stream."""
    doc = {
        "messageType": "DATA_MESSAGE",
        "owner": owner,
        "logGroup": f.group,
        "logStream": stream,
        "subscriptionFilters": [f.name],
        "logEvents": [
            {"id": str(e.event_id), "timestamp": e.timestamp, "message": e.message} for e in events
        ],
    }
    data = base64.b64encode(gzip.compress(json.dumps(doc).encode())).decode()
    return json.dumps({"awslogs": {"data": data}}).encode()


def batches(events: list[LogEvent]) -> Iterator[tuple[str, list[LogEvent]]]:
    """(stream, events) groups in first-seen stream order, each bounded in count and bytes."""
    by_stream: dict[str, list[LogEvent]] = {}
    for e in events:
        by_stream.setdefault(e.stream, []).append(e)
    for stream, evs in by_stream.items():
        chunk: list[LogEvent] = []
        size = 0
        for e in evs:
            n = len(e.message.encode())
            if chunk and (
                len(chunk) >= MAX_EVENTS_PER_PAYLOAD or size + n > MAX_PAYLOAD_MESSAGE_BYTES
            ):
                yield stream, chunk
                chunk, size = [], 0
            chunk.append(e)
            size += n
        if chunk:
            yield stream, chunk


class SubscriptionDelivery:
    name = LOOP

    def __init__(
        self,
        logs: LogRepository,
        repo: SubscriptionRepository,
        functions: FunctionTarget,
        region: str,
        account: str,
        supervisor: Supervisor | None = None,
        interval_s: float = 5.0,
    ) -> None:
        self.logs = logs
        self.repo = repo
        self.functions = functions
        self.region = region
        self.account = account
        self.supervisor = supervisor or Supervisor()
        self.interval_s = interval_s
        self.wake = asyncio.Event()

    def notify(self) -> None:
        """New events may be stored (the sink's flush, PutLogEvents): look soon."""
        self.wake.set()

    async def start(self) -> None:
        self.wake.set()  # a first pass delivers what a previous run left owed
        self.supervisor.loop(LOOP, self._step)

    async def close(self) -> None:
        await self.supervisor.stop(LOOP)

    async def _step(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), self.interval_s)
        self.wake.clear()
        await self.deliver_once()

    async def deliver_once(self) -> int:
        """Deliver every filter's owed events; how many events were submitted."""
        sent = 0
        for f, cursor in await asyncio.to_thread(self.repo.subscription_filters, None):
            sent += await self._deliver(f, cursor)
        return sent

    async def _deliver(self, f: SubscriptionFilter, cursor: int) -> int:
        matches = compile_pattern(f.pattern)
        sent = 0
        while True:
            batch = await asyncio.to_thread(
                self.logs.filter_logs, f.group, 0, FOREVER_MS, cursor, READ_BATCH
            )
            if not batch:
                return sent
            for stream, events in batches([e for e in batch if matches(e.message)]):
                try:
                    await self.functions.invoke_async(
                        f.destination_arn,
                        awslogs_event(self.account, f, stream, events),
                        principal=PRINCIPAL,
                        source_arn=group_arn(self.region, self.account, f.group),
                        source_account=self.account,
                    )
                    sent += len(events)
                except DeliveryError as e:
                    log.warning(
                        "subscription filter %s of %s: dropped %d events: %s",
                        f.name, f.group, len(events), e,
                    )  # fmt: skip
            cursor = batch[-1].event_id
            await asyncio.to_thread(self.repo.advance_subscription, f.group, f.name, cursor)
            if len(batch) < READ_BATCH:
                return sent
