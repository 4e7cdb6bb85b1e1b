"""CloudWatch's three protocols on one live server: query (XML replies: older SDKs, Terraform)
and JSON 1.0 (X-Amz-Target) sent as raw SigV4-signed requests built by botocore's own
serializers and read by its parsers; CBOR is what boto3 and the AWS CLI send."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from ovis.protocols.model import service_model
from tests.conftest import REGION, ServerProcess


def call(url: str, protocol: str, operation: str, params: dict[str, Any]) -> tuple[int, Any]:
    """(status, parsed output or error) of one signed request in ``protocol``."""
    op = service_model("cloudwatch").operation_model(operation)
    d = create_serializer(protocol, include_validation=False).serialize_to_request(params, op)
    body = d["body"]
    headers = dict(d["headers"])
    if isinstance(body, dict):
        body = urlencode(body, quote_via=quote).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    elif isinstance(body, str):
        body = body.encode()
    req = AWSRequest("POST", url + d["url_path"], data=body, headers=headers)
    SigV4Auth(Credentials("test", "test"), "monitoring", REGION).add_auth(req)
    raw = urllib.request.Request(req.url, data=body, headers=dict(req.headers), method="POST")
    try:
        with urllib.request.urlopen(raw, timeout=10) as r:
            status, rheaders, rbody = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, rheaders, rbody = e.code, e.headers, e.read()
    h = HTTPHeaders()
    for k, v in rheaders.items():
        h[k] = v
    resp = {"status_code": status, "headers": h, "body": rbody}
    parsed = create_parser(protocol).parse(resp, op.output_shape if status < 400 else None)
    return status, parsed


def test_query_protocol_round_trip(server: ServerProcess) -> None:
    ns = f"Query-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)
    status, _ = call(
        server.url,
        "query",
        "PutMetricData",
        {
            "Namespace": ns,
            "MetricData": [
                {"MetricName": "m", "Dimensions": [{"Name": "d", "Value": "1"}], "Value": 3.5},
                {"MetricName": "m", "Dimensions": [{"Name": "d", "Value": "1"}], "Values": [1, 2]},
            ],
        },
    )
    assert status == 200
    status, out = call(
        server.url,
        "query",
        "GetMetricStatistics",
        {
            "Namespace": ns,
            "MetricName": "m",
            "Dimensions": [{"Name": "d", "Value": "1"}],
            "StartTime": now - timedelta(minutes=5),
            "EndTime": now + timedelta(minutes=1),
            "Period": 60,
            "Statistics": ["Sum", "SampleCount"],
        },
    )
    assert status == 200
    assert [(p["Sum"], p["SampleCount"]) for p in out["Datapoints"]] == [(6.5, 3.0)]
    assert isinstance(out["Datapoints"][0]["Timestamp"], datetime)
    status, out = call(server.url, "query", "ListMetrics", {"Namespace": ns})
    assert out["Metrics"] == [
        {"Namespace": ns, "MetricName": "m", "Dimensions": [{"Name": "d", "Value": "1"}]}
    ]
    # errors are XML with the query codes
    status, out = call(
        server.url,
        "query",
        "PutMetricData",
        {"Namespace": "AWS/EC2", "MetricData": [{"MetricName": "m", "Value": 1}]},
    )
    assert status == 400 and out["Error"]["Code"] == "InvalidParameterValue"
    status, out = call(
        server.url,
        "query",
        "SetAlarmState",
        {"AlarmName": "none", "StateValue": "OK", "StateReason": "r"},
    )
    assert status == 404 and out["Error"]["Code"] == "ResourceNotFound"
    status, out = call(server.url, "query", "DeleteAlarms", {})
    assert status == 400 and out["Error"]["Code"] in ("ValidationError", "MissingParameter")


def test_json_protocol_round_trip(server: ServerProcess) -> None:
    ns = f"Json-{uuid.uuid4().hex[:6]}"
    name = f"json-alarm-{uuid.uuid4().hex[:6]}"
    status, _ = call(
        server.url,
        "json",
        "PutMetricAlarm",
        {
            "AlarmName": name,
            "Namespace": ns,
            "MetricName": "m",
            "Statistic": "Average",
            "Period": 60,
            "EvaluationPeriods": 2,
            "DatapointsToAlarm": 1,
            "Threshold": 1.5,
            "ComparisonOperator": "LessThanThreshold",
        },
    )
    assert status == 200
    status, out = call(server.url, "json", "DescribeAlarms", {"AlarmNames": [name]})
    a = out["MetricAlarms"][0]
    assert (a["AlarmName"], a["Threshold"], a["DatapointsToAlarm"], a["StateValue"]) == (
        name,
        1.5,
        1,
        "INSUFFICIENT_DATA",
    )
    assert isinstance(a["StateUpdatedTimestamp"], datetime)
    status, out = call(
        server.url, "json", "DescribeAlarms", {"AlarmNames": [name], "AlarmNamePrefix": "j"}
    )
    assert status == 400 and out["Error"]["Code"] == "InvalidParameterCombination"
    status, _ = call(server.url, "json", "DeleteAlarms", {"AlarmNames": [name]})
    assert status == 200


def test_composite_alarms_in_query_and_json(server: ServerProcess) -> None:
    """PutCompositeAlarm and DescribeAlarms(AlarmTypes) in the query (XML) and JSON protocols."""
    child, parent = f"qc-child-{uuid.uuid4().hex[:6]}", f"qc-parent-{uuid.uuid4().hex[:6]}"
    status, _ = call(
        server.url,
        "query",
        "PutMetricAlarm",
        {
            "AlarmName": child,
            "Namespace": "QueryComposite",
            "MetricName": "m",
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanThreshold",
        },
    )
    assert status == 200
    rule = f"NOT ALARM({child})"
    status, _ = call(
        server.url, "query", "PutCompositeAlarm", {"AlarmName": parent, "AlarmRule": rule}
    )
    assert status == 200
    for protocol in ("query", "json"):
        status, out = call(
            server.url,
            protocol,
            "DescribeAlarms",
            {"AlarmNames": [parent, child], "AlarmTypes": ["CompositeAlarm", "MetricAlarm"]},
        )
        assert status == 200, out
        (c,) = out["CompositeAlarms"]
        assert (c["AlarmName"], c["AlarmRule"], c["StateValue"]) == (parent, rule, "ALARM")
        assert [m["AlarmName"] for m in out["MetricAlarms"]] == [child]
    status, out = call(
        server.url, "query", "PutCompositeAlarm", {"AlarmName": parent, "AlarmRule": "ALARM("}
    )
    assert status == 400 and out["Error"]["Code"] == "InvalidParameterValue"
    status, _ = call(server.url, "json", "DeleteAlarms", {"AlarmNames": [parent, child]})
    assert status == 200


def test_aws_cli(server: ServerProcess, tmp_path: Path) -> None:
    aws = Path(sys.executable).parent / "aws"
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    ns = f"Cli-{uuid.uuid4().hex[:6]}"
    base = [str(aws), "--endpoint-url", server.url, "cloudwatch"]
    subprocess.run(
        [
            *base,
            "put-metric-data",
            "--namespace",
            ns,
            "--metric-name",
            "m",
            "--value",
            "4",
            "--unit",
            "Count",
        ],
        check=True,
        env=env,
        capture_output=True,
        timeout=60,
    )
    out = subprocess.run(
        [*base, "list-metrics", "--namespace", ns, "--output", "json"],
        check=True,
        env=env,
        capture_output=True,
        timeout=60,
        text=True,
    )
    assert [m["MetricName"] for m in json.loads(out.stdout)["Metrics"]] == ["m"]
