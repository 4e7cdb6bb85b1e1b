"""Kinesis event source mappings end to end: boto3 against a live server, real Python functions
that report every invocation to an SQS queue of the same server.

Covers: TRIM_HORIZON / LATEST / AT_TIMESTAMP, order per shard, batching and the batching
window, the record shape, retries then the OnFailure record in an SQS queue (or an SNS topic),
bisect isolating a bad record, partial batch responses, resharding order, ParallelizationFactor
order per key, tumbling windows with state, filters, disable / re-enable without loss, and a
kill -9 of the server mid-stream resuming from the checkpoint.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ACCOUNT, REGION, ServerProcess, create_python_function, start_server

# Every invocation is reported to LOG_QUEUE (a durable queue of the same server) before the
# handler decides its result, so tests see retries too. MODE picks the behaviour:
#   fail     records whose data contains "bad" fail the invocation
#   partial  records containing "bad" are reported failed unless first in the batch
#   tumbling the state counts records, per window
HANDLER = """
import base64, json, os, time
import boto3

SQS = boto3.client("sqs")
URL = os.environ["LOG_QUEUE"]
MODE = os.environ.get("MODE", "")

def handler(event, context):
    t = time.time()
    recs = event.get("Records", [])
    datas = [base64.b64decode(r["kinesis"]["data"]).decode() for r in recs]
    report = {"t": t, "rid": context.aws_request_id, "datas": datas,
              "seqs": [r["kinesis"]["sequenceNumber"] for r in recs],
              "shards": [r["eventID"].split(":")[0] for r in recs],
              "event": {k: v for k, v in event.items() if k != "Records"},
              "first": recs[0] if recs else None}
    SQS.send_message(QueueUrl=URL, MessageBody=json.dumps(report))
    if MODE == "fail" and any("bad" in d for d in datas):
        raise RuntimeError("bad record")
    if MODE == "partial":
        failed = [r["kinesis"]["sequenceNumber"] for i, (r, d) in enumerate(zip(recs, datas))
                  if "bad" in d and i > 0]
        return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}
    if MODE == "tumbling":
        state = dict(event.get("state") or {})
        state["n"] = state.get("n", 0) + len(recs)
        return {"state": state}
    return {"ok": len(recs)}
