"""The query protocol (STS, IAM, SNS, CloudFormation, classic SQS) against botocore."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ovis.errors import (
    ApiError,
    InvalidAction,
    InvalidParameterValue,
    MalformedQueryString,
    ResourceNotFoundException,
    ServiceException,
    ValidationError,
)
from ovis.protocols import codec_for
from ovis.protocols.base import HttpRequest
from ovis.protocols.query import QueryCodec
from ovis.services.sqs.errors import QueueDoesNotExist

from .oracle import classic_sqs_model, normalize, parse_error, parse_output, request

ROLE = "arn:aws:iam::000000000000:role/r"
Q = "http://localhost:4566/000000000000/q"
STAMP = datetime(2026, 12, 1, 19, 38, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        ("sts", "GetCallerIdentity", {}),
        (
            "sts",
            "AssumeRole",
            {
                "RoleArn": ROLE,
                "RoleSessionName": "sess",
                "DurationSeconds": 900,
                "Tags": [{"Key": "a", "Value": "b"}, {"Key": "c", "Value": "d e&f"}],
                "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
                "TransitiveTagKeys": [],
            },
        ),
        (
            "iam",
            "CreateRole",
            {
                "RoleName": "r",
                "AssumeRolePolicyDocument": '{"Version": "2012-10-17"}',
                "MaxSessionDuration": 3600,
                "Tags": [{"Key": "team", "Value": "x"}],
            },
        ),
        ("iam", "ListRoles", {"PathPrefix": "/", "MaxItems": 10}),
        (
            "sns",
            "Publish",
            {
                "TopicArn": "arn:aws:sns:us-east-1:000000000000:t",
                "Message": "hello\nworld",
                "MessageAttributes": {
                    "s": {"DataType": "String", "StringValue": "v"},
                    "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
                },
            },
        ),
        (
            "cloudformation",
            "CreateStack",
            {
                "StackName": "s",
                "TemplateBody": "{}",
                "Parameters": [{"ParameterKey": "k", "ParameterValue": "v"}],
                "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
                "Tags": [{"Key": "a", "Value": "b"}],
                "DisableRollback": True,
            },
        ),
    ],
)
def test_botocore_requests_parse_to_their_params(
    service: str, operation: str, params: dict[str, Any]
) -> None:
    codec = codec_for(service)
    req = request(service, operation, params)
    assert codec.operation(req) == operation
    assert codec.parse(operation, req) == params


SQS_INPUTS: list[tuple[str, dict[str, Any]]] = [
    ("GetQueueAttributes", {"QueueUrl": Q, "AttributeNames": ["All"]}),
    ("SetQueueAttributes", {"QueueUrl": Q, "Attributes": {"VisibilityTimeout": "5"}}),
    ("CreateQueue", {"QueueName": "q", "Attributes": {"DelaySeconds": "1"}, "tags": {"t": "v"}}),
    (
        "SendMessage",
        {
            "QueueUrl": Q,
            "MessageBody": "hi",
            "MessageAttributes": {
                "s": {"DataType": "String", "StringValue": "v"},
                "b": {"DataType": "Binary", "BinaryValue": b"\x00"},
                "l": {"DataType": "String", "StringListValues": ["a", "b"]},
            },
        },
    ),
    (
        "SendMessageBatch",
        {
            "QueueUrl": Q,
            "Entries": [
                {"Id": "1", "MessageBody": "a", "DelaySeconds": 1},
                {
                    "Id": "2",
                    "MessageBody": "b",
                    "MessageAttributes": {"x": {"DataType": "Number", "StringValue": "1"}},
                },
            ],
        },
    ),
    (
        "ReceiveMessage",
        {"QueueUrl": Q, "MaxNumberOfMessages": 10, "MessageAttributeNames": ["All"]},
    ),
    ("TagQueue", {"QueueUrl": Q, "Tags": {"a": "b"}}),
]


@pytest.mark.parametrize(("operation", "params"), SQS_INPUTS)
def test_sqs_classic_and_model_names_both_parse(operation: str, params: dict[str, Any]) -> None:
    codec = codec_for("sqs", "query")
    classic = request(classic_sqs_model(), operation, params, "query")
    modeled = request("sqs", operation, params, "query")
    assert classic.body != modeled.body  # Attribute.1.Name vs Attributes.entry.1.key
    for req in (classic, modeled):
        assert codec.operation(req) == operation
        assert codec.parse(operation, req) == params


def test_sqs_query_classic_names_are_the_ones_of_the_old_api() -> None:
    req = request(classic_sqs_model(), "SetQueueAttributes", SQS_INPUTS[1][1], "query")
    assert b"Attribute.1.Name=VisibilityTimeout" in req.body
    get = HttpRequest("GET", "/000000000000/q", "Action=GetQueueUrl&QueueName=q", {}, b"")
    codec = codec_for("sqs", "query")
    assert codec.parse(codec.operation(get), get) == {"QueueName": "q"}


@pytest.mark.parametrize(
    ("service", "operation", "output"),
    [
        (
            "sts",
            "GetCallerIdentity",
            {"UserId": "AIDA", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root"},
        ),
        (
            "sts",
            "AssumeRole",
            {
                "Credentials": {
                    "AccessKeyId": "AKIA",
                    "SecretAccessKey": "s<&>",
                    "SessionToken": "t",
                    "Expiration": STAMP,
                },
                "AssumedRoleUser": {"AssumedRoleId": "AROA:s", "Arn": ROLE},
                "PackedPolicySize": 6,
            },
        ),
        (
            "iam",
            "ListRoles",
            {
                "Roles": [
                    {
                        "Path": "/",
                        "RoleName": "r",
                        "RoleId": "AROA",
                        "Arn": ROLE,
                        "CreateDate": STAMP,
                        "Tags": [{"Key": "a", "Value": "b"}],
                        "MaxSessionDuration": 3600,
                    }
                ],
                "IsTruncated": False,
            },
        ),
        ("sns", "Publish", {"MessageId": "m"}),
        ("sns", "GetTopicAttributes", {"Attributes": {"TopicArn": "arn:t", "Policy": "{}"}}),
    ],
)
def test_serialized_outputs_parse_in_botocore(
    service: str, operation: str, output: dict[str, Any]
) -> None:
    codec = codec_for(service)
    resp = codec.serialize(operation, {**output, "NotAMember": 1}, "req-1")
    assert resp.body.startswith(b"<?xml")
    assert f"<{operation}Response".encode() in resp.body
    parsed = parse_output(codec.model.operation_model(operation), resp, "query")  # type: ignore[attr-defined]
    assert normalize(parsed) == normalize(output)


RECEIVED = {
    "Messages": [
        {
            "MessageId": "m",
            "ReceiptHandle": "r",
            "MD5OfBody": "x",
            "Body": "line1\r\nline2 <&>",
            "Attributes": {"SentTimestamp": "1", "ApproximateReceiveCount": "2"},
            "MessageAttributes": {
                "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
                "s": {"DataType": "String", "StringValue": "v"},
            },
        }
    ]
}


def test_sqs_receive_message_in_classic_xml() -> None:
    codec = codec_for("sqs", "query")
    resp = codec.serialize("ReceiveMessage", RECEIVED, "rid")
    assert b'xmlns="http://queue.amazonaws.com/doc/2012-11-05/"' in resp.body
    assert b"<Message><MessageId>" in resp.body
    assert b"<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>" in resp.body
    op = classic_sqs_model().operation_model("ReceiveMessage")
    assert parse_output(op, resp, "query") == RECEIVED


def test_sqs_batch_result_in_classic_xml() -> None:
    codec = codec_for("sqs", "query")
    out = {
        "Successful": [{"Id": "1", "MessageId": "m", "MD5OfMessageBody": "x"}],
        "Failed": [{"Id": "2", "SenderFault": True, "Code": "C", "Message": "M"}],
    }
    resp = codec.serialize("SendMessageBatch", out, "rid")
    op = classic_sqs_model().operation_model("SendMessageBatch")
    assert parse_output(op, resp, "query") == out


@pytest.mark.parametrize(
    ("err", "code", "fault"),
    [
        (
            InvalidAction("Could not find operation Nope for version 2011-06-15"),
            "InvalidAction",
            "Sender",
        ),
        (ValidationError("1 validation error detected: <x> & y"), "ValidationError", "Sender"),
        (ServiceException("boom"), "ServiceException", "Receiver"),
        (ResourceNotFoundException("nope"), "ResourceNotFoundException", "Sender"),
    ],
)
def test_errors_parse_in_botocore(err: ApiError, code: str, fault: str) -> None:
    resp = codec_for("sts").error(err, "rid")
    assert resp.status == err.status
    assert resp.headers["Content-Type"] == "text/xml"
    parsed = parse_error(resp, "query")
    assert (parsed["Code"], parsed["Message"], parsed["Type"]) == (code, err.message, fault)


def test_sqs_errors_use_the_query_code() -> None:
    resp = codec_for("sqs", "query").error(QueueDoesNotExist(), "rid")
    assert "application/x-amz-json-1.0" not in resp.headers.values()
    parsed = parse_error(resp, "query")
    assert parsed["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def form(body: str, method: str = "POST") -> HttpRequest:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if method == "GET":
        return HttpRequest("GET", "/", body, {}, b"")
    return HttpRequest(method, "/", "", headers, body.encode())


@pytest.mark.parametrize(
    "body",
    ["Action=Nope&Version=2011-06-15", "Version=2011-06-15", "", "Action=GetCallerIdentity2"],
)
def test_unknown_action_is_invalid_action_in_xml(body: str) -> None:
    codec = codec_for("sts")
    with pytest.raises(InvalidAction) as ei:
        codec.operation(form(body))
    assert parse_error(codec.error(ei.value, "rid"), "query")["Code"] == "InvalidAction"


def test_get_requests_carry_parameters_in_the_query_string() -> None:
    codec = codec_for("iam")
    req = form("Action=GetRole&Version=2010-05-08&RoleName=r", "GET")
    assert codec.operation(req) == "GetRole"
    assert codec.parse("GetRole", req) == {"RoleName": "r"}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            "Action=AssumeRole&RoleArn=" + "a" * 30 + "&RoleSessionName=sess&DurationSeconds=x",
            InvalidParameterValue,
        ),
        ("Action=AssumeRole&RoleSessionName=sess", ValidationError),
        ("Action=AssumeRole&RoleArn=" + "a" * 30 + "&RoleSessionName=bad%20name", ValidationError),
    ],
)
def test_bad_parameters(body: str, error: type[ApiError]) -> None:
    with pytest.raises(error) as ei:
        codec_for("sts").parse("AssumeRole", form(body))
    assert ei.value.status == 400


def test_validation_wording_is_aws() -> None:
    with pytest.raises(ValidationError) as ei:
        codec_for("sts").parse("AssumeRole", form("Action=AssumeRole&RoleSessionName=sess"))
    assert ei.value.message == (
        "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_undecodable_form_is_malformed() -> None:
    req = HttpRequest(
        "POST", "/", "", {"content-type": "application/x-www-form-urlencoded"}, b"\xff=1"
    )
    with pytest.raises(MalformedQueryString):
        codec_for("sts").operation(req)


def test_every_parse_failure_is_an_api_error() -> None:
    codec = codec_for("iam")
    assert isinstance(codec, QueryCodec)
    shape = codec.model.operation_model("CreateRole").input_shape
    for name in shape.members:
        for value in ["", "x", "1", "-1", "true", "\x00", "%", "a" * 70000]:
            for key in (name, f"{name}.member.1", f"{name}.member.1.Key", f"{name}.member.x"):
                try:
                    codec.parse("CreateRole", form(f"Action=CreateRole&{key}={value}"))
                except ApiError as e:
                    assert 400 <= e.status < 500
