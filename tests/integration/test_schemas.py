"""EventBridge Schemas against a live server with boto3: registries, schemas, versions bumped
per update, DescribeSchema of the latest or an older version, paging, AWS's errors (NotFound,
Conflict, BadRequest), and the registry surviving a kill -9. The console keeps each function's
shareable test events here (lambda-testevent-schemas / _<FunctionName>-schema)."""

from __future__ import annotations

import json
import os
import signal
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, REGION, ServerProcess, start_server


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def openapi(examples: dict[str, Any]) -> str:
    """A shareable test events document as AWS's console writes it."""
    return json.dumps(
        {
            "openapi": "3.0.0",
            "info": {"version": "1.0.0", "title": "Event"},
            "paths": {},
            "components": {
                "schemas": {"Event": {"type": "object"}},
                "examples": {k: {"value": v} for k, v in examples.items()},
            },
        }
    )


def code_of(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def sch(server: ServerProcess) -> Any:
    return server.client("schemas")


def test_registry_lifecycle_and_errors(sch: Any) -> None:
    name = uniq("reg")
    got = sch.create_registry(RegistryName=name, Description="mine")
    assert got["RegistryArn"] == f"arn:aws:schemas:{REGION}:{ACCOUNT}:registry/{name}"
    desc = sch.describe_registry(RegistryName=name)
    assert (desc["RegistryName"], desc["Description"]) == (name, "mine")
    with pytest.raises(ClientError) as e:
        sch.create_registry(RegistryName=name)
    assert code_of(e) == ("ConflictException", 409)
    with pytest.raises(ClientError) as e:
        sch.create_registry(RegistryName="bad name!")
    assert code_of(e) == ("BadRequestException", 400)
    assert "RegistryName" in e.value.response["Error"]["Message"]
    names = [r["RegistryName"] for r in sch.list_registries(RegistryNamePrefix=name)["Registries"]]
    assert names == [name]
    assert sch.list_registries(Scope="AWS")["Registries"] == []
    sch.delete_registry(RegistryName=name)
    with pytest.raises(ClientError) as e:
        sch.describe_registry(RegistryName=name)
    assert code_of(e) == ("NotFoundException", 404)
    assert name in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        sch.delete_registry(RegistryName=name)
    assert code_of(e) == ("NotFoundException", 404)


def test_schema_versions_describe_and_list(sch: Any) -> None:
    reg, name = uniq("lambda-testevent-schemas"), "_my-fn-schema"
    with pytest.raises(ClientError) as e:  # no registry yet
        sch.create_schema(RegistryName=reg, SchemaName=name, Type="OpenApi3", Content=openapi({}))
    assert code_of(e) == ("NotFoundException", 404)
    sch.create_registry(RegistryName=reg)
    v1 = openapi({"first": {"a": 1}})
    made = sch.create_schema(RegistryName=reg, SchemaName=name, Type="OpenApi3", Content=v1)
    assert made["SchemaVersion"] == "1"
    assert made["SchemaArn"] == f"arn:aws:schemas:{REGION}:{ACCOUNT}:schema/{reg}/{name}"
    with pytest.raises(ClientError) as e:
        sch.create_schema(RegistryName=reg, SchemaName=name, Type="OpenApi3", Content=v1)
    assert code_of(e) == ("ConflictException", 409)
    v2 = openapi({"first": {"a": 1}, "second": {"b": 2}})
    assert sch.update_schema(RegistryName=reg, SchemaName=name, Content=v2)["SchemaVersion"] == "2"
    # a description alone is not a new version
    same = sch.update_schema(RegistryName=reg, SchemaName=name, Description="events")
    assert (same["SchemaVersion"], same["Description"]) == ("2", "events")
    latest = sch.describe_schema(RegistryName=reg, SchemaName=name)
    assert latest["SchemaVersion"] == "2"
    assert set(json.loads(latest["Content"])["components"]["examples"]) == {"first", "second"}
    old = sch.describe_schema(RegistryName=reg, SchemaName=name, SchemaVersion="1")
    assert (old["SchemaVersion"], old["Content"]) == ("1", v1)
    with pytest.raises(ClientError) as e:
        sch.describe_schema(RegistryName=reg, SchemaName=name, SchemaVersion="9")
    assert code_of(e) == ("NotFoundException", 404)
    with pytest.raises(ClientError) as e:
        sch.describe_schema(RegistryName=reg, SchemaName=name, SchemaVersion="latest!")
    assert code_of(e) == ("BadRequestException", 400)
    versions = sch.list_schema_versions(RegistryName=reg, SchemaName=name)["SchemaVersions"]
    assert [v["SchemaVersion"] for v in versions] == ["1", "2"]
    (summary,) = sch.list_schemas(RegistryName=reg)["Schemas"]
    assert (summary["SchemaName"], summary["VersionCount"]) == (name, 2)
    # content checked against its type before anything is written
    for bad in ("not json", "[1]", json.dumps({"openapi": "2.0"})):
        with pytest.raises(ClientError) as e:
            sch.update_schema(RegistryName=reg, SchemaName=name, Content=bad)
        assert code_of(e) == ("BadRequestException", 400)
    assert sch.describe_schema(RegistryName=reg, SchemaName=name)["SchemaVersion"] == "2"
    sch.delete_schema(RegistryName=reg, SchemaName=name)
    with pytest.raises(ClientError) as e:
        sch.describe_schema(RegistryName=reg, SchemaName=name)
    assert code_of(e) == ("NotFoundException", 404)
    with pytest.raises(ClientError) as e:
        sch.update_schema(RegistryName=reg, SchemaName=name, Content=v1)
    assert code_of(e) == ("NotFoundException", 404)
    sch.delete_registry(RegistryName=reg)


def test_list_schemas_pages_and_prefix(sch: Any) -> None:
    reg = uniq("paged")
    sch.create_registry(RegistryName=reg)
    doc = json.dumps({"type": "object"})
    for i in range(5):
        sch.create_schema(
            RegistryName=reg, SchemaName=f"s{i}", Type="JSONSchemaDraft4", Content=doc
        )
    sch.create_schema(RegistryName=reg, SchemaName="other", Type="JSONSchemaDraft4", Content=doc)
    seen, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        page = sch.list_schemas(RegistryName=reg, SchemaNamePrefix="s", Limit=2, **kw)
        seen += [s["SchemaName"] for s in page["Schemas"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ["s0", "s1", "s2", "s3", "s4"]
    paginator = sch.get_paginator("list_schemas")
    names = [s["SchemaName"] for p in paginator.paginate(RegistryName=reg) for s in p["Schemas"]]
    assert names == ["other", "s0", "s1", "s2", "s3", "s4"]
    with pytest.raises(ClientError) as e:
        sch.list_schemas(RegistryName=reg, NextToken="%%%")
    assert code_of(e) == ("BadRequestException", 400)
    with pytest.raises(ClientError) as e:
        sch.list_schemas(RegistryName=uniq("missing"))
    assert code_of(e) == ("NotFoundException", 404)
    sch.delete_registry(RegistryName=reg)  # with its schemas
    with pytest.raises(ClientError) as e:
        sch.describe_schema(RegistryName=reg, SchemaName="s0")
    assert code_of(e) == ("NotFoundException", 404)


def test_schemas_survive_kill9(tmp_path: Path) -> None:
    data = tmp_path / "data"
    s = start_server(data)
    try:
        sch: Any = s.client("schemas")
        sch.create_registry(RegistryName="lambda-testevent-schemas")
        sch.create_schema(
            RegistryName="lambda-testevent-schemas",
            SchemaName="_fn-schema",
            Type="OpenApi3",
            Content=openapi({"one": {}}),
        )
        sch.update_schema(
            RegistryName="lambda-testevent-schemas",
            SchemaName="_fn-schema",
            Content=openapi({"one": {}, "two": {}}),
        )
        os.killpg(s.proc.pid, signal.SIGKILL)
        s.proc.wait()
        s = start_server(data)
        sch = s.client("schemas")
        got = sch.describe_schema(RegistryName="lambda-testevent-schemas", SchemaName="_fn-schema")
        assert got["SchemaVersion"] == "2"
        assert set(json.loads(got["Content"])["components"]["examples"]) == {"one", "two"}
    finally:
        s.stop()


def test_tags_round_trip_under_their_wire_name(sch: Any) -> None:
    """Schemas writes Tags as "tags" on the wire (locationName): what boto3 sends is kept and
    comes back."""
    reg = uniq("tagged")
    made = sch.create_registry(RegistryName=reg, Tags={"team": "payments"})
    assert made["Tags"] == {"team": "payments"}
    assert sch.describe_registry(RegistryName=reg)["Tags"] == {"team": "payments"}
    out = sch.create_schema(
        RegistryName=reg, SchemaName="s1", Type="OpenApi3", Content=openapi({}), Tags={"a": "b"}
    )
    assert out["Tags"] == {"a": "b"}
