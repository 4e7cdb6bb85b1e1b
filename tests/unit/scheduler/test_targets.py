"""Targets (targets.py): which targets a schedule may name, and what each delivery sends."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ovis.services.scheduler.errors import ValidationException
from ovis.services.scheduler.targets import TargetFailed, Targets, kind_of
from tests.unit.scheduler.helpers import (
    ACCOUNT,
    DLQ,
    FN,
    QUEUE,
    ROLE,
    FakeFunctions,
    FakeQueues,
    fire,
)


def targets() -> tuple[Targets, FakeFunctions, FakeQueues]:
    functions, queues = FakeFunctions(), FakeQueues()
    return Targets(ACCOUNT, functions, queues), functions, queues


def test_kinds() -> None:
    assert kind_of(FN) == "lambda" and kind_of(FN + ":prod") == "lambda"
    assert kind_of(QUEUE) == "sqs" and kind_of(QUEUE + ".fifo") == "sqs"
    assert kind_of(f"arn:aws:sns:us-east-1:{ACCOUNT}:t") == "sns"
    assert kind_of(f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default") == "events"
    assert kind_of("arn:aws:scheduler:::aws-sdk:sqs:sendMessage") == ""


def test_check_fills_the_retry_policy_defaults() -> None:
    t, _, _ = targets()
    assert t.check({"Arn": FN, "RoleArn": ROLE})["RetryPolicy"] == {
        "MaximumEventAgeInSeconds": 86400,
        "MaximumRetryAttempts": 185,
    }
    got = t.check({"Arn": FN, "RoleArn": ROLE, "RetryPolicy": {"MaximumRetryAttempts": 0}})
    assert got["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 0}


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ({"Arn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t"}, "Invalid target"),  # no SNS here yet
        ({"Arn": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/b"}, "Invalid target"),
        ({"Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage"}, "universal"),
        ({"Arn": FN, "SqsParameters": {"MessageGroupId": "g"}}, "SqsParameters"),
        ({"Arn": QUEUE + ".fifo"}, "MessageGroupId"),
        ({"Arn": QUEUE, "KinesisParameters": {"PartitionKey": "k"}}, "KinesisParameters"),
        ({"Arn": FN, "DeadLetterConfig": {"Arn": DLQ + ".fifo"}}, "FIFO"),
    ],
)
def test_check_refuses(target: dict[str, Any], words: str) -> None:
    t, _, _ = targets()
    with pytest.raises(ValidationException) as err:
        t.check({"RoleArn": ROLE, **target})
    assert words in err.value.message


def test_sns_and_bus_targets_once_their_services_are_plugged_in() -> None:
    class Topics:
        def __init__(self) -> None:
            self.published: list[tuple[str, str, Any, Any]] = []

        async def publish_message(self, topic_arn: str, message: str, **kw: Any) -> str:
            self.published.append((topic_arn, message, kw.get("group_id"), kw.get("dedup_id")))
            return "m"

    class Buses:
        def __init__(self) -> None:
            self.events: list[tuple[Any, ...]] = []

        async def put_event(
            self, bus: str, source: str, dt: str, detail: str, resources: Any = None
        ) -> str:
            self.events.append((bus, source, dt, detail, resources))
            return "e"

    topics, buses = Topics(), Buses()
    t = Targets(ACCOUNT, FakeFunctions(), FakeQueues(), topics, buses)  # type: ignore[arg-type]
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:t.fifo"
    bus = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/b"
    t.check({"Arn": topic, "RoleArn": ROLE})
    with pytest.raises(ValidationException):
        t.check({"Arn": bus, "RoleArn": ROLE})  # EventBridgeParameters required
    params = {"DetailType": "tick", "Source": "my.app"}
    t.check({"Arn": bus, "RoleArn": ROLE, "EventBridgeParameters": params})
    f = fire(execution_id="x", target={"Arn": topic, "Input": "hi"})
    asyncio.run(t.deliver(f))
    assert topics.published == [(topic, "hi", "x", "x")]
    g = fire(target={"Arn": bus, "Input": '{"k": 1}', "EventBridgeParameters": params})
    asyncio.run(t.deliver(g))
    assert buses.events == [(bus, "my.app", "tick", '{"k": 1}', [g.schedule_arn])]


def test_sqs_delivery_dedups_fifo_by_execution_id() -> None:
    t, _, queues = targets()
    fifo = fire(
        execution_id="exec-1",
        target={"Arn": QUEUE + ".fifo", "Input": "b", "SqsParameters": {"MessageGroupId": "g"}},
    )
    asyncio.run(t.deliver(fifo))
    asyncio.run(t.deliver(fire(target={"Arn": QUEUE})))
    assert [(m["body"], m["group"], m["dedup"]) for m in queues.sent] == [
        ("b", "g", "exec-1"),
        ("{}", None, None),  # no Input: an empty JSON object
    ]


def test_failures_carry_code_and_message() -> None:
    t, functions, _ = targets()
    functions.failing = True
    with pytest.raises(TargetFailed) as err:
        asyncio.run(t.deliver(fire()))
    assert err.value.code == "ResourceNotFoundException"
    assert err.value.message == f"Function not found: {FN}"
    assert asyncio.run(t.dead_letter(fire(), err.value)) is False  # no DLQ configured
