"""Destinations: each destination kind carries an invocation record its own way."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from ovis.invoke.destinations import (
    FAILURE_DETAIL_TYPE,
    SUCCESS_DETAIL_TYPE,
    DeliveryError,
    Destinations,
)

FN = "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST"
TOPIC = "arn:aws:sns:us-east-1:000000000000:results"
BUS = "arn:aws:events:us-east-1:000000000000:event-bus/default"


class Topics:
    def __init__(self, fail: Exception | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail = fail

    async def publish_message(self, topic_arn: str, message: str) -> str:
        if self.fail:
            raise self.fail
        self.sent.append((topic_arn, message))
        return "m-1"


class Buses:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []

    async def put_event(
        self,
        bus_name_or_arn: str,
        source: str,
        detail_type: str,
        detail: str,
        resources: list[str] | None = None,
    ) -> str:
        self.sent.append((bus_name_or_arn, source, detail_type, detail, resources))
        return "e-1"


async def _no_submit(*_: Any) -> None:
    raise AssertionError("no function destination here")


def record(condition: str) -> str:
    return json.dumps({"requestContext": {"condition": condition, "functionArn": FN}})


def test_topic_gets_the_record_as_its_message() -> None:
    topics = Topics()
    d = Destinations(None, _no_submit, topics=topics)
    asyncio.run(d.deliver(TOPIC, record("Success")))
    assert topics.sent == [(TOPIC, record("Success"))]


@pytest.mark.parametrize(
    ("condition", "detail_type"),
    [("Success", SUCCESS_DETAIL_TYPE), ("RetriesExhausted", FAILURE_DETAIL_TYPE)],
)
def test_bus_gets_a_lambda_event(condition: str, detail_type: str) -> None:
    buses = Buses()
    d = Destinations(None, _no_submit, buses=buses)
    asyncio.run(d.deliver(BUS, record(condition)))
    assert buses.sent == [(BUS, "lambda", detail_type, record(condition), [FN])]


def test_missing_services_and_refusals_are_delivery_errors() -> None:
    d = Destinations(None, _no_submit)
    for arn in (TOPIC, BUS):
        with pytest.raises(DeliveryError, match="has no"):
            asyncio.run(d.deliver(arn, "{}"))
    refusing = Destinations(None, _no_submit, topics=Topics(fail=KeyError("no such topic")))
    with pytest.raises(DeliveryError, match="KeyError"):
        asyncio.run(refusing.deliver(TOPIC, "{}"))
