"""SQS event source mappings end to end: boto3 against a live server, real Python functions that
record every event they get into a sink queue (or fail on purpose), AWS's semantics from
"Using Lambda with Amazon SQS": batching and the record shape, the batching window, filters,
success deletes, errors and redrive to the DLQ, ReportBatchItemFailures (partial and invalid),
FIFO group order with a failing group, a throttled function (reserved concurrency 1 under a
burst: every message processed, none in the DLQ), disable/enable and delete.

Visibility timeouts are a few seconds (the API requires them to cover the function timeout,
3 s by default), so retries come quickly.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ServerProcess, create_python_function

# Every event is sent to the SINK queue as {"t", "event"} before the handler decides (by MODE)
# what to answer: ok, fail when a body is "poison", report items failed on their first receive
# (bodies starting with "fail"), answer an invalid item-failure response on first receives, or
# sleep SLOW seconds (to hold the concurrency slot).
RECORDER = """
import boto3, json, os, time
SQS = boto3.client("sqs")
SINK = os.environ["SINK"]
MODE = os.environ.get("MODE", "ok")

def handler(event, context):
    SQS.send_message(QueueUrl=SINK, MessageBody=json.dumps({"t": time.time(), "event": event}))
    recs = event.get("Records", [])
    if MODE == "poison" and any(r["body"] == "poison" for r in recs):
        raise RuntimeError("poison message")
    first = [r for r in recs if r["attributes"]["ApproximateReceiveCount"] == "1"]
    if MODE == "fail_first":
        bad = [r["messageId"] for r in first if r["body"].startswith("fail")]
        return {"batchItemFailures": [{"itemIdentifier": i} for i in bad]}
    if MODE == "invalid_first" and first:
        return {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}
    if MODE == "slow":
        time.sleep(float(os.environ.get("SLOW", "0.2")))
    return {"ok": len(recs)}
"""


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def sqs(server: ServerProcess):  # type: ignore[no-untyped-def]
    return server.client("sqs")


def new_queue(sqs, name: str | None = None, **attributes: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(url, arn) of a new queue."""
    fifo = attributes.get("FifoQueue") == "true"
    name = name or uniq("esmsqs") + (".fifo" if fifo else "")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return str(url), str(arn)


