"""DynamoDB with the AWS CLI (awscli v1 from the venv), as a user types it: create a table,
wait for it, write, read, query, update with an expression, scan, delete."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.conftest import ServerProcess
from tests.integration.test_awscli import AWS, Cli

pytestmark = pytest.mark.skipif(not AWS.exists(), reason="awscli is not installed in the venv")


def test_table_flow_with_the_aws_cli(server: ServerProcess, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    cli = Cli(server.url, home)
    t = f"cli-{uuid.uuid4().hex[:8]}"
    out = cli.ok(
        "dynamodb", "create-table", "--table-name", t,
        "--attribute-definitions", "AttributeName=pk,AttributeType=S",
        "AttributeName=sk,AttributeType=N",
        "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE",
        "--billing-mode", "PAY_PER_REQUEST",
    )  # fmt: skip
    assert out["TableDescription"]["TableName"] == t
    cli.ok("dynamodb", "wait", "table-exists", "--table-name", t)
    for i in (1, 2, 3):
        item = {"pk": {"S": "a"}, "sk": {"N": str(i)}, "n": {"S": f"item {i}"}}
        cli.ok("dynamodb", "put-item", "--table-name", t, "--item", json.dumps(item))
    got = cli.ok(
        "dynamodb", "get-item", "--table-name", t,
        "--key", json.dumps({"pk": {"S": "a"}, "sk": {"N": "2"}}),
    )  # fmt: skip
    assert got["Item"]["n"] == {"S": "item 2"}
    q = cli.ok(
        "dynamodb", "query", "--table-name", t,
        "--key-condition-expression", "pk = :p AND sk >= :s",
        "--expression-attribute-values", json.dumps({":p": {"S": "a"}, ":s": {"N": "2"}}),
        "--no-scan-index-forward",
    )  # fmt: skip
    assert [x["sk"]["N"] for x in q["Items"]] == ["3", "2"]
    up = cli.ok(
        "dynamodb", "update-item", "--table-name", t,
        "--key", json.dumps({"pk": {"S": "a"}, "sk": {"N": "1"}}),
        "--update-expression", "SET hits = if_not_exists(hits, :z) + :one",
        "--expression-attribute-values", json.dumps({":z": {"N": "0"}, ":one": {"N": "1"}}),
        "--return-values", "ALL_NEW",
    )  # fmt: skip
    assert up["Attributes"]["hits"] == {"N": "1"}
    err = cli.fails(
        "dynamodb", "put-item", "--table-name", t,
        "--item", json.dumps({"pk": {"S": "a"}, "sk": {"N": "1"}}),
        "--condition-expression", "attribute_not_exists(pk)",
    )  # fmt: skip
    assert "ConditionalCheckFailedException" in err
    scan = cli.ok("dynamodb", "scan", "--table-name", t, "--select", "COUNT")
    assert scan["Count"] == 3
    cli.ok("dynamodb", "delete-table", "--table-name", t)
    assert t not in cli.ok("dynamodb", "list-tables")["TableNames"]
