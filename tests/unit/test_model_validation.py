"""The botocore model as the spec, through the rest-json codec (``ovis.protocols``): routing,
request parsing, AWS-worded validation (``ovis.protocols.validate``), serialization."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from ovis.errors import (
    ApiError,
    InvalidRequestContentException,
    MethodNotAllowedException,
    UnknownOperationException,
    ValidationException,
)
from ovis.protocols import codec_for
from ovis.protocols.base import HttpRequest
from ovis.protocols.model import operations
from ovis.protocols.restjson import RestJsonCodec, not_allowed, unknown_operation
from ovis.protocols.routes import Router

ARN = "arn:aws:lambda:us-east-1:000000000000:function:my-fn"
ARN_Q = quote(ARN, safe="")  # as botocore puts a label in the path: colons percent-encoded
ROLE = "arn:aws:iam::000000000000:role/lambda-role"
EMPTY_ZIP = b"PK\x05\x06" + b"\x00" * 18


@pytest.fixture(scope="module")
def svc() -> RestJsonCodec:
    codec = codec_for("lambda")
    assert isinstance(codec, RestJsonCodec)
    return codec


@pytest.fixture(scope="module")
def router(svc: RestJsonCodec) -> Router:
    return Router(operations(svc.model), unknown_operation, not_allowed)


def parse(
    svc: RestJsonCodec,
    method: str,
    path: str,
    body: bytes | dict[str, Any] = b"",
    headers: dict[str, str] | None = None,
    query: str = "",
) -> dict[str, Any]:
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    req = HttpRequest(method, path, query, headers or {}, raw)
    return svc.parse(svc.operation(req), req)


def create_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "FunctionName": "my-fn",
        "Runtime": "python3.11",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": base64.b64encode(EMPTY_ZIP).decode()},
    }
    body.update(overrides)
    return body


def validation_message(svc: RestJsonCodec, body: dict[str, Any]) -> str:
    with pytest.raises(ValidationException) as ei:
        parse(svc, "POST", "/2015-03-31/functions", body)
    assert ei.value.code == "ValidationException"
    assert ei.value.status == 400
    return ei.value.message


# ---- routing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "query", "operation", "labels"),
    [
        ("GET", "/2015-03-31/functions", {}, "ListFunctions", {}),
        ("GET", "/2015-03-31/functions/", {}, "ListFunctions", {}),
        ("POST", "/2015-03-31/functions", {}, "CreateFunction", {}),
        ("GET", "/2015-03-31/functions/my-fn", {}, "GetFunction", {"FunctionName": "my-fn"}),
        ("DELETE", "/2015-03-31/functions/my-fn", {}, "DeleteFunction", {"FunctionName": "my-fn"}),
        (
            "GET",
            "/2015-03-31/functions/my-fn/configuration",
            {},
            "GetFunctionConfiguration",
            {"FunctionName": "my-fn"},
        ),
        (
            "PUT",
            "/2015-03-31/functions/my-fn/configuration",
            {},
            "UpdateFunctionConfiguration",
            {"FunctionName": "my-fn"},
        ),
        (
            "PUT",
            "/2015-03-31/functions/my-fn/code",
            {},
            "UpdateFunctionCode",
            {"FunctionName": "my-fn"},
        ),
        (
            "POST",
            "/2015-03-31/functions/my-fn/invocations",
            {},
            "Invoke",
            {"FunctionName": "my-fn"},
        ),
        ("GET", f"/2015-03-31/functions/{ARN_Q}", {}, "GetFunction", {"FunctionName": ARN}),
        (
            "POST",
            f"/2015-03-31/functions/{quote(ARN + ':$LATEST', safe='')}/invocations",
            {},
            "Invoke",
            {"FunctionName": ARN + ":$LATEST"},
        ),
        (
            "GET",
            "/2015-03-31/functions/000000000000%3Afunction%3Amy-fn/configuration",
            {},
            "GetFunctionConfiguration",
            {"FunctionName": "000000000000:function:my-fn"},
        ),
        ("GET", f"/2017-03-31/tags/{ARN_Q}", {}, "ListTags", {"Resource": ARN}),
        ("POST", f"/2017-03-31/tags/{ARN_Q}", {}, "TagResource", {"Resource": ARN}),
        ("DELETE", f"/2017-03-31/tags/{ARN_Q}", {}, "UntagResource", {"Resource": ARN}),
        ("GET", "/2016-08-19/account-settings", {}, "GetAccountSettings", {}),
        ("GET", "/2016-08-19/account-settings/", {}, "GetAccountSettings", {}),
        # literal segments beat labels: .../versions is not GetFunction's sibling with a label
        (
            "GET",
            "/2015-03-31/functions/my-fn/versions",
            {},
            "ListVersionsByFunction",
            {"FunctionName": "my-fn"},
        ),
        # a literal query constraint (?List=ALL) selects its route over the unconstrained one
        (
            "GET",
            "/2019-09-30/functions/my-fn/provisioned-concurrency",
            {"List": "ALL"},
            "ListProvisionedConcurrencyConfigs",
            {"FunctionName": "my-fn"},
        ),
        (
            "GET",
            "/2019-09-30/functions/my-fn/provisioned-concurrency",
            {},
            "GetProvisionedConcurrencyConfig",
            {"FunctionName": "my-fn"},
        ),
    ],
)
def test_route_matching(
    svc: RestJsonCodec,
    router: Router,
    method: str,
    path: str,
    query: dict[str, str],
    operation: str,
    labels: dict[str, str],
) -> None:
    route = router.match(method, path, urlencode(query), {})
    assert route.operation == operation
    assert route.labels(path) == labels
    assert svc.operation(HttpRequest(method, path, urlencode(query), {}, b"")) == operation


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/2015-03-31/functions"),
        ("DELETE", "/2015-03-31/functions"),
        ("PUT", "/2015-03-31/functions/my-fn"),
        ("POST", "/2016-08-19/account-settings"),
        ("GET", "/2015-03-31/functions/my-fn/code"),
        ("PUT", f"/2017-03-31/tags/{ARN_Q}"),
    ],
)
def test_known_path_wrong_method_is_405(svc: RestJsonCodec, method: str, path: str) -> None:
    with pytest.raises(MethodNotAllowedException) as ei:
        svc.operation(HttpRequest(method, path, "", {}, b""))
    assert ei.value.status == 405
    assert method in ei.value.message


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/nope"),
        ("GET", "/2015-03-31"),
        ("GET", "/2015-03-31/nope"),
        ("GET", "/2015-03-31/functions/my-fn/nope"),
        ("GET", "/2015-03-31/functions/a/b/c/d/e/f/g"),
        ("POST", "/2099-01-01/functions"),
    ],
)
def test_unknown_path_is_404(svc: RestJsonCodec, method: str, path: str) -> None:
    with pytest.raises(UnknownOperationException) as ei:
        svc.operation(HttpRequest(method, path, "", {}, b""))
    assert ei.value.status == 404
    assert ei.value.code == "UnknownOperationException"


# ---- parsing --------------------------------------------------------------------------------


def test_create_function_body_parses_and_decodes_blobs(svc: RestJsonCodec) -> None:
    params = parse(
        svc,
        "POST",
        "/2015-03-31/functions",
        create_body(Timeout=30, Environment={"Variables": {"GREETING": "hi"}}, Tags={"a": "b"}),
    )
    assert params["FunctionName"] == "my-fn"
    assert params["Timeout"] == 30
    assert params["Code"] == {"ZipFile": EMPTY_ZIP}  # base64 in JSON -> bytes
    assert params["Environment"] == {"Variables": {"GREETING": "hi"}}
    assert params["Tags"] == {"a": "b"}


def test_null_members_are_absent(svc: RestJsonCodec) -> None:
    params = parse(svc, "POST", "/2015-03-31/functions", create_body(Description=None))
    assert "Description" not in params


def test_unknown_members_are_ignored(svc: RestJsonCodec) -> None:
    params = parse(svc, "POST", "/2015-03-31/functions", create_body(NotAMember=1))
    assert "NotAMember" not in params


def test_uri_query_and_header_members(svc: RestJsonCodec) -> None:
    params = parse(
        svc,
        "POST",
        f"/2015-03-31/functions/{ARN_Q}/invocations",
        b'{"a": 1}',
        headers={"x-amz-invocation-type": "Event", "x-amz-log-type": "Tail"},
        query="Qualifier=%24LATEST",
    )
    assert params == {
        "FunctionName": ARN,
        "InvocationType": "Event",
        "LogType": "Tail",
        "Payload": b'{"a": 1}',  # the raw payload member, untouched
        "Qualifier": "$LATEST",
    }


def test_querystring_integer_and_list(svc: RestJsonCodec) -> None:
    assert parse(svc, "GET", "/2015-03-31/functions", query="MaxItems=5&Marker=abc") == {
        "MaxItems": 5,
        "Marker": "abc",
    }
    assert parse(svc, "DELETE", f"/2017-03-31/tags/{ARN_Q}", query="tagKeys=a&tagKeys=b") == {
        "Resource": ARN,
        "TagKeys": ["a", "b"],
    }


def test_querystring_not_an_integer(svc: RestJsonCodec) -> None:
    with pytest.raises(ValidationException) as ei:
        parse(svc, "GET", "/2015-03-31/functions", query="MaxItems=abc")
    assert ei.value.message == (
        "1 validation error detected: Value 'abc' at 'maxItems' failed to satisfy constraint: "
        "Member must be of type integer"
    )


@pytest.mark.parametrize("value", ["0", "-1", "10001"])
def test_querystring_range(svc: RestJsonCodec, value: str) -> None:
    with pytest.raises(ValidationException) as ei:
        parse(svc, "GET", "/2015-03-31/functions", query=f"MaxItems={value}")
    assert f"Value '{value}' at 'maxItems' failed to satisfy constraint" in ei.value.message


# ---- validation wording ---------------------------------------------------------------------


def test_timeout_below_minimum(svc: RestJsonCodec) -> None:
    assert validation_message(svc, create_body(Timeout=0)) == (
        "1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )


def test_memory_below_minimum(svc: RestJsonCodec) -> None:
    assert validation_message(svc, create_body(MemorySize=64)) == (
        "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: "
        "Member must have value greater than or equal to 128"
    )


def test_two_errors_are_counted_and_joined(svc: RestJsonCodec) -> None:
    assert validation_message(svc, create_body(Timeout=0, MemorySize=64)) == (
        "2 validation errors detected: "
        "Value '0' at 'timeout' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1; "
        "Value '64' at 'memorySize' failed to satisfy constraint: "
        "Member must have value greater than or equal to 128"
    )


def test_missing_required_members(svc: RestJsonCodec) -> None:
    assert validation_message(svc, {"Runtime": "python3.11", "Handler": "a.b"}) == (
        "3 validation errors detected: "
        "Value null at 'functionName' failed to satisfy constraint: Member must not be null; "
        "Value null at 'role' failed to satisfy constraint: Member must not be null; "
        "Value null at 'code' failed to satisfy constraint: Member must not be null"
    )


def test_empty_body_reports_missing_members(svc: RestJsonCodec) -> None:
    with pytest.raises(ValidationException) as ei:
        parse(svc, "POST", "/2015-03-31/functions", b"")
    assert ei.value.message.startswith("3 validation errors detected: Value null at")


def test_enum(svc: RestJsonCodec) -> None:
    msg = validation_message(svc, create_body(Runtime="python2.9"))
    assert msg.startswith(
        "1 validation error detected: Value 'python2.9' at 'runtime' failed to satisfy "
        "constraint: Member must satisfy enum value set: ["
    )
    assert "python3.11" in msg and "java21" in msg


def test_pattern(svc: RestJsonCodec) -> None:
    msg = validation_message(svc, create_body(FunctionName="bad name!"))
    assert msg.startswith(
        "1 validation error detected: Value 'bad name!' at 'functionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
    )


def test_length(svc: RestJsonCodec) -> None:
    msg = validation_message(svc, create_body(Description="d" * 257))
    assert msg.endswith(
        "at 'description' failed to satisfy constraint: "
        "Member must have length less than or equal to 256"
    )


def test_nested_member_path(svc: RestJsonCodec) -> None:
    assert validation_message(svc, create_body(EphemeralStorage={"Size": 100})) == (
        "1 validation error detected: Value '100' at 'ephemeralStorage.size' failed to satisfy "
        "constraint: Member must have value greater than or equal to 512"
    )
    assert validation_message(svc, create_body(EphemeralStorage={})) == (
        "1 validation error detected: Value null at 'ephemeralStorage.size' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_header_enum(svc: RestJsonCodec) -> None:
    with pytest.raises(ValidationException) as ei:
        parse(
            svc,
            "POST",
            "/2015-03-31/functions/my-fn/invocations",
            b"{}",
            headers={"x-amz-invocation-type": "Bogus"},
        )
    assert ei.value.message.startswith(
        "1 validation error detected: Value 'Bogus' at 'invocationType' failed to satisfy "
        "constraint: Member must satisfy enum value set: ["
    )


def test_uri_label_pattern(svc: RestJsonCodec) -> None:
    with pytest.raises(ValidationException) as ei:
        parse(svc, "GET", "/2015-03-31/functions/bad%20name")
    assert "Value 'bad name' at 'functionName'" in ei.value.message


# ---- unparseable content --------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'"a string"',
        b"null",
        b"\xff\xfe\x00",
        b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than the JSON parser's recursion
        json.dumps(create_body(Timeout="3")).encode(),
        json.dumps(create_body(Timeout=3.5)).encode(),
        json.dumps(create_body(Timeout=True)).encode(),
        json.dumps(create_body(Code="zip")).encode(),
        json.dumps(create_body(Code={"ZipFile": "!!! not base64"})).encode(),
        json.dumps(create_body(Environment={"Variables": ["A=1"]})).encode(),
        json.dumps(create_body(Environment={"Variables": {"AB": 1}})).encode(),
        json.dumps(create_body(Tags=[])).encode(),
        json.dumps(create_body(Architectures="x86_64")).encode(),
        json.dumps(create_body(Publish="yes")).encode(),
        json.dumps(create_body(FunctionName=["my-fn"])).encode(),
    ],
)
def test_unparseable_content(svc: RestJsonCodec, body: bytes) -> None:
    with pytest.raises(InvalidRequestContentException) as ei:
        parse(svc, "POST", "/2015-03-31/functions", body)
    assert ei.value.status == 400
    assert ei.value.message.startswith("Could not parse request body into json")


def test_wrong_type_names_the_member(svc: RestJsonCodec) -> None:
    with pytest.raises(InvalidRequestContentException) as ei:
        parse(svc, "POST", "/2015-03-31/functions", create_body(Timeout="3"))
    assert "'Timeout'" in ei.value.message and "integer" in ei.value.message
    with pytest.raises(InvalidRequestContentException) as ei:
        parse(svc, "POST", "/2015-03-31/functions", create_body(Environment={"Variables": 1}))
    assert "'Environment.Variables'" in ei.value.message


def test_every_parse_failure_is_an_api_error(svc: RestJsonCodec) -> None:
    """Whatever the body, parse raises a 4xx ApiError, never anything else."""
    values: list[Any] = [None, 0, -1, 2**70, 1.5, "", "x", True, [], [1], {}, {"a": 1}]
    members = list(svc.model.operation_model("CreateFunction").input_shape.members)
    for name in members:
        for value in values:
            body = json.dumps(create_body(**{name: value})).encode()
            try:
                svc.parse("CreateFunction", HttpRequest("POST", "/", "", {}, body))
            except ApiError as e:
                assert 400 <= e.status < 500, (name, value, e)


# ---- serialization --------------------------------------------------------------------------


def test_serialize_json_output_uses_model_status(svc: RestJsonCodec) -> None:
    status, headers, body = serialize(
        svc,
        "CreateFunction",
        {"FunctionName": "my-fn", "Timeout": 3, "NotAMember": 1, "Description": None},
    )
    assert status == 201  # CreateFunction's responseCode
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"FunctionName": "my-fn", "Timeout": 3}


def test_serialize_payload_headers_and_status_code(svc: RestJsonCodec) -> None:
    status, headers, body = serialize(
        svc,
        "Invoke",
        {
            "StatusCode": 202,
            "Payload": b'{"x": 1}',
            "FunctionError": "Unhandled",
            "ExecutedVersion": "$LATEST",
            "LogResult": None,
        },
    )
    assert status == 202
    assert body == b'{"x": 1}'  # raw, not JSON-wrapped
    assert headers["X-Amz-Function-Error"] == "Unhandled"
    assert headers["X-Amz-Executed-Version"] == "$LATEST"
    assert "X-Amz-Log-Result" not in headers


def test_serialize_empty_output(svc: RestJsonCodec) -> None:
    status, _headers, body = serialize(svc, "TagResource", {})
    assert (status, body) == (204, b"")


def test_serialize_204_has_no_body(svc: RestJsonCodec) -> None:
    # DeleteFunction's model output is a statusCode member only; AWS answers 204 No Content.
    status, headers, body = serialize(svc, "DeleteFunction", {"StatusCode": 204})
    assert (status, body) == (204, b"")
    assert "Content-Type" not in headers


def serialize(
    svc: RestJsonCodec, operation: str, output: dict[str, Any]
) -> tuple[int, dict[str, str], bytes]:
    resp = svc.serialize(operation, output, "request-id")
    return resp.status, resp.headers, resp.body
