"""Versions and aliases with weighted routing, driven through boto3."""

from __future__ import annotations

import json
import uuid
from collections import Counter

import pytest

from tests.conftest import ACCOUNT, create_python_function, zip_bytes

CODE = """
import os
def handler(event, context):
    return {"version": context.function_version, "arn": context.invoked_function_arn,
            "tag": os.environ.get("TAG", ""), "code": CODE_TAG}
CODE_TAG = "%s"
"""


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def body(r) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return json.loads(r["Payload"].read())


def wait_updated(lam, name: str) -> None:  # type: ignore[no-untyped-def]
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})


@pytest.fixture
def fn(lam) -> str:  # type: ignore[no-untyped-def]
    name = uniq("ver")
    create_python_function(lam, name, CODE % "one")
    return name


def test_publish_numbers_and_immutability(lam, fn) -> None:  # type: ignore[no-untyped-def]
    v1 = lam.publish_version(FunctionName=fn, Description="first")
    assert v1["Version"] == "1" and v1["Description"] == "first"
    assert v1["FunctionArn"].endswith(f":function:{fn}:1")
    # unchanged code and config: the existing version comes back
    assert lam.publish_version(FunctionName=fn)["Version"] == "1"
    lam.update_function_configuration(FunctionName=fn, Environment={"Variables": {"TAG": "t2"}})
    wait_updated(lam, fn)
    assert lam.publish_version(FunctionName=fn)["Version"] == "2"
    lam.update_function_code(FunctionName=fn, ZipFile=zip_bytes({"app.py": CODE % "two"}))
    wait_updated(lam, fn)
    assert lam.publish_version(FunctionName=fn)["Version"] == "3"
    # each version keeps its own code and configuration
    assert body(lam.invoke(FunctionName=fn, Qualifier="1")) == {
        "version": "1",
        "arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn}:1",
        "tag": "",
        "code": "one",
    }
    r = lam.invoke(FunctionName=f"{fn}:2")
    assert (
        r["ExecutedVersion"] == "2"
        and body(r)["tag"] == "t2"
        and body(lam.invoke(FunctionName=f"{fn}:2"))["code"] == "one"
    )
    assert (
        body(lam.invoke(FunctionName=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn}:3"))["code"]
        == "two"
    )
    assert body(lam.invoke(FunctionName=fn))["version"] == "$LATEST"
    # numbers are never reused
    lam.delete_function(FunctionName=fn, Qualifier="3")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=fn, Qualifier="3")
    lam.update_function_configuration(FunctionName=fn, Environment={"Variables": {"TAG": "t4"}})
    wait_updated(lam, fn)
    assert lam.publish_version(FunctionName=fn)["Version"] == "4"


def test_publish_preconditions(lam, fn) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.publish_version(FunctionName=fn, CodeSha256="bm90IHRoZSBzaGE=")
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.publish_version(FunctionName=fn, RevisionId=str(uuid.uuid4()))
    cfg = lam.get_function_configuration(FunctionName=fn)
    v = lam.publish_version(
        FunctionName=fn, CodeSha256=cfg["CodeSha256"], RevisionId=cfg["RevisionId"]
    )
    assert v["Version"] == "1"


def test_publish_on_create_and_update_code(lam) -> None:  # type: ignore[no-untyped-def]
    name = uniq("pub")
    r = create_python_function(lam, name, CODE % "a", Publish=True)
    assert r["Version"] == "1"
    r = lam.update_function_code(
        FunctionName=name, ZipFile=zip_bytes({"app.py": CODE % "b"}), Publish=True
    )
    assert r["Version"] == "2"
    wait_updated(lam, name)
    assert body(lam.invoke(FunctionName=name, Qualifier="2"))["code"] == "b"


def test_list_versions_pagination(lam, fn) -> None:  # type: ignore[no-untyped-def]
    for i in range(4):
        lam.update_function_configuration(FunctionName=fn, Description=f"d{i}")
        wait_updated(lam, fn)
        lam.publish_version(FunctionName=fn)
    seen = []
    for page in lam.get_paginator("list_versions_by_function").paginate(
        FunctionName=fn, PaginationConfig={"PageSize": 2}
    ):
        seen += [v["Version"] for v in page["Versions"]]
    assert seen == ["$LATEST", "1", "2", "3", "4"]


