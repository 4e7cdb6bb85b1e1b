"""StreamPoller over a stream in memory: starting positions, order, batching, record shape,
error handling (retries, bisect, partial batch response, OnFailure, throttles, age),
resharding order, parallelization, tumbling windows, filters and resuming from checkpoints."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import pytest

from tests.unit.services.esm.stream_fakes import (
    ARN,
    FN,
    FakeSender,
    FakeStream,
    FakeTarget,
    MemoryCheckpoints,
    Rig,
    Throttled,
    eventually,
    mapping,
    running,
)

DLQ = "arn:aws:sqs:us-east-1:000000000000:dlq"


def rig(shards: int = 1, handler: Any = None, **kw: Any) -> Rig:
    return Rig(
        FakeStream(shards), FakeTarget(handler), MemoryCheckpoints(), FakeSender(), mapping(**kw)
    )


def data_of(record: dict[str, Any]) -> str:
    return base64.b64decode(record["kinesis"]["data"]).decode()


def test_trim_horizon_delivers_every_record_in_order_with_lambdas_shape() -> None:
    async def main() -> None:
        r = rig()
        seqs = [
            r.stream.put(f"r{i}", key=f"k{i}", arrival_ms=1_700_000_000_123 + i) for i in range(5)
        ]
        p = r.poller()

        async def body() -> None:
            await eventually(lambda: len(r.target.datas()) == 5)
            more = r.stream.put("r5")
            await eventually(lambda: len(r.target.datas()) == 6)
            seqs.append(more)

        await running(p, body)
        assert r.target.datas() == [f"r{i}" for i in range(6)]
        first = r.target.events[0]["Records"][0]
        sid = r.stream.shard_ids[0]
        assert first == {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": "k0",
                "sequenceNumber": seqs[0],
                "data": base64.b64encode(b"r0").decode(),
                "approximateArrivalTimestamp": 1_700_000_000.123,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{sid}:{seqs[0]}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": "arn:aws:iam::000000000000:role/r",
            "awsRegion": "us-east-1",
            "eventSourceARN": ARN,
        }
        assert set(r.target.events[0]) == {"Records"}
        assert r.repo.rows[("u1", sid)].position == seqs[-1]
        assert p.stats.processed == 6 and p.stats.last_processing_result == "OK"

    asyncio.run(main())


def test_latest_starts_after_the_mapping_was_created_and_restarts_keep_that_start() -> None:
    async def main() -> None:
        r = rig(starting_position="LATEST", last_modified=time.time() + 3600)
        old = int(time.time() * 1000)
        r.stream.put("before", arrival_ms=old)
        r.stream.put("after", arrival_ms=old + 3600_000 + 5)

        async def body() -> None:
            await eventually(lambda: r.target.datas() == ["after"])

        await running(r.poller(), body)
        # a restart reads after the stored checkpoint, neither skipping nor re-reading
        r.stream.put("later")
        second = r.poller(mapping(starting_position="LATEST", last_modified=time.time() + 7200))

        async def body2() -> None:
            await eventually(lambda: r.target.datas() == ["after", "later"])

        await running(second, body2)

    asyncio.run(main())


def test_at_timestamp_starts_at_the_first_record_arrived_then() -> None:
    async def main() -> None:
        r = rig(starting_position="AT_TIMESTAMP", starting_position_timestamp=1_000.0)
        r.stream.put("a", arrival_ms=999_999)
        r.stream.put("b", arrival_ms=1_000_000)
        r.stream.put("c", arrival_ms=1_000_001)

        async def body() -> None:
            await eventually(lambda: r.target.datas() == ["b", "c"])

        await running(r.poller(), body)

    asyncio.run(main())


def test_batches_respect_batch_size_and_the_batching_window() -> None:
    async def main() -> None:
        r = rig(batch_size=4)
        for i in range(10):
            r.stream.put(str(i))

        async def body() -> None:
            await eventually(lambda: len(r.target.datas()) == 10)

        await running(r.poller(), body)
        assert [len(e["Records"]) for e in r.target.events] == [4, 4, 2]

        w = rig(batch_size=100, maximum_batching_window_s=1)

        async def trickle() -> None:
            start = time.monotonic()
            for i in range(5):
                w.stream.put(str(i))
                await asyncio.sleep(0.02)
            await eventually(lambda: len(w.target.datas()) == 5)
            assert time.monotonic() - start >= 0.9  # waited for the window

        await running(w.poller(), trickle)
        assert [len(e["Records"]) for e in w.target.events] == [5]

    asyncio.run(main())


def test_function_errors_retry_then_the_on_failure_record_goes_to_the_destination() -> None:
    async def main() -> None:
        def handler(event: dict[str, Any]) -> Any:
            raise ValueError("boom")

        r = rig(handler=handler, maximum_retry_attempts=2, on_failure_destination=DLQ)
        s1, _, s3 = (r.stream.put(x, arrival_ms=1_700_000_000_000 + i) for i, x in enumerate("abc"))
        p = r.poller()

        async def body() -> None:
            await eventually(lambda: len(r.sender.sent) == 1)
            await eventually(
                lambda: (
                    ("u1", r.stream.shard_ids[0]) in r.repo.rows
                    and r.repo.rows[("u1", r.stream.shard_ids[0])].position == s3
                )
            )

        await running(p, body)
        assert r.target.calls == 3  # the first attempt and two retries
        dest, rec = r.sender.sent[0]
        assert dest == DLQ
        assert rec["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert rec["requestContext"]["approximateInvokeCount"] == 3
        assert rec["requestContext"]["functionArn"] == FN
        assert rec["responseContext"] == {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        }
        assert rec["version"] == "1.0"
        assert rec["KinesisBatchInfo"] == {
            "shardId": r.stream.shard_ids[0],
            "startSequenceNumber": s1,
            "endSequenceNumber": s3,
            "approximateArrivalOfFirstRecord": "2023-11-14T22:13:20.000Z",
            "approximateArrivalOfLastRecord": "2023-11-14T22:13:20.002Z",
            "batchSize": 3,
            "streamArn": ARN,
        }
        assert p.stats.dropped == 3 and p.stats.failed == 9

    asyncio.run(main())


def test_without_destination_given_up_records_are_dropped_and_counted() -> None:
    async def main() -> None:
        def handler(event: dict[str, Any]) -> Any:
            if any(data_of(x) == "bad" for x in event["Records"]):
                raise ValueError("bad")

        r = rig(handler=handler, maximum_retry_attempts=0)
        r.stream.put("bad")
        p = r.poller()

        async def body() -> None:
            await eventually(lambda: p.stats.dropped == 1)
            r.stream.put("good")
            await eventually(lambda: p.stats.processed == 1)

        await running(p, body)
        assert r.target.datas() == ["bad", "good"]

    asyncio.run(main())


def test_bisect_isolates_the_bad_record() -> None:
    async def main() -> None:
        def handler(event: dict[str, Any]) -> Any:
            if any(data_of(x) == "3" for x in event["Records"]):
                raise ValueError("bad record")

        r = rig(
            handler=handler,
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=1,
            on_failure_destination=DLQ,
        )
        seqs = [r.stream.put(str(i)) for i in range(8)]
        p = r.poller()

        async def body() -> None:
            await eventually(lambda: p.stats.processed == 7 and len(r.sender.sent) == 1)

        await running(p, body)
        info = r.sender.sent[0][1]["KinesisBatchInfo"]
        assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
            seqs[3],
            seqs[3],
            1,
        )
        sizes = [len(e["Records"]) for e in r.target.events]
        assert sizes == [8, 4, 2, 2, 1, 1, 1, 4]  # halves until the bad one is alone, retried once

    asyncio.run(main())


def test_partial_batch_response_checkpoints_before_the_lowest_failure_and_retries_from_it() -> None:
    async def main() -> None:
        calls: list[list[str]] = []

        def handler(event: dict[str, Any]) -> Any:
            recs = event["Records"]
            calls.append([data_of(x) for x in recs])
            if len(calls) == 1:  # report 3 and 5 failed: 0-2 are done, retry from 3
                failed = [x["kinesis"]["sequenceNumber"] for x in recs if data_of(x) in ("5", "3")]
                return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}
            return {"batchItemFailures": []}

        r = rig(handler=handler, function_response_types=("ReportBatchItemFailures",))
        for i in range(6):
            r.stream.put(str(i))
        p = r.poller()

        async def body() -> None:
            await eventually(lambda: p.stats.processed == 6)

        await running(p, body)
        assert calls == [["0", "1", "2", "3", "4", "5"], ["3", "4", "5"]]

    asyncio.run(main())


def test_an_invalid_partial_batch_response_fails_the_whole_batch() -> None:
    async def main() -> None:
        calls = 0

        def handler(event: dict[str, Any]) -> Any:
            nonlocal calls
            calls += 1
            if calls == 1:
                return {"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}
            return None

        r = rig(handler=handler, function_response_types=("ReportBatchItemFailures",))
        for i in range(3):
            r.stream.put(str(i))
        p = r.poller()

        async def body() -> None:
            await eventually(lambda: p.stats.processed == 3)

        await running(p, body)
        assert [len(e["Records"]) for e in r.target.events] == [3, 3]
        assert p.stats.failed == 3

    asyncio.run(main())


def test_throttles_are_retried_without_counting_and_never_dropped() -> None:
    async def main() -> None:
        r = rig(handler=Throttled(5), maximum_retry_attempts=0)
        r.stream.put("x")
        p = r.poller()

        async def body() -> None:
            await eventually(lambda: p.stats.processed == 1)

        await running(p, body)
        assert p.stats.throttles == 5 and p.stats.dropped == 0
        assert r.target.datas() == ["x"]

    asyncio.run(main())


def test_records_older_than_the_maximum_age_are_given_up_on() -> None:
    async def main() -> None:
        r = rig(maximum_record_age_s=60, on_failure_destination=DLQ)
        now = int(time.time() * 1000)
        r.stream.put("old", arrival_ms=now - 120_000)
        r.stream.put("new", arrival_ms=now)
        p = r.poller()

        async def body() -> None:
            await eventually(lambda: p.stats.processed == 1 and len(r.sender.sent) == 1)

        await running(p, body)
        assert r.target.datas() == ["new"]
        assert r.sender.sent[0][1]["requestContext"]["condition"] == "RecordAgeExceeded"

    asyncio.run(main())


def test_an_undeliverable_on_failure_record_blocks_until_delivered() -> None:
    async def main() -> None:
        def handler(event: dict[str, Any]) -> Any:
            raise ValueError("x")

        r = rig(handler=handler, maximum_retry_attempts=0, on_failure_destination=DLQ)
        r.sender.fail_times = 3
        r.stream.put("a")
        p = r.poller()

        async def body() -> None:
            await eventually(lambda: len(r.sender.sent) == 1)

        await running(p, body)
        assert r.sender.fail_times == 0

    asyncio.run(main())


def test_children_of_a_split_start_after_their_parent_is_done() -> None:
    async def main() -> None:
        r = rig(batch_size=2)
        parent = r.stream.shard_ids[0]
        for i in range(5):
            r.stream.put(f"p{i}")
        a, b = r.stream.split(parent)
        r.stream.put("a0", shard=a)
        r.stream.put("b0", shard=b)
        gate = asyncio.Event()
        order: list[str] = []

        def handler(event: dict[str, Any]) -> Any:
            order.extend(data_of(x) for x in event["Records"])

        r.target.handler = handler
        p = r.poller()

        async def body() -> None:
            await eventually(lambda: len(order) == 7)
            # merge the children: the merged shard waits for both
            child = r.stream.merge(a, b)
            r.stream.put("m0", shard=child)
            await eventually(lambda: len(order) == 8)
            gate.set()

        await running(p, body)
        assert order[:5] == [f"p{i}" for i in range(5)]
        assert sorted(order[5:7]) == ["a0", "b0"] and order[7] == "m0"
        assert r.repo.rows[("u1", parent)].finished

    asyncio.run(main())


def test_parallelization_keeps_order_per_partition_key() -> None:
    async def main() -> None:
        r = rig(parallelization_factor=4, batch_size=3)
        r.target.delay = 0.01
        for i in range(60):
            r.stream.put(f"{i % 6}:{i}", key=f"key{i % 6}")
        p = r.poller()

        async def body() -> None:
            await eventually(lambda: len(r.target.datas()) == 60)

        await running(p, body)
        per_key: dict[str, list[int]] = {}
        for d in r.target.datas():
            k, i = d.split(":")
            per_key.setdefault(k, []).append(int(i))
        assert all(v == sorted(v) for v in per_key.values()) and len(per_key) == 6
        assert r.target.max_active > 1
        sid = r.stream.shard_ids[0]
        await eventually(lambda: r.repo.rows[("u1", sid)].position == str(100 + 60))

    asyncio.run(main())


def test_tumbling_windows_carry_state_and_end_with_a_final_invocation() -> None:
    async def main() -> None:
        def handler(event: dict[str, Any]) -> Any:
            total = event["state"].get("sum", 0) + sum(int(data_of(x)) for x in event["Records"])
            return {"state": {"sum": total}}

        r = rig(handler=handler, tumbling_window_s=1)
        p = r.poller()

        async def body() -> None:
            now = int(time.time() * 1000)
            start = now - now % 1000
            r.stream.put("1", arrival_ms=start)
            await eventually(lambda: len(r.target.events) == 1)
            r.stream.put("2", arrival_ms=start + 1)
            await eventually(lambda: any(e["isFinalInvokeForWindow"] for e in r.target.events))

        await running(p, body)
        events = r.target.events
        assert [e["state"] for e in events] == [{}, {"sum": 1}, {"sum": 3}]
        assert [e["isFinalInvokeForWindow"] for e in events] == [False, False, True]
        assert events[-1]["Records"] == [] and not events[-1]["isWindowTerminatedEarly"]
        w = events[0]["window"]
        assert w["start"].endswith("Z") and w["start"] < w["end"]
        assert events[0]["shardId"] == r.stream.shard_ids[0] and events[0]["eventSourceARN"] == ARN
        sid = r.stream.shard_ids[0]
        await eventually(lambda: r.repo.rows[("u1", sid)].window is None)

    asyncio.run(main())


def test_tumbling_window_state_survives_a_restart() -> None:
    async def main() -> None:
        def handler(event: dict[str, Any]) -> Any:
            n = event["state"].get("n", 0) + len(event["Records"])
            return {"state": {"n": n}}

        r = rig(handler=handler, tumbling_window_s=60)
        r.stream.put("1")

        async def body() -> None:
            await eventually(lambda: len(r.target.events) == 1)
            sid = r.stream.shard_ids[0]
            await eventually(lambda: r.repo.rows[("u1", sid)].window is not None)

        await running(r.poller(), body)
        r.stream.put("2")

        async def body2() -> None:
            await eventually(lambda: len(r.target.events) == 2)

        await running(r.poller(), body2)
        assert r.target.events[1]["state"] == {"n": 1}

    asyncio.run(main())


def test_filters_skip_records_and_checkpoint_past_them() -> None:
    async def main() -> None:
        r = rig(filter_patterns=(json.dumps({"data": {"keep": [True]}}),))
        r.stream.put(json.dumps({"keep": True, "i": 1}))
        r.stream.put(json.dumps({"keep": False, "i": 2}))
        last = r.stream.put("not json")
        p = r.poller()
        sid = r.stream.shard_ids[0]

        async def body() -> None:
            await eventually(lambda: getattr(r.repo.rows.get(("u1", sid)), "position", "") == last)

        await running(p, body)
        assert [json.loads(d)["i"] for d in r.target.datas()] == [1]
        assert p.stats.filtered_out == 2

    asyncio.run(main())


def test_a_restart_resumes_from_the_checkpoint_without_loss() -> None:
    async def main() -> None:
        r = rig(batch_size=1)
        for i in range(3):
            r.stream.put(str(i))

        async def body() -> None:
            await eventually(lambda: len(r.target.datas()) == 3)

        await running(r.poller(), body)
        for i in range(3, 6):
            r.stream.put(str(i))

        async def body2() -> None:
            await eventually(lambda: len(r.target.datas()) == 6)

        await running(r.poller(), body2)
        assert r.target.datas() == [str(i) for i in range(6)]

    asyncio.run(main())


def test_checkpoints_are_coalesced_under_load() -> None:
    async def main() -> None:
        r = rig(batch_size=1)
        for i in range(300):
            r.stream.put(str(i))
        p = r.poller()
        sid = r.stream.shard_ids[0]

        async def body() -> None:
            await eventually(
                lambda: ("u1", sid) in r.repo.rows and r.repo.rows[("u1", sid)].position == str(400)
            )

        await running(p, body)
        assert r.target.calls == 300
        assert r.repo.saves < 300

    asyncio.run(main())


@pytest.mark.parametrize("missing", [True])
def test_a_missing_stream_is_reported_and_waited_for(missing: bool) -> None:
    async def main() -> None:
        r = rig()
        r.stream.exists = False
        p = r.poller()

        async def body() -> None:
            await eventually(lambda: p.stats.last_processing_result.startswith("PROBLEM"))
            r.stream.exists = True
            r.stream.put("x")
            await eventually(lambda: r.target.datas() == ["x"])

        await running(p, body)

    asyncio.run(main())


def test_forget_deletes_checkpoints() -> None:
    async def main() -> None:
        from ovis.services.lambda_.esm.stream_poller import StreamPollerFactory

        r = rig()
        factory = StreamPollerFactory(r.stream, lambda arn: r.target, r.repo, None, "us-east-1")
        p = factory(r.mapping)
        r.stream.put("x")

        async def body() -> None:
            await eventually(lambda: r.target.datas() == ["x"])

        await running(p, body)
        assert r.repo.load("u1")
        await factory.forget("u1")
        assert r.repo.load("u1") is None

    asyncio.run(main())


def test_closing_a_deleted_mappings_poller_deletes_its_checkpoints_and_prune_sweeps() -> None:
    async def main() -> None:
        from ovis.services.lambda_.esm.stream_poller import StreamPollerFactory

        r = rig()
        gone: set[str] = set()
        factory = StreamPollerFactory(
            r.stream, lambda arn: r.target, r.repo, None, "us-east-1", deleted=gone.__contains__
        )
        r.stream.put("x")

        async def body() -> None:
            await eventually(lambda: r.target.datas() == ["x"])

        await running(factory(r.mapping), body)  # disabled/updated: kept
        assert r.repo.load("u1")
        gone.add("u1")
        await running(factory(r.mapping), body)
        assert r.repo.load("u1") is None
        r.repo.start("orphan", [])
        r.repo.start("live", [])
        await factory.prune(lambda: ["live"])
        assert r.repo.mapping_ids() == ["live"]

    asyncio.run(main())


def test_a_reshard_ends_the_open_tumbling_window_early_and_big_windows_take_batches() -> None:
    async def main() -> None:
        def handler(event: dict[str, Any]) -> Any:
            return {"state": {"n": event["state"].get("n", 0) + len(event["Records"])}}

        r = rig(handler=handler, tumbling_window_s=900, batch_size=2)
        parent = r.stream.shard_ids[0]
        for i in range(5):
            r.stream.put(str(i))
        p = r.poller()

        async def body() -> None:
            await eventually(lambda: len(r.target.datas()) == 5)
            r.stream.split(parent)
            await eventually(lambda: any(e["isFinalInvokeForWindow"] for e in r.target.events))

        await running(p, body)
        mine = [e for e in r.target.events if e["shardId"] == parent]
        assert [len(e["Records"]) for e in mine] == [2, 2, 1, 0]
        assert [e["state"] for e in mine] == [{}, {"n": 2}, {"n": 4}, {"n": 5}]
        assert mine[-1]["isFinalInvokeForWindow"] and mine[-1]["isWindowTerminatedEarly"]
        assert r.repo.rows[("u1", parent)].finished

    asyncio.run(main())


def test_an_error_ends_run_as_itself_and_the_next_run_reports_recovery() -> None:
    async def main() -> None:
        from ovis.supervisor import Supervisor

        class Flaky(FakeStream):
            fail = 1

            async def read(self, arn: str, shard_id: str, after: str, limit: int, max_bytes: int):  # type: ignore[no-untyped-def]
                if self.fail:
                    self.fail -= 1
                    raise OSError("disk hiccup")
                return await super().read(arn, shard_id, after, limit, max_bytes)

        r = rig()
        r.stream = Flaky()
        r.stream.put("x")
        p = r.poller()
        errors: list[BaseException] = []
        sup = Supervisor(backoff_s=(0.01, 0.01))
        original = sup._fail

        def fail(name: str, error: BaseException | str) -> float:
            errors.append(error)  # type: ignore[arg-type]
            return original(name, error)

        sup._fail = fail  # type: ignore[method-assign]
        sup.loop("esm:u1", p.run)
        await eventually(lambda: r.target.datas() == ["x"])
        assert [type(e) for e in errors] == [OSError]  # the error itself, not a task group
        assert sup.health()["status"] == "ok"  # the next run succeeded: healthy again
        await sup.close()
        await p.close()

    asyncio.run(main())
