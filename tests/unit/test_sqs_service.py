"""QueueService in-process over a real SqliteStorage: the send_message(queue_arn, ...) interface,
long polling on events (not polling the store), restart recovery of in-flight messages, FIFO
groups, redrive, retention and shutdown (ovis.services.sqs.queues)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ovis.errors import ApiError
from ovis.services.sqs import QueueDoesNotExist, QueueService, SendRequest, SqsError
from ovis.services.sqs import queues as service_module
from ovis.services.sqs.errors import InvalidParameterValue
from ovis.settings import Settings
from ovis.storage.sqlite import SqliteStorage

SETTINGS = Settings(port=8910)
ARN = "arn:aws:sqs:us-east-1:000000000000:"


def run(tmp_path: Path, body: Callable[[QueueService], Awaitable[None]]) -> None:
    async def main() -> None:
        store = SqliteStorage(tmp_path / "ovis.db")
        svc = QueueService(store.queues, SETTINGS, store.tags)
        await svc.start()
        try:
            await body(svc)
        finally:
            await svc.close()
            store.close()

    asyncio.run(main())


def test_urls_and_arns_follow_the_server_base_url(tmp_path: Path) -> None:
    async def body(svc: QueueService) -> None:
        url = await svc.create_queue("orders")
        assert url == "http://127.0.0.1:8910/000000000000/orders"
        q = svc.queue_by_url(url)
        assert q.arn == ARN + "orders"
        assert svc.queue_by_url("https://localhost.localstack.cloud:4566/000000000000/orders") is q
        assert svc.queue_by_arn(ARN + "orders") is q
        assert svc.exists(ARN + "orders") and not svc.exists(ARN + "nope")
        with pytest.raises(QueueDoesNotExist):
            svc.queue_by_url("http://127.0.0.1:8910/111111111111/orders")
        with pytest.raises(SqsError) as exc:
            svc.queue_by_url("http://127.0.0.1:8910/orders")
        assert exc.value.code == "InvalidAddress"

    run(tmp_path, body)


def test_in_process_send_message_by_arn(tmp_path: Path) -> None:
    async def body(svc: QueueService) -> None:
        await svc.create_queue("dest")
        attrs = {
            "RequestID": {"DataType": "String", "StringValue": "r-1"},
            "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        }
        message_id = await svc.send_message(ARN + "dest", '{"ok": true}', attrs)
        q = svc.queue_by_name("dest")
        got = await svc.receive(q, 10, attribute_names=["All"])
        assert [(m["MessageId"], m["Body"]) for m in got] == [(message_id, '{"ok": true}')]
        assert got[0]["MessageAttributes"] == attrs
        with pytest.raises(QueueDoesNotExist) as exc:
            await svc.send_message(ARN + "missing", "x")
        assert isinstance(exc.value, ApiError)
        assert "missing" in exc.value.message
        for bad in (
            "not-an-arn",
            "arn:aws:sqs:eu-west-1:000000000000:dest",
            "arn:aws:sns:us-east-1:000000000000:dest",
        ):
            with pytest.raises(QueueDoesNotExist):
                await svc.send_message(bad, "x")
        with pytest.raises(InvalidParameterValue):
            await svc.send_message(ARN + "dest", "x" * (1024 * 1024 + 1))

    run(tmp_path, body)


def test_long_poll_waits_on_an_event_not_by_polling_the_store(tmp_path: Path) -> None:
    async def body(svc: QueueService) -> None:
        await svc.create_queue("poll")
        q = svc.queue_by_name("poll")
        calls = 0
        real = svc.store.sqs_receive

        def counting(*a: Any, **kw: Any) -> Any:
            nonlocal calls
            calls += 1
            return real(*a, **kw)

        svc.store.sqs_receive = counting  # type: ignore[method-assign]
        t0 = time.monotonic()
        assert await svc.receive(q, wait_seconds=1) == []
        assert time.monotonic() - t0 >= 0.95
        assert calls == 2  # a look, a wait on the queue's event, a last look at the deadline

        calls = 0
        waiter = asyncio.create_task(svc.receive(q, wait_seconds=10))
        await asyncio.sleep(0.2)
        t0 = time.monotonic()
        await svc.send_message(ARN + "poll", "hello")
        got = await asyncio.wait_for(waiter, 2)
        assert [m["Body"] for m in got] == ["hello"]
        assert time.monotonic() - t0 < 1.0
        assert calls == 2

    run(tmp_path, body)


def test_long_poll_wakes_when_a_hidden_message_becomes_visible(tmp_path: Path) -> None:
    async def body(svc: QueueService) -> None:
        await svc.create_queue("later", {"DelaySeconds": "1"})
        q = svc.queue_by_name("later")
        await svc.send(q, SendRequest("delayed"))
        t0 = time.monotonic()
        got = await svc.receive(q, wait_seconds=5)
        assert [m["Body"] for m in got] == ["delayed"]
        assert 0.9 < time.monotonic() - t0 < 2.5

    run(tmp_path, body)


def test_close_and_delete_end_long_polls(tmp_path: Path) -> None:
    async def body(svc: QueueService) -> None:
        await svc.create_queue("a")
        await svc.create_queue("b")
        qa, qb = svc.queue_by_name("a"), svc.queue_by_name("b")
        deleted = asyncio.create_task(svc.receive(qa, wait_seconds=20))
        interrupted = asyncio.create_task(svc.receive(qb, wait_seconds=20))
        await asyncio.sleep(0.1)
        await svc.delete_queue(qa)
        with pytest.raises(QueueDoesNotExist):
            await asyncio.wait_for(deleted, 1)
        svc.interrupt_waits()
        assert await asyncio.wait_for(interrupted, 1) == []

    run(tmp_path, body)


def test_in_flight_messages_reappear_after_a_restart(tmp_path: Path) -> None:
    async def first(svc: QueueService) -> None:
        await svc.create_queue("r", {"VisibilityTimeout": "1"})
        q = svc.queue_by_name("r")
        for i in range(3):
            await svc.send(q, SendRequest(f"m{i}"))
        got = await svc.receive(q, 2)
        assert len(got) == 2
        handles.extend(m["ReceiptHandle"] for m in got)

    handles: list[str] = []
    run(tmp_path, first)
    t0 = time.monotonic()

    async def second(svc: QueueService) -> None:
        q = svc.queue_by_name("r")
        now = await svc.receive(q, 10, visibility_timeout=30)
        assert [m["Body"] for m in now] == ["m2"]
        later = await svc.receive(
            q, 10, wait_seconds=5, system_attribute_names=["ApproximateReceiveCount"]
        )
        assert sorted(m["Body"] for m in later) == ["m0", "m1"]
        assert time.monotonic() - t0 < 3
        assert all(m["Attributes"]["ApproximateReceiveCount"] == "2" for m in later)
        # a handle from before the restart is stale now (received again): no delete
        await svc.delete_message(q, handles[0])
        assert (await svc.get_attributes(q, ["ApproximateNumberOfMessagesNotVisible"])) == {
            "ApproximateNumberOfMessagesNotVisible": "3"
        }

    run(tmp_path, second)


def test_fifo_group_blocks_while_in_flight(tmp_path: Path) -> None:
    async def body(svc: QueueService) -> None:
        await svc.create_queue("f.fifo", {"FifoQueue": "true", "ContentBasedDeduplication": "true"})
        q = svc.queue_by_name("f.fifo")
        for body_, group in (("a1", "A"), ("b1", "B"), ("a2", "A")):
            await svc.send(q, SendRequest(body_, group_id=group))
        one = await svc.receive(q, 1)
        assert [m["Body"] for m in one] == ["a1"]
        rest = await svc.receive(q, 10)
        assert [m["Body"] for m in rest] == ["b1"]  # a2 waits for a1
        waiter = asyncio.create_task(svc.receive(q, 10, wait_seconds=5))
        await asyncio.sleep(0.1)
        await svc.delete_message(q, one[0]["ReceiptHandle"])
        got = await asyncio.wait_for(waiter, 1)
        assert [m["Body"] for m in got] == ["a2"]
        dup = await svc.send(q, SendRequest("a1", group_id="C"))
        assert dup.sequence_number is not None

    run(tmp_path, body)


def test_redrive_wakes_dead_letter_waiters(tmp_path: Path) -> None:
    async def body(svc: QueueService) -> None:
        await svc.create_queue("dlq")
        policy = json.dumps({"deadLetterTargetArn": ARN + "dlq", "maxReceiveCount": 1})
        await svc.create_queue("src", {"RedrivePolicy": policy, "VisibilityTimeout": "0"})
        src, dlq = svc.queue_by_name("src"), svc.queue_by_name("dlq")
        sources, _ = await svc.dead_letter_sources(dlq)
        assert sources == [src.url]
        await svc.send(src, SendRequest("poison"))
        assert len(await svc.receive(src)) == 1
        waiter = asyncio.create_task(
            svc.receive(dlq, wait_seconds=5, system_attribute_names=["All"])
        )
        await asyncio.sleep(0.1)
        assert await svc.receive(src) == []  # moved, not delivered
        got = await asyncio.wait_for(waiter, 1)
        assert got[0]["Body"] == "poison"
        assert got[0]["Attributes"]["DeadLetterQueueSourceArn"] == src.arn

    run(tmp_path, body)


def test_retention_period_expires_old_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body(svc: QueueService) -> None:
        await svc.create_queue("short", {"MessageRetentionPeriod": "60"})
        await svc.create_queue("long")
        short, long_ = svc.queue_by_name("short"), svc.queue_by_name("long")
        await svc.send(short, SendRequest("old"))
        await svc.send(long_, SendRequest("kept"))
        real = service_module._now_ms
        monkeypatch.setattr(service_module, "_now_ms", lambda: real() + 61_000)
        assert await svc.expire() == 1
        monkeypatch.setattr(service_module, "_now_ms", real)
        assert await svc.receive(short) == []
        assert [m["Body"] for m in await svc.receive(long_)] == ["kept"]

    run(tmp_path, body)


def test_queues_attributes_and_tags_persist(tmp_path: Path) -> None:
    async def first(svc: QueueService) -> None:
        await svc.create_queue("p", {"VisibilityTimeout": "7"}, {"k": "v"})
        q = svc.queue_by_name("p")
        await svc.add_permission(q, "lbl", ["111111111111"], ["SendMessage"])

    async def second(svc: QueueService) -> None:
        q = svc.queue_by_name("p")
        attrs = await svc.get_attributes(q, ["All"])
        assert attrs["VisibilityTimeout"] == "7"
        assert json.loads(attrs["Policy"])["Statement"][0]["Sid"] == "lbl"
        assert await svc.list_tags(q) == {"k": "v"}
        await svc.remove_permission(q, "lbl")
        assert "Policy" not in await svc.get_attributes(q, ["All"])
        await svc.delete_queue(q)
        assert svc.tags.get_tags(q.arn) == {}

    run(tmp_path, first)
    run(tmp_path, second)


def test_concurrent_receivers_never_share_a_message(tmp_path: Path) -> None:
    async def body(svc: QueueService) -> None:
        await svc.create_queue("many")
        q = svc.queue_by_name("many")
        await svc.send_batch(q, [SendRequest(f"m{i}") for i in range(10)])
        await svc.send_batch(q, [SendRequest(f"n{i}") for i in range(10)])
        results = await asyncio.gather(*(svc.receive(q, 10, wait_seconds=1) for _ in range(6)))
        ids = [m["MessageId"] for got in results for m in got]
        assert len(ids) == 20 and len(set(ids)) == 20

    run(tmp_path, body)


def test_a_queue_cannot_be_its_own_dead_letter_queue(tmp_path: Path) -> None:
    async def body(svc: QueueService) -> None:
        await svc.create_queue("self")
        q = svc.queue_by_name("self")
        policy = json.dumps({"deadLetterTargetArn": q.arn, "maxReceiveCount": 1})
        with pytest.raises(InvalidParameterValue):
            await svc.set_attributes(q, {"RedrivePolicy": policy})

    run(tmp_path, body)
