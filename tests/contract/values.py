"""Small builders for the values the contract tests store."""

from __future__ import annotations

from ovis.models.async_event import AsyncEvent, AsyncResult, LedgerEntry
from ovis.models.function import FunctionConfig
from ovis.models.layer import LayerVersion
from ovis.models.log_event import LogEvent
from ovis.models.queue import QueueMessage, QueueRecord


def function(name: str = "f", version: str = "$LATEST", **kw: object) -> FunctionConfig:
    return FunctionConfig(
        name=name,
        version=version,
        runtime="python3.12",
        role="arn:aws:iam::000000000000:role/r",
        handler="app.handler",
        code_sha256="c2hh",
        code_size=10,
        code_digest="ab" * 32,
        last_modified="2024-01-01T00:00:00.000+0000",
        revision_id=f"rev-{name}-{version}",
        **kw,  # type: ignore[arg-type]
    )


def event(event_id: str = "e1", function: str = "f", **kw: int) -> AsyncEvent:
    return AsyncEvent(event_id, function, "$LATEST", b'{"x": 1}', kw.pop("received_ms", 1000), **kw)


def result(event_id: str = "e1", finished_ms: int = 2000, function: str = "f") -> AsyncResult:
    return AsyncResult(event_id, function, "success", "Success", None, '{"r": 1}', finished_ms)


def ledger_entry(entry_id: str = "l1", event_id: str = "e1", created_ms: int = 1500) -> LedgerEntry:
    return LedgerEntry(
        entry_id,
        event_id,
        "f",
        "dlq",
        "arn:aws:sqs:us-east-1:000000000000:dlq",
        "body",
        "{}",
        "unreachable",
        1,
        5000,
        created_ms,
    )


def layer(name: str = "lay", **kw: object) -> LayerVersion:
    values: dict[str, object] = {
        "name": name,
        "version": 0,
        "digest": "cd" * 32,
        "code_sha256": "c2hh",
        "code_size": 5,
        "unzipped_size": 9,
        "description": "d",
        "created": "2024-01-01T00:00:00.000+0000",
        "compatible_runtimes": ("python3.12",),
        **kw,
    }
    return LayerVersion(**values)  # type: ignore[arg-type]


def queue(name: str = "q", created_s: int = 100) -> QueueRecord:
    return QueueRecord(name, {"VisibilityTimeout": "30"}, created_s, created_s)


def message(
    queue: str = "q", message_id: str = "m1", sent_ms: int = 1000, group_id: str = "", **kw: object
) -> QueueMessage:
    return QueueMessage(
        queue=queue,
        message_id=message_id,
        body=f"body-{message_id}",
        attributes="{}",
        system="{}",
        sent_ms=sent_ms,
        visible_ms=int(kw.pop("visible_ms", sent_ms)),  # type: ignore[call-overload]
        group_id=group_id,
        **kw,  # type: ignore[arg-type]
    )


def log_event(
    group: str = "/aws/lambda/f", stream: str = "s1", timestamp: int = 1000, message: str = "hi"
) -> LogEvent:
    return LogEvent(group, stream, timestamp, message, 0, timestamp + 1)
