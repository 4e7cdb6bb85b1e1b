"""The delivery loop over a real store with a scripted queue: server-side errors are retried
on the managed schedule, client-side ones go straight to the DLQ (or are dropped)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from ovis.errors import ApiError
from ovis.services.sns import TopicService
from ovis.services.sns.commands import CreateTopic, PublishMessage, Subscribe
from ovis.storage.sqlite import SqliteStorage
from ovis.supervisor import Supervisor

Q = "arn:aws:sqs:us-east-1:000000000000:q"
DLQ = "arn:aws:sqs:us-east-1:000000000000:dlq"


class _Signer:
    cert_url = "http://h/cert.pem"

    def prepare(self) -> None:
        pass

    def sign(self, text: str, version: str = "1") -> str:
        return "sig"


class QueueDoesNotExist(ApiError):
    code, status = "QueueDoesNotExist", 400


class _Queues:
    """Fails the first ``failures`` sends to Q with ``error``; records every send."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.attempts = 0
        self.sent: list[tuple[str, str, dict[str, Any] | None]] = []
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
        if queue_arn == Q:
            self.attempts += 1
            if self.attempts <= self.failures:
                raise self.error
        self.sent.append((queue_arn, body, message_attributes))
        self.event.set()
        return "id"


async def _run(tmp_path: Path, queues: _Queues, attrs: dict[str, str]) -> SqliteStorage:
    store = SqliteStorage(tmp_path / "ovis.db")
    svc = TopicService(
        store.topics,
        store.tags,
        region="us-east-1",
        account="000000000000",
        base_url="http://h",
        signer=_Signer(),
        queues=queues,
        retry_scale=0.0,
        supervisor=Supervisor(),
    )
    await svc.start()
    try:
        topic = await svc.create_topic(CreateTopic("t"))
        await svc.subscriptions.subscribe(Subscribe(topic, "sqs", Q, attrs))
        await svc.publisher.publish(PublishMessage(topic, "m"))
        await asyncio.wait_for(queues.event.wait(), 10)
        for _ in range(200):  # the outbox row goes in the commit after the send
            if store.topics.sns_pending() == 0:
                break
            await asyncio.sleep(0.01)
    finally:
        await svc.close()
    return store


def test_server_side_errors_are_retried_until_delivered(tmp_path: Path) -> None:
    queues = _Queues(3, OSError("disk on fire"))
    store = asyncio.run(_run(tmp_path, queues, {}))
    assert queues.attempts == 4  # the first attempt and AWS's 3 immediate retries
    assert [q for q, _, _ in queues.sent] == [Q]
    assert store.topics.sns_pending() == 0
    store.close()


def test_client_side_errors_go_to_the_dead_letter_queue_at_once(tmp_path: Path) -> None:
    queues = _Queues(1, QueueDoesNotExist("The specified queue does not exist."))
    redrive = {"RedrivePolicy": json.dumps({"deadLetterTargetArn": DLQ})}
    store = asyncio.run(_run(tmp_path, queues, redrive))
    assert queues.attempts == 1
    [(queue, body, attrs)] = queues.sent
    assert queue == DLQ and json.loads(body)["Message"] == "m"
    assert attrs is not None and attrs["ErrorCode"]["StringValue"] == "QueueDoesNotExist"
    assert "does not exist" in attrs["ErrorMessage"]["StringValue"]
    assert store.topics.sns_pending() == 0
    store.close()
