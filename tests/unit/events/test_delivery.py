"""The delivery outbox: success, AWS's non-retried errors, retries with backoff until the
RetryPolicy runs out, dead-letter messages, and bus-to-bus forwards (over a real store)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ovis.errors import ApiError
from ovis.invoke.destinations import DeliveryError
from ovis.models.event_bus import EventDelivery, RuleRecord
from ovis.services.events.delivery import Deliveries, plan
from ovis.services.events.rules import Rule
from ovis.storage.sqlite import SqliteStorage

A = "000000000000"
QUEUE = f"arn:aws:sqs:us-east-1:{A}:q"
DLQ = f"arn:aws:sqs:us-east-1:{A}:dlq"
FUNCTION = f"arn:aws:lambda:us-east-1:{A}:function:f"
RULE_ARN = f"arn:aws:events:us-east-1:{A}:rule/r"
EVENT = {"version": "0", "id": "e1", "source": "s", "detail": {"k": 1}}


class FakeQueues:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any] | None, str | None]] = []
        self.fail: dict[str, BaseException] = {}

    async def send_message(
        self,
        queue_arn: str,
        body: str,
        message_attributes: dict[str, Any] | None = None,
        *,
        delay_seconds: int | None = None,
        message_group_id: str | None = None,
        deduplication_id: str | None = None,
    ) -> str:
        if queue_arn in self.fail:
            raise self.fail[queue_arn]
        self.sent.append((queue_arn, body, message_attributes, message_group_id))
        return "m"


class FakeFunctions:
    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error
        self.calls: list[tuple[str, bytes, str | None, str]] = []

    async def invoke_async(
        self,
        function_arn: str,
        payload: bytes,
        *,
        principal: str | None,
        source_arn: str,
        source_account: str,
    ) -> str:
        self.calls.append((function_arn, payload, principal, source_arn))
        if self.error is not None:
            raise self.error
        return "req"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    s = SqliteStorage(tmp_path / "ovis.db")
    yield s.event_buses
    s.close()


def rule(*targets: dict[str, Any]) -> Rule:
    return Rule(RuleRecord("default", "r", targets=targets), RULE_ARN, None)


def outbox(
    store: Any,
    functions: FakeFunctions | None = None,
    queues: FakeQueues | None = None,
    forwarded: list[EventDelivery] | None = None,
) -> Deliveries:
    def forward(bus: str, event: dict[str, Any], hops: int) -> list[EventDelivery]:
        return forwarded or []

    return Deliveries(
        store,
        A,
        forward=forward,
        functions=functions,
        queues=queues or FakeQueues(),
        time_scale=0.001,  # 1 s backoff -> 1 ms; MaximumEventAgeInSeconds=60 -> 60 ms
    )


async def settle(d: Deliveries, store: Any, steps: int = 400) -> None:
    """Run the loop until the outbox is empty."""
    for _ in range(steps):
        if store.pending_event_deliveries() == 0:
            return
        await asyncio.wait_for(d.step(), 5)
    raise AssertionError("the outbox did not empty")


def run(d: Deliveries, store: Any, r: Rule) -> None:
    async def go() -> None:
        await d.add(plan(r, EVENT, json.dumps(EVENT), _now()))
        await settle(d, store)

    asyncio.run(go())


def _now() -> int:
    return int(time.time() * 1000)


def attrs(message: tuple[str, str, dict[str, Any] | None, str | None]) -> dict[str, str]:
    return {k: v["StringValue"] for k, v in (message[2] or {}).items()}


def test_delivered_to_queue_and_function(store: Any) -> None:
    queues, functions = FakeQueues(), FakeFunctions()
    d = outbox(store, functions, queues)
    run(
        d,
        store,
        rule(
            {"Id": "q", "Arn": QUEUE + ".fifo", "SqsParameters": {"MessageGroupId": "g"}},
            {"Id": "f", "Arn": FUNCTION, "Input": '{"x": 1}'},
        ),
    )
    assert queues.sent == [(QUEUE + ".fifo", json.dumps(EVENT), None, "g")]
    assert functions.calls == [(FUNCTION, b'{"x": 1}', "events.amazonaws.com", RULE_ARN)]


def test_permission_errors_go_straight_to_the_dead_letter_queue(store: Any) -> None:
    queues = FakeQueues()
    functions = FakeFunctions(DeliveryError("events.amazonaws.com is not authorized to invoke f"))
    d = outbox(store, functions, queues)
    run(d, store, rule({"Id": "f", "Arn": FUNCTION, "DeadLetterConfig": {"Arn": DLQ}}))
    assert len(functions.calls) == 1  # not retried
    ((arn, body, _, _),) = queues.sent
    assert (arn, json.loads(body)) == (DLQ, EVENT)
    got = attrs(queues.sent[0])
    assert got["ERROR_CODE"] == "NO_PERMISSIONS" and got["RETRY_ATTEMPTS"] == "0"
    assert (got["RULE_ARN"], got["TARGET_ARN"]) == (RULE_ARN, FUNCTION)
    assert "EXHAUSTED_RETRY_CONDITION" not in got


def test_retriable_errors_are_retried_until_the_policy_runs_out(store: Any) -> None:
    queues = FakeQueues()
    functions = FakeFunctions(RuntimeError("boom"))
    d = outbox(store, functions, queues)
    target = {
        "Id": "f",
        "Arn": FUNCTION,
        "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 86400},
        "DeadLetterConfig": {"Arn": DLQ},
    }
    run(d, store, rule(target))
    assert len(functions.calls) == 3  # the first try and two retries
    got = attrs(queues.sent[0])
    assert got["ERROR_CODE"] == "INTERNAL_ERROR" and "boom" in got["ERROR_MESSAGE"]
    assert got["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert got["RETRY_ATTEMPTS"] == "2"


def test_event_age_limit_ends_retries(store: Any) -> None:
    queues = FakeQueues()
    functions = FakeFunctions(RuntimeError("boom"))
    d = outbox(store, functions, queues)
    target = {
        "Id": "f",
        "Arn": FUNCTION,
        "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 60},
        "DeadLetterConfig": {"Arn": DLQ},
    }
    run(d, store, rule(target))
    assert attrs(queues.sent[0])["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert 1 < len(functions.calls) < 185


def test_without_a_dead_letter_queue_the_event_is_dropped(store: Any) -> None:
    queues = FakeQueues()
    gone = ApiError("The specified queue does not exist.")
    gone.code = "QueueDoesNotExist"
    queues.fail[QUEUE] = gone
    d = outbox(store, None, queues)
    run(d, store, rule({"Id": "q", "Arn": QUEUE}))  # NO_RESOURCE: not retried, no DLQ
    assert queues.sent == [] and store.pending_event_deliveries() == 0


def test_a_forward_is_stored_with_the_settle(store: Any) -> None:
    bus = f"arn:aws:events:us-east-1:{A}:event-bus/other"
    target = json.dumps({"Id": "q", "Arn": QUEUE})
    onward = EventDelivery("next", RULE_ARN, target, "{}", "{}", _now(), _now())
    queues = FakeQueues()
    d = outbox(store, None, queues, forwarded=[onward])

    async def go() -> None:
        await d.add(plan(rule({"Id": "b", "Arn": bus}), EVENT, json.dumps(EVENT), _now()))
        await asyncio.wait_for(d.step(), 5)  # forwards: "next" is stored, the first is gone
        assert [x.delivery_id for x in store.due_event_deliveries(10**15, 10)] == ["next"]
        await settle(d, store)

    asyncio.run(go())
    assert queues.sent == [(QUEUE, "{}", None, None)]