def test_alias_crud_and_errors(lam, fn) -> None:  # type: ignore[no-untyped-def]
    lam.publish_version(FunctionName=fn)
    a = lam.create_alias(FunctionName=fn, Name="live", FunctionVersion="1", Description="d")
    assert a["AliasArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{fn}:live"
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.create_alias(FunctionName=fn, Name="bad", FunctionVersion="9")
    assert lam.get_alias(FunctionName=fn, Name="live")["FunctionVersion"] == "1"
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.update_alias(
            FunctionName=fn, Name="live", Description="x", RevisionId=str(uuid.uuid4())
        )
    u = lam.update_alias(
        FunctionName=fn, Name="live", Description="new", RevisionId=a["RevisionId"]
    )
    assert u["Description"] == "new" and u["RevisionId"] != a["RevisionId"]
    # alias is a qualifier everywhere
    assert lam.get_function(FunctionName=fn, Qualifier="live")["Configuration"]["Version"] == "1"
    assert lam.get_function_configuration(FunctionName=f"{fn}:live")["Version"] == "1"
    r = lam.invoke(FunctionName=f"{fn}:live")
    assert r["ExecutedVersion"] == "1"
    assert body(r)["arn"] == a["AliasArn"]
    assert body(lam.invoke(FunctionName=a["AliasArn"]))["version"] == "1"
    # a version referenced by an alias cannot be deleted
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.delete_function(FunctionName=fn, Qualifier="1")
    assert [x["Name"] for x in lam.list_aliases(FunctionName=fn)["Aliases"]] == ["live"]
    lam.delete_alias(FunctionName=fn, Name="live")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_alias(FunctionName=fn, Name="live")
    lam.delete_function(FunctionName=fn, Qualifier="1")


def test_routing_config_validation(lam, fn) -> None:  # type: ignore[no-untyped-def]
    lam.publish_version(FunctionName=fn)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.create_alias(
            FunctionName=fn,
            Name="r1",
            FunctionVersion="$LATEST",
            RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
        )
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.create_alias(
            FunctionName=fn,
            Name="r2",
            FunctionVersion="1",
            RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
        )
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.create_alias(
            FunctionName=fn,
            Name="r3",
            FunctionVersion="1",
            RoutingConfig={"AdditionalVersionWeights": {"7": 0.5}},
        )
    with pytest.raises(lam.exceptions.ClientError) as info:
        lam.create_alias(
            FunctionName=fn,
            Name="r4",
            FunctionVersion="1",
            RoutingConfig={"AdditionalVersionWeights": {"1": 1.5}},
        )
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(lam.exceptions.ClientError):
        lam.create_alias(FunctionName=fn, Name="123", FunctionVersion="1")


def test_weighted_routing_reaches_both_versions(lam, fn) -> None:  # type: ignore[no-untyped-def]
    lam.publish_version(FunctionName=fn)
    lam.update_function_code(FunctionName=fn, ZipFile=zip_bytes({"app.py": CODE % "two"}))
    wait_updated(lam, fn)
    lam.publish_version(FunctionName=fn)
    lam.create_alias(
        FunctionName=fn,
        Name="canary",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}},
    )
    counts: Counter[str] = Counter()
    for _ in range(200):
        r = lam.invoke(FunctionName=fn, Qualifier="canary")
        out = body(r)
        assert out["version"] == r["ExecutedVersion"]
        assert out["arn"].endswith(":canary")
        counts[r["ExecutedVersion"]] += 1
    assert set(counts) == {"1", "2"}
    assert 30 <= counts["2"] <= 95, counts  # 30% of 200 = 60, with generous bounds
    alias = lam.get_alias(FunctionName=fn, Name="canary")
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.3}}
    lam.update_alias(FunctionName=fn, Name="canary", RoutingConfig={"AdditionalVersionWeights": {}})
    assert {
        lam.invoke(FunctionName=fn, Qualifier="canary")["ExecutedVersion"] for _ in range(20)
    } == {"1"}


def test_versions_survive_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import start_server

    srv = start_server(tmp_path / "data")
    try:
        lam = srv.client("lambda")
        name = uniq("persist")
        create_python_function(lam, name, CODE % "p", Publish=True)
        lam.create_alias(FunctionName=name, Name="prod", FunctionVersion="1")
    finally:
        srv.stop()
    srv = start_server(tmp_path / "data")
    try:
        lam = srv.client("lambda")
        assert body(lam.invoke(FunctionName=name, Qualifier="prod"))["version"] == "1"
        lam.update_function_configuration(FunctionName=name, Description="changed")
        wait_updated(lam, name)
        assert lam.publish_version(FunctionName=name)["Version"] == "2"
    finally:
        srv.stop()


def test_deleting_a_version_stops_its_instances(server, lam) -> None:  # type: ignore[no-untyped-def]
    import urllib.request

    def instances() -> int:
        with urllib.request.urlopen(server.url + "/_ovis/health", timeout=5) as r:
            return int(json.loads(r.read())["instances"])

    name = uniq("stopver")
    create_python_function(lam, name, CODE % "x", Publish=True)
    before = instances()
    lam.invoke(FunctionName=name, Qualifier="1")
    assert instances() == before + 1
    lam.delete_function(FunctionName=name, Qualifier="1")
    deadline = __import__("time").monotonic() + 5
    while instances() > before and __import__("time").monotonic() < deadline:
        __import__("time").sleep(0.05)
    assert instances() == before