"""


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class World:
    """One server's clients and helpers: streams, the report queue, functions, mappings."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.lam: Any = server.client("lambda")
        self.kin: Any = server.client("kinesis")
        self.sqs: Any = server.client("sqs")

    def stream(self, shards: int = 1) -> tuple[str, str]:
        name = uniq("esk")
        self.kin.create_stream(StreamName=name, ShardCount=shards)
        self.kin.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
        arn = self.kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
            "StreamARN"
        ]
        return name, str(arn)

    def queue(self) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=uniq("eskq"))["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        return str(url), str(arn)

    def function(self, log_url: str, mode: str = "") -> str:
        name = uniq("eskfn")
        create_python_function(
            self.lam,
            name,
            HANDLER,
            Timeout=30,
            Environment={"Variables": {"LOG_QUEUE": log_url, "MODE": mode}},
        )
        return name

    def mapping(self, fn: str, stream_arn: str, **kw: Any) -> str:
        kw.setdefault("StartingPosition", "TRIM_HORIZON")
        got = self.lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=stream_arn, **kw)
        self.wait_state(got["UUID"], "Enabled" if kw.get("Enabled", True) else "Disabled")
        return str(got["UUID"])

    def wait_state(self, mapping_uuid: str, state: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while self.lam.get_event_source_mapping(UUID=mapping_uuid)["State"] != state:
            assert time.monotonic() < deadline, f"mapping never {state}"
            time.sleep(0.02)

    def put(self, stream: str, data: str, key: str = "k", **kw: Any) -> str:
        got = self.kin.put_record(StreamName=stream, Data=data.encode(), PartitionKey=key, **kw)
        return str(got["SequenceNumber"])

    def put_many(self, stream: str, items: list[tuple[str, str]]) -> list[str]:
        got = self.kin.put_records(
            StreamName=stream,
            Records=[{"Data": d.encode(), "PartitionKey": k} for d, k in items],
        )
        assert got["FailedRecordCount"] == 0
        return [str(r["SequenceNumber"]) for r in got["Records"]]

    def drain(self, url: str, seen: list[dict[str, Any]]) -> None:
        got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        msgs = got.get("Messages", [])
        for m in msgs:
            seen.append(json.loads(m["Body"]))
        if msgs:
            self.sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)
                ],
            )

    def reports(
        self,
        url: str,
        until: Callable[[list[dict[str, Any]]], bool],
        timeout: float = 30,
        seen: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Reports read from the queue (sorted by time) until ``until(reports)`` holds."""
        seen = [] if seen is None else seen
        deadline = time.monotonic() + timeout
        while True:
            self.drain(url, seen)
            seen.sort(key=lambda r: r.get("t", 0))
            if until(seen):
                return seen
            assert time.monotonic() < deadline, f"timed out; got {json.dumps(seen)[:2000]}"
            time.sleep(0.02)


def datas(reports: list[dict[str, Any]]) -> list[str]:
    return [d for r in reports for d in r["datas"]]


@pytest.fixture(scope="module")
def w(server: ServerProcess) -> World:
    return World(server)


def test_trim_horizon_delivers_in_order_with_lambdas_record_shape(w: World) -> None:
    stream, arn = w.stream()
    log_url, _ = w.queue()
    fn = w.function(log_url)
    first = w.put(stream, "hello", key="pk-1")
    seqs = [first, *w.put_many(stream, [(f"r{i}", f"k{i}") for i in range(20)])]
    w.mapping(fn, arn, BatchSize=100)
    seqs += [w.put(stream, f"after{i}") for i in range(3)]
    got = w.reports(log_url, lambda rs: len(datas(rs)) >= 24)
    assert datas(got) == ["hello"] + [f"r{i}" for i in range(20)] + [f"after{i}" for i in range(3)]
    assert [s for r in got for s in r["seqs"]] == seqs
    rec = got[0]["first"]
    shard = w.kin.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    arrival = rec["kinesis"].pop("approximateArrivalTimestamp")
    assert isinstance(arrival, float) and abs(arrival - time.time()) < 60
    assert rec == {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "pk-1",
            "sequenceNumber": first,
            "data": base64.b64encode(b"hello").decode(),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard}:{first}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/lambda-role",
        "awsRegion": REGION,
        "eventSourceARN": arn,
    }
    assert got[0]["event"] == {}  # nothing but Records without tumbling windows


def test_latest_and_at_timestamp_starting_positions(w: World) -> None:
    stream, arn = w.stream()
    log_url, _ = w.queue()
    fn = w.function(log_url)
    w.put(stream, "old")
    w.mapping(fn, arn, StartingPosition="LATEST")
    w.put(stream, "new")
    assert datas(w.reports(log_url, lambda rs: len(datas(rs)) >= 1)) == ["new"]

    stream2, arn2 = w.stream()
    log2, _ = w.queue()
    fn2 = w.function(log2)
    w.put(stream2, "before")
    shard = w.kin.list_shards(StreamName=stream2)["Shards"][0]["ShardId"]
    it = w.kin.get_shard_iterator(
        StreamName=stream2, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )
    t0 = w.kin.get_records(ShardIterator=it["ShardIterator"])["Records"][0][
        "ApproximateArrivalTimestamp"
    ].timestamp()
    while time.time() < t0 + 0.005:  # the next record must arrive in a later millisecond
        pass
    w.put(stream2, "at")
    w.put(stream2, "later")
    it = w.kin.get_shard_iterator(
        StreamName=stream2, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )
    at = w.kin.get_records(ShardIterator=it["ShardIterator"])["Records"][1][
        "ApproximateArrivalTimestamp"
    ]
    w.mapping(fn2, arn2, StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=at)
    assert datas(w.reports(log2, lambda rs: len(datas(rs)) >= 2)) == ["at", "later"]


def test_batch_size_and_batching_window(w: World) -> None:
    stream, arn = w.stream()
    log_url, _ = w.queue()
    fn = w.function(log_url)
    w.put_many(stream, [(str(i), "k") for i in range(12)])
    w.mapping(fn, arn, BatchSize=5)
    got = w.reports(log_url, lambda rs: len(datas(rs)) >= 12)
    assert [len(r["datas"]) for r in got] == [5, 5, 2]

    stream2, arn2 = w.stream()
    log2, _ = w.queue()
    fn2 = w.function(log2)
    w.mapping(fn2, arn2, BatchSize=100, MaximumBatchingWindowInSeconds=2)
    start = time.monotonic()
    for i in range(4):
        w.put(stream2, f"w{i}")
    got = w.reports(log2, lambda rs: len(datas(rs)) >= 4)
    assert [len(r["datas"]) for r in got] == [4]
    assert time.monotonic() - start >= 1.5  # the batch waited for the window


def test_retries_then_the_on_failure_record_in_an_sqs_queue(w: World) -> None:
    stream, arn = w.stream()
    log_url, _ = w.queue()
    dlq_url, dlq_arn = w.queue()
    fn = w.function(log_url, mode="fail")
    seq = w.put(stream, "bad")
    w.mapping(
        fn,
        arn,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    seen = w.reports(log_url, lambda rs: len(rs) >= 1)  # "good" must not join bad's batch
    w.put(stream, "good")
    got = w.reports(log_url, lambda rs: "good" in datas(rs), seen=seen)
    assert datas(got) == ["bad", "bad", "bad", "good"]  # the attempt and two retries, in order
    failures = w.reports(dlq_url, lambda rs: len(rs) >= 1)
    rec = failures[0]
    shard = w.kin.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    assert rec["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert rec["requestContext"]["approximateInvokeCount"] == 3
    assert rec["requestContext"]["functionArn"].endswith(f":function:{fn}")
    assert rec["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert rec["version"] == "1.0" and rec["timestamp"].endswith("Z")
    info = rec["KinesisBatchInfo"]
    assert (info["shardId"], info["startSequenceNumber"], info["endSequenceNumber"]) == (
        shard,
        seq,
        seq,
    )
    assert info["batchSize"] == 1 and info["streamArn"] == arn
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")


def test_the_on_failure_record_can_go_to_an_sns_topic(w: World) -> None:
    sns: Any = w.server.client("sns")
    topic = sns.create_topic(Name=uniq("eskt"))["TopicArn"]
    sub_url, sub_arn = w.queue()
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=sub_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    stream, arn = w.stream()
    log_url, _ = w.queue()
    fn = w.function(log_url, mode="fail")
    seq = w.put(stream, "bad")
    w.mapping(
        fn, arn, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": topic}}
    )
    rec = w.reports(sub_url, lambda rs: len(rs) >= 1)[0]
    assert rec["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert rec["KinesisBatchInfo"]["startSequenceNumber"] == seq


def test_bisect_isolates_one_bad_record(w: World) -> None:
    stream, arn = w.stream()
    log_url, _ = w.queue()
    dlq_url, dlq_arn = w.queue()
    fn = w.function(log_url, mode="fail")
    seqs = w.put_many(stream, [(d, "k") for d in ["a", "b", "c", "bad", "d", "e", "f", "g"]])
    w.mapping(
        fn,
        arn,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    rec = w.reports(dlq_url, lambda rs: len(rs) >= 1)[0]
    info = rec["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        seqs[3],
        seqs[3],
        1,
    )
    got = w.reports(log_url, lambda rs: "g" in datas(rs))
    ok = [d for r in got if "bad" not in r["datas"] for d in r["datas"]]
    assert ok == ["a", "b", "c", "d", "e", "f", "g"]  # every good record once, in order


def test_partial_batch_response_retries_from_the_lowest_failure(w: World) -> None:
    stream, arn = w.stream()
    log_url, _ = w.queue()
    fn = w.function(log_url, mode="partial")
    w.put_many(stream, [(d, "k") for d in ["a", "b", "bad1", "c", "bad2"]])
    w.mapping(fn, arn, FunctionResponseTypes=["ReportBatchItemFailures"])
    got = w.reports(log_url, lambda rs: len(rs) >= 3)
    assert [r["datas"] for r in got[:3]] == [
        ["a", "b", "bad1", "c", "bad2"],
        ["bad1", "c", "bad2"],
        ["bad2"],
    ]


def test_children_of_a_split_are_read_after_the_parent(w: World) -> None:
    stream, arn = w.stream()
    log_url, _ = w.queue()
    fn = w.function(log_url)
    w.put_many(stream, [(f"p{i}", f"k{i}") for i in range(10)])
    parent = w.kin.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    w.kin.split_shard(StreamName=stream, ShardToSplit=parent, NewStartingHashKey=str(2**127))
    deadline = time.monotonic() + 10
    while (
        w.kin.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamStatus"]
        != "ACTIVE"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    w.put_many(stream, [(f"c{i}", f"k{i}") for i in range(10)])
    w.mapping(fn, arn, BatchSize=3)
    got = w.reports(log_url, lambda rs: len(datas(rs)) >= 20)
    order = datas(got)
    assert order[:10] == [f"p{i}" for i in range(10)]
    assert sorted(order[10:]) == sorted(f"c{i}" for i in range(10))
    assert parent not in {s for r in got[4:] for s in r["shards"]}


def test_parallelization_factor_keeps_order_per_partition_key(w: World) -> None:
    stream, arn = w.stream()
    log_url, _ = w.queue()
    fn = w.function(log_url)
    items = [(f"{i % 8}:{i}", f"key{i % 8}") for i in range(80)]
    w.put_many(stream, items)
    w.mapping(fn, arn, ParallelizationFactor=4, BatchSize=4)
    got = w.reports(log_url, lambda rs: len(datas(rs)) >= 80)
    per_key: dict[str, list[int]] = {}
    for d in datas(got):
        k, i = d.split(":")
        per_key.setdefault(k, []).append(int(i))
    assert len(per_key) == 8
    assert all(v == sorted(v) and len(v) == 10 for v in per_key.values())
    # batches only ever hold keys of one lane
    assert max(len({d.split(":")[0] for d in r["datas"]}) for r in got) < 8


def test_tumbling_windows_carry_state_to_the_final_invocation(w: World) -> None:
    stream, arn = w.stream()
    log_url, _ = w.queue()
    fn = w.function(log_url, mode="tumbling")
    w.mapping(fn, arn, TumblingWindowInSeconds=1)
    for i in range(3):
        w.put(stream, f"t{i}")

    def by_window(rs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        windows: dict[str, list[dict[str, Any]]] = {}
        for r in rs:
            windows.setdefault(r["event"]["window"]["start"], []).append(r)
        return windows

    def all_final(rs: list[dict[str, Any]]) -> bool:
        ws = by_window(rs)
        return len(datas(rs)) == 3 and all(
            v[-1]["event"]["isFinalInvokeForWindow"] for v in ws.values()
        )

    got = w.reports(log_url, all_final)
    for invocations in by_window(got).values():
        n = 0
        for r in invocations:  # each invocation sees what the previous one of its window returned
            assert r["event"]["state"] == ({"n": n} if n else {})
            n += len(r["datas"])
        assert [r["event"]["isFinalInvokeForWindow"] for r in invocations][:-1] == [False] * (
            len(invocations) - 1
        )
    final = got[-1]["event"]
    assert final["shardId"].startswith("shardId-") and final["eventSourceARN"] == arn
    assert final["isWindowTerminatedEarly"] is False
    start_s, end_s = final["window"]["start"], final["window"]["end"]
    assert start_s.endswith("Z") and start_s < end_s


def test_filters_skip_records(w: World) -> None:
    stream, arn = w.stream()
    log_url, _ = w.queue()
    fn = w.function(log_url)
    w.mapping(
        fn, arn, FilterCriteria={"Filters": [{"Pattern": json.dumps({"data": {"keep": [True]}})}]}
    )
    w.put(stream, json.dumps({"keep": True, "i": 1}))
    w.put(stream, json.dumps({"keep": False, "i": 2}))
    w.put(stream, "plain text")
    w.put(stream, json.dumps({"keep": True, "i": 3}))
    got = w.reports(log_url, lambda rs: len(datas(rs)) >= 2)
    assert [json.loads(d)["i"] for d in datas(got)] == [1, 3]


def test_disable_and_re_enable_resume_without_loss(w: World) -> None:
    stream, arn = w.stream()
    log_url, _ = w.queue()
    fn = w.function(log_url)
    uid = w.mapping(fn, arn)
    w.put_many(stream, [(f"a{i}", "k") for i in range(5)])
    seen = w.reports(log_url, lambda rs: len(datas(rs)) >= 5)
    w.lam.update_event_source_mapping(UUID=uid, Enabled=False)
    w.wait_state(uid, "Disabled")
    w.put_many(stream, [(f"b{i}", "k") for i in range(5)])
    w.lam.update_event_source_mapping(UUID=uid, Enabled=True)
    w.wait_state(uid, "Enabled")
    got = w.reports(log_url, lambda rs: len(datas(rs)) >= 10, seen=seen)
    assert datas(got) == [f"a{i}" for i in range(5)] + [f"b{i}" for i in range(5)]
    w.lam.delete_event_source_mapping(UUID=uid)


def test_kill_9_mid_stream_resumes_from_the_checkpoint(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data")
    try:
        w = World(srv)
        stream, arn = w.stream()
        log_url, _ = w.queue()
        fn = w.function(log_url)
        w.mapping(fn, arn, BatchSize=10)
        sent = [f"r{i}" for i in range(300)]
        for chunk in range(0, 300, 50):
            w.put_many(stream, [(d, "k") for d in sent[chunk : chunk + 50]])
        seen = w.reports(log_url, lambda rs: len(datas(rs)) >= 30)
        os.killpg(srv.proc.pid, signal.SIGKILL)
        srv.proc.wait(10)
        srv = start_server(tmp_path / "data", port=srv.port)
        w = World(srv)
        got = w.reports(log_url, lambda rs: set(sent) <= set(datas(rs)), seen=seen, timeout=60)
        delivered = datas(got)
        assert set(delivered) == set(sent)  # nothing lost
        # resumed from the checkpoint: at most a few batches again, not the whole stream
        assert len(delivered) - len(sent) <= 100
    finally:
        srv.stop()
