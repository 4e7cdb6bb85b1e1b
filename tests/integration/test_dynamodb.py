"""DynamoDB tables and items against a live server, with boto3's client and resource APIs:
tables (create, describe, update, list paging, tags, TTL), every attribute type, conditional
writes (8 threads racing: exactly one wins), update expressions and ReturnValues, Query and
Scan paging, secondary indexes after updates, batches and transactions (a failing one changes
nothing), and AWS's errors for bad input."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, REGION, ServerProcess


@pytest.fixture(scope="module")
def ddb(server: ServerProcess) -> Any:
    return server.client("dynamodb")


@pytest.fixture(scope="module")
def resource(server: ServerProcess) -> Any:
    return boto3.resource(
        "dynamodb",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def err(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


@pytest.fixture
def orders(ddb: Any) -> Iterator[str]:
    """A table keyed (customer S, order N) with a GSI on status and an LSI on total."""
    t = name("orders")
    out = ddb.create_table(
        TableName=t,
        KeySchema=[
            {"AttributeName": "customer", "KeyType": "HASH"},
            {"AttributeName": "order", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "customer", "AttributeType": "S"},
            {"AttributeName": "order", "AttributeType": "N"},
            {"AttributeName": "status", "AttributeType": "S"},
            {"AttributeName": "total", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-status",
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "order", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by-total",
                "KeySchema": [
                    {"AttributeName": "customer", "KeyType": "HASH"},
                    {"AttributeName": "total", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        Tags=[{"Key": "team", "Value": "shop"}],
    )
    assert out["TableDescription"]["TableStatus"] == "CREATING"
    yield t
    ddb.delete_table(TableName=t)


def test_table_lifecycle_describe_update_list_tags(ddb: Any, orders: str) -> None:
    ddb.get_waiter("table_exists").wait(TableName=orders, WaiterConfig={"Delay": 1})
    desc = ddb.describe_table(TableName=orders)["Table"]
    assert desc["TableStatus"] == "ACTIVE"
    assert desc["TableArn"] == f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{orders}"
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert desc["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert desc["LatestStreamArn"] == f"{desc['TableArn']}/stream/{desc['LatestStreamLabel']}"
    assert [i["IndexName"] for i in desc["GlobalSecondaryIndexes"]] == ["by-status"]
    assert [i["IndexName"] for i in desc["LocalSecondaryIndexes"]] == ["by-total"]
    assert (desc["ItemCount"], desc["TableSizeBytes"]) == (0, 0)
    for i in range(3):
        ddb.put_item(TableName=orders, Item={"customer": {"S": "c"}, "order": {"N": str(i)}})
    desc = ddb.describe_table(TableName=orders)["Table"]
    assert desc["ItemCount"] == 3 and desc["TableSizeBytes"] > 0

    arn = desc["TableArn"]
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "shop"}]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]

    # streams off, provisioned billing, then the stream back with a new label
    ddb.update_table(TableName=orders, StreamSpecification={"StreamEnabled": False})
    assert "StreamSpecification" not in ddb.describe_table(TableName=orders)["Table"]
    up = ddb.update_table(
        TableName=orders,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
        GlobalSecondaryIndexUpdates=[
            {
                "Update": {
                    "IndexName": "by-status",
                    "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                }
            }
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )["TableDescription"]
    assert up["ProvisionedThroughput"]["WriteCapacityUnits"] == 7
    assert up["StreamSpecification"]["StreamViewType"] == "KEYS_ONLY"

    with pytest.raises(ClientError) as e:
        ddb.create_table(
            TableName=orders,
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    assert err(e) == ("ResourceInUseException", f"Table already exists: {orders}")
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName="nope-" + orders)
    assert err(e)[0] == "ResourceNotFoundException"


def test_create_table_validation(ddb: Any) -> None:
    t = name("bad")
    cases = [
        (
            {
                "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "x", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
            },
            "Some index key attributes are not defined in AttributeDefinitions",
        ),
        (
            {
                "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                "AttributeDefinitions": [
                    {"AttributeName": "k", "AttributeType": "S"},
                    {"AttributeName": "x", "AttributeType": "S"},
                ],
                "BillingMode": "PAY_PER_REQUEST",
            },
            "Number of attributes in KeySchema does not exactly match",
        ),
        (
            {
                "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
            },
            "ReadCapacityUnits and WriteCapacityUnits must both be specified",
        ),
        (
            {
                "KeySchema": [{"AttributeName": "k", "KeyType": "RANGE"}],
                "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
            },
            "The first KeySchemaElement is not a HASH key type",
        ),
    ]
    for kw, msg in cases:
        with pytest.raises(ClientError) as e:
            ddb.create_table(TableName=t, **kw)
        code, message = err(e)
        assert code == "ValidationException" and msg in message, message
    assert t not in ddb.list_tables()["TableNames"]


def test_list_tables_pages(ddb: Any) -> None:
    prefix = name("page")
    made = [f"{prefix}-{i}" for i in range(5)]
    for t in made:
        ddb.create_table(
            TableName=t,
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        )
    seen: list[str] = []
    kw: dict[str, Any] = {"Limit": 2}
    while True:
        page = ddb.list_tables(**kw)
        assert len(page["TableNames"]) <= 2
        seen += page["TableNames"]
        if "LastEvaluatedTableName" not in page:
            break
        kw["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]
    assert [t for t in seen if t.startswith(prefix)] == made
    paginated = [n for p in ddb.get_paginator("list_tables").paginate() for n in p["TableNames"]]
    assert [t for t in paginated if t.startswith(prefix)] == made
    for t in made:
        ddb.delete_table(TableName=t)
    assert not [t for t in ddb.list_tables()["TableNames"] if t.startswith(prefix)]


def test_every_attribute_type_round_trips(ddb: Any, orders: str) -> None:
    item = {
        "customer": {"S": "types"},
        "order": {"N": "1"},
        "s": {"S": "héllo"},
        "n": {"N": "-12345678901234567890.123456789012345678"},
        "b": {"B": b"\x00\xffbin"},
        "t": {"BOOL": False},
        "z": {"NULL": True},
        "m": {"M": {"inner": {"L": [{"N": "1"}, {"S": "x"}, {"M": {}}]}}},
        "l": {"L": []},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1.5", "2"]},
        "bs": {"BS": [b"\x01", b"\x02"]},
    }
    ddb.put_item(TableName=orders, Item=item)
    got = ddb.get_item(TableName=orders, Key={"customer": {"S": "types"}, "order": {"N": "1.00"}})
    assert got["Item"] == item
    # numbers are normalized and equal keys compare numerically
    ddb.put_item(TableName=orders, Item={"customer": {"S": "types"}, "order": {"N": "2.50"}})
    got = ddb.get_item(TableName=orders, Key={"customer": {"S": "types"}, "order": {"N": "25E-1"}})[
        "Item"
    ]
    assert got["order"] == {"N": "2.5"}

    bad: list[tuple[dict[str, Any], str]] = [
        ({"n": {"N": "1" * 39}}, "Attempting to store more than 38 significant digits"),
        ({"n": {"N": "x"}}, "The parameter cannot be converted to a numeric value"),
        ({"ss": {"SS": []}}, "One or more parameter values were invalid"),
        ({"ss": {"SS": ["a", "a"]}}, "contains duplicates"),
        ({"big": {"S": "x" * (400 * 1024)}}, "Item size has exceeded the maximum allowed size"),
        ({"v": {"S": "a", "N": "1"}}, "more than one datatypes"),
    ]
    for extra, msg in bad:
        with pytest.raises(ClientError) as e:
            ddb.put_item(
                TableName=orders, Item={"customer": {"S": "bad"}, "order": {"N": "1"}, **extra}
            )
        code, message = err(e)
        assert code == "ValidationException" and msg in message, message
    for key, msg in [
        ({"customer": {"S": "bad"}}, "Missing the key order in the item"),
        ({"customer": {"N": "1"}, "order": {"N": "1"}}, "Type mismatch for key customer"),
        ({"customer": {"S": ""}, "order": {"N": "1"}}, "cannot contain an empty string"),
        (
            {"customer": {"S": "x"}, "order": {"N": "1"}, "status": {"N": "1"}},
            "Type mismatch for Index Key status",
        ),
    ]:
        with pytest.raises(ClientError) as e:
            ddb.put_item(TableName=orders, Item=key)
        assert msg in err(e)[1]
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=f"{orders}-missing", Item={"k": {"S": "x"}})
    assert err(e) == ("ResourceNotFoundException", "Requested resource not found")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=orders, Item=item, Expected={"s": {"Exists": False}})
    assert "use the corresponding expression parameter" in err(e)[1]
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=orders, Key={"customer": {"S": "x"}})
    assert err(e) == (
        "ValidationException",
        "The provided key element does not match the schema",
    )


def test_conditions_update_expressions_and_return_values(ddb: Any, orders: str) -> None:
    key = {"customer": {"S": "upd"}, "order": {"N": "1"}}
    ddb.put_item(
        TableName=orders,
        Item={
            **key,
            "total": {"N": "10"},
            "tags": {"SS": ["a"]},
            "old": {"SS": ["a", "z"]},
            "hist": {"L": []},
        },
        ConditionExpression="attribute_not_exists(customer)",
    )
    with pytest.raises(ClientError) as e:
        ddb.put_item(
            TableName=orders,
            Item=key,
            ConditionExpression="attribute_not_exists(customer)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert err(e) == ("ConditionalCheckFailedException", "The conditional request failed")
    assert e.value.response["Item"]["total"] == {"N": "10"}

    out = ddb.update_item(
        TableName=orders,
        Key=key,
        UpdateExpression=(
            "SET #t = #t + :inc, hist = list_append(hist, :h), seen = if_not_exists(seen, :one)"
            " ADD tags :more, visits :one REMOVE nothing DELETE old :gone"
        ),
        ConditionExpression="#t BETWEEN :lo AND :hi AND contains(tags, :a)",
        ExpressionAttributeNames={"#t": "total"},
        ExpressionAttributeValues={
            ":inc": {"N": "2.5"},
            ":h": {"L": [{"S": "paid"}]},
            ":one": {"N": "1"},
            ":more": {"SS": ["b", "c"]},
            ":gone": {"SS": ["a"]},
            ":lo": {"N": "0"},
            ":hi": {"N": "100"},
            ":a": {"S": "a"},
        },
        ReturnValues="UPDATED_NEW",
    )
    attrs = out["Attributes"]
    assert attrs["total"] == {"N": "12.5"} and attrs["hist"] == {"L": [{"S": "paid"}]}
    assert sorted(attrs["tags"]["SS"]) == ["a", "b", "c"] and attrs["visits"] == {"N": "1"}
    assert attrs["old"] == {"SS": ["z"]}
    assert "customer" not in attrs
    old = ddb.update_item(
        TableName=orders,
        Key=key,
        UpdateExpression="SET total = :v",
        ExpressionAttributeValues={":v": {"N": "1"}},
        ReturnValues="UPDATED_OLD",
    )["Attributes"]
    assert old == {"total": {"N": "12.5"}}
    nested = ddb.update_item(
        TableName=orders,
        Key=key,
        UpdateExpression="SET doc = :d",
        ExpressionAttributeValues={":d": {"M": {"a": {"N": "1"}, "b": {"L": [{"S": "x"}]}}}},
    )
    assert "Attributes" not in nested
    nested = ddb.update_item(
        TableName=orders,
        Key=key,
        UpdateExpression="SET doc.b[0] = :y",
        ExpressionAttributeValues={":y": {"S": "y"}},
        ReturnValues="UPDATED_NEW",
    )["Attributes"]
    assert nested == {"doc": {"M": {"b": {"L": [{"S": "y"}]}}}}
    new = ddb.update_item(
        TableName=orders,
        Key={"customer": {"S": "upd"}, "order": {"N": "2"}},
        UpdateExpression="SET total = :v",
        ExpressionAttributeValues={":v": {"N": "3"}},
        ReturnValues="ALL_NEW",
    )["Attributes"]
    assert new == {"customer": {"S": "upd"}, "order": {"N": "2"}, "total": {"N": "3"}}
    gone = ddb.delete_item(
        TableName=orders,
        Key={"customer": {"S": "upd"}, "order": {"N": "2"}},
        ConditionExpression="total = :v",
        ExpressionAttributeValues={":v": {"N": "3"}},
        ReturnValues="ALL_OLD",
    )["Attributes"]
    assert gone == new
    assert "Item" not in ddb.get_item(
        TableName=orders, Key={"customer": {"S": "upd"}, "order": {"N": "2"}}
    )
    got = ddb.get_item(
        TableName=orders,
        Key=key,
        ProjectionExpression="#t, hist[0]",
        ExpressionAttributeNames={"#t": "total"},
        ConsistentRead=True,
    )["Item"]
    assert got == {"total": {"N": "1"}, "hist": {"L": [{"S": "paid"}]}}

    for kw, msg in [
        (
            {
                "UpdateExpression": "SET customer = :v",
                "ExpressionAttributeValues": {":v": {"S": "x"}},
            },
            "Cannot update attribute customer. This attribute is part of the key",
        ),
        (
            {
                "UpdateExpression": "SET a = :v",
                "ExpressionAttributeValues": {":v": {"S": "x"}, ":w": {"S": "y"}},
            },
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}",
        ),
        (
            {"UpdateExpression": "SET a = :nope"},
            "An expression attribute value used in expression is not defined",
        ),
        ({"UpdateExpression": "SET a"}, "Invalid UpdateExpression: Syntax error"),
        (
            {"UpdateExpression": "ADD hist :v", "ExpressionAttributeValues": {":v": {"N": "1"}}},
            "An operand in the update expression has an incorrect data type",
        ),
    ]:
        with pytest.raises(ClientError) as e:
            ddb.update_item(TableName=orders, Key=key, **kw)
        code, message = err(e)
        assert code == "ValidationException" and msg in message, message


def test_eight_threads_race_one_conditional_put_wins(server: ServerProcess, orders: str) -> None:
    clients = [server.client("dynamodb") for _ in range(8)]
    results: list[str] = []
    barrier = threading.Barrier(8)

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            clients[i].put_item(
                TableName=orders,
                Item={"customer": {"S": "race"}, "order": {"N": "1"}, "winner": {"N": str(i)}},
                ConditionExpression="attribute_not_exists(customer)",
            )
            results.append(f"won {i}")
        except ClientError as e:
            results.append(e.response["Error"]["Code"])

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    wins = [r for r in results if r.startswith("won")]
    assert len(wins) == 1 and results.count("ConditionalCheckFailedException") == 7
    item = clients[0].get_item(
        TableName=orders, Key={"customer": {"S": "race"}, "order": {"N": "1"}}
    )["Item"]
    assert wins[0] == f"won {item['winner']['N']}"

    # counters: 8 threads x 5 increments, none lost
    def bump(i: int) -> None:
        for _ in range(5):
            clients[i].update_item(
                TableName=orders,
                Key={"customer": {"S": "race"}, "order": {"N": "1"}},
                UpdateExpression="ADD hits :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )

    threads = [threading.Thread(target=bump, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    item = clients[0].get_item(
        TableName=orders, Key={"customer": {"S": "race"}, "order": {"N": "1"}}
    )["Item"]
    assert item["hits"] == {"N": "40"}


def test_query_scan_paging_and_indexes(ddb: Any, orders: str) -> None:
    for i in range(30):
        ddb.put_item(
            TableName=orders,
            Item={
                "customer": {"S": "q"},
                "order": {"N": str(i)},
                "total": {"N": str(100 - i)},
                "status": {"S": "open" if i % 3 else "shipped"},
                "note": {"S": f"n{i}"},
            },
        )
    ddb.put_item(TableName=orders, Item={"customer": {"S": "other"}, "order": {"N": "5"}})

    def query_all(**kw: Any) -> tuple[list[dict[str, Any]], int]:
        items, pages = [], 0
        while True:
            page = ddb.query(TableName=orders, **kw)
            items += page.get("Items", [])
            pages += 1
            if "LastEvaluatedKey" not in page:
                return items, pages
            kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    vals = {":c": {"S": "q"}, ":lo": {"N": "5"}, ":hi": {"N": "14"}}
    items, pages = query_all(
        KeyConditionExpression="customer = :c AND #o BETWEEN :lo AND :hi",
        ExpressionAttributeNames={"#o": "order"},
        ExpressionAttributeValues=vals,
        Limit=4,
        ScanIndexForward=False,
    )
    assert [int(x["order"]["N"]) for x in items] == list(range(14, 4, -1)) and pages == 3
    page = ddb.query(
        TableName=orders,
        KeyConditionExpression="customer = :c AND #o >= :lo",
        FilterExpression="#s = :s",
        ExpressionAttributeNames={"#o": "order", "#s": "status"},
        ExpressionAttributeValues={":c": {"S": "q"}, ":lo": {"N": "10"}, ":s": {"S": "shipped"}},
        Select="COUNT",
    )
    assert (page["Count"], page["ScannedCount"]) == (6, 20) and "Items" not in page

    # the GSI (KEYS_ONLY) after updates: status changes move items between partitions
    ddb.update_item(
        TableName=orders,
        Key={"customer": {"S": "q"}, "order": {"N": "0"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "open"}},
    )
    ddb.update_item(
        TableName=orders,
        Key={"customer": {"S": "q"}, "order": {"N": "1"}},
        UpdateExpression="REMOVE #s",
        ExpressionAttributeNames={"#s": "status"},
    )
    ddb.delete_item(TableName=orders, Key={"customer": {"S": "q"}, "order": {"N": "3"}})
    shipped, _ = query_all(
        IndexName="by-status",
        KeyConditionExpression="#s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "shipped"}},
        Limit=3,
    )
    assert [int(x["order"]["N"]) for x in shipped] == [6, 9, 12, 15, 18, 21, 24, 27]
    assert set(shipped[0]) == {"customer", "order", "status"}  # KEYS_ONLY
    opened, _ = query_all(
        IndexName="by-status",
        KeyConditionExpression="#s = :s AND #o < :n",
        ExpressionAttributeNames={"#s": "status", "#o": "order"},
        ExpressionAttributeValues={":s": {"S": "open"}, ":n": {"N": "5"}},
    )
    assert [int(x["order"]["N"]) for x in opened] == [0, 2, 4]
    # the LSI orders one customer's items by total
    by_total = ddb.query(
        TableName=orders,
        IndexName="by-total",
        KeyConditionExpression="customer = :c AND total > :t",
        ExpressionAttributeValues={":c": {"S": "q"}, ":t": {"N": "96"}},
        ProjectionExpression="note",
    )["Items"]
    assert by_total == [{"note": {"S": "n2"}}, {"note": {"S": "n1"}}, {"note": {"S": "n0"}}]
    with pytest.raises(ClientError) as e:
        ddb.query(
            TableName=orders,
            IndexName="by-status",
            KeyConditionExpression="#s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "open"}},
            ConsistentRead=True,
        )
    assert "Consistent reads are not supported on global secondary indexes" in err(e)[1]

    # Scan: 4 segments, each paged, together every item exactly once
    keys: list[tuple[str, str]] = []
    for seg in range(4):
        kw: dict[str, Any] = {"Segment": seg, "TotalSegments": 4, "Limit": 5}
        while True:
            page = ddb.scan(TableName=orders, **kw)
            keys += [(x["customer"]["S"], x["order"]["N"]) for x in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert len(keys) == len(set(keys)) == 30
    filtered = ddb.scan(
        TableName=orders,
        FilterExpression="begins_with(note, :p) AND total <= :t",
        ExpressionAttributeValues={":p": {"S": "n2"}, ":t": {"N": "80"}},
    )["Items"]
    assert sorted(int(x["order"]["N"]) for x in filtered) == [
        20,
        21,
        22,
        23,
        24,
        25,
        26,
        27,
        28,
        29,
    ]
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=orders, Segment=4, TotalSegments=4)
    assert err(e)[0] == "ValidationException"


def test_gsi_created_later_is_backfilled_and_dropped(ddb: Any, orders: str) -> None:
    for i in range(4):
        ddb.put_item(
            TableName=orders,
            Item={"customer": {"S": f"g{i}"}, "order": {"N": "1"}, "region": {"S": "eu"}},
        )
    ddb.update_table(
        TableName=orders,
        AttributeDefinitions=[{"AttributeName": "region", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by-region",
                    "KeySchema": [{"AttributeName": "region", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]},
                }
            }
        ],
    )
    got = ddb.query(
        TableName=orders,
        IndexName="by-region",
        KeyConditionExpression="#r = :r",
        ExpressionAttributeNames={"#r": "region"},
        ExpressionAttributeValues={":r": {"S": "eu"}},
    )
    assert got["Count"] == 4
    ddb.update_table(
        TableName=orders, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-region"}}]
    )
    with pytest.raises(ClientError) as e:
        ddb.query(
            TableName=orders,
            IndexName="by-region",
            KeyConditionExpression="#r = :r",
            ExpressionAttributeNames={"#r": "region"},
            ExpressionAttributeValues={":r": {"S": "eu"}},
        )
    assert err(e) == (
        "ValidationException",
        "The table does not have the specified index: by-region",
    )


def test_batches_and_transactions(ddb: Any, orders: str) -> None:
    def key(c: str, o: int) -> dict[str, Any]:
        return {"customer": {"S": c}, "order": {"N": str(o)}}

    out = ddb.batch_write_item(
        RequestItems={
            orders: [
                {"PutRequest": {"Item": {**key("b", i), "v": {"N": str(i)}}}} for i in range(25)
            ]
        }
    )
    assert out["UnprocessedItems"] == {}
    ddb.batch_write_item(
        RequestItems={orders: [{"DeleteRequest": {"Key": key("b", i)}} for i in range(20)]}
    )
    got = ddb.batch_get_item(
        RequestItems={
            orders: {"Keys": [key("b", i) for i in range(18, 25)], "ProjectionExpression": "v"}
        }
    )
    assert sorted(int(x["v"]["N"]) for x in got["Responses"][orders]) == [20, 21, 22, 23, 24]
    assert got["UnprocessedKeys"] == {}
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={orders: [{"DeleteRequest": {"Key": key("b", 1)}}] * 2})
    assert err(e) == ("ValidationException", "Provided list of item keys contains duplicates")

    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": orders, "Item": {**key("t", 1), "bal": {"N": "100"}}}},
            {"Put": {"TableName": orders, "Item": {**key("t", 2), "bal": {"N": "0"}}}},
        ]
    )

    def transfer(amount: int) -> None:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": orders,
                        "Key": key("t", 1),
                        "UpdateExpression": "SET bal = bal - :a",
                        "ConditionExpression": "bal >= :a",
                        "ExpressionAttributeValues": {":a": {"N": str(amount)}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                {
                    "Update": {
                        "TableName": orders,
                        "Key": key("t", 2),
                        "UpdateExpression": "SET bal = bal + :a",
                        "ExpressionAttributeValues": {":a": {"N": str(amount)}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": orders,
                        "Key": key("b", 24),
                        "ConditionExpression": "attribute_exists(v)",
                    }
                },
            ]
        )

    transfer(60)
    with pytest.raises(ClientError) as e:
        transfer(60)  # only 40 left: the whole transaction fails
    code, message = err(e)
    assert code == "TransactionCanceledException"
    assert message.endswith("[ConditionalCheckFailed, None, None]")
    reasons = e.value.response["CancellationReasons"]
    assert reasons[0]["Code"] == "ConditionalCheckFailed"
    assert reasons[0]["Item"]["bal"] == {"N": "40"}
    assert [r["Code"] for r in reasons[1:]] == ["None", "None"]
    got = ddb.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": orders, "Key": key("t", 1)}},
            {"Get": {"TableName": orders, "Key": key("t", 2), "ProjectionExpression": "bal"}},
            {"Get": {"TableName": orders, "Key": key("t", 3)}},
        ]
    )["Responses"]
    assert got[0]["Item"]["bal"] == {"N": "40"} and got[1]["Item"] == {"bal": {"N": "60"}}
    assert got[2] == {}
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": orders, "Key": key("t", 1)}},
                {"Delete": {"TableName": orders, "Key": key("t", 1)}},
            ]
        )
    assert "multiple operations on one item" in err(e)[1]


def test_resource_api_with_conditions(resource: Any, ddb: Any) -> None:
    t = name("res")
    table = resource.create_table(
        TableName=t,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    table.wait_until_exists()
    with table.batch_writer() as batch:
        for i in range(40):
            batch.put_item(
                Item={"pk": "user#1", "sk": f"post#{i:03d}", "likes": i, "tags": {"x", f"t{i % 2}"}}
            )
    got = table.query(
        KeyConditionExpression=Key("pk").eq("user#1") & Key("sk").begins_with("post#01"),
        FilterExpression=Attr("likes").gt(12) & Attr("tags").contains("t1"),
    )
    assert [x["sk"] for x in got["Items"]] == ["post#013", "post#015", "post#017", "post#019"]
    assert got["Items"][0]["likes"] == Decimal(13)
    scanned = table.scan(FilterExpression=Attr("likes").between(5, 7) | Attr("likes").is_in([30]))
    assert sorted(int(x["likes"]) for x in scanned["Items"]) == [5, 6, 7, 30]
    table.update_item(
        Key={"pk": "user#1", "sk": "post#000"},
        UpdateExpression="SET likes = likes + :one",
        ConditionExpression=Attr("likes").eq(0),
        ExpressionAttributeValues={":one": 1},
    )
    with pytest.raises(ClientError) as e:
        table.put_item(
            Item={"pk": "user#1", "sk": "post#000"}, ConditionExpression=Attr("pk").not_exists()
        )
    assert err(e)[0] == "ConditionalCheckFailedException"
    assert table.get_item(Key={"pk": "user#1", "sk": "post#000"})["Item"]["likes"] == 1
    table.delete()
    assert t not in ddb.list_tables()["TableNames"]


def test_ttl_deletes_expired_items(ddb: Any) -> None:
    t = name("ttl")
    ddb.create_table(
        TableName=t,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert ddb.describe_time_to_live(TableName=t)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"
    }
    spec = {"Enabled": True, "AttributeName": "expires"}
    assert (
        ddb.update_time_to_live(TableName=t, TimeToLiveSpecification=spec)[
            "TimeToLiveSpecification"
        ]
        == spec
    )
    assert ddb.describe_time_to_live(TableName=t)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expires",
    }
    with pytest.raises(ClientError) as e:
        ddb.update_time_to_live(TableName=t, TimeToLiveSpecification=spec)
    assert err(e)[0] == "ValidationException"
    now = int(time.time())
    ddb.put_item(TableName=t, Item={"k": {"S": "past"}, "expires": {"N": str(now - 10)}})
    ddb.put_item(TableName=t, Item={"k": {"S": "future"}, "expires": {"N": str(now + 3600)}})
    ddb.put_item(TableName=t, Item={"k": {"S": "text"}, "expires": {"S": "soon"}})
    ddb.put_item(
        TableName=t, Item={"k": {"S": "ancient"}, "expires": {"N": str(now - 6 * 365 * 86400)}}
    )
    deadline = time.monotonic() + 15
    while "Item" in ddb.get_item(TableName=t, Key={"k": {"S": "past"}}):
        assert time.monotonic() < deadline, "the expired item was not deleted"
        time.sleep(0.1)
    left = sorted(x["k"]["S"] for x in ddb.scan(TableName=t)["Items"])
    assert left == ["ancient", "future", "text"]
    ddb.delete_table(TableName=t)


def test_writes_racing_a_delete_table_do_not_outlive_it(server: ServerProcess, ddb: Any) -> None:
    t = name("drop")
    spec: dict[str, Any] = {
        "TableName": t,
        "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    ddb.create_table(**spec)
    started = threading.Barrier(5)
    codes: list[str] = []

    def writer(w: int) -> None:
        c = server.client("dynamodb")
        started.wait()
        for i in range(200):
            try:
                c.put_item(TableName=t, Item={"k": {"S": f"{w}-{i}"}})
            except ClientError as e:
                codes.append(e.response["Error"]["Code"])
                return

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for th in threads:
        th.start()
    started.wait()
    ddb.delete_table(TableName=t)
    for th in threads:
        th.join(30)
    assert set(codes) <= {"ResourceNotFoundException"}
    ddb.create_table(**spec)
    assert ddb.scan(TableName=t)["Count"] == 0
    assert ddb.describe_table(TableName=t)["Table"]["ItemCount"] == 0
    ddb.delete_table(TableName=t)


def test_gsi_backfill_racing_writes_stays_exact(server: ServerProcess, ddb: Any) -> None:
    t = name("fill")
    ddb.create_table(
        TableName=t,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.batch_write_item(
        RequestItems={
            t: [
                {"PutRequest": {"Item": {"k": {"S": f"i{i}"}, "r": {"S": "eu"}}}} for i in range(25)
            ]
        }
    )
    stop = threading.Event()

    def flipper(w: int) -> None:
        c = server.client("dynamodb")
        n = 0
        while not stop.is_set():
            c.put_item(
                TableName=t,
                Item={"k": {"S": f"i{(w * 7 + n) % 30}"}, "r": {"S": ("eu", "us")[n % 2]}},
            )
            n += 1

    threads = [threading.Thread(target=flipper, args=(w,)) for w in range(4)]
    for th in threads:
        th.start()
    try:
        ddb.update_table(
            TableName=t,
            AttributeDefinitions=[{"AttributeName": "r", "AttributeType": "S"}],
            GlobalSecondaryIndexUpdates=[
                {
                    "Create": {
                        "IndexName": "by-r",
                        "KeySchema": [{"AttributeName": "r", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                }
            ],
        )
    finally:
        stop.set()
        for th in threads:
            th.join(30)
    table = {x["k"]["S"]: x["r"]["S"] for x in ddb.scan(TableName=t)["Items"]}
    index: dict[str, str] = {}
    for r in ("eu", "us"):
        for x in ddb.query(
            TableName=t,
            IndexName="by-r",
            KeyConditionExpression="r = :r",
            ExpressionAttributeValues={":r": {"S": r}},
        )["Items"]:
            assert x["k"]["S"] not in index, "an item is in the index twice"
            index[x["k"]["S"]] = r
    assert index == table
    ddb.delete_table(TableName=t)
