"""Notification rules: matching events and keys, the event record, destination checks, and the
outbox delivery loop's retries."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from ovis.models.s3 import ObjectRecord, OutboxEvent
from ovis.services.s3.errors import InvalidArgumentS3
from ovis.services.s3.notifications import NotificationRules, Notifier, event_matches

FN = "arn:aws:lambda:us-east-1:000000000000:function:f"
QUEUE = "arn:aws:sqs:us-east-1:000000000000:q"


class Functions:
    def __init__(self, allowed: bool = True, fail: int = 0) -> None:
        self.allowed = allowed
        self.fail = fail
        self.calls: list[tuple[str, bytes, dict[str, Any]]] = []

    def allows(self, function_arn: str, **kw: Any) -> bool:
        return self.allowed

    async def invoke_async(self, function_arn: str, payload: bytes, **kw: Any) -> str:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("refused")
        self.calls.append((function_arn, payload, kw))
        return "rid"


class Queues:
    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.sent: list[tuple[str, str]] = []

    def exists(self, queue_arn: str) -> bool:
        return queue_arn in self.known

    async def send_message(
        self, queue_arn: str, body: str, message_attributes: dict[str, Any] | None = None
    ) -> str:
        self.sent.append((queue_arn, body))
        return "mid"


def _rules(functions: Functions | None = None, queues: Queues | None = None) -> NotificationRules:
    return NotificationRules("us-east-1", "000000000000", functions, queues)


def test_event_names_match_with_wildcards() -> None:
    assert event_matches("s3:ObjectCreated:*", "ObjectCreated:Put")
    assert event_matches("s3:ObjectCreated:Put", "ObjectCreated:Put")
    assert not event_matches("s3:ObjectCreated:Put", "ObjectCreated:Copy")
    assert not event_matches("s3:ObjectRemoved:*", "ObjectCreated:Put")


def test_events_for_filters_and_builds_aws_records() -> None:
    rules = _rules(Functions(), Queues({QUEUE}))
    config = rules.check(
        "bkt",
        {
            "LambdaFunctionConfigurations": [
                {
                    "LambdaFunctionArn": FN,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "img/"}]}},
                }
            ],
            "QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectRemoved:*"]}],
        },
    )
    assert config["LambdaFunctionConfigurations"][0]["Id"]  # an id is given when none was
    obj = ObjectRecord("bkt", "img/a b.png", "blob", 7, '"abc"', 1_700_000_000_123)
    events = rules.events_for(config, "ObjectCreated:Put", obj, "req-1", "AWS:test")
    assert [(d, k) for d, k, _ in events] == [(FN, "lambda")]
    record = json.loads(events[0][2])["Records"][0]
    assert record["eventTime"] == "2023-11-14T22:13:20.123Z"
    assert record["s3"]["object"]["key"] == "img/a+b.png"
    assert (record["s3"]["object"]["size"], record["s3"]["object"]["eTag"]) == (7, "abc")
    assert record["s3"]["bucket"]["arn"] == "arn:aws:s3:::bkt"
    assert (
        rules.events_for(
            config, "ObjectCreated:Put", obj.__class__("bkt", "doc/x", "", 0, "", 0), "r", "p"
        )
        == []
    )
    removed = rules.events_for(config, "ObjectRemoved:Delete", obj, "req-2", "AWS:test")
    assert [(d, k) for d, k, _ in removed] == [(QUEUE, "sqs")]


@pytest.mark.parametrize(
    "config",
    [
        {"LambdaFunctionConfigurations": [{"LambdaFunctionArn": FN, "Events": ["s3:Nope"]}]},
        {"QueueConfigurations": [{"QueueArn": QUEUE + "x", "Events": ["s3:ObjectCreated:*"]}]},
        {
            "QueueConfigurations": [
                {
                    "QueueArn": QUEUE,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "middle", "Value": "x"}]}},
                }
            ]
        },
        {"TopicConfigurations": [{"TopicArn": "arn:aws:sns:us-east-1:0:t", "Events": []}]},
    ],
)
def test_invalid_configurations(config: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentS3):
        _rules(Functions(), Queues({QUEUE})).check("bkt", config)


def test_a_function_that_does_not_allow_s3_is_refused() -> None:
    with pytest.raises(InvalidArgumentS3) as e:
        _rules(Functions(allowed=False)).check(
            "bkt",
            {"LambdaFunctionConfigurations": [{"LambdaFunctionArn": FN, "Events": []}]},
        )
    assert e.value.message == "Unable to validate the following destination configurations"
    assert e.value.extra["ArgumentName1"] == FN


class Outbox:
    def __init__(self, events: list[OutboxEvent]) -> None:
        self.events = {e.id: e for e in events}
        self.retried: list[int] = []

    def outbox(self, now_ms: int, limit: int) -> list[OutboxEvent]:
        return list(self.events.values())[:limit]

    def outbox_done(self, event_id: int) -> None:
        del self.events[event_id]

    def outbox_retry(self, event_id: int, due_ms: int) -> None:
        e = self.events[event_id]
        self.events[event_id] = OutboxEvent(e.id, e.destination, e.kind, e.body, e.attempts + 1)
        self.retried.append(event_id)


def test_the_notifier_delivers_retries_then_drops() -> None:
    rules = _rules(Functions(fail=1), Queues({QUEUE}))
    body = rules.record(
        "c", "ObjectCreated:Put", ObjectRecord("b", "k", "", 1, '"e"', 0), "r", "p", "1.2.3.4"
    )
    repo = Outbox([OutboxEvent(1, FN, "lambda", body), OutboxEvent(2, QUEUE, "sqs", body)])
    notifier = Notifier(repo, rules, max_attempts=2, retry_base_s=0, idle_s=0)  # type: ignore[arg-type]
    asyncio.run(notifier.step())
    assert repo.retried == [1] and list(repo.events) == [1]  # the queue got its message
    asyncio.run(notifier.step())
    assert repo.events == {}
    assert rules.functions.calls[0][2]["principal"] == "s3.amazonaws.com"  # type: ignore[union-attr]
    assert rules.functions.calls[0][2]["source_arn"] == "arn:aws:s3:::b"  # type: ignore[union-attr]
    never = _rules(Functions(fail=5))
    repo = Outbox([OutboxEvent(1, FN, "lambda", body)])
    notifier = Notifier(repo, never, max_attempts=2, retry_base_s=0, idle_s=0)  # type: ignore[arg-type]
    asyncio.run(notifier.step())
    asyncio.run(notifier.step())
    assert repo.events == {}  # dropped after max_attempts
