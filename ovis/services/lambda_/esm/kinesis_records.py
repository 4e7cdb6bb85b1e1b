"""Lambda's Kinesis event shape: one stream record as a Kinesis event record, and the name of
the batch description an OnFailure record carries.

Contract: ``KinesisShape.record(view, shard_id, identity_arn)`` is the record exactly as Lambda
delivers it (``kinesis`` with ``kinesisSchemaVersion`` "1.0", ``partitionKey``,
``sequenceNumber``, base64 ``data``, ``approximateArrivalTimestamp`` in seconds as a float;
``eventSource`` "aws:kinesis", ``eventVersion`` "1.0", ``eventID`` "<shardId>:<sequence>",
``eventName`` "aws:kinesis:record", ``invokeIdentityArn``, ``awsRegion``, ``eventSourceARN``).
The stream poller knows records only through this shape, so DynamoDB streams can reuse it
with their own shape (``dynamodb`` records, ``DDBStreamBatchInfo``).
"""

from __future__ import annotations

import base64
from typing import Any, Protocol

from ovis.models.event_source import StreamRecordView


class RecordShape(Protocol):
    event_source: str  # "aws:kinesis"
    batch_info_key: str  # the OnFailure record's member describing the batch

    def record(
        self, view: StreamRecordView, shard_id: str, identity_arn: str
    ) -> dict[str, Any]: ...


class KinesisShape:
    event_source = "aws:kinesis"
    batch_info_key = "KinesisBatchInfo"

    def __init__(self, stream_arn: str, region: str) -> None:
        self.stream_arn = stream_arn
        self.region = region

    def record(self, view: StreamRecordView, shard_id: str, identity_arn: str) -> dict[str, Any]:
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": view.partition_key,
                "sequenceNumber": view.sequence_number,
                "data": base64.b64encode(view.data).decode("ascii"),
                "approximateArrivalTimestamp": view.arrival_ms / 1000,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{view.sequence_number}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": identity_arn,
            "awsRegion": self.region,
            "eventSourceARN": self.stream_arn,
        }
