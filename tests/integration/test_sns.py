"""SNS topics against a live server with boto3: fan-out to a function, a queue and an http
endpoint; filter policies; FIFO order; raw delivery; dead-letter queues; permissions; kill -9."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerProcess, create_python_function, start_server
from tests.integration.sns_endpoint import http_endpoint

SCALE = "0.01"  # SNS retry delays: 20 s -> 0.2 s


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = start_server(tmp_path_factory.mktemp("ovis-sns") / "data", "--sns-retry-scale", SCALE)
    yield s
    s.stop()


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for(check: Callable[[], Any], timeout: float = 30, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def queue(sqs, name: str, **attrs: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def drain(sqs, url: str, want: int, timeout: float = 20) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        r = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
        )
        for m in r.get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def nothing_more(sqs, url: str) -> bool:  # type: ignore[no-untyped-def]
    r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return not r.get("Messages")


RECORDER = """
import boto3, json, os
SQS = boto3.client("sqs")
def handler(event, context):
    SQS.send_message(QueueUrl=os.environ["RECORD_URL"], MessageBody=json.dumps(event))
"""


def recorder(lam, sqs, name: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A function that sends every event it gets to a queue: (function ARN, queue URL)."""
    url, _ = queue(sqs, f"{name}-record")
    fn = create_python_function(
        lam, name, RECORDER, Environment={"Variables": {"RECORD_URL": url}}, Timeout=10
    )
    return fn["FunctionArn"], url


def allow_sns(lam, name: str, topic_arn: str) -> None:  # type: ignore[no-untyped-def]
    lam.add_permission(
        FunctionName=name,
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic_arn,
    )


