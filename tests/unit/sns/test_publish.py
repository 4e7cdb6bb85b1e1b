"""Publish's checks (message, subject, attributes, structure, FIFO ids) and the in-process
``TopicService.publish_message`` entry point over a real store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from ovis.invoke.destinations import DeliveryError
from ovis.services.sns import TopicService
from ovis.services.sns.commands import CreateTopic, PublishMessage, Subscribe
from ovis.services.sns.errors import InvalidParameter
from ovis.services.sns.publish import check_attributes
from ovis.storage.sqlite import SqliteStorage


@pytest.mark.parametrize(
    ("attrs", "reason"),
    [
        ({"AWS.x": {"DataType": "String", "StringValue": "v"}}, "name 'AWS.x' is invalid"),
        ({"a..b": {"DataType": "String", "StringValue": "v"}}, "is invalid"),
        ({"k": {"DataType": "Text", "StringValue": "v"}}, "invalid message attribute type"),
        ({"k": {"DataType": "String", "StringValue": ""}}, "non-empty"),
        ({"k": {"DataType": "Number", "StringValue": "ten"}}, "cast"),
        ({"k": {"DataType": "String.Array", "StringValue": "x"}}, "String.Array"),
        ({"k": {"DataType": "Binary"}}, "non-empty"),
        ({f"k{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}, "[11]"),
    ],
)
def test_bad_message_attributes(attrs: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidParameter) as e:
        check_attributes(attrs)
    assert reason in e.value.message


class _Queues:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any] | None, str | None]] = []
        self.event = asyncio.Event()

    async def send_message(
        self,
        queue_arn: str,
        body: str,
        message_attributes: dict[str, Any] | None = None,
        *,
        message_group_id: str | None = None,
        deduplication_id: str | None = None,
    ) -> str:
        self.sent.append((queue_arn, body, message_attributes, message_group_id))
        self.event.set()
        return "id"


Q = "arn:aws:sqs:us-east-1:000000000000:q"


class _Signer:
    cert_url = "http://h/cert.pem"

    def prepare(self) -> None:
        pass

    def sign(self, text: str, version: str = "1") -> str:
        return "sig"


def _service(tmp_path: Path, queues: _Queues) -> tuple[TopicService, SqliteStorage]:
    store = SqliteStorage(tmp_path / "ovis.db")
    svc = TopicService(
        store.topics,
        store.tags,
        region="us-east-1",
        account="000000000000",
        base_url="http://h",
        signer=_Signer(),
        queues=queues,
    )
    return svc, store


def test_publish_message_in_process_is_durable_and_delivered(tmp_path: Path) -> None:
    async def run() -> None:
        queues = _Queues()
        svc, store = _service(tmp_path, queues)
        await svc.start()
        try:
            arn = await svc.create_topic(CreateTopic("t"))
            await svc.subscriptions.subscribe(
                Subscribe(arn, "sqs", Q, {"RawMessageDelivery": "true"})
            )
            mid = await svc.publish_message(
                arn,
                "hello",
                subject="s",
                attributes={"k": {"DataType": "String", "StringValue": "v"}},
            )
            assert mid
            await asyncio.wait_for(queues.event.wait(), 10)
            assert queues.sent == [
                (Q, "hello", {"k": {"DataType": "String", "StringValue": "v"}}, None)
            ]
            with pytest.raises(DeliveryError, match="NotFound"):
                await svc.publish_message(arn + "-missing", "x")
            with pytest.raises(DeliveryError, match="Empty message"):
                await svc.publish_message(arn, "")
        finally:
            await svc.close()
            store.close()

    asyncio.run(run())


def test_a_publish_survives_a_stop_before_delivery(tmp_path: Path) -> None:
    """What Publish acknowledged is in the outbox: a service that starts later delivers it."""

    async def publish() -> None:
        svc, store = _service(tmp_path, _Queues())
        svc.catalog.load()  # loaded but its delivery loop never started
        arn = await svc.create_topic(CreateTopic("t"))
        await svc.subscriptions.subscribe(Subscribe(arn, "sqs", Q))
        await svc.publisher.publish(PublishMessage(arn, "kept"))
        store.close()

    async def deliver() -> list[Any]:
        queues = _Queues()
        svc, store = _service(tmp_path, queues)
        await svc.start()
        try:
            await asyncio.wait_for(queues.event.wait(), 10)
            return queues.sent
        finally:
            await svc.close()
            store.close()

    asyncio.run(publish())
    [(queue, body, _, _)] = asyncio.run(deliver())
    assert queue == Q and json.loads(body)["Message"] == "kept"
