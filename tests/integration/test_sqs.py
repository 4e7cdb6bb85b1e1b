"""The SQS-compatible queue service through boto3 (JSON protocol) and raw query-protocol requests.

botocore does not check the MD5 digests SQS returns, so these tests recompute them: a wrong
digest makes SDKs that do check (Java, .NET, Go v1, Ruby) reject the response.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import struct
import threading
import time
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, REGION, ServerProcess, start_server

NS = {"q": "http://queue.amazonaws.com/doc/2012-11-05/"}


@pytest.fixture(scope="module")
def sqs(server: ServerProcess):  # type: ignore[no-untyped-def]
    return server.client("sqs")


def qname(prefix: str = "q") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def new_queue(sqs, prefix: str = "q", **attributes: str) -> str:  # type: ignore[no-untyped-def]
    fifo = attributes.get("FifoQueue") == "true"
    name = qname(prefix) + (".fifo" if fifo else "")
    return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def arn_of(sqs, url: str) -> str:  # type: ignore[no-untyped-def]
    return str(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
    )


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def attributes_md5(attrs: dict[str, dict[str, Any]]) -> str:
    """AWS's algorithm, written independently of the server's."""
    out = b""
    for name in sorted(attrs):
        a = attrs[name]
        out += struct.pack(">I", len(name.encode())) + name.encode()
        out += struct.pack(">I", len(a["DataType"].encode())) + a["DataType"].encode()
        if "BinaryValue" in a:
            out += b"\x02" + struct.pack(">I", len(a["BinaryValue"])) + a["BinaryValue"]
        else:
            v = a["StringValue"].encode()
            out += b"\x01" + struct.pack(">I", len(v)) + v
    return hashlib.md5(out).hexdigest()


def counts(sqs, url: str) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    a = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return (
        int(a["ApproximateNumberOfMessages"]),
        int(a["ApproximateNumberOfMessagesNotVisible"]),
        int(a["ApproximateNumberOfMessagesDelayed"]),
    )


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    e = exc.value.response["Error"]
    return e["Code"], e["Message"]


# --- queues ---


def test_create_get_url_list_and_delete(sqs, server: ServerProcess) -> None:  # type: ignore[no-untyped-def]
    name = qname("life")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url == f"{server.url}/{ACCOUNT}/{name}"
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    assert url in sqs.list_queues(QueueNamePrefix=name)["QueueUrls"]
    sqs.delete_queue(QueueUrl=url)
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix=name)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as exc:
        sqs.get_queue_url(QueueName=name)
    assert exc.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert exc.value.response["Error"]["QueryErrorCode"] == "QueueDoesNotExist"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=url, MessageBody="x")


def test_create_is_idempotent_only_for_identical_attributes(sqs) -> None:  # type: ignore[no-untyped-def]
    name = qname("idem")
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "40"})["QueueUrl"]
    again = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "40"})
    assert again["QueueUrl"] == url
    with pytest.raises(sqs.exceptions.QueueNameExists) as exc:
        sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "41"})
    assert exc.value.response["Error"]["Code"] == "QueueAlreadyExists"
    with pytest.raises(sqs.exceptions.QueueNameExists):
        sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "5"})


def test_create_validates_names_and_attributes(sqs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName="bad name!")
    assert error(exc)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=qname() + ".fifo")
    assert error(exc)[0] == "InvalidParameterValue"
    with pytest.raises(sqs.exceptions.InvalidAttributeValue) as exc:
        sqs.create_queue(QueueName=qname(), Attributes={"VisibilityTimeout": "43201"})
    assert error(exc) == (
        "InvalidAttributeValue",
        "Invalid value for the parameter VisibilityTimeout.",
    )
    with pytest.raises(sqs.exceptions.InvalidAttributeName) as exc:
        sqs.create_queue(QueueName=qname(), Attributes={"Bogus": "1"})
    assert error(exc) == ("InvalidAttributeName", "Unknown Attribute Bogus.")
    with pytest.raises(sqs.exceptions.InvalidAttributeName):
        sqs.create_queue(QueueName=qname(), Attributes={"ContentBasedDeduplication": "true"})
    with pytest.raises(sqs.exceptions.InvalidAttributeName):
        sqs.create_queue(QueueName=qname(), Attributes={"QueueArn": "x"})


def test_list_queues_prefix_and_pagination(sqs) -> None:  # type: ignore[no-untyped-def]
    prefix = qname("page")
    urls = sorted(sqs.create_queue(QueueName=f"{prefix}-{i}")["QueueUrl"] for i in range(5))
    got: list[str] = []
    kw: dict[str, Any] = {"QueueNamePrefix": prefix, "MaxResults": 2}
    pages = 0
    while True:
        page = sqs.list_queues(**kw)
        got += page.get("QueueUrls", [])
        pages += 1
        if "NextToken" not in page:
            break
        kw["NextToken"] = page["NextToken"]
    assert got == urls and pages == 3
    paginated = [
        u
        for p in sqs.get_paginator("list_queues").paginate(
            QueueNamePrefix=prefix, PaginationConfig={"PageSize": 3}
        )
        for u in p.get("QueueUrls", [])
    ]
    assert paginated == urls
    with pytest.raises(ClientError) as exc:
        sqs.list_queues(MaxResults=1001)
    assert error(exc)[0] == "InvalidParameterValue"


def test_get_and_set_queue_attributes(sqs) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "attrs", DelaySeconds="2", MaximumMessageSize="2048")
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    name = url.rsplit("/", 1)[1]
    assert a["QueueArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    assert a["DelaySeconds"] == "2"
    assert a["MaximumMessageSize"] == "2048"
    assert a["VisibilityTimeout"] == "30"
    assert a["MessageRetentionPeriod"] == "345600"
    assert a["ReceiveMessageWaitTimeSeconds"] == "0"
    assert a["ApproximateNumberOfMessages"] == "0"
    assert abs(int(a["CreatedTimestamp"]) - time.time()) < 60
    assert "FifoQueue" not in a and "RedrivePolicy" not in a
    only = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert only["Attributes"] == {"VisibilityTimeout": "30"}
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)

    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"VisibilityTimeout": "45", "ReceiveMessageWaitTimeSeconds": "1"}
    )
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert a["VisibilityTimeout"] == "45" and a["ReceiveMessageWaitTimeSeconds"] == "1"
    with pytest.raises(sqs.exceptions.InvalidAttributeName):
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Nope"])  # type: ignore[list-item]
    with pytest.raises(sqs.exceptions.InvalidAttributeName):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "true"})
    with pytest.raises(sqs.exceptions.InvalidAttributeValue):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "901"})


def test_tags(sqs) -> None:  # type: ignore[no-untyped-def]
    url = sqs.create_queue(QueueName=qname("tags"), tags={"team": "a", "env": "dev"})["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "dev"}
    sqs.tag_queue(QueueUrl=url, Tags={"env": "prod", "cost": "1"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "prod", "cost": "1"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "cost"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "prod"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["env"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)


def test_purge_queue_and_its_60_second_rule(sqs) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "purge")
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    sqs.receive_message(QueueUrl=url)  # one in flight: purged too
    sqs.purge_queue(QueueUrl=url)
    assert counts(sqs, url) == (0, 0, 0)
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress) as exc:
        sqs.purge_queue(QueueUrl=url)
    assert error(exc)[0] == "AWS.SimpleQueueService.PurgeQueueInProgress"


# --- messages ---


def test_send_receive_delete_with_md5s(sqs) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "md5")
    attrs = {
        "ccc": {"StringValue": "testjunk", "DataType": "String"},
        "aaa": {"BinaryValue": b"\x02\x03\x04", "DataType": "Binary"},
        "zzz": {"DataType": "Number", "StringValue": "0230.01"},
        "other_encodings": {"DataType": "String.custom", "StringValue": "T\xfcst"},
    }
    body = "Héllo wörld 😀 <&> \r\n\t"
    sent = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attrs)
    assert sent["MD5OfMessageBody"] == md5(body)
    assert sent["MD5OfMessageAttributes"] == attributes_md5(attrs)
    got = sqs.receive_message(
        QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"]
    )["Messages"]
    assert len(got) == 1
    m = got[0]
    assert m["MessageId"] == sent["MessageId"]
    assert m["Body"] == body and m["MD5OfBody"] == md5(body)
    assert m["MessageAttributes"] == attrs
    assert m["MD5OfMessageAttributes"] == attributes_md5(attrs)
    sys_attrs = m["Attributes"]
    assert sys_attrs["ApproximateReceiveCount"] == "1"
    assert abs(int(sys_attrs["SentTimestamp"]) / 1000 - time.time()) < 60
    assert int(sys_attrs["ApproximateFirstReceiveTimestamp"]) >= int(sys_attrs["SentTimestamp"])
    assert "SenderId" in sys_attrs and "SequenceNumber" not in sys_attrs
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)
    # deleting again with the same (now stale) handle succeeds, as on AWS
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_md5_matches_aws_published_digests(sqs) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "vectors")
    one = {"timestamp": {"StringValue": "1493147359900", "DataType": "Number"}}
    r = sqs.send_message(QueueUrl=url, MessageBody="derp", MessageAttributes=one)
    assert r["MD5OfMessageBody"] == "58fd9edd83341c29f1aebba81c31e257"
    assert r["MD5OfMessageAttributes"] == "235c5c510d26fb653d073faed50ae77c"
    many = {
        "ccc": {"StringValue": "testjunk", "DataType": "String"},
        "aaa": {"BinaryValue": b"\x02\x03\x04", "DataType": "Binary"},
        "zzz": {"DataType": "Number", "StringValue": "0230.01"},
        "öther_encodings": {"DataType": "String", "StringValue": "T\xfcst"},
    }
    # "ö" is not a valid attribute-name character for SQS; the digest itself is still AWS's
    assert attributes_md5(many) == "8ae21a7957029ef04146b42aeaa18a22"
    del many["öther_encodings"]
    r = sqs.send_message(QueueUrl=url, MessageBody="derp", MessageAttributes=many)
    assert r["MD5OfMessageAttributes"] == attributes_md5(many)


def test_receive_selects_message_attributes_and_system_attributes(sqs) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "select")
    attrs = {
        "app.kind": {"DataType": "String", "StringValue": "a"},
        "app.size": {"DataType": "Number", "StringValue": "3"},
        "other": {"DataType": "String", "StringValue": "b"},
    }
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    m = sqs.receive_message(
        QueueUrl=url,
        MessageAttributeNames=["app.*"],
        AttributeNames=["SentTimestamp"],
        VisibilityTimeout=0,
    )["Messages"][0]
    assert set(m["MessageAttributes"]) == {"app.kind", "app.size"}
    assert m["MD5OfMessageAttributes"] == attributes_md5(m["MessageAttributes"])
    assert set(m["Attributes"]) == {"SentTimestamp"}
    m = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["other"], VisibilityTimeout=0)
    assert set(m["Messages"][0]["MessageAttributes"]) == {"other"}
    m = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]
    assert "MessageAttributes" not in m and "MD5OfMessageAttributes" not in m
    assert "Attributes" not in m
    m = sqs.receive_message(
        QueueUrl=url, MessageSystemAttributeNames=["ApproximateReceiveCount"], VisibilityTimeout=0
    )["Messages"][0]
    assert m["Attributes"] == {"ApproximateReceiveCount": "4"}


def test_trace_header_system_attribute(sqs) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "trace")
    trace = {
        "AWSTraceHeader": {
            "DataType": "String",
            "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
        }
    }
    r = sqs.send_message(QueueUrl=url, MessageBody="t", MessageSystemAttributes=trace)
    assert r["MD5OfMessageSystemAttributes"] == attributes_md5(trace)
    m = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["AWSTraceHeader"])[
        "Messages"
    ][0]
    assert m["Attributes"] == {"AWSTraceHeader": trace["AWSTraceHeader"]["StringValue"]}
    with pytest.raises(ClientError) as exc:
        sqs.send_message(
            QueueUrl=url,
            MessageBody="t",
            MessageSystemAttributes={"AWSTraceHeader": {"DataType": "Number", "StringValue": "1"}},
        )
    assert error(exc)[0] == "InvalidParameterValue"


def test_message_validation_errors(sqs) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "valid", MaximumMessageSize="1024")
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert error(exc) == (
        "InvalidParameterValue",
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.",
    )
    # attributes count toward the size: name + type + value
    big = {"a": {"DataType": "String", "StringValue": "v" * 1000}}
    with pytest.raises(ClientError):
        sqs.send_message(QueueUrl=url, MessageBody="x" * 20, MessageAttributes=big)
    with pytest.raises(sqs.exceptions.InvalidMessageContents):
        sqs.send_message(QueueUrl=url, MessageBody="bad \x00 char")
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
    assert error(exc)[0] == "InvalidParameterValue"
    for bad in (
        {"AWS.x": {"DataType": "String", "StringValue": "v"}},
        {"a..b": {"DataType": "String", "StringValue": "v"}},
        {"sp ace": {"DataType": "String", "StringValue": "v"}},
        {"n": {"DataType": "Number", "StringValue": "abc"}},
        {"t": {"DataType": "Float", "StringValue": "1"}},
        {"e": {"DataType": "String", "StringValue": ""}},
        {f"k{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)},
    ):
        with pytest.raises(ClientError) as exc:
            sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=bad)
        assert error(exc)[0] == "InvalidParameterValue", bad
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert error(exc)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert error(exc) == (
        "InvalidParameterValue",
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and "
        "10, if provided.",
    )
    with pytest.raises(ClientError):
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=21)
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid) as exc:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")
    assert error(exc)[0] == "ReceiptHandleIsInvalid"


def test_default_max_message_size_is_1_mib(sqs) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "big")
    body = "x" * 1_048_576
    r = sqs.send_message(QueueUrl=url, MessageBody=body)
    assert r["MD5OfMessageBody"] == md5(body)
    m = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert m["Body"] == body
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody=body + "x")
    assert error(exc)[0] == "InvalidParameterValue"


def test_delay_seconds_per_queue_and_per_message(sqs) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "delay", DelaySeconds="1")
    sqs.send_message(QueueUrl=url, MessageBody="queue-delay")
    sqs.send_message(QueueUrl=url, MessageBody="no-delay", DelaySeconds=0)
    assert counts(sqs, url) == (1, 0, 1)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in first] == ["no-delay"]
    t0 = time.monotonic()
    later = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    assert [m["Body"] for m in later] == ["queue-delay"]
    assert time.monotonic() - t0 < 2.5


def test_visibility_timeout_expiry_and_change(sqs) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "vis", VisibilityTimeout="1")
    sqs.send_message(QueueUrl=url, MessageBody="m")
    m1 = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert counts(sqs, url) == (0, 1, 0)
    t0 = time.monotonic()
    m2 = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, AttributeNames=["All"])["Messages"][0]
    assert 0.5 < time.monotonic() - t0 < 2.5  # came back when its timeout ran out
    assert m2["MessageId"] == m1["MessageId"] and m2["ReceiptHandle"] != m1["ReceiptHandle"]
    assert m2["Attributes"]["ApproximateReceiveCount"] == "2"
    # the old receipt no longer deletes it
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m1["ReceiptHandle"])
    assert counts(sqs, url) == (0, 1, 0)
    with pytest.raises(ClientError) as exc:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=m1["ReceiptHandle"], VisibilityTimeout=5
        )
    assert error(exc)[0] == "InvalidParameterValue"
    # making it visible right away
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=m2["ReceiptHandle"], VisibilityTimeout=0
    )
    m3 = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]
    with pytest.raises(sqs.exceptions.MessageNotInflight) as exc:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=m3["ReceiptHandle"], VisibilityTimeout=10
        )
    assert error(exc)[0] == "AWS.SimpleQueueService.MessageNotInflight"
    # receive-level VisibilityTimeout overrides the queue's, then extend it
    m4 = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"][0]
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=m4["ReceiptHandle"], VisibilityTimeout=30
    )
    time.sleep(1.3)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m4["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)


def test_long_poll_returns_as_soon_as_a_message_arrives(sqs, server: ServerProcess) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "poll")
    other = server.client("sqs")

    def later() -> None:
        time.sleep(0.5)
        other.send_message(QueueUrl=url, MessageBody="wake")

    t = threading.Thread(target=later)
    t0 = time.monotonic()
    t.start()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)
    elapsed = time.monotonic() - t0
    t.join()
    assert [m["Body"] for m in got["Messages"]] == ["wake"]
    assert 0.4 < elapsed < 2.0
    # an empty long poll waits its full time
    t0 = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    assert 0.9 < time.monotonic() - t0 < 3.0


def test_queue_receive_wait_time_is_the_default_wait(sqs, server: ServerProcess) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "waitattr", ReceiveMessageWaitTimeSeconds="1")
    t0 = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert time.monotonic() - t0 > 0.9
    t0 = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    assert time.monotonic() - t0 < 0.9


def test_send_message_batch_partial_failure(sqs) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "batch", MaximumMessageSize="1024")
    attrs = {"k": {"DataType": "String", "StringValue": "v"}}
    r = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok1", "MessageBody": "one", "MessageAttributes": attrs},
            {"Id": "toolong", "MessageBody": "x" * 2000},
            {"Id": "ok2", "MessageBody": "two", "DelaySeconds": 0},
            {"Id": "badchar", "MessageBody": "\x01"},
        ],
    )
    ok = {e["Id"]: e for e in r["Successful"]}
    assert set(ok) == {"ok1", "ok2"}
    assert ok["ok1"]["MD5OfMessageBody"] == md5("one")
    assert ok["ok1"]["MD5OfMessageAttributes"] == attributes_md5(attrs)
    failed = {e["Id"]: e for e in r["Failed"]}
    assert failed["toolong"]["Code"] == "InvalidParameterValue" and failed["toolong"]["SenderFault"]
    assert failed["badchar"]["Code"] == "InvalidMessageContents"
    bodies = sorted(
        m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    )
    assert bodies == ["one", "two"]


def test_batch_request_level_errors(sqs) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "batcherr")
    with pytest.raises(sqs.exceptions.EmptyBatchRequest) as exc:
        sqs.send_message_batch(QueueUrl=url, Entries=[])
    assert error(exc)[0] == "AWS.SimpleQueueService.EmptyBatchRequest"
    with pytest.raises(sqs.exceptions.TooManyEntriesInBatchRequest):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(11)]
        )
    with pytest.raises(sqs.exceptions.BatchEntryIdsNotDistinct) as exc:
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}]
        )
    assert error(exc) == ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id a repeated.")
    with pytest.raises(sqs.exceptions.InvalidBatchEntryId):
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "no spaces", "ReceiptHandle": "h"}])
    with pytest.raises(sqs.exceptions.BatchRequestTooLong):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "MessageBody": "x" * 600_000} for i in range(2)],
        )
    assert counts(sqs, url) == (0, 0, 0)  # nothing of a refused batch was sent


def test_delete_and_change_visibility_batches(sqs) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "batch2")
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)]
    )
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 3
    r = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "b", "ReceiptHandle": "not-a-handle", "VisibilityTimeout": 0},
        ],
    )
    assert [e["Id"] for e in r["Successful"]] == ["a"]
    assert r["Failed"][0]["Id"] == "b" and r["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    assert counts(sqs, url) == (1, 2, 0)
    r = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "x", "ReceiptHandle": got[1]["ReceiptHandle"]},
            {"Id": "y", "ReceiptHandle": got[2]["ReceiptHandle"]},
            {"Id": "z", "ReceiptHandle": "bogus"},
        ],
    )
    assert sorted(e["Id"] for e in r["Successful"]) == ["x", "y"]
    assert [(e["Id"], e["Code"], e["SenderFault"]) for e in r["Failed"]] == [
        ("z", "ReceiptHandleIsInvalid", True)
    ]
    assert counts(sqs, url) == (1, 0, 0)


def test_redrive_to_dead_letter_queue_after_max_receive_count(sqs) -> None:  # type: ignore[no-untyped-def]
    dlq = new_queue(sqs, "dlq")
    dlq_arn = arn_of(sqs, dlq)
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
    src = new_queue(sqs, "src", VisibilityTimeout="0", RedrivePolicy=policy)
    stored = sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(stored["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": 2,
    }
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]
    attrs = {"k": {"DataType": "String", "StringValue": "v"}}
    sent = sqs.send_message(QueueUrl=src, MessageBody="poison", MessageAttributes=attrs)
    for n in (1, 2):
        m = sqs.receive_message(QueueUrl=src, AttributeNames=["ApproximateReceiveCount"])[
            "Messages"
        ][0]
        assert m["Attributes"]["ApproximateReceiveCount"] == str(n)
    # received maxReceiveCount times: the next receive moves it instead of delivering it
    assert "Messages" not in sqs.receive_message(QueueUrl=src)
    assert counts(sqs, src) == (0, 0, 0)
    moved = sqs.receive_message(
        QueueUrl=dlq, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"]
    )["Messages"][0]
    assert moved["MessageId"] == sent["MessageId"] and moved["Body"] == "poison"
    assert moved["MessageAttributes"] == attrs
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == arn_of(sqs, src)
    assert moved["Attributes"]["ApproximateReceiveCount"] == "3"


def test_redrive_policy_validation(sqs) -> None:  # type: ignore[no-untyped-def]
    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{qname('nodlq')}"
    with pytest.raises(ClientError) as exc:
        new_queue(
            sqs, RedrivePolicy=json.dumps({"deadLetterTargetArn": missing, "maxReceiveCount": 1})
        )
    assert error(exc)[0] == "InvalidParameterValue" and "does not exist" in error(exc)[1]
    dlq_arn = arn_of(sqs, new_queue(sqs, "dlq2"))
    with pytest.raises(ClientError):
        new_queue(
            sqs, RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 0})
        )
    with pytest.raises(ClientError):
        new_queue(sqs, RedrivePolicy="not json")
    fifo_dlq = arn_of(sqs, new_queue(sqs, "fdlq", FifoQueue="true"))
    with pytest.raises(ClientError):  # a standard queue's DLQ must be standard
        new_queue(
            sqs, RedrivePolicy=json.dumps({"deadLetterTargetArn": fifo_dlq, "maxReceiveCount": 1})
        )
    url = new_queue(sqs)
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
        },
    )
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": ""})
    assert "Attributes" not in sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["RedrivePolicy"]
    )


# --- FIFO ---


def test_fifo_order_per_group_and_in_flight_groups_block(sqs) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "order", FifoQueue="true", VisibilityTimeout="1")
    entries = []
    for i in range(4):
        entries.append(
            {
                "Id": f"a{i}",
                "MessageBody": f"a{i}",
                "MessageGroupId": "A",
                "MessageDeduplicationId": f"a{i}",
            }
        )
        entries.append(
            {
                "Id": f"b{i}",
                "MessageBody": f"b{i}",
                "MessageGroupId": "B",
                "MessageDeduplicationId": f"b{i}",
            }
        )
    r = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    seqs = [int(e["SequenceNumber"]) for e in r["Successful"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == 8

    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, AttributeNames=["All"])[
        "Messages"
    ]
    assert [m["Body"] for m in first] == ["a0", "b0", "a1"]
    assert first[0]["Attributes"]["MessageGroupId"] == "A"
    assert first[0]["Attributes"]["MessageDeduplicationId"] == "a0"
    assert int(first[0]["Attributes"]["SequenceNumber"]) == seqs[0]
    # both groups have messages in flight: nothing more until they are deleted or visible
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[1]["ReceiptHandle"])  # b0 done
    nxt = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in nxt] == ["b1", "b2", "b3"]
    # a0 and a1 time out: group A starts over from a0, in order
    t0 = time.monotonic()
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=5)["Messages"]
    assert time.monotonic() - t0 < 2.5
    assert [m["Body"] for m in again] == ["a0", "a1", "a2", "a3"]


def test_fifo_deduplication_explicit_and_content_based(sqs) -> None:  # type: ignore[no-untyped-def]
    url = new_queue(sqs, "dedup", FifoQueue="true")
    r1 = sqs.send_message(
        QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1"
    )
    r2 = sqs.send_message(
        QueueUrl=url, MessageBody="y", MessageGroupId="g", MessageDeduplicationId="d1"
    )
    assert r2["MessageId"] == r1["MessageId"] and r2["SequenceNumber"] == r1["SequenceNumber"]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["x"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    # still deduplicated after the message was deleted (5-minute window)
    sqs.send_message(QueueUrl=url, MessageBody="z", MessageGroupId="g", MessageDeduplicationId="d1")
    assert "Messages" not in sqs.receive_message(QueueUrl=url)

    with pytest.raises(ClientError) as exc:  # no dedup id and no content-based dedup
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert error(exc)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d9")
    assert error(exc)[0] == "MissingParameter"
    with pytest.raises(ClientError) as exc:
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x",
            MessageGroupId="g",
            MessageDeduplicationId="d8",
            DelaySeconds=1,
        )
    assert error(exc)[0] == "InvalidParameterValue"

    cbd = new_queue(sqs, "cbd", FifoQueue="true", ContentBasedDeduplication="true")
    a = sqs.send_message(QueueUrl=cbd, MessageBody="same", MessageGroupId="g")
    b = sqs.send_message(QueueUrl=cbd, MessageBody="same", MessageGroupId="h")
    c = sqs.send_message(QueueUrl=cbd, MessageBody="other", MessageGroupId="g")
    assert a["MessageId"] == b["MessageId"] != c["MessageId"]
    m = sqs.receive_message(
        QueueUrl=cbd, MaxNumberOfMessages=10, AttributeNames=["MessageDeduplicationId"]
    )
    assert [x["Body"] for x in m["Messages"]] == ["same", "other"]
    assert (
        m["Messages"][0]["Attributes"]["MessageDeduplicationId"]
        == hashlib.sha256(b"same").hexdigest()
    )
    attrs = sqs.get_queue_attributes(QueueUrl=cbd, AttributeNames=["All"])["Attributes"]
    assert attrs["FifoQueue"] == "true" and attrs["ContentBasedDeduplication"] == "true"


def test_fifo_redrive_keeps_group_order(sqs) -> None:  # type: ignore[no-untyped-def]
    dlq = new_queue(sqs, "fdlq", FifoQueue="true")
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 1})
    src = new_queue(
        sqs,
        "fsrc",
        FifoQueue="true",
        ContentBasedDeduplication="true",
        VisibilityTimeout="0",
        RedrivePolicy=policy,
    )
    for body in ("1", "2"):
        sqs.send_message(QueueUrl=src, MessageBody=body, MessageGroupId="g")
    assert [
        m["Body"] for m in sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)["Messages"]
    ] == ["1", "2"]
    # both received once: the next receive moves them and returns nothing
    assert "Messages" not in sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)
    moved = sqs.receive_message(
        QueueUrl=dlq, MaxNumberOfMessages=10, AttributeNames=["MessageGroupId"]
    )["Messages"]
    assert [(m["Body"], m["Attributes"]["MessageGroupId"]) for m in moved] == [
        ("1", "g"),
        ("2", "g"),
    ]


# --- durability ---


def test_messages_and_in_flight_state_survive_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = start_server(data)
    try:
        c = srv.client("sqs")
        url = c.create_queue(QueueName="durable")["QueueUrl"]
        fifo = c.create_queue(
            QueueName="durable.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
        )["QueueUrl"]
        sent = {c.send_message(QueueUrl=url, MessageBody=f"m{i}")["MessageId"] for i in range(5)}
        c.send_message_batch(
            QueueUrl=url, Entries=[{"Id": f"b{i}", "MessageBody": f"b{i}"} for i in range(5)]
        )
        c.send_message(QueueUrl=fifo, MessageBody="f1", MessageGroupId="g")
        inflight = c.receive_message(QueueUrl=url, MaxNumberOfMessages=3, VisibilityTimeout=8)
        received_at = time.monotonic()
        assert len(inflight["Messages"]) == 3
    finally:
        os.killpg(srv.proc.pid, signal.SIGKILL)
        srv.proc.wait(10)
    srv = start_server(data, port=srv.port)
    try:
        c = srv.client("sqs")
        assert c.get_queue_url(QueueName="durable")["QueueUrl"] == url
        visible = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        if time.monotonic() - received_at < 7.5:  # a very slow restart would void this check
            assert len(visible) == 7  # the three received before the kill are still in flight
        rest = []
        while len(visible) + len(rest) < 10:
            got = c.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=20,
                AttributeNames=["ApproximateReceiveCount"],
            )
            rest += got["Messages"]
        assert time.monotonic() - received_at > 7.5  # they came back when their timeout ran out
        assert {m["MessageId"] for m in rest} <= {m["MessageId"] for m in inflight["Messages"]}
        assert all(m["Attributes"]["ApproximateReceiveCount"] == "2" for m in rest)
        bodies = sorted(m["Body"] for m in visible + rest)
        assert bodies == sorted([f"m{i}" for i in range(5)] + [f"b{i}" for i in range(5)])
        assert sent <= {m["MessageId"] for m in visible + rest}
        # FIFO dedup state and sequence numbers continue
        dup = c.send_message(QueueUrl=fifo, MessageBody="f1", MessageGroupId="g")
        f2 = c.send_message(QueueUrl=fifo, MessageBody="f2", MessageGroupId="g")
        assert int(f2["SequenceNumber"]) > int(dup["SequenceNumber"])
        got = c.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]
        assert [m["Body"] for m in got] == ["f1", "f2"]
        assert_sigterm_ends_long_polls(srv, url)
    finally:
        srv.stop()


def assert_sigterm_ends_long_polls(srv: ServerProcess, url: str) -> None:
    """SIGTERM answers a pending 20 s long poll (empty) instead of waiting for it."""
    c = srv.client("sqs")
    c.purge_queue(QueueUrl=url)
    result: dict[str, Any] = {}

    def poll() -> None:
        try:
            result["r"] = c.receive_message(QueueUrl=url, WaitTimeSeconds=20)
        except Exception as e:
            result["e"] = e

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    assert srv.stop() == 0
    assert time.monotonic() - t0 < 5
    t.join(10)
    assert "r" in result and "Messages" not in result["r"]


# --- query protocol ---


def query(
    server: ServerProcess, params: dict[str, str], path: str = "/", method: str = "POST"
) -> tuple[int, ET.Element]:
    body = urlencode({**params, "Version": "2012-11-05"})
    url = server.url + path
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    if method == "GET":
        req = AWSRequest(method="GET", url=f"{url}?{body}", headers={})
    else:
        req = AWSRequest(method="POST", url=url, data=body.encode(), headers=headers)
    SigV4Auth(Credentials("test", "test"), "sqs", REGION).add_auth(req)
    prepared = req.prepare()
    raw = urllib.request.Request(
        prepared.url, data=prepared.body, headers=dict(prepared.headers), method=method
    )
    try:
        with urllib.request.urlopen(raw, timeout=30) as r:
            assert r.headers["Content-Type"] == "text/xml"
            return r.status, ET.fromstring(r.read())
    except urllib.error.HTTPError as e:
        return e.code, ET.fromstring(e.read())


def test_query_protocol(server: ServerProcess, sqs) -> None:  # type: ignore[no-untyped-def]
    name = qname("query")
    status, doc = query(
        server,
        {
            "Action": "CreateQueue",
            "QueueName": name,
            "Attribute.1.Name": "VisibilityTimeout",
            "Attribute.1.Value": "7",
            "Tag.1.Key": "team",
            "Tag.1.Value": "q",
        },
    )
    assert status == 200 and doc.tag == f"{{{NS['q']}}}CreateQueueResponse"
    url = doc.findtext("q:CreateQueueResult/q:QueueUrl", namespaces=NS)
    assert url == f"{server.url}/{ACCOUNT}/{name}"
    assert doc.findtext("q:ResponseMetadata/q:RequestId", namespaces=NS)
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])[
        "Attributes"
    ] == {"VisibilityTimeout": "7"}
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "q"}

    body = 'a <b> & "c"\r\n'
    status, doc = query(
        server,
        {
            "Action": "SendMessage",
            "MessageBody": body,
            "MessageAttribute.1.Name": "timestamp",
            "MessageAttribute.1.Value.DataType": "Number",
            "MessageAttribute.1.Value.StringValue": "1493147359900",
            "MessageAttribute.2.Name": "bin",
            "MessageAttribute.2.Value.DataType": "Binary",
            "MessageAttribute.2.Value.BinaryValue": base64.b64encode(b"\x00\x01").decode(),
        },
        path=f"/{ACCOUNT}/{name}",  # the queue URL as the endpoint, no QueueUrl parameter
    )
    assert status == 200
    res = doc.find("q:SendMessageResult", NS)
    assert res is not None
    attrs = {
        "timestamp": {"DataType": "Number", "StringValue": "1493147359900"},
        "bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }
    assert res.findtext("q:MD5OfMessageBody", namespaces=NS) == md5(body)
    assert res.findtext("q:MD5OfMessageAttributes", namespaces=NS) == attributes_md5(attrs)

    status, doc = query(
        server,
        {
            "Action": "ReceiveMessage",
            "QueueUrl": url,
            "AttributeName.1": "All",
            "MessageAttributeName.1": "All",
            "MaxNumberOfMessages": "5",
        },
    )
    msgs = doc.findall("q:ReceiveMessageResult/q:Message", NS)
    assert len(msgs) == 1
    m = msgs[0]
    assert m.findtext("q:Body", namespaces=NS) == body
    assert m.findtext("q:MD5OfBody", namespaces=NS) == md5(body)
    sys_attrs = {
        a.findtext("q:Name", namespaces=NS): a.findtext("q:Value", namespaces=NS)
        for a in m.findall("q:Attribute", NS)
    }
    assert sys_attrs["ApproximateReceiveCount"] == "1"
    user = {
        a.findtext("q:Name", namespaces=NS): a.find("q:Value", NS)
        for a in m.findall("q:MessageAttribute", NS)
    }
    assert user["timestamp"].findtext("q:StringValue", namespaces=NS) == "1493147359900"  # type: ignore[union-attr]
    assert (
        user["bin"].findtext("q:BinaryValue", namespaces=NS)
        == base64.b64encode(b"\x00\x01").decode()
    )  # type: ignore[union-attr]
    assert m.findtext("q:MD5OfMessageAttributes", namespaces=NS) == attributes_md5(attrs)
    handle = m.findtext("q:ReceiptHandle", namespaces=NS)
    assert handle

    status, doc = query(
        server,
        {
            "Action": "DeleteMessageBatch",
            "QueueUrl": url,
            "DeleteMessageBatchRequestEntry.1.Id": "ok",
            "DeleteMessageBatchRequestEntry.1.ReceiptHandle": handle,
            "DeleteMessageBatchRequestEntry.2.Id": "bad",
            "DeleteMessageBatchRequestEntry.2.ReceiptHandle": "nope",
        },
    )
    assert status == 200
    assert (
        doc.findtext(
            "q:DeleteMessageBatchResult/q:DeleteMessageBatchResultEntry/q:Id", namespaces=NS
        )
        == "ok"
    )
    err = doc.find("q:DeleteMessageBatchResult/q:BatchResultErrorEntry", NS)
    assert err is not None and err.findtext("q:Code", namespaces=NS) == "ReceiptHandleIsInvalid"
    assert err.findtext("q:SenderFault", namespaces=NS) == "true"

    status, doc = query(
        server, {"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "All"}
    )
    got = {
        a.findtext("q:Name", namespaces=NS): a.findtext("q:Value", namespaces=NS)
        for a in doc.findall("q:GetQueueAttributesResult/q:Attribute", NS)
    }
    assert got["VisibilityTimeout"] == "7" and got["ApproximateNumberOfMessages"] == "0"

    status, doc = query(server, {"Action": "ListQueues", "QueueNamePrefix": name}, method="GET")
    assert [e.text for e in doc.findall("q:ListQueuesResult/q:QueueUrl", NS)] == [url]

    status, doc = query(server, {"Action": "GetQueueUrl", "QueueName": qname("missing")})
    assert status == 400 and doc.tag == f"{{{NS['q']}}}ErrorResponse"
    assert (
        doc.findtext("q:Error/q:Code", namespaces=NS) == "AWS.SimpleQueueService.NonExistentQueue"
    )
    assert doc.findtext("q:Error/q:Type", namespaces=NS) == "Sender"

    status, doc = query(server, {"Action": "DeleteQueue", "QueueUrl": url})
    assert status == 200 and doc.find("q:ResponseMetadata", NS) is not None
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName=name)


def test_json_protocol_details(server: ServerProcess) -> None:
    """Raw JSON-1.0 calls: error body, headers, and an unknown operation."""

    def call(target: str, doc: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        req = AWSRequest(
            method="POST",
            url=server.url + "/",
            data=json.dumps(doc).encode(),
            headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target},
        )
        SigV4Auth(Credentials("test", "test"), "sqs", REGION).add_auth(req)
        p = req.prepare()
        raw = urllib.request.Request(p.url, data=p.body, headers=dict(p.headers), method="POST")
        try:
            with urllib.request.urlopen(raw, timeout=30) as r:
                return r.status, {k.lower(): v for k, v in r.headers.items()}, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, json.loads(e.read())

    status, headers, body = call("AmazonSQS.GetQueueUrl", {"QueueName": qname("nope")})
    assert status == 400
    assert body["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"
    assert body["message"] == "The specified queue does not exist."
    assert headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert headers["content-type"] == "application/x-amz-json-1.0"
    status, headers, body = call("AmazonSQS.SendMessage", {"QueueUrl": "x"})
    assert status == 400 and body["__type"] == "com.amazonaws.sqs#MissingParameter"
    assert body["message"] == "The request must contain the parameter MessageBody."
    assert headers["x-amzn-query-error"] == "MissingParameter;Sender"
    status, headers, body = call("AmazonSQS.NoSuchThing", {})
    assert status == 400 and headers["x-amzn-query-error"].startswith("InvalidAction")


def test_authentication_errors_have_the_json_shape(server: ServerProcess) -> None:
    bad = server.client("sqs", secret_key="wrong")
    with pytest.raises(ClientError) as exc:
        bad.list_queues()
    assert exc.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    unknown = server.client("sqs", access_key="nobody")
    with pytest.raises(ClientError) as exc:
        unknown.list_queues()
    assert exc.value.response["Error"]["Code"] == "UnrecognizedClientException"