def verify_signature(doc: dict[str, Any], tmp_path: Path) -> None:
    """Check a notification's signature as a subscriber does: fetch the certificate from
    SigningCertURL and verify the canonical string with openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    with urllib.request.urlopen(doc["SigningCertURL"], timeout=10) as r:
        (tmp_path / "cert.pem").write_bytes(r.read())
    fields = (
        ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
        if doc["Type"] == "Notification"
        else ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
    )
    text = "".join(f"{k}\n{doc[k]}\n" for k in fields if k in doc)
    (tmp_path / "text").write_text(text)
    (tmp_path / "sig").write_bytes(base64.b64decode(doc["Signature"]))
    digest = "-sha1" if doc["SignatureVersion"] == "1" else "-sha256"
    pub = subprocess.run(
        ["openssl", "x509", "-in", tmp_path / "cert.pem", "-pubkey", "-noout"],
        capture_output=True,
        check=True,
    ).stdout
    (tmp_path / "pub.pem").write_bytes(pub)
    out = subprocess.run(
        [
            "openssl",
            "dgst",
            digest,
            "-verify",
            tmp_path / "pub.pem",
            "-signature",
            tmp_path / "sig",
            tmp_path / "text",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and "Verified OK" in out.stdout, out


def test_one_publish_fans_out_to_a_function_a_queue_and_an_http_endpoint(srv, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sns, sqs, lam = srv.client("sns"), srv.client("sqs"), srv.client("lambda")
    topic = sns.create_topic(Name=uniq("fanout"))["TopicArn"]
    fn_name = uniq("sns-fn")
    fn_arn, record_url = recorder(lam, sqs, fn_name)
    allow_sns(lam, fn_name, topic)
    q_url, q_arn = queue(sqs, uniq("fan-q"))
    lam_sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn)["SubscriptionArn"]
    q_sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q_arn)["SubscriptionArn"]
    with http_endpoint() as ep:
        pending = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url)
        assert pending["SubscriptionArn"] == "pending confirmation"
        # The endpoint confirms by GETting the SubscribeURL; the subscription then lists.
        http_sub = wait_for(
            lambda: next(
                (
                    s["SubscriptionArn"]
                    for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
                    if s["Protocol"] == "http" and s["SubscriptionArn"] != "PendingConfirmation"
                ),
                None,
            )
        )
        assert http_sub
        confirmation = ep.received[0]
        assert confirmation.headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
        doc = confirmation.json()
        assert doc["Type"] == "SubscriptionConfirmation" and doc["Token"]
        assert doc["TopicArn"] == topic and "SubscribeURL" in doc
        verify_signature(doc, tmp_path)

        attrs = {"color": {"DataType": "String", "StringValue": "blue"}}
        mid = sns.publish(
            TopicArn=topic, Message="hello", Subject="greeting", MessageAttributes=attrs
        )["MessageId"]

        # the queue: the JSON notification envelope
        [m] = drain(sqs, q_url, 1)
        note = json.loads(m["Body"])
        assert note["Type"] == "Notification" and note["MessageId"] == mid
        assert (note["TopicArn"], note["Subject"], note["Message"]) == (topic, "greeting", "hello")
        assert note["MessageAttributes"] == {"color": {"Type": "String", "Value": "blue"}}
        assert note["UnsubscribeURL"].endswith(q_sub.replace(":", "%3A"))
        assert note["SignatureVersion"] == "1" and note["Timestamp"]
        verify_signature(note, tmp_path)

        # the function: AWS's SNS event
        [rec] = drain(sqs, record_url, 1, timeout=60)
        event = json.loads(rec["Body"])
        [r] = event["Records"]
        assert (r["EventSource"], r["EventVersion"], r["EventSubscriptionArn"]) == (
            "aws:sns",
            "1.0",
            lam_sub,
        )
        s = r["Sns"]
        assert (s["Type"], s["MessageId"], s["TopicArn"], s["Message"], s["Subject"]) == (
            "Notification",
            mid,
            topic,
            "hello",
            "greeting",
        )
        assert s["MessageAttributes"] == {"color": {"Type": "String", "Value": "blue"}}
        assert s["SigningCertUrl"] and s["UnsubscribeUrl"] and s["Signature"]

        # the http endpoint: AWS's headers and the same envelope
        [got] = ep.wait(1)
        assert got.headers["x-amz-sns-message-id"] == mid
        assert got.headers["x-amz-sns-topic-arn"] == topic
        assert got.headers["x-amz-sns-subscription-arn"] == http_sub
        assert got.json()["Message"] == "hello"

        attrs_now = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
        assert attrs_now["SubscriptionsConfirmed"] == "3"
        assert attrs_now["SubscriptionsPending"] == "0"


def test_a_function_without_permission_is_not_invoked(srv) -> None:  # type: ignore[no-untyped-def]
    sns, sqs, lam = srv.client("sns"), srv.client("sqs"), srv.client("lambda")
    topic = sns.create_topic(Name=uniq("noperm"))["TopicArn"]
    fn_name = uniq("sns-noperm")
    fn_arn, record_url = recorder(lam, sqs, fn_name)
    dlq_url, dlq_arn = queue(sqs, uniq("noperm-dlq"))
    sns.subscribe(
        TopicArn=topic,
        Protocol="lambda",
        Endpoint=fn_arn,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})},
    )
    mid = sns.publish(TopicArn=topic, Message="not for you")["MessageId"]
    # A refusal is a client-side error: not retried, straight to the subscription's DLQ.
    [dead] = drain(sqs, dlq_url, 1)
    assert json.loads(dead["Body"])["MessageId"] == mid
    attrs = dead["MessageAttributes"]
    assert "not authorized" in attrs["ErrorMessage"]["StringValue"]
    assert attrs["ErrorCode"]["StringValue"] and attrs["RequestID"]["StringValue"]
    assert nothing_more(sqs, record_url)  # the function never ran


def test_a_failing_http_subscription_retries_then_reaches_its_dead_letter_queue(srv) -> None:  # type: ignore[no-untyped-def]
    sns, sqs = srv.client("sns"), srv.client("sqs")
    topic = sns.create_topic(Name=uniq("failing"))["TopicArn"]
    dlq_url, dlq_arn = queue(sqs, uniq("http-dlq"))
    with http_endpoint(status=500) as ep:
        arn = sns.subscribe(
            TopicArn=topic, Protocol="http", Endpoint=ep.url, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        assert wait_for(
            lambda: (
                sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"][
                    "PendingConfirmation"
                ]
                == "false"
            )
        )
        policy = {"healthyRetryPolicy": {"numRetries": 2, "minDelayTarget": 1, "maxDelayTarget": 1}}
        sns.set_subscription_attributes(
            SubscriptionArn=arn, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy)
        )
        sns.set_subscription_attributes(
            SubscriptionArn=arn,
            AttributeName="RedrivePolicy",
            AttributeValue=json.dumps({"deadLetterTargetArn": dlq_arn}),
        )
        mid = sns.publish(TopicArn=topic, Message="doomed")["MessageId"]
        [dead] = drain(sqs, dlq_url, 1)
        assert json.loads(dead["Body"])["MessageId"] == mid
        assert "500" in dead["MessageAttributes"]["ErrorMessage"]["StringValue"]
        assert len(ep.notifications()) == 3  # the first attempt and numRetries=2


def test_raw_message_delivery_turns_attributes_into_queue_attributes(srv) -> None:  # type: ignore[no-untyped-def]
    sns, sqs = srv.client("sns"), srv.client("sqs")
    topic = sns.create_topic(Name=uniq("raw"))["TopicArn"]
    url, arn = queue(sqs, uniq("raw-q"))
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    sns.publish(
        TopicArn=topic,
        Message='{"just": "the body"}',
        MessageAttributes={
            "n": {"DataType": "Number", "StringValue": "42"},
            "s": {"DataType": "String", "StringValue": "x"},
            "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    [m] = drain(sqs, url, 1)
    assert m["Body"] == '{"just": "the body"}'
    a = m["MessageAttributes"]
    assert a["n"] == {"DataType": "Number", "StringValue": "42"}
    assert a["s"] == {"DataType": "String", "StringValue": "x"}
    assert a["b"] == {"DataType": "Binary", "BinaryValue": b"\x00\x01"}


def test_filter_policies_on_attributes_and_on_the_body(srv) -> None:  # type: ignore[no-untyped-def]
    sns, sqs = srv.client("sns"), srv.client("sqs")
    topic = sns.create_topic(Name=uniq("filters"))["TopicArn"]
    policies = {
        "exact": ({"store": ["example_corp"]}, "MessageAttributes"),
        "prefix": ({"event": [{"prefix": "order-"}]}, "MessageAttributes"),
        "anything_but": (
            {"store": [{"anything-but": ["example_corp", "other"]}]},
            "MessageAttributes",
        ),
        "numeric": ({"price": [{"numeric": [">", 10, "<=", 100]}]}, "MessageAttributes"),
        "exists": (
            {"missing": [{"exists": False}], "store": [{"exists": True}]},
            "MessageAttributes",
        ),
        "or": (
            {"$or": [{"store": ["x"]}, {"price": [{"numeric": ["=", 5]}]}]},
            "MessageAttributes",
        ),
        "array": ({"tags": ["red"]}, "MessageAttributes"),
        "body": ({"order": {"kind": ["book"], "qty": [{"numeric": [">=", 2]}]}}, "MessageBody"),
    }
    urls = {}
    for name, (policy, scope) in policies.items():
        url, arn = queue(sqs, uniq(f"f-{name}".replace("_", "-")))
        urls[name] = url
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={
                "FilterPolicy": json.dumps(policy),
                "FilterPolicyScope": scope,
                "RawMessageDelivery": "true",
            },
        )

    def s(v: str) -> dict[str, str]:
        return {"DataType": "String", "StringValue": v}

    def n(v: float) -> dict[str, str]:
        return {"DataType": "Number", "StringValue": str(v)}

    messages = {
        "m1": {"store": s("example_corp"), "event": s("order-placed"), "price": n(50)},
        "m2": {"store": s("x"), "event": s("refund"), "price": n(5)},
        "m3": {"store": s("other"), "price": s("50")},  # price as a string: never numeric
        "m4": {"tags": {"DataType": "String.Array", "StringValue": '["blue", "red"]'}},
        "m5": {"missing": s("here"), "store": s("y")},
    }
    for body, attrs in messages.items():
        sns.publish(TopicArn=topic, Message=body, MessageAttributes=attrs)
    for body in (
        json.dumps({"order": {"kind": "book", "qty": 3}}),
        json.dumps({"order": {"kind": "book", "qty": 1}}),
        "not json",
    ):
        sns.publish(TopicArn=topic, Message=body)
    expected = {
        "exact": {"m1"},
        "prefix": {"m1"},
        "anything_but": {"m2", "m5"},
        "numeric": {"m1"},
        "exists": {"m1", "m2", "m3"},
        "or": {"m2"},
        "array": {"m4"},
        "body": {json.dumps({"order": {"kind": "book", "qty": 3}})},
    }
    for name, want in expected.items():
        got = {m["Body"] for m in drain(sqs, urls[name], len(want))}
        assert got == want, name
    # Non-matching messages are never stored for a subscription; make sure none trickles in.
    with ThreadPoolExecutor(len(urls)) as pool:
        quiet = dict(
            zip(urls, pool.map(lambda u: nothing_more(sqs, u), urls.values()), strict=True)
        )
    assert all(quiet.values()), quiet


def test_invalid_filter_policies_are_refused(srv) -> None:  # type: ignore[no-untyped-def]
    sns, sqs = srv.client("sns"), srv.client("sqs")
    topic = sns.create_topic(Name=uniq("badfilter"))["TopicArn"]
    _, arn = queue(sqs, uniq("badfilter-q"))
    for policy in (
        "not json",
        json.dumps({"a": {"b": ["c"]}}),  # nested: only in the MessageBody scope
        json.dumps({k: ["v"] for k in "abcdef"}),  # more than 5 keys
        json.dumps({"a": [{"numeric": ["<"]}]}),
    ):
        with pytest.raises(sns.exceptions.InvalidParameterException) as e:
            sns.subscribe(
                TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"FilterPolicy": policy}
            )
        assert "FilterPolicy" in e.value.response["Error"]["Message"]
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_fifo_topic_delivers_in_order_per_group_and_deduplicates(srv) -> None:  # type: ignore[no-untyped-def]
    sns, sqs = srv.client("sns"), srv.client("sqs")
    topic = sns.create_topic(
        Name=uniq("order") + ".fifo",
        Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"},
    )["TopicArn"]
    url, arn = queue(sqs, uniq("order-q") + ".fifo", FifoQueue="true")
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    seqs = []
    for i in range(30):
        r = sns.publish(TopicArn=topic, Message=f"g{i % 3}-{i}", MessageGroupId=f"g{i % 3}")
        seqs.append(int(r["SequenceNumber"]))
    assert seqs == sorted(seqs) and len(set(seqs)) == 30
    again = sns.publish(TopicArn=topic, Message="g0-0", MessageGroupId="g0")  # a duplicate
    batch = sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": f"e{i}", "Message": f"g3-{i}", "MessageGroupId": "g3"} for i in range(10)
        ],
    )
    assert len(batch["Successful"]) == 10 and not batch["Failed"]
    got = drain(sqs, url, 40)
    bodies = [m["Body"] for m in got]
    assert len(bodies) == 40 and "g0-0" in bodies and bodies.count("g0-0") == 1
    assert again["MessageId"]
    for g in ("g0", "g1", "g2", "g3"):
        mine = [b for b in bodies if b.startswith(g + "-")]
        assert mine == sorted(mine, key=lambda b: int(b.split("-")[1])), g
    for m in got:
        assert m["Attributes"]["MessageGroupId"] == m["Body"].split("-")[0]
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.publish(TopicArn=topic, Message="no group")


def test_a_publish_acknowledged_before_kill9_is_delivered_after_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    s = start_server(data, "--sns-retry-scale", SCALE)
    with http_endpoint(status=503) as ep:
        try:
            sns, sqs = s.client("sns"), s.client("sqs")
            topic = sns.create_topic(Name="durable")["TopicArn"]
            url, arn = queue(sqs, "durable-q")
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
            http_arn = sns.subscribe(
                TopicArn=topic, Protocol="http", Endpoint=ep.url, ReturnSubscriptionArn=True
            )["SubscriptionArn"]
            assert wait_for(
                lambda: (
                    sns.get_subscription_attributes(SubscriptionArn=http_arn)["Attributes"][
                        "PendingConfirmation"
                    ]
                    == "false"
                )
            )
            ids = {sns.publish(TopicArn=topic, Message=f"m{i}")["MessageId"] for i in range(100)}
            # The http endpoint fails (503: retried), so its deliveries are all still owed.
            os.killpg(s.proc.pid, signal.SIGKILL)
            s.proc.wait()
            ep.status = 200
            s = start_server(data, "--sns-retry-scale", SCALE)
            sqs = s.client("sqs")
            # At least once: a delivery made just before the kill may come again (duplicates).
            got: set[str] = set()
            deadline = time.monotonic() + 60
            while not ids <= got and time.monotonic() < deadline:
                got |= {json.loads(m["Body"])["MessageId"] for m in drain(sqs, url, 10, 2)}
            assert ids <= got
            assert wait_for(
                lambda: (
                    ids
                    <= {
                        r.json()["MessageId"]
                        for r in ep.notifications()
                        if r.headers.get("x-amz-sns-message-id")
                    }
                    and len(ep.notifications()) >= 100
                ),
                timeout=60,
            )
        finally:
            s.stop()
