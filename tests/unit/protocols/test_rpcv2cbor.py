"""Smithy RPC v2 CBOR (CloudWatch as boto3 calls it) against botocore's own serializer and
parser."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from typing import Any

import cbor2
import pytest

from ovis.errors import SerializationException, UnknownTargetException, ValidationException
from ovis.protocols import codec_for
from ovis.protocols.base import HttpRequest
from ovis.services.cloudwatch.errors import InvalidParameterValue, ResourceNotFound

from .oracle import normalize, parse_error, parse_output, request

STAMP = datetime(2026, 12, 1, 19, 38, 16, 250000, tzinfo=UTC)
PROTOCOL = "smithy-rpc-v2-cbor"


def codec() -> Any:
    return codec_for("cloudwatch")


def test_cloudwatch_speaks_cbor_first() -> None:
    assert codec().protocol == PROTOCOL
    assert codec_for("cloudwatch", "json").protocol == "json"
    assert codec_for("cloudwatch", "query").protocol == "query"


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        (
            "PutMetricData",
            {
                "Namespace": "App",
                "MetricData": [
                    {
                        "MetricName": "Latency",
                        "Dimensions": [{"Name": "Svc", "Value": "a"}],
                        "Timestamp": STAMP,
                        "Values": [1.5, 2.0],
                        "Counts": [1.0, 3.0],
                        "Unit": "Milliseconds",
                        "StorageResolution": 1,
                    },
                    {
                        "MetricName": "Count",
                        "StatisticValues": {
                            "SampleCount": 2.0,
                            "Sum": 3.0,
                            "Minimum": 1.0,
                            "Maximum": 2.0,
                        },
                    },
                ],
            },
        ),
        (
            "GetMetricData",
            {
                "MetricDataQueries": [
                    {"Id": "e1", "Expression": "SUM(METRICS())", "ReturnData": True},
                ],
                "StartTime": STAMP,
                "EndTime": STAMP,
                "MaxDatapoints": 10,
            },
        ),
        ("DescribeAlarms", {"AlarmNames": ["a", "b"], "StateValue": "ALARM"}),
        ("DeleteAlarms", {"AlarmNames": ["x"]}),
    ],
)
def test_botocore_requests_parse_to_their_params(operation: str, params: dict[str, Any]) -> None:
    req = request("cloudwatch", operation, params, PROTOCOL)
    assert req.path == f"/service/GraniteServiceVersion20100801/operation/{operation}"
    assert req.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert codec().operation(req) == operation
    parsed = codec().parse(operation, req)
    assert normalize(parsed) == normalize(params)
    # timestamps are aware datetimes, floats floats, integers integers
    if operation == "PutMetricData":
        d = parsed["MetricData"][0]
        assert d["Timestamp"] == STAMP and d["StorageResolution"] == 1
        assert isinstance(parsed["MetricData"][1]["StatisticValues"]["Sum"], float)


@pytest.mark.parametrize(
    ("operation", "output"),
    [
        (
            "GetMetricStatistics",
            {
                "Label": "Latency",
                "Datapoints": [
                    {
                        "Timestamp": STAMP,
                        "SampleCount": 3.0,
                        "Sum": 6.0,
                        "Unit": "Milliseconds",
                        "ExtendedStatistics": {"p99": 3.0},
                    }
                ],
            },
        ),
        (
            "GetMetricData",
            {
                "MetricDataResults": [
                    {
                        "Id": "m1",
                        "Label": "L",
                        "Timestamps": [STAMP, datetime(2026, 1, 1, tzinfo=UTC)],
                        "Values": [1.0, 2.5],
                        "StatusCode": "Complete",
                        "Messages": [],
                    }
                ],
                "NextToken": "t",
                "Messages": [],
            },
        ),
        (
            "DescribeAlarms",
            {
                "MetricAlarms": [
                    {
                        "AlarmName": "a",
                        "StateValue": "OK",
                        "Threshold": 1.0,
                        "EvaluationPeriods": 2,
                        "Dimensions": [{"Name": "n", "Value": "v"}],
                        "StateUpdatedTimestamp": STAMP,
                        "ActionsEnabled": True,
                    }
                ],
                "CompositeAlarms": [],
            },
        ),
    ],
)
def test_serialized_outputs_parse_in_botocore(operation: str, output: dict[str, Any]) -> None:
    c = codec()
    resp = c.serialize(
        operation, {**output, "NotAMember": 1, "NextToken": output.get("NextToken")}, "rid"
    )
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/cbor"
    assert resp.headers["smithy-protocol"] == "rpc-v2-cbor"
    parsed = parse_output(c.model.operation_model(operation), resp, PROTOCOL)
    assert normalize(parsed) == normalize({k: v for k, v in output.items() if v is not None})


def test_timestamps_are_tag_1_epoch_seconds() -> None:
    resp = codec().serialize("GetMetricData", {"MetricDataResults": [{"Timestamps": [STAMP]}]}, "r")
    # 0xc1: tag 1; 0xfb: a double holding the epoch seconds
    assert b"\xc1\xfb" + struct.pack(">d", STAMP.timestamp()) in resp.body
    assert cbor2.loads(resp.body)["MetricDataResults"][0]["Timestamps"] == [STAMP]
    # epoch numbers and ISO strings given by use cases encode the same way
    again = codec().serialize(
        "GetMetricData", {"MetricDataResults": [{"Timestamps": [STAMP.timestamp()]}]}, "r"
    )
    assert again.body == resp.body


@pytest.mark.parametrize(
    ("err", "code", "query_code"),
    [
        (
            InvalidParameterValue("bad value"),
            "InvalidParameterValueException",
            "InvalidParameterValue",
        ),
        (ResourceNotFound("no alarm"), "ResourceNotFound", "ResourceNotFound"),
        (
            ValidationException("1 validation error detected: x"),
            "ValidationException",
            "ValidationError",
        ),
    ],
)
def test_errors_parse_in_botocore(err: Any, code: str, query_code: str) -> None:
    resp = codec().error(err, "rid")
    assert resp.status == err.status
    body = cbor2.loads(resp.body)
    assert body == {"__type": code, "message": err.message}
    # awsQueryCompatible: botocore reports the legacy query code from the header
    assert resp.headers["x-amzn-query-error"].startswith(f"{query_code};")
    parsed = parse_error(resp, PROTOCOL)
    assert (parsed["Code"], parsed["Message"]) == (query_code, err.message)


def _req(op: str, body: bytes) -> HttpRequest:
    path = f"/service/GraniteServiceVersion20100801/operation/{op}"
    return HttpRequest("POST", path, "", {"smithy-protocol": "rpc-v2-cbor"}, body)


@pytest.mark.parametrize("path_op", ["Nope", "", "PutMetricData/extra"])
def test_unknown_operation(path_op: str) -> None:
    with pytest.raises(UnknownTargetException):
        codec().operation(_req(path_op, b""))


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xff",  # not CBOR
        cbor2.dumps([1, 2]),  # not a map
        cbor2.dumps({"Namespace": 5, "MetricData": []}),  # wrong kind
        cbor2.dumps({"Namespace": "n", "MetricData": {"a": 1}}),
        cbor2.dumps({"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": "1"}]}),
        cbor2.dumps({"Namespace": "n", "MetricData": [{"MetricName": "m", "Timestamp": "x"}]}),
        cbor2.dumps({"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": True}]}),
    ],
)
def test_malformed_bodies_are_serialization_errors(body: bytes) -> None:
    with pytest.raises(SerializationException):
        codec().parse("PutMetricData", _req("PutMetricData", body))


def test_constraints_are_validated_with_aws_wording() -> None:
    body = cbor2.dumps({"MetricData": [{"MetricName": "m", "Value": 1.0}]})  # no Namespace
    with pytest.raises(ValidationException) as ei:
        codec().parse("PutMetricData", _req("PutMetricData", body))
    assert "namespace" in ei.value.message and "must not be null" in ei.value.message
    codec().check("DeleteAlarms", {"AlarmNames": ["a"]})
    with pytest.raises(ValidationException):
        codec().check("DeleteAlarms", {})


def test_empty_body_is_an_empty_input() -> None:
    assert codec().parse("ListMetrics", _req("ListMetrics", b"")) == {}
