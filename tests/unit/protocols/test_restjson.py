"""rest-json (Lambda) against botocore: its requests parse to the params it serialized, our
responses and errors parse back in botocore, and the validator words errors as before."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ovis.errors import (
    ApiError,
    InvalidRequestContentException,
    MethodNotAllowedException,
    ResourceNotFoundException,
    TooManyRequestsException,
    UnknownOperationException,
    ValidationException,
)
from ovis.protocols import codec_for
from ovis.protocols.base import HttpRequest
from ovis.protocols.restjson import RestJsonCodec

from .oracle import parse_error, parse_output, request

ARN = "arn:aws:lambda:us-east-1:000000000000:function:my-fn"
ROLE = "arn:aws:iam::000000000000:role/lambda-role"
ZIP = b"PK\x05\x06" + b"\x00" * 18


@pytest.fixture(scope="module")
def codec() -> RestJsonCodec:
    c = codec_for("lambda")
    assert isinstance(c, RestJsonCodec)
    return c


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        (
            "CreateFunction",
            {
                "FunctionName": "my-fn",
                "Runtime": "python3.11",
                "Role": ROLE,
                "Handler": "app.handler",
                "Code": {"ZipFile": ZIP},
                "Timeout": 30,
                "MemorySize": 256,
                "Publish": True,
                "Environment": {"Variables": {"AA": "1", "BB": "two"}},
                "Tags": {"team": "x"},
                "Architectures": ["arm64"],
                "EphemeralStorage": {"Size": 1024},
            },
        ),
        (
            "Invoke",
            {
                "FunctionName": ARN,
                "InvocationType": "Event",
                "LogType": "Tail",
                "Qualifier": "$LATEST",
                "Payload": b'{"hello": "w\xc3\xb6rld"}',
            },
        ),
        ("Invoke", {"FunctionName": "my-fn", "Payload": b""}),
        ("ListFunctions", {"MaxItems": 5, "Marker": "abc/def", "FunctionVersion": "ALL"}),
        ("ListFunctions", {}),
        ("GetFunction", {"FunctionName": ARN, "Qualifier": "7"}),
        ("TagResource", {"Resource": ARN, "Tags": {"a": "b", "c d": "e&f"}}),
        ("UntagResource", {"Resource": ARN, "TagKeys": ["a", "c d"]}),
        ("PutFunctionConcurrency", {"FunctionName": "my-fn", "ReservedConcurrentExecutions": 7}),
        ("ListProvisionedConcurrencyConfigs", {"FunctionName": "my-fn"}),
        ("GetProvisionedConcurrencyConfig", {"FunctionName": "my-fn", "Qualifier": "1"}),
        ("GetLayerVersionByArn", {"Arn": "arn:aws:lambda:us-east-1:000000000000:layer:l:1"}),
        ("DeleteFunction", {"FunctionName": "my-fn"}),
    ],
)
def test_botocore_requests_parse_to_their_params(
    codec: RestJsonCodec, operation: str, params: dict[str, Any]
) -> None:
    req = request("lambda", operation, params)
    assert codec.operation(req) == operation
    assert codec.parse(operation, req) == params


def test_serialized_get_function_parses_in_botocore(codec: RestJsonCodec) -> None:
    output = {
        "Configuration": {
            "FunctionName": "my-fn",
            "FunctionArn": ARN,
            "Runtime": "python3.11",
            "Timeout": 3,
            "MemorySize": 128,
            "LastModified": "2026-12-01T19:38:16.000+0000",
            "Environment": {"Variables": {"A": "1"}},
            "Layers": [{"Arn": "arn:l", "CodeSize": 10}],
            "State": "Active",
        },
        "Code": {"RepositoryType": "S3", "Location": "http://x/y?a=1&b=2"},
        "Tags": {"t": "v"},
        "Concurrency": {"ReservedConcurrentExecutions": 2},
        "NotAMember": 1,
    }
    resp = codec.serialize("GetFunction", output, "rid")
    assert resp.status == 200
    parsed = parse_output(codec.model.operation_model("GetFunction"), resp, "rest-json")
    del output["NotAMember"]
    assert parsed == output


def test_serialized_list_functions_parses_in_botocore(codec: RestJsonCodec) -> None:
    output = {"Functions": [{"FunctionName": "a"}, {"FunctionName": "b"}], "NextMarker": "m"}
    resp = codec.serialize("ListFunctions", output, "rid")
    parsed = parse_output(codec.model.operation_model("ListFunctions"), resp, "rest-json")
    assert parsed == output


def test_serialized_invoke_puts_members_in_status_headers_and_payload(
    codec: RestJsonCodec,
) -> None:
    output = {
        "StatusCode": 200,
        "FunctionError": "Unhandled",
        "LogResult": "bG9n",
        "ExecutedVersion": "$LATEST",
        "Payload": b'{"x": 1}',
    }
    resp = codec.serialize("Invoke", output, "rid")
    assert resp.body == b'{"x": 1}'
    parsed = parse_output(codec.model.operation_model("Invoke"), resp, "rest-json")
    payload = parsed.pop("Payload")  # botocore hands a non-streaming blob payload over as text
    assert (payload.encode() if isinstance(payload, str) else payload) == output.pop("Payload")
    assert parsed == output


def test_serialize_204_and_model_status(codec: RestJsonCodec) -> None:
    resp = codec.serialize("DeleteFunction", {"StatusCode": 204}, "rid")
    assert (resp.status, resp.body) == (204, b"")
    assert "Content-Type" not in resp.headers
    resp = codec.serialize("CreateFunction", {"FunctionName": "f", "Description": None}, "rid")
    assert resp.status == 201
    assert json.loads(resp.body) == {"FunctionName": "f"}


@pytest.mark.parametrize(
    "err",
    [
        ResourceNotFoundException("Function not found: arn:x"),
        TooManyRequestsException(
            "Rate exceeded", Reason="ReservedFunctionConcurrentInvocationLimitExceeded"
        ),
        ValidationException("1 validation error detected: ..."),
    ],
)
def test_errors_parse_in_botocore(codec: RestJsonCodec, err: ApiError) -> None:
    resp = codec.error(err, "rid")
    assert resp.status == err.status
    assert resp.headers["x-amzn-ErrorType"] == err.code
    assert json.loads(resp.body) == err.body()  # Lambda's {"Type": ..., "message": ...}
    parsed = parse_error(resp, "rest-json")
    assert (parsed["Code"], parsed["Message"]) == (err.code, err.message)


def req(method: str, path: str, body: bytes = b"", query: str = "") -> HttpRequest:
    return HttpRequest(method, path, query, {}, body)


def test_unknown_path_and_wrong_method(codec: RestJsonCodec) -> None:
    with pytest.raises(UnknownOperationException) as e1:
        codec.operation(req("GET", "/2015-03-31/functions/my-fn/nope"))
    with pytest.raises(MethodNotAllowedException) as e2:
        codec.operation(req("PATCH", "/2015-03-31/functions"))
    for e in (e1.value, e2.value):
        parsed = parse_error(codec.error(e, "rid"), "rest-json")
        assert parsed["Code"] == e.code
    assert codec.operation(req("GET", "/2015-03-31/functions/")) == "ListFunctions"
    assert codec.operation(req("GET", "/2015-03-31/functions/f/versions")) == (
        "ListVersionsByFunction"
    )


# ---- AWS's wording, byte for byte (as the front door always answered) ---------------------

BASE = {
    "FunctionName": "my-fn",
    "Runtime": "python3.11",
    "Role": ROLE,
    "Handler": "a.b",
    "Code": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},
}
ONE = "1 validation error detected: "
NOT_JSON = "Could not parse request body into json: "
WRONG_TYPE = NOT_JSON + "Could not parse payload into json: Unexpected value for "


def _fails(at: str, constraint: str, value: str | None) -> str:
    shown = "null" if value is None else f"'{value}'"
    return f"Value {shown} at '{at}' failed to satisfy constraint: Member must {constraint}"


# (body, error class, the message; a message ending in "..." is a prefix: enums and patterns
# come from the installed botocore model)
WORDING: list[tuple[dict[str, Any], type[ApiError], str]] = [
    (
        {**BASE, "Timeout": 0},
        ValidationException,
        ONE + _fails("timeout", "have value greater than or equal to 1", "0"),
    ),
    (
        {**BASE, "Timeout": 0, "MemorySize": 64},
        ValidationException,
        "2 validation errors detected: "
        + _fails("timeout", "have value greater than or equal to 1", "0")
        + "; "
        + _fails("memorySize", "have value greater than or equal to 128", "64"),
    ),
    (
        {"Runtime": "python3.11", "Handler": "a.b"},
        ValidationException,
        "3 validation errors detected: "
        + "; ".join(_fails(m, "not be null", None) for m in ("functionName", "role", "code")),
    ),
    (
        {**BASE, "Runtime": "python2.9"},
        ValidationException,
        ONE + _fails("runtime", "satisfy enum value set: [nodejs, ", "python2.9") + "...",
    ),
    (
        {**BASE, "FunctionName": "bad name!"},
        ValidationException,
        ONE
        + _fails("functionName", "satisfy regular expression pattern: (arn:", "bad name!")
        + "...",
    ),
    (
        {**BASE, "Description": "d" * 257},
        ValidationException,
        ONE + _fails("description", "have length less than or equal to 256", "d" * 257),
    ),
    (
        {**BASE, "EphemeralStorage": {"Size": 100}},
        ValidationException,
        ONE + _fails("ephemeralStorage.size", "have value greater than or equal to 512", "100"),
    ),
    (
        {**BASE, "EphemeralStorage": {}},
        ValidationException,
        ONE + _fails("ephemeralStorage.size", "not be null", None),
    ),
    (
        {**BASE, "Architectures": ["x86_64", "arm64"]},
        ValidationException,
        ONE + _fails("architectures", "have length less than or equal to 1", None),
    ),
    (
        {**BASE, "Environment": {"Variables": {"1bad": "x"}}},
        ValidationException,
        ONE
        + _fails(
            "environment.variables.key",
            "satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+",
            "1bad",
        ),
    ),
    (
        {**BASE, "Layers": ["nope"]},
        ValidationException,
        ONE + _fails("layers.member", "satisfy regular expression pattern: ((arn:", "nope") + "...",
    ),
    (
        {**BASE, "Timeout": "3"},
        InvalidRequestContentException,
        WRONG_TYPE + "'Timeout': expected integer",
    ),
    (
        {**BASE, "Timeout": True},
        InvalidRequestContentException,
        WRONG_TYPE + "'Timeout': expected integer",
    ),
    (
        {**BASE, "Code": {"ZipFile": "!!!"}},
        InvalidRequestContentException,
        NOT_JSON + "'Code.ZipFile' is not valid base64",
    ),
    (
        {**BASE, "Environment": {"Variables": 1}},
        InvalidRequestContentException,
        WRONG_TYPE + "'Environment.Variables': expected map",
    ),
    ({**BASE, "Tags": []}, InvalidRequestContentException, WRONG_TYPE + "'Tags': expected map"),
]


@pytest.mark.parametrize(("body", "error", "message"), WORDING)
def test_messages_are_worded_as_aws(
    codec: RestJsonCodec, body: dict[str, Any], error: type[ApiError], message: str
) -> None:
    raw = json.dumps(body).encode()
    with pytest.raises(ApiError) as ei:
        codec.parse("CreateFunction", req("POST", "/2015-03-31/functions", raw))
    assert type(ei.value) is error
    if message.endswith("..."):
        assert ei.value.message.startswith(message[:-3])
    else:
        assert ei.value.message == message


@pytest.mark.parametrize(
    "body", [b"{not json", b"[1]", b"null", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000]
)
def test_unparseable_bodies(codec: RestJsonCodec, body: bytes) -> None:
    with pytest.raises(InvalidRequestContentException) as ei:
        codec.parse("CreateFunction", req("POST", "/2015-03-31/functions", body))
    assert ei.value.message.startswith("Could not parse request body into json")


def test_query_and_label_errors(codec: RestJsonCodec) -> None:
    with pytest.raises(ValidationException) as ei:
        codec.parse("ListFunctions", req("GET", "/2015-03-31/functions", query="MaxItems=abc"))
    assert ei.value.message == (
        "1 validation error detected: Value 'abc' at 'maxItems' failed to satisfy constraint: "
        "Member must be of type integer"
    )
    with pytest.raises(ValidationException) as ei:
        codec.parse("GetFunction", req("GET", "/2015-03-31/functions/bad%20name"))
    assert "Value 'bad name' at 'functionName'" in ei.value.message


def test_every_parse_failure_is_an_api_error(codec: RestJsonCodec) -> None:
    values: list[Any] = [None, 0, -1, 2**70, 1.5, "", "x", True, [], [1], {}, {"a": 1}]
    members = list(codec.model.operation_model("CreateFunction").input_shape.members)
    for name in members:
        for value in values:
            body = json.dumps({**BASE, name: value}).encode()
            try:
                codec.parse("CreateFunction", req("POST", "/2015-03-31/functions", body))
            except ApiError as e:
                assert 400 <= e.status < 500, (name, value, e)


def test_timestamps_out_are_epoch_seconds() -> None:
    codec = RestJsonCodec("scheduler")
    created = datetime(2026, 12, 1, 19, 38, 16, tzinfo=UTC)
    out: dict[str, Any] = {
        "Arn": "arn:s",
        "CreationDate": created,
        "Name": "s",
        "ScheduleExpression": "rate(1 minute)",
        "Target": {"Arn": "arn:t", "RoleArn": "arn:r"},
        "FlexibleTimeWindow": {"Mode": "OFF"},
    }
    resp = codec.serialize("GetSchedule", out, "rid")
    assert json.loads(resp.body)["CreationDate"] == int(created.timestamp())
    assert parse_output(codec.model.operation_model("GetSchedule"), resp, "rest-json") == out


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        (
            "apigateway",
            "GetExport",
            {
                "restApiId": "a1",
                "stageName": "prod",
                "exportType": "oas30",
                "parameters": {"extensions": "integrations", "x y": "1"},
                "accepts": "application/yaml",
            },
        ),
        ("scheduler", "ListSchedules", {"GroupName": "g", "MaxResults": 5, "State": "ENABLED"}),
        (
            "scheduler",
            "UntagResource",
            {
                "ResourceArn": "arn:aws:scheduler:us-east-1:000000000000:schedule-group/g",
                "TagKeys": ["a", "b"],
            },
        ),
    ],
)
def test_other_rest_json_services(service: str, operation: str, params: dict[str, Any]) -> None:
    codec = codec_for(service)
    req = request(service, operation, params)
    assert codec.operation(req) == operation
    assert codec.parse(operation, req) == params
