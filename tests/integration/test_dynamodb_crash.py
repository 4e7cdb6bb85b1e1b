"""A kill -9 during DynamoDB writes loses no acknowledged write: 8 writer threads put and
update items until the server is killed; after the restart every write that was answered
200 is there (items, the GSI's rows and the stream's change records, committed together)."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from tests.conftest import start_server


def test_acknowledged_writes_survive_a_kill(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = start_server(data)
    t = f"crash-{uuid.uuid4().hex[:6]}"
    acked: dict[str, int] = {}
    lock = threading.Lock()
    try:
        ddb = srv.client("dynamodb")
        ddb.create_table(
            TableName=t,
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "k", "AttributeType": "S"},
                {"AttributeName": "g", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
        enough = threading.Event()

        def writer(w: int) -> None:
            c = srv.client("dynamodb")
            for i in range(10_000):
                key = f"w{w}-{i}"
                try:
                    c.put_item(
                        TableName=t, Item={"k": {"S": key}, "g": {"S": "all"}, "v": {"N": str(i)}}
                    )
                except (ClientError, BotoCoreError):
                    return  # the server is gone
                with lock:
                    acked[key] = i
                    if len(acked) >= 400:
                        enough.set()

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
        for th in threads:
            th.start()
        assert enough.wait(60), "writes did not get going"
    finally:
        srv.stop(signal.SIGKILL)
    for th in threads:
        th.join(30)
    with lock:
        expected = dict(acked)

    srv = start_server(data)
    try:
        ddb = srv.client("dynamodb")
        stored: dict[str, Any] = {}
        kw: dict[str, Any] = {"TableName": t}
        while True:
            page = ddb.scan(**kw)
            stored.update({x["k"]["S"]: int(x["v"]["N"]) for x in page["Items"]})
            if "LastEvaluatedKey" not in page:
                break
            kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        missing = {k for k in expected if stored.get(k) != expected[k]}
        assert not missing, f"{len(missing)} acknowledged writes lost"
        in_gsi = ddb.query(
            TableName=t,
            IndexName="by-g",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": {"S": "all"}},
            Select="COUNT",
        )
        assert in_gsi["Count"] == len(stored)
    finally:
        srv.stop()
    # Until the dynamodbstreams API lands, read the change records from the store itself:
    # every stored item has its INSERT record, in write order per writer.
    db = sqlite3.connect(f"file:{data / 'ovis.db'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT record FROM ddb_stream_records WHERE tbl = ? ORDER BY seq", (t,)
        ).fetchall()
    finally:
        db.close()
    keys = [json.loads(r[0])["dynamodb"]["Keys"]["k"]["S"] for r in rows]
    assert set(keys) == set(stored) and len(keys) == len(stored)
    for w in range(8):
        mine = [int(k.split("-")[1]) for k in keys if k.startswith(f"w{w}-")]
        assert mine == sorted(mine)
