"""The console's call endpoint compiles each service's shapes apart: two services may give one
shape name different types (Lambda's ``Timestamp`` is a string, CloudWatch's a timestamp)."""

from __future__ import annotations

from datetime import UTC, datetime

from ovis.frontdoor.console.calls import _shapes


def test_same_named_shapes_of_two_services_encode_each_their_own_way() -> None:
    lam = _shapes("lambda", "GetFunctionConfiguration")
    cw = _shapes("cloudwatch", "GetMetricData")
    assert lam is not None and cw is not None and lam.encode and cw.encode
    when = datetime(2026, 12, 2, tzinfo=UTC)
    out = cw.encode({"MetricDataResults": [{"Id": "a", "Timestamps": [when], "Values": [1.0]}]})
    assert out["MetricDataResults"][0]["Timestamps"] == [int(when.timestamp())]
    # Lambda's LastModified (shape Timestamp: a string) is left a string
    stamp = "2026-12-02T00:00:00.000+0000"
    assert lam.encode({"FunctionName": "f", "LastModified": stamp})["LastModified"] == stamp


def test_botocore_member_names_not_location_names() -> None:
    sch = _shapes("schemas", "DescribeRegistry")
    assert sch is not None and sch.decode is not None
    assert sch.decode({"RegistryName": "r"}, "") == {"RegistryName": "r"}
