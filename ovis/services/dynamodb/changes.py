"""Stream records of item changes, written in the same transaction as the change.

A record is AWS's DynamoDB Streams record (eventID, eventName INSERT / MODIFY / REMOVE,
eventVersion, eventSource, awsRegion, dynamodb {ApproximateCreationDateTime, Keys, NewImage,
OldImage, SizeBytes, StreamViewType}, userIdentity for TTL deletions) stored as JSON with
binary values base64; the store numbers records per table shard in write order
(SequenceNumber), and the dynamodbstreams API renders them. A write that changes nothing
(an identical put, a delete of a missing item) makes no record, as on AWS.
"""

from __future__ import annotations

import json
import uuid

from ovis.models.dynamodb import AppendChange
from ovis.services.dynamodb.tables import Table, now_ms
from ovis.services.dynamodb.values import Item, equal, item_size, to_json_value

RETENTION_MS = 24 * 3_600_000


def change(
    t: Table, region: str, old: Item | None, new: Item | None, ttl: bool = False
) -> AppendChange | None:
    view = t.stream_view
    if view is None or (old is None and new is None):
        return None
    if (
        old is not None
        and new is not None
        and (old.keys() == new.keys() and all(equal(old[k], new[k]) for k in old))
    ):
        return None
    source = new if new is not None else old
    assert source is not None
    keys = {k: source[k] for k in t.key_names()}
    body: dict[str, object] = {
        "ApproximateCreationDateTime": now_ms() // 1000,
        "Keys": {k: to_json_value(v) for k, v in keys.items()},
    }
    size = item_size(keys)
    if new is not None and view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
        body["NewImage"] = {k: to_json_value(v) for k, v in new.items()}
        size += item_size(new)
    if old is not None and view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        body["OldImage"] = {k: to_json_value(v) for k, v in old.items()}
        size += item_size(old)
    body["SizeBytes"] = size
    body["StreamViewType"] = view
    record: dict[str, object] = {
        "eventID": uuid.uuid4().hex,
        "eventName": "INSERT" if old is None else "REMOVE" if new is None else "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": body,
    }
    if ttl:
        record["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    return AppendChange(t.name, t.stream_shard, now_ms(), json.dumps(record))
