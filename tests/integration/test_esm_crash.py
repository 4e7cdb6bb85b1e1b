"""Event source mappings survive kill -9: 2,000 Kinesis records over 4 shards (8 partition keys,
ParallelizationFactor 2) and 2,000 SQS messages, with three kill -9s of the server at random
moments while they are produced and processed. After the last restart every acknowledged item
is processed at least once, the order per partition key holds, and duplicates are counted.

The function reports what it saw to two output queues: a FIFO queue with one message group per
partition key (so the order the function saw each key's records is the order we read them), and a
standard queue for the SQS items (whose order SQS does not promise)."""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tests.conftest import ServerProcess, create_python_function, make_client, start_server

KEYS = [f"key-{k}" for k in range(8)]
RECORDS = 2000
MESSAGES = 2000
KILLS = 3

HANDLER = """
import json, os, uuid
import boto3

sqs = boto3.client("sqs")
ORDERED = os.environ["ORDERED_URL"]
ITEMS = os.environ["ITEMS_URL"]


def send(url, entries):
    for i in range(0, len(entries), 10):
        out = sqs.send_message_batch(QueueUrl=url, Entries=entries[i : i + 10])
        if out.get("Failed"):
            raise RuntimeError(f"send failed: {out['Failed']}")


def handler(event, context):
    by_key = {}
    sqs_ids = []
    for r in event["Records"]:
        if r["eventSource"] == "aws:kinesis":
            import base64
            doc = json.loads(base64.b64decode(r["kinesis"]["data"]))
            by_key.setdefault(doc["key"], []).append(doc["n"])
        else:
            sqs_ids.append(json.loads(r["body"])["id"])
    entries = [
        {"Id": str(i), "MessageBody": json.dumps({"key": k, "ns": ns}),
         "MessageGroupId": k, "MessageDeduplicationId": uuid.uuid4().hex}
        for i, (k, ns) in enumerate(by_key.items())
    ]
    send(ORDERED, entries)
    if sqs_ids:
        send(ITEMS, [{"Id": "0", "MessageBody": json.dumps(sqs_ids)}])
    return {}
"""


def _retrying(call: Any, deadline: float) -> Any:
    """Call until the server answers (it may be down between a kill and its restart)."""
    while True:
        try:
            return call()
        except (BotoCoreError, ClientError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Cluster:
    """The server under test, restarted on its port and data directory after each kill."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.srv: ServerProcess = start_server(data)
        self.lock = threading.Lock()

    def client(self, service: str) -> Any:
        cfg = Config(retries={"max_attempts": 1}, read_timeout=30, connect_timeout=2)
        return make_client(self.srv.url, service, config=cfg)

    def kill_and_restart(self) -> None:
        with self.lock:
            os.killpg(self.srv.proc.pid, signal.SIGKILL)
            self.srv.proc.wait()
            self.srv = start_server(self.data, port=self.srv.port)


@pytest.mark.timeout(600)
def test_mappings_lose_nothing_across_three_kill_9s(tmp_path: Path) -> None:
    rnd = random.Random(int(os.environ.get("OVIS_CRASH_SEED", time.time())))
    c = Cluster(tmp_path / "data")
    try:
        _run(c, rnd)
    finally:
        c.srv.stop()


def _run(c: Cluster, rnd: random.Random) -> None:
    lam, sqs, kin = c.client("lambda"), c.client("sqs"), c.client("kinesis")
    ordered = sqs.create_queue(QueueName="seen-ordered.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    items = sqs.create_queue(QueueName="seen-items")["QueueUrl"]
    source = sqs.create_queue(QueueName="source", Attributes={"VisibilityTimeout": "4"})["QueueUrl"]
    source_arn = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    kin.create_stream(StreamName="crash", ShardCount=4)
    stream_arn = kin.describe_stream_summary(StreamName="crash")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    create_python_function(
        lam,
        "crash-consumer",
        HANDLER,
        Timeout=3,
        Environment={"Variables": {"ORDERED_URL": ordered, "ITEMS_URL": items}},
    )
    lam.create_event_source_mapping(
        FunctionName="crash-consumer",
        EventSourceArn=stream_arn,
        StartingPosition="TRIM_HORIZON",
        BatchSize=50,
        ParallelizationFactor=2,
    )
    lam.create_event_source_mapping(
        FunctionName="crash-consumer", EventSourceArn=source_arn, BatchSize=10
    )

    acked_records: set[tuple[str, int]] = set()
    acked_messages: set[int] = set()
    deadline = time.monotonic() + 300

    def produce() -> None:
        counters = dict.fromkeys(KEYS, 0)
        pending: list[tuple[str, int]] = []
        for _ in range(RECORDS):
            k = rnd.choice(KEYS)
            pending.append((k, counters[k]))
            counters[k] += 1
        # Per key in order: a batch is re-sent until acknowledged (an unacknowledged batch may
        # have been stored: re-sending makes duplicates, which the reader tolerates).
        for i in range(0, RECORDS, 100):
            batch = pending[i : i + 100]
            entries = [
                {"Data": json.dumps({"key": k, "n": n}).encode(), "PartitionKey": k}
                for k, n in batch
            ]
            while True:
                try:
                    out = c.client("kinesis").put_records(StreamName="crash", Records=entries)
                except (BotoCoreError, ClientError, ConnectionError):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
                    continue
                if out["FailedRecordCount"] == 0:
                    acked_records.update(batch)
                    break
        for i in range(0, MESSAGES, 10):
            entries = [{"Id": str(j), "MessageBody": json.dumps({"id": i + j})} for j in range(10)]
            out = _retrying(
                lambda e=entries: c.client("sqs").send_message_batch(QueueUrl=source, Entries=e),
                deadline,
            )
            assert not out.get("Failed")
            acked_messages.update(i + j for j in range(10))

    producer = threading.Thread(target=produce)
    producer.start()
    for _ in range(KILLS):
        time.sleep(rnd.uniform(0.3, 2.0))  # a random moment: producing and/or processing
        c.kill_and_restart()
    producer.join()
    assert len(acked_records) == RECORDS and len(acked_messages) == MESSAGES

    seen: dict[str, list[int]] = defaultdict(list)
    seen_ids: Counter[int] = Counter()

    def drain(url: str, on_body: Any) -> None:
        client = c.client("sqs")
        while True:
            got = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            msgs = got.get("Messages", [])
            if not msgs:
                return
            for m in msgs:
                on_body(json.loads(m["Body"]))
            client.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)
                ],
            )

    def record_ordered(doc: dict[str, Any]) -> None:
        seen[doc["key"]].extend(doc["ns"])

    def record_items(ids: list[int]) -> None:
        seen_ids.update(ids)

    def complete() -> bool:
        drain(ordered, record_ordered)
        drain(items, record_items)
        records = {(k, n) for k, ns in seen.items() for n in ns}
        return acked_records <= records and acked_messages <= set(seen_ids)

    while not complete():
        assert time.monotonic() < deadline, "not every acknowledged item was processed"
        time.sleep(0.2)

    # Order per partition key: the first time each record was seen, records came in order.
    for k, ns in seen.items():
        first: list[int] = []
        known: set[int] = set()
        for n in ns:
            if n not in known:
                known.add(n)
                first.append(n)
        assert first == sorted(first), f"{k} out of order: {first[:50]}"
    duplicates = sum(len(ns) for ns in seen.values()) - len(acked_records)
    sqs_duplicates = sum(seen_ids.values()) - len(acked_messages)
    print(f"\nkinesis duplicates: {duplicates}, sqs duplicates: {sqs_duplicates}")
