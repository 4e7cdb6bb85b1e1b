"""SqsQueueSource over a real QueueService and SQLite store: the QueueSource protocol."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from ovis.services.sqs.queues import SendRequest
from tests.unit.services.esm.sqs_env import Env, run


def test_receive_takes_any_number_in_one_call_with_lambdas_system_attributes(
    tmp_path: Path,
) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q")
        await env.send(arn, *[f"m{i}" for i in range(150)])
        before = int(time.time() * 1000)
        got = await env.source.receive(arn, 120, 0)
        assert len(got) == 120
        assert await env.source.backlog(arn) == 30
        m = got[0]
        assert set(m.attributes) == {
            "ApproximateReceiveCount",
            "SentTimestamp",
            "SenderId",
            "ApproximateFirstReceiveTimestamp",
        }
        assert m.attributes["ApproximateReceiveCount"] == "1"
        assert m.attributes["SenderId"] == env.settings.account_id
        assert int(m.attributes["ApproximateFirstReceiveTimestamp"]) >= before
        assert m.md5_of_message_attributes is None and m.message_attributes == {}
        assert len({x.message_id for x in got}) == 120
        assert await env.counts(arn) == (30, 120, 0)

    run(tmp_path, body)


def test_message_attributes_trace_header_and_fifo_attributes(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("f.fifo", FifoQueue="true")
        q = env.queues.queue_by_arn(arn)
        await env.queues.send_batch(
            q,
            [
                SendRequest(
                    "hello",
                    {
                        "s": {"DataType": "String", "StringValue": "v"},
                        "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
                    },
                    {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}},
                    group_id="g1",
                    dedup_id="d1",
                )
            ],
        )
        (m,) = await env.source.receive(arn, 10, 0)
        assert m.attributes["MessageGroupId"] == "g1"
        assert m.attributes["MessageDeduplicationId"] == "d1"
        assert int(m.attributes["SequenceNumber"]) > 0
        assert m.attributes["AWSTraceHeader"] == "Root=1-abc"
        assert m.message_attributes["b"] == {"DataType": "Binary", "BinaryValue": b"\x00\x01"}
        # The digest the SQS API returns for the same message.
        api = await env.queues.receive(q, 1, 0, None, (), ["All"])
        assert api == []  # the group is in flight: FIFO gives it to one receiver at a time
        await env.source.change_visibility(arn, [m.receipt_handle], 0)
        (again,) = await env.queues.receive(q, 1, 0, None, ("All",), ["All"])
        assert m.md5_of_message_attributes == again["MD5OfMessageAttributes"]
        assert again["Attributes"]["ApproximateReceiveCount"] == "2"

    run(tmp_path, body)


def test_delete_ignores_stale_receipts_and_change_visibility_hides_and_releases(
    tmp_path: Path,
) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q", VisibilityTimeout=30)
        await env.send(arn, "a", "b")
        first = await env.source.receive(arn, 10, 0)
        await env.source.change_visibility(arn, [m.receipt_handle for m in first], 0)
        again = await env.source.receive(arn, 10, 0)
        assert {m.attributes["ApproximateReceiveCount"] for m in again} == {"2"}
        await env.source.delete(arn, [m.receipt_handle for m in first])  # stale: nothing
        assert await env.counts(arn) == (0, 2, 0)
        await env.source.change_visibility(arn, [again[0].receipt_handle], 600)
        await env.source.delete(arn, [again[1].receipt_handle, "garbage"])
        assert await env.counts(arn) == (0, 1, 0)
        # A queue that is gone: delete and visibility changes do nothing, backlog is 0.
        await env.queues.delete_queue(env.queues.queue_by_arn(arn))
        await env.source.delete(arn, [again[0].receipt_handle])
        await env.source.change_visibility(arn, [again[0].receipt_handle], 0)
        assert await env.source.backlog(arn) == 0
        assert env.source.queue_info(arn) is None

    run(tmp_path, body)


def test_receive_long_polls_until_a_send(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q")
        task = asyncio.create_task(env.source.receive(arn, 10, 10))
        await asyncio.sleep(0.05)
        assert not task.done()
        await env.send(arn, "late")
        got = await asyncio.wait_for(task, 5)
        assert [m.body for m in got] == ["late"]

    run(tmp_path, body)


def test_receive_applies_the_redrive_policy(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        dlq = await env.queue("dlq")
        arn = await env.queue(
            "q", RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq, "maxReceiveCount": 1})
        )
        await env.send(arn, "poison")
        (m,) = await env.source.receive(arn, 10, 0)
        await env.source.change_visibility(arn, [m.receipt_handle], 0)
        assert await env.source.receive(arn, 10, 0) == []
        (moved,) = await env.source.receive(dlq, 10, 0)
        assert moved.body == "poison"
        assert moved.attributes["DeadLetterQueueSourceArn"] == arn

    run(tmp_path, body)


def test_a_thousand_in_one_receive_and_one_delete(tmp_path: Path) -> None:
    """Past the store's statement chunk (400 rows): still one receive and one delete."""

    async def body(env: Env) -> None:
        arn = await env.queue("q")
        await env.send(arn, *[f"m{i}" for i in range(1000)])
        got = await env.source.receive(arn, 1000, 0)
        assert len({m.message_id for m in got}) == 1000
        assert {m.attributes["ApproximateReceiveCount"] for m in got} == {"1"}
        assert await env.counts(arn) == (0, 1000, 0)
        handles = [m.receipt_handle for m in got]
        await env.source.delete(arn, handles + handles[:10])  # repeats delete nothing more
        assert await env.counts(arn) == (0, 0, 0)

    run(tmp_path, body)


def test_concurrent_receives_share_a_look_and_never_share_a_message(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q")
        await env.send(arn, *[f"m{i}" for i in range(95)])
        got = await asyncio.gather(*(env.source.receive(arn, 10, 0) for _ in range(12)))
        ids = [m.message_id for batch in got for m in batch]
        assert len(ids) == len(set(ids)) == 95
        assert all(len(batch) <= 10 for batch in got)
        await asyncio.gather(*(env.source.delete(arn, [m.receipt_handle for m in b]) for b in got))
        assert await env.counts(arn) == (0, 0, 0)

    run(tmp_path, body)
