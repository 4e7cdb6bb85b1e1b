"""Subscription delivery across a kill -9: events PutLogEvents accepted just before the kill
reach the subscribed function after the restart (the filter's cursor is durable and only
moves after the async invocation is queued): at least once, never lost."""

from __future__ import annotations

import json
import signal
import time
import uuid
from pathlib import Path
from typing import Any

from tests.conftest import ACCOUNT, REGION, create_python_function, start_server
from tests.integration.test_logs_api import wait_for

# B forwards each decoded awslogs document to a queue: durable where B's own log lines, still
# in the sink's memory at the kill, might not be.
FORWARDER = """
import base64, gzip, json, os
import boto3

sqs = boto3.client("sqs")

def handler(event, context):
    doc = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    sqs.send_message(QueueUrl=os.environ["QUEUE"], MessageBody=json.dumps(doc))
"""


def test_accepted_events_are_delivered_after_a_kill(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = start_server(data)
    try:
        lam, logs, sqs = srv.client("lambda"), srv.client("logs"), srv.client("sqs")
        queue = sqs.create_queue(QueueName="delivered")["QueueUrl"]
        b = f"forwarder-{uuid.uuid4().hex[:8]}"
        b_arn = create_python_function(
            lam, b, FORWARDER, Timeout=30, Environment={"Variables": {"QUEUE": queue}}
        )["FunctionArn"]
        group = "/app/crash"
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="s")
        lam.add_permission(
            FunctionName=b, StatementId="logs", Action="lambda:InvokeFunction",
            Principal="logs.amazonaws.com",
            SourceArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*",
        )  # fmt: skip
        logs.put_subscription_filter(
            logGroupName=group, filterName="all", filterPattern="", destinationArn=b_arn
        )
        now = int(time.time() * 1000)
        sent = [f"event {i}" for i in range(200)]
        for i in range(0, len(sent), 50):
            logs.put_log_events(
                logGroupName=group, logStreamName="s",
                logEvents=[{"timestamp": now, "message": m} for m in sent[i : i + 50]],
            )  # fmt: skip
    finally:
        srv.stop(signal.SIGKILL)

    srv = start_server(data)
    try:
        sqs = srv.client("sqs")
        got: set[str] = set()

        def received() -> set[str] | None:
            for m in sqs.receive_message(
                QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", []):
                doc: dict[str, Any] = json.loads(m["Body"])
                assert doc["logGroup"] == group and doc["subscriptionFilters"] == ["all"]
                got.update(ev["message"] for ev in doc["logEvents"])
            return got if got >= set(sent) else None

        assert wait_for(received) == set(sent)
    finally:
        srv.stop()