class Sink:
    """The events a recorder function got, in the order it got them."""

    def __init__(self, sqs) -> None:  # type: ignore[no-untyped-def]
        self.sqs = sqs
        self.url, _ = new_queue(sqs)
        self.got: list[dict[str, Any]] = []

    def poll(self) -> list[dict[str, Any]]:
        r = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        msgs = r.get("Messages", [])
        if msgs:
            self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in
                         enumerate(msgs)],
            )  # fmt: skip
            self.got.extend(json.loads(m["Body"]) for m in msgs)
            self.got.sort(key=lambda e: e["t"])
        return self.got

    def events(self) -> list[dict[str, Any]]:
        return [g["event"] for g in self.got]

    def records(self) -> list[dict[str, Any]]:
        return [r for e in self.events() for r in e["Records"]]

    def bodies(self) -> list[str]:
        return [r["body"] for r in self.records()]

    def wait(self, cond: Callable[[Sink], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not cond(self):
            assert time.monotonic() < deadline, f"sink has {self.bodies()}"
            self.poll()


def recorder(lam, sink: Sink, mode: str = "ok", **kw: Any) -> str:  # type: ignore[no-untyped-def]
    name = uniq("esmrec")
    env = {"SINK": sink.url, "MODE": mode, **kw.pop("env", {})}
    create_python_function(lam, name, RECORDER, Environment={"Variables": env}, **kw)
    return name


def wait_state(lam, mid: str, state: str, timeout: float = 15) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        got: dict[str, Any] = lam.get_event_source_mapping(UUID=mid)
        if got["State"] == state:
            return got
        assert time.monotonic() < deadline, f"still {got['State']}, not {state}"
        time.sleep(0.02)


def mapping(lam, fn: str, arn: str, **kw: Any) -> str:  # type: ignore[no-untyped-def]
    mid = str(lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=arn, **kw)["UUID"])
    if kw.get("Enabled", True):
        wait_state(lam, mid, "Enabled")
    return mid


def counts(sqs, url: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    a = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


def wait_drained(sqs, url: str, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while counts(sqs, url) != (0, 0):
        assert time.monotonic() < deadline, f"queue still holds {counts(sqs, url)}"
        time.sleep(0.05)


def send(sqs, url: str, *bodies: str, **kw: Any) -> None:  # type: ignore[no-untyped-def]
    for i in range(0, len(bodies), 10):
        entries = [{"Id": str(j), "MessageBody": b, **kw} for j, b in enumerate(bodies[i : i + 10])]
        r = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        assert not r.get("Failed")


def dlq_for(sqs, max_receives: int, **attributes: str) -> tuple[tuple[str, str], tuple[str, str]]:  # type: ignore[no-untyped-def]
    """((queue url, arn), (dlq url, arn)): a queue whose redrive policy points at a new DLQ."""
    dlq = new_queue(sqs)
    policy = json.dumps({"deadLetterTargetArn": dlq[1], "maxReceiveCount": max_receives})
    return new_queue(sqs, RedrivePolicy=policy, **attributes), dlq


# ---- batching, the record shape, the window ------------------------------------------------


def test_batches_carry_lambdas_sqs_records_and_success_deletes(lam, sqs) -> None:  # type: ignore[no-untyped-def]
    sink = Sink(sqs)
    fn = recorder(lam, sink)
    url, arn = new_queue(sqs)
    sqs.send_message(
        QueueUrl=url,
        MessageBody="with attributes",
        MessageAttributes={
            "s": {"DataType": "String", "StringValue": "v"},
            "b": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
        },
    )
    send(sqs, url, *[f"m{i}" for i in range(11)])
    mid = mapping(lam, fn, arn, BatchSize=5)
    sink.wait(lambda s: len(s.bodies()) >= 12)
    wait_drained(sqs, url)
    assert sorted(sink.bodies()) == sorted(["with attributes", *[f"m{i}" for i in range(11)]])
    assert all(1 <= len(e["Records"]) <= 5 for e in sink.events())
    rec = next(r for r in sink.records() if r["body"] == "with attributes")
    sent = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    assert rec["eventSource"] == "aws:sqs"
    assert rec["eventSourceARN"] == sent["Attributes"]["QueueArn"] == arn
    assert rec["awsRegion"] == "us-east-1"
    assert set(rec["attributes"]) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert rec["attributes"]["ApproximateReceiveCount"] == "1"
    assert rec["messageAttributes"] == {
        "s": {"stringValue": "v", "stringListValues": [], "binaryListValues": [],
              "dataType": "String"},
        "b": {"binaryValue": "AQI=", "stringListValues": [], "binaryListValues": [],
              "dataType": "Binary"},
    }  # fmt: skip
    assert len(rec["md5OfMessageAttributes"]) == 32 and len(rec["md5OfBody"]) == 32
    plain = next(r for r in sink.records() if r["body"] == "m0")
    assert plain["messageAttributes"] == {} and "md5OfMessageAttributes" not in plain
    got = wait_state(lam, mid, "Enabled")
    assert got["LastProcessingResult"] == "OK"


def test_the_batching_window_waits_for_a_fuller_batch(lam, sqs) -> None:  # type: ignore[no-untyped-def]
    sink = Sink(sqs)
    fn = recorder(lam, sink)
    url, arn = new_queue(sqs)
    mapping(
        lam,
        fn,
        arn,
        BatchSize=50,
        MaximumBatchingWindowInSeconds=2,
        ScalingConfig={"MaximumConcurrency": 2},
    )
    sent_at = time.time()
    send(sqs, url, "a", "b", "c")
    sink.wait(lambda s: len(s.bodies()) >= 3)
    # Not full: the batch waited its window before the invocation.
    assert sorted(sink.bodies()) == ["a", "b", "c"]
    assert min(g["t"] for g in sink.got) >= sent_at + 1.8
    # A full batch goes at once, whatever the window.
    fn2 = recorder(lam, sink2 := Sink(sqs))
    url2, arn2 = new_queue(sqs)
    send(sqs, url2, *[f"x{i}" for i in range(10)])
    mapping(lam, fn2, arn2, BatchSize=10, MaximumBatchingWindowInSeconds=60)
    sink2.wait(lambda s: len(s.bodies()) >= 10, timeout=30)
    assert [len(e["Records"]) for e in sink2.events()] == [10]


def test_filters_delete_what_they_do_not_keep(lam, sqs) -> None:  # type: ignore[no-untyped-def]
    sink = Sink(sqs)
    fn = recorder(lam, sink)
    url, arn = new_queue(sqs)
    bodies = [json.dumps({"kind": "keep" if i % 3 == 0 else "drop", "i": i}) for i in range(9)]
    send(sqs, url, *bodies, "not json")
    mapping(lam, fn, arn, FilterCriteria={"Filters": [{"Pattern": '{"body": {"kind": ["keep"]}}'}]})
    wait_drained(sqs, url)
    sink.wait(lambda s: len(s.bodies()) >= 3)
    assert sorted(json.loads(b)["i"] for b in sink.bodies()) == [0, 3, 6]


# ---- errors ------------------------------------------------------------------------------


def test_function_errors_return_messages_and_redrive_moves_the_poison_one(lam, sqs) -> None:  # type: ignore[no-untyped-def]
    sink = Sink(sqs)
    fn = recorder(lam, sink, "poison")
    (url, arn), (dlq_url, _) = dlq_for(sqs, 2, VisibilityTimeout="3")
    send(sqs, url, "ok1", "poison", "ok2")
    mapping(lam, fn, arn, BatchSize=1)
    deadline = time.monotonic() + 40
    moved: list[dict[str, Any]] = []
    while not moved:
        assert time.monotonic() < deadline, "the poison message never reached the DLQ"
        moved = sqs.receive_message(
            QueueUrl=dlq_url, WaitTimeSeconds=1, AttributeNames=["All"]
        ).get("Messages", [])
    assert moved[0]["Body"] == "poison"
    wait_drained(sqs, url)
    sink.wait(lambda s: s.bodies().count("poison") >= 2)
    assert sorted(b for b in sink.bodies() if b != "poison") == ["ok1", "ok2"]
    assert sink.bodies().count("poison") == 2  # maxReceiveCount invocations, then the DLQ


def test_report_batch_item_failures_retries_only_the_reported(lam, sqs) -> None:  # type: ignore[no-untyped-def]
    sink = Sink(sqs)
    fn = recorder(lam, sink, "fail_first")
    url, arn = new_queue(sqs, VisibilityTimeout="3")
    send(sqs, url, "a", "fail-b", "c", "fail-d", "e")
    mapping(lam, fn, arn, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"],
            ScalingConfig={"MaximumConcurrency": 2})  # fmt: skip
    wait_drained(sqs, url, timeout=40)
    sink.wait(lambda s: len(s.bodies()) >= 7)
    assert sorted(sink.bodies()) == sorted(["a", "c", "e", "fail-b", "fail-b", "fail-d", "fail-d"])
    again = [r for r in sink.records() if r["attributes"]["ApproximateReceiveCount"] == "2"]
    assert sorted(r["body"] for r in again) == ["fail-b", "fail-d"]


def test_an_invalid_item_failure_response_fails_the_whole_batch(lam, sqs) -> None:  # type: ignore[no-untyped-def]
    sink = Sink(sqs)
    fn = recorder(lam, sink, "invalid_first")
    url, arn = new_queue(sqs, VisibilityTimeout="3")
    send(sqs, url, "a", "b", "c")
    mapping(lam, fn, arn, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"],
            ScalingConfig={"MaximumConcurrency": 2})  # fmt: skip
    wait_drained(sqs, url, timeout=40)
    sink.wait(lambda s: len(s.bodies()) >= 6)
    by_count = sorted((r["attributes"]["ApproximateReceiveCount"], r["body"]) for r in
                      sink.records())  # fmt: skip
    assert by_count == [("1", "a"), ("1", "b"), ("1", "c"), ("2", "a"), ("2", "b"), ("2", "c")]


# ---- FIFO --------------------------------------------------------------------------------


def test_fifo_order_per_group_with_a_failing_group(lam, sqs) -> None:  # type: ignore[no-untyped-def]
    sink = Sink(sqs)
    fn = recorder(lam, sink, "fail_first")
    url, arn = new_queue(sqs, FifoQueue="true", VisibilityTimeout="3")
    entries = [
        {"Id": f"{g}{i}", "MessageBody": (f"fail-{g}{i}" if (g, i) == ("A", 2) else f"{g}{i}"),
         "MessageGroupId": g, "MessageDeduplicationId": f"{g}{i}"}
        for i in range(1, 5)
        for g in ("A", "B")
    ]  # fmt: skip
    sqs.send_message_batch(QueueUrl=url, Entries=entries)
    mapping(lam, fn, arn, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    wait_drained(sqs, url, timeout=40)
    sink.wait(lambda s: len(s.bodies()) >= 11)
    a = [b for b in sink.bodies() if "A" in b]
    b = [x for x in sink.bodies() if "B" in x]
    # A2 failed: A3 and A4 (reported successes after it) came again with it, in order.
    assert a == ["A1", "fail-A2", "A3", "A4", "fail-A2", "A3", "A4"]
    assert b == ["B1", "B2", "B3", "B4"]  # the other group was not held back
    assert all(r["attributes"]["MessageGroupId"] in ("A", "B") for r in sink.records())
    assert all("SequenceNumber" in r["attributes"] for r in sink.records())


# ---- throttles ---------------------------------------------------------------------------


def test_a_throttled_function_loses_nothing(lam, sqs) -> None:  # type: ignore[no-untyped-def]
    sink = Sink(sqs)
    fn = recorder(lam, sink, "slow", env={"SLOW": "0.3"}, Timeout=3)
    lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=1)
    # maxReceiveCount 1: a message received a second time would go to the DLQ at once.
    (url, arn), (dlq_url, _) = dlq_for(sqs, 1, VisibilityTimeout="3")
    send(sqs, url, *[f"m{i}" for i in range(20)])
    # A burst of direct invocations competes for the one concurrency slot for longer than the
    # visibility timeout: held batches must stay hidden (and not count receives) meanwhile.
    stop = threading.Event()
    throttled = 0
    burst_until = time.monotonic() + 6

    def burst() -> None:
        nonlocal throttled
        while not stop.is_set() and time.monotonic() < burst_until:
            try:
                lam.invoke(FunctionName=fn, Payload=b'{"Records": []}')
            except ClientError as e:
                assert e.response["Error"]["Code"] == "TooManyRequestsException"
                throttled += 1

    threads = [threading.Thread(target=burst) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        mid = mapping(lam, fn, arn, BatchSize=2)
        while not lam.get_event_source_mapping(UUID=mid)["LastProcessingResult"].startswith(
            "PROBLEM"
        ):  # the mapping's invocations are throttled
            assert time.monotonic() < burst_until, "the mapping was never throttled"
            time.sleep(0.05)
        sink.wait(lambda s: len(s.bodies()) >= 20, timeout=60)
    finally:
        stop.set()
        for t in threads:
            t.join()
    wait_drained(sqs, url)
    assert sorted(sink.bodies()) == sorted(f"m{i}" for i in range(20))
    assert counts(sqs, dlq_url) == (0, 0)
    assert {r["attributes"]["ApproximateReceiveCount"] for r in sink.records()} == {"1"}
    assert throttled > 0  # the slot really was contended
    assert wait_state(lam, mid, "Enabled")["LastProcessingResult"] == "OK"


# ---- disable, enable, delete -------------------------------------------------------------


def test_disable_enable_and_delete(lam, sqs) -> None:  # type: ignore[no-untyped-def]
    sink = Sink(sqs)
    fn = recorder(lam, sink)
    url, arn = new_queue(sqs)
    mid = mapping(lam, fn, arn)
    send(sqs, url, "first")
    sink.wait(lambda s: s.bodies() == ["first"])
    # deleted before the disable: a batch cut short by a disable comes again (at least once)
    wait_drained(sqs, url)
    lam.update_event_source_mapping(UUID=mid, Enabled=False)
    wait_state(lam, mid, "Disabled")
    send(sqs, url, "while disabled")
    time.sleep(1.0)  # the scenario itself: nothing may read the queue for a while
    assert counts(sqs, url) == (1, 0)
    lam.update_event_source_mapping(UUID=mid, Enabled=True)
    wait_state(lam, mid, "Enabled")
    sink.wait(lambda s: s.bodies() == ["first", "while disabled"])
    wait_drained(sqs, url)
    lam.delete_event_source_mapping(UUID=mid)
    deadline = time.monotonic() + 15
    while lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    send(sqs, url, "after delete")
    time.sleep(1.0)
    assert counts(sqs, url) == (1, 0)
    assert sink.poll() and sink.bodies() == ["first", "while disabled"]
