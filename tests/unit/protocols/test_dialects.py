"""What the codecs answer beyond the model: SQS's dialect (unknown actions, the queue URL as a
query endpoint, its error spelling) and "not supported" in each protocol's words."""

from __future__ import annotations

import json

import pytest

from ovis.errors import ApiError, OperationNotSupported, UnknownTargetException
from ovis.protocols import codec_for
from ovis.protocols.base import HttpRequest
from ovis.protocols.json import UnknownTargetCodec
from ovis.services.sqs.errors import QueueDoesNotExist

from .oracle import parse_error

FORM = {"content-type": "application/x-www-form-urlencoded", "host": "localhost:9000"}


def form(body: str, path: str = "/") -> HttpRequest:
    return HttpRequest("POST", path, "", FORM, body.encode())


def test_sqs_words_an_unknown_action_its_own_way_in_both_protocols() -> None:
    query = codec_for("sqs", "query")
    with pytest.raises(ApiError) as ei:
        query.operation(form("Action=NoSuchThing"))
    assert ei.value.message == "The action NoSuchThing is not valid for this endpoint."
    body = json.loads(codec_for("sqs", "json").error(ei.value, "rid").body)
    assert body["__type"] == "InvalidAction"
    with pytest.raises(ApiError) as ej:
        codec_for("sqs", "json").operation(
            HttpRequest("POST", "/", "", {"x-amz-target": "AmazonSQS.NoSuchThing"}, b"{}")
        )
    assert ej.value.message == "The action NoSuchThing is not valid for this endpoint."
    # STS keeps the query protocol's default wording.
    with pytest.raises(ApiError) as ek:
        codec_for("sts").operation(form("Action=Nope&Version=2011-06-15"))
    assert ek.value.message == "Could not find operation Nope for version 2011-06-15"


def test_a_query_call_posted_to_the_queue_url_takes_queue_url_from_the_path() -> None:
    codec = codec_for("sqs", "query")
    params = codec.parse("SendMessage", form("Action=SendMessage&MessageBody=x", "/000/q1/"))
    assert params["QueueUrl"] == "http://localhost:9000/000/q1"
    given = "QueueUrl=http%3A%2F%2Fh%2F1%2Fq2&Action=SendMessage&MessageBody=x"
    assert codec.parse("SendMessage", form(given, "/000/q1"))["QueueUrl"] == "http://h/1/q2"
    assert "QueueUrl" not in codec.parse("SendMessage", form("MessageBody=x"))
    assert "QueueUrl" not in codec.parse("ListQueues", form("Action=ListQueues", "/000/q1"))


def test_sqs_errors_keep_their_shape_id_and_query_code() -> None:
    err = QueueDoesNotExist()
    resp = codec_for("sqs", "json").error(err, "rid")
    assert json.loads(resp.body)["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"
    assert resp.headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    xml = codec_for("sqs", "query").error(err, "rid").body
    assert b'<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">' in xml
    assert b"<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in xml


@pytest.mark.parametrize(
    ("service", "code"),
    [
        ("lambda", "UnsupportedOperationException"),
        ("logs", "UnknownOperationException"),
        ("sts", "InvalidAction"),
        ("s3", "NotImplemented"),
    ],
)
def test_not_supported_is_worded_in_each_protocol(service: str, code: str) -> None:
    codec = codec_for(service)
    err = OperationNotSupported(service, "DoThing", codec.protocol)
    resp = codec.error(err, "rid")
    assert resp.status == 400
    parsed = parse_error(resp, codec.protocol)
    assert parsed["Code"] == code
    assert service in parsed["Message"] and "DoThing" in parsed["Message"]


def test_unknown_target_codec_answers_json_unknown_operation() -> None:
    codec = UnknownTargetCodec()
    req = HttpRequest("POST", "/", "", {"x-amz-target": "Nope_1.Do"}, b"{}")
    with pytest.raises(UnknownTargetException) as ei:
        codec.operation(req)
    resp = codec.error(ei.value, "rid")
    assert resp.status == 400 and resp.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert json.loads(resp.body)["__type"] == "UnknownOperationException"
