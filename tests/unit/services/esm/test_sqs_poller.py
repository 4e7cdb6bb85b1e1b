"""SqsPoller against a real QueueService over SQLite, with a scripted fake target: AWS's SQS
event source semantics (batching, window, filters, errors and redrive, partial batch responses,
FIFO order, throttles, scaling, close)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from ovis.errors import ResourceNotFoundException, TooManyRequestsException
from ovis.invoke.invoker import InvokeResult
from ovis.services.lambda_.esm.sqs_poller import SqsPoller
from ovis.services.lambda_.esm.sqs_records import MAX_PAYLOAD_BYTES
from ovis.services.lambda_.esm.sqs_scaling import LoopScaler
from tests.unit.services.esm.sqs_env import Env, FakeTarget, Running, error, ok, run, until


def one_loop() -> LoopScaler:
    return LoopScaler(lambda: 1)


async def drained(env: Env, arn: str) -> bool:
    return await env.counts(arn) == (0, 0, 0)


def drained_and_counted(env: Env, arn: str, poller: SqsPoller, processed: int) -> Any:
    """The queue empties when a delete commits; the poller counts the batch just after."""

    async def check() -> bool:
        return poller.stats.processed == processed and await drained(env, arn)

    return check


def failures(*ids: str) -> InvokeResult:
    return ok(json.dumps({"batchItemFailures": [{"itemIdentifier": i} for i in ids]}).encode())


def test_batches_of_batch_size_in_lambdas_shape_and_success_deletes(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q")
        await env.send(arn, *[f"m{i}" for i in range(45)])
        target = FakeTarget()
        poller = env.poller(arn, target)
        async with Running(poller):
            await until(drained_and_counted(env, arn, poller, 45))
        assert sorted(target.bodies()) == sorted(f"m{i}" for i in range(45))
        assert all(1 <= len(e["Records"]) <= 10 for e in target.events)
        rec = target.events[0]["Records"][0]
        assert rec["eventSource"] == "aws:sqs" and rec["eventSourceARN"] == arn
        assert rec["awsRegion"] == "us-east-1"
        assert rec["attributes"]["ApproximateReceiveCount"] == "1"
        assert set(rec) >= {"messageId", "receiptHandle", "md5OfBody", "messageAttributes"}
        assert poller.stats.processed == 45 and poller.stats.polled == 45
        assert poller.stats.invocations == len(target.events)
        assert poller.stats.last_processing_result == "OK"

    run(tmp_path, body)


def test_the_window_gathers_a_batch_across_receives(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q")
        target = FakeTarget()
        poller = env.poller(
            arn, target, batch_size=100, maximum_batching_window_s=1, scaler=one_loop()
        )
        async with Running(poller):
            await env.send(arn, *[f"a{i}" for i in range(5)])
            await asyncio.sleep(0.3)  # part of the scenario: a second send inside the window
            await env.send(arn, *[f"b{i}" for i in range(5)])
            await until(lambda: len(target.events) >= 1)
            await until(lambda: drained(env, arn))
        assert len(target.events) == 1 and len(target.events[0]["Records"]) == 10

    run(tmp_path, body)


def test_a_full_batch_does_not_wait_for_the_window(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q")
        await env.send(arn, *[f"m{i}" for i in range(20)])
        target = FakeTarget()
        poller = env.poller(
            arn, target, batch_size=20, maximum_batching_window_s=30, scaler=one_loop()
        )
        started = time.monotonic()
        async with Running(poller):
            await until(lambda: drained(env, arn))
        assert time.monotonic() - started < 10
        assert [len(e["Records"]) for e in target.events] == [20]

    run(tmp_path, body)


def test_payloads_stay_under_6_mb_and_the_rest_opens_the_next_batch(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q")
        big = "x" * 250_000
        await env.send(arn, *[f"{i:03d}{big}" for i in range(60)])
        target = FakeTarget()
        poller = env.poller(
            arn, target, batch_size=100, maximum_batching_window_s=1, scaler=one_loop()
        )
        async with Running(poller):
            await until(lambda: drained(env, arn), timeout=20)
        assert all(len(p) <= MAX_PAYLOAD_BYTES for p in target.payloads)
        assert len(target.payloads) >= 3
        assert sorted(b[:3] for b in target.bodies()) == [f"{i:03d}" for i in range(60)]

    run(tmp_path, body)


def test_messages_no_filter_keeps_are_deleted_unseen(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q")
        bodies = [json.dumps({"keep": i % 2 == 0, "i": i}) for i in range(20)] + ["plain"]
        await env.send(arn, *bodies)
        target = FakeTarget()
        poller = env.poller(arn, target, filter_patterns=('{"body": {"keep": [true]}}',))
        async with Running(poller):
            await until(lambda: drained(env, arn))
        assert sorted(json.loads(b)["i"] for b in target.bodies()) == list(range(0, 20, 2))
        assert poller.stats.filtered_out == 11

    run(tmp_path, body)


def test_a_function_error_deletes_nothing_and_redrive_moves_the_poison_message(
    tmp_path: Path,
) -> None:
    async def body(env: Env) -> None:
        dlq = await env.queue("dlq")
        arn = await env.queue(
            "q",
            VisibilityTimeout=1,
            RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq, "maxReceiveCount": 2}),
        )
        await env.send(arn, "good", "poison")

        def handler(event: dict[str, Any]) -> InvokeResult:
            return error() if any(r["body"] == "poison" for r in event["Records"]) else ok()

        target = FakeTarget(handler)
        poller = env.poller(arn, target, batch_size=1)
        async with Running(poller):
            await until(lambda: drained(env, arn))

            async def in_dlq() -> bool:
                return await env.source.backlog(dlq) == 1

            await until(in_dlq)
        assert target.bodies().count("poison") == 2  # maxReceiveCount receives, then the DLQ
        assert target.bodies().count("good") == 1
        (moved,) = await env.source.receive(dlq, 10, 0)
        assert moved.body == "poison"
        assert poller.stats.failed == 2
        assert poller.stats.last_processing_result in ("OK", "PROBLEM: Function call failed")

    run(tmp_path, body)


def test_report_batch_item_failures_deletes_all_but_the_reported(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q", VisibilityTimeout=1)
        await env.send(arn, *[f"m{i}" for i in range(5)])
        seen: list[str] = []

        def handler(event: dict[str, Any]) -> InvokeResult:
            recs = event["Records"]
            seen.extend(r["body"] for r in recs)
            bad = [r["messageId"] for r in recs if r["body"] == "m3" and seen.count("m3") == 1]
            return failures(*bad)

        target = FakeTarget(handler)
        poller = env.poller(
            arn,
            target,
            function_response_types=("ReportBatchItemFailures",),
            scaler=one_loop(),
        )
        async with Running(poller):
            await until(lambda: drained(env, arn))
        assert sorted(seen) == ["m0", "m1", "m2", "m3", "m3", "m4"]
        assert target.events[-1]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"

    run(tmp_path, body)


def test_an_invalid_item_failures_response_fails_the_whole_batch(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q", VisibilityTimeout=1)
        await env.send(arn, "a", "b")
        calls = 0

        def handler(event: dict[str, Any]) -> InvokeResult:
            nonlocal calls
            calls += 1
            if calls == 1:
                return failures("not-a-message-id")
            return ok()

        target = FakeTarget(handler)
        poller = env.poller(
            arn,
            target,
            function_response_types=("ReportBatchItemFailures",),
            scaler=one_loop(),
        )
        async with Running(poller):
            await until(lambda: drained(env, arn))
        assert sorted(target.bodies()) == ["a", "a", "b", "b"]
        # Without ReportBatchItemFailures the same response is a plain success.
        await env.send(arn, "c")
        plain = FakeTarget(lambda e: failures("x"))
        async with Running(env.poller(arn, plain)):
            await until(lambda: drained(env, arn))
        assert plain.bodies() == ["c"]

    run(tmp_path, body)


def test_fifo_a_failure_holds_back_its_group_only_and_order_is_kept(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q.fifo", FifoQueue="true", VisibilityTimeout=1)
        q = env.queues.queue_by_arn(arn)
        from ovis.services.sqs.queues import SendRequest

        reqs = [
            SendRequest(f"{g}{i}", group_id=g, dedup_id=f"{g}{i}")
            for i in range(1, 4)
            for g in ("A", "B")
        ]
        await env.queues.send_batch(q, reqs)
        failed_once: set[str] = set()

        def handler(event: dict[str, Any]) -> InvokeResult:
            bad = []
            for r in event["Records"]:
                if r["body"] == "A2" and "A2" not in failed_once:
                    failed_once.add("A2")
                    bad.append(r["messageId"])
            return failures(*bad)  # says A3 succeeded: it must still come again after A2

        target = FakeTarget(handler)
        poller = env.poller(
            arn, target, function_response_types=("ReportBatchItemFailures",), batch_size=10
        )
        async with Running(poller):
            await until(lambda: drained(env, arn))
        bodies = target.bodies()
        assert [b for b in bodies if b[0] == "A"] == ["A1", "A2", "A3", "A2", "A3"]
        assert [b for b in bodies if b[0] == "B"] == ["B1", "B2", "B3"]

    run(tmp_path, body)


def test_throttles_keep_the_batch_hidden_and_never_send_it_to_the_dlq(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        dlq = await env.queue("dlq")
        arn = await env.queue(
            "q",
            VisibilityTimeout=1,
            RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq, "maxReceiveCount": 1}),
        )
        await env.send(arn, *[f"m{i}" for i in range(30)])
        open_at = time.monotonic() + 2.5  # throttled longer than two visibility timeouts

        def handler(event: dict[str, Any]) -> InvokeResult:
            if time.monotonic() < open_at:
                raise TooManyRequestsException(
                    "Rate Exceeded.", Reason="ReservedFunctionConcurrentInvocationLimitExceeded"
                )
            return ok()

        target = FakeTarget(handler)
        poller = env.poller(arn, target, backoff_s=(0.05, 0.3))
        async with Running(poller):
            await until(lambda: drained(env, arn), timeout=20)
        assert sorted(target.bodies()) == sorted(f"m{i}" for i in range(30))
        assert {
            r["attributes"]["ApproximateReceiveCount"] for e in target.events for r in e["Records"]
        } == {"1"}
        assert await env.counts(dlq) == (0, 0, 0)
        assert poller.stats.throttles > 0
        assert poller.stats.last_processing_result == "OK"

    run(tmp_path, body)


def test_a_missing_function_keeps_the_batch_until_it_exists(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q", VisibilityTimeout=1)
        await env.send(arn, "m")
        exists = False
        seen = asyncio.Event()

        def handler(event: dict[str, Any]) -> InvokeResult:
            seen.set()
            if not exists:
                raise ResourceNotFoundException("Function not found: f")
            return ok()

        target = FakeTarget(handler)
        poller = env.poller(arn, target)
        async with Running(poller):
            await seen.wait()
            await until(lambda: poller.stats.last_processing_result.startswith("PROBLEM"))
            exists = True
            await until(lambda: drained(env, arn))
        assert target.bodies() == ["m"]

    run(tmp_path, body)


def test_concurrent_batches_never_exceed_the_ceiling(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q")
        await env.send(arn, *[f"m{i}" for i in range(60)])

        async def slow(event: dict[str, Any]) -> InvokeResult:
            await asyncio.sleep(0.02)
            return ok()

        target = FakeTarget(slow)
        poller = env.poller(arn, target, ceiling=2, batch_size=1)
        async with Running(poller):
            await until(lambda: drained(env, arn), timeout=20)
        assert target.peak <= 2 and len(target.bodies()) == 60

    run(tmp_path, body)


def test_loops_scale_up_with_the_backlog(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q")
        await env.send(arn, *[f"m{i}" for i in range(600)])

        async def slow(event: dict[str, Any]) -> InvokeResult:
            await asyncio.sleep(0.05)
            return ok()

        target = FakeTarget(slow)
        scaler = LoopScaler(lambda: 50, interval_s=0.05)
        poller = env.poller(arn, target, scaler=scaler, batch_size=5)
        async with Running(poller):
            await until(lambda: drained(env, arn), timeout=20)
        assert target.peak > 5
        assert len(target.bodies()) == 600

    run(tmp_path, body)


def test_close_hands_held_messages_back_at_once(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q", VisibilityTimeout=300)
        await env.send(arn, *[f"m{i}" for i in range(3)])
        started = asyncio.Event()

        async def stuck(event: dict[str, Any]) -> InvokeResult:
            started.set()
            await asyncio.Event().wait()
            raise AssertionError

        poller = env.poller(arn, FakeTarget(stuck), scaler=one_loop())
        async with Running(poller):
            await started.wait()
            assert await env.counts(arn) == (0, 3, 0)
        assert await env.counts(arn) == (3, 0, 0)
        await poller.close()  # idempotent

    run(tmp_path, body)


def test_an_idle_mapping_does_no_work(tmp_path: Path) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q")
        calls = 0
        take = env.queues.take

        async def counting(q: Any, limit: int, wait_s: float, *a: Any) -> Any:
            nonlocal calls
            calls += wait_s > 0  # long polls (a first look without waiting may go before)
            return await take(q, limit, wait_s, *a)

        env.queues.take = counting  # type: ignore[method-assign]
        target = FakeTarget()
        async with Running(env.poller(arn, target)):
            await until(lambda: calls == 5)  # five loops, each in one long poll
            before = env.storage.queues
            await asyncio.sleep(0.3)
            assert calls == 5 and before is env.storage.queues
            await env.send(arn, "wake")
            await until(lambda: target.bodies() == ["wake"])

    run(tmp_path, body)


def test_an_unexpected_invoke_error_fails_the_batch_like_a_function_error(
    tmp_path: Path,
) -> None:
    async def body(env: Env) -> None:
        arn = await env.queue("q", VisibilityTimeout=1)
        await env.send(arn, "m")
        calls = 0

        def handler(event: dict[str, Any]) -> InvokeResult:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("the sandbox broke")
            return ok()

        target = FakeTarget(handler)
        poller = env.poller(arn, target, scaler=one_loop())
        async with Running(poller):
            await until(drained_and_counted(env, arn, poller, 1))
        assert calls == 2 and poller.stats.failed == 1 and poller.stats.processed == 1
        assert target.events[-1]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"

    run(tmp_path, body)
