"""The Kinesis operations over ``StreamService``: one handler per operation, ``(ctx, params)
-> output members``. Requests arrive decoded and validated against the botocore model by the
JSON 1.1 codec (required members, lengths, patterns, enums); the handlers resolve StreamName /
StreamARN, build the typed commands and shape the outputs. Operations of the model this table
lacks answer the front door's "not supported" error."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ovis.models.stream import ShardRecord, sequence_number
from ovis.protocols.timestamps import to_datetime
from ovis.services.context import Handler, RequestContext
from ovis.services.kinesis import commands as cmd
from ovis.services.kinesis import limits
from ovis.services.kinesis.catalog import Stream
from ovis.services.kinesis.errors import (
    DryRunOperationException,
    ExpiredNextTokenException,
    InvalidArgumentException,
    ResourceNotFoundException,
    ValidationException,
)
from ovis.services.kinesis.resharding import list_shards
from ovis.services.kinesis.streams import StreamService


def _ms(value: Any) -> int:
    """A request timestamp (epoch seconds, as boto3 sends them, or ISO 8601) in epoch ms."""
    try:
        return int(to_datetime(value).timestamp() * 1000)
    except (TypeError, ValueError, OverflowError, OSError):
        raise InvalidArgumentException(f"Timestamp {value!r} is not a valid timestamp.") from None


def _token(doc: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode()


def _untoken(token: str, members: dict[str, tuple[type, ...]]) -> dict[str, Any]:
    """A NextToken of ours, each member of the type ``members`` says (else InvalidArgument)."""
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error):
        doc = None
    if not isinstance(doc, dict) or any(
        not isinstance(doc.get(k), types) or isinstance(doc.get(k), bool)
        for k, types in members.items()
    ):
        raise InvalidArgumentException(f"Invalid NextToken: {token}")
    return doc


def _dry_run(p: dict[str, Any]) -> None:
    if p.get("DryRun"):
        raise DryRunOperationException("Request would have succeeded, but the DryRun flag is set.")


def _shard_out(x: ShardRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ShardId": x.shard_id,
        "HashKeyRange": {"StartingHashKey": str(x.start_hash), "EndingHashKey": str(x.end_hash)},
        "SequenceNumberRange": {"StartingSequenceNumber": sequence_number(x.index, 0)},
    }
    if x.parent is not None:
        out["ParentShardId"] = f"shardId-{x.parent:012d}"
    if x.adjacent_parent is not None:
        out["AdjacentParentShardId"] = f"shardId-{x.adjacent_parent:012d}"
    if x.end_n is not None:
        out["SequenceNumberRange"]["EndingSequenceNumber"] = sequence_number(x.index, x.end_n)
    return out


class KinesisApi:
    def __init__(self, streams: StreamService) -> None:
        self.catalog = streams.catalog
        self.admin = streams.admin
        self.resharding = streams.resharding
        self.records = streams.records
        self.handlers: dict[str, Handler] = {
            "CreateStream": self.create_stream,
            "DeleteStream": self.delete_stream,
            "DescribeStream": self.describe_stream,
            "DescribeStreamSummary": self.describe_stream_summary,
            "ListStreams": self.list_streams,
            "ListShards": self.list_shards,
            "PutRecord": self.put_record,
            "PutRecords": self.put_records,
            "GetShardIterator": self.get_shard_iterator,
            "GetRecords": self.get_records,
            "IncreaseStreamRetentionPeriod": self.increase_retention,
            "DecreaseStreamRetentionPeriod": self.decrease_retention,
            "AddTagsToStream": self.add_tags_to_stream,
            "RemoveTagsFromStream": self.remove_tags_from_stream,
            "ListTagsForStream": self.list_tags_for_stream,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
            "UpdateShardCount": self.update_shard_count,
            "SplitShard": self.split_shard,
            "MergeShards": self.merge_shards,
            "DescribeLimits": self.describe_limits,
            "EnableEnhancedMonitoring": self.enable_monitoring,
            "DisableEnhancedMonitoring": self.disable_monitoring,
            "StartStreamEncryption": self.start_encryption,
            "StopStreamEncryption": self.stop_encryption,
            "UpdateStreamMode": self.update_stream_mode,
        }

    def _name(self, p: dict[str, Any]) -> str:
        return self.catalog.name_of(p.get("StreamName"), p.get("StreamARN"))

    def _resource(self, p: dict[str, Any]) -> str:
        arn = p["ResourceARN"]
        if ":stream/" not in arn or "/consumer/" in arn:
            raise ResourceNotFoundException(f"Resource {arn} not found.")
        return self.catalog.name_of(None, arn)

    # ---- streams --------------------------------------------------------------------------

    async def create_stream(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        mode = (p.get("StreamModeDetails") or {}).get("StreamMode")
        await self.admin.create_stream(
            cmd.CreateStream(p["StreamName"], p.get("ShardCount"), mode, p.get("Tags"))
        )
        return {}

    async def delete_stream(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.admin.delete_stream(self._name(p))  # EnforceConsumerDeletion: no consumers
        return {}

    def _summary(self, s: Stream) -> dict[str, Any]:
        r = s.record
        enc: dict[str, Any] = {"EncryptionType": r.encryption}
        if r.key_id is not None:
            enc["KeyId"] = r.key_id
        return {
            "StreamName": r.name,
            "StreamARN": s.arn,
            "StreamStatus": "ACTIVE",
            "StreamModeDetails": {"StreamMode": r.mode},
            "RetentionPeriodHours": r.retention_hours,
            "StreamCreationTimestamp": r.created_ms / 1000,
            "EnhancedMonitoring": [{"ShardLevelMetrics": list(r.metrics)}],
            **enc,
        }

    async def describe_stream(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        s = self.catalog.stream(self._name(p))
        # "If you specify a value greater than 100, at most 100 results are returned."
        limit = min(
            p.get("Limit") or limits.DEFAULT_DESCRIBE_SHARDS, limits.DEFAULT_DESCRIBE_SHARDS
        )
        shards, more = list_shards(
            s, cmd.ShardListing(s.name, limit, p.get("ExclusiveStartShardId"))
        )
        desc = self._summary(s)
        desc["Shards"] = [_shard_out(x) for x in shards]
        desc["HasMoreShards"] = more
        return {"StreamDescription": desc}

    async def describe_stream_summary(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        s = self.catalog.stream(self._name(p))
        desc = self._summary(s)
        desc["OpenShardCount"] = len(s.open_shards())
        desc["ConsumerCount"] = 0
        return {"StreamDescriptionSummary": desc}

    async def list_streams(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        # "If you specify a value greater than 100, at most 100 results are returned."
        limit = min(p.get("Limit") or limits.DEFAULT_LIST_STREAMS, limits.DEFAULT_LIST_STREAMS)
        start = p.get("ExclusiveStartStreamName")
        if p.get("NextToken") is not None:
            start = _untoken(p["NextToken"], {"after": (str,)})["after"]
        streams = [s for s in self.catalog.streams() if start is None or s.name > start]
        page, more = streams[:limit], len(streams) > limit
        out: dict[str, Any] = {
            "StreamNames": [s.name for s in page],
            "HasMoreStreams": more,
            "StreamSummaries": [
                {
                    "StreamName": s.name,
                    "StreamARN": s.arn,
                    "StreamStatus": "ACTIVE",
                    "StreamModeDetails": {"StreamMode": s.record.mode},
                    "StreamCreationTimestamp": s.record.created_ms / 1000,
                }
                for s in page
            ],
        }
        if more:
            out["NextToken"] = _token({"after": page[-1].name})
        return out

    async def list_shards(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        limit = p.get("MaxResults") or limits.DEFAULT_LIST_SHARDS
        if p.get("NextToken") is not None:
            if p.get("StreamName") is not None or p.get("StreamARN") is not None:
                raise InvalidArgumentException(
                    "NextToken and StreamName cannot be provided together."
                )
            optional_str = (str, type(None))
            doc = _untoken(
                p["NextToken"],
                {
                    "stream": (str,),
                    "created": (int,),
                    "after": (str,),
                    "type": optional_str,
                    "shard": optional_str,
                    "ts": (int, type(None)),
                },
            )
            listing = cmd.ShardListing(
                doc["stream"], limit, doc["after"], doc["type"], doc["shard"], doc["ts"]
            )
            s = self.catalog.stream(listing.stream)
            if s.record.created_ms != doc.get("created"):
                raise ExpiredNextTokenException(
                    f"The NextToken {p['NextToken']} is for a stream that no longer exists."
                )
        else:
            f = p.get("ShardFilter") or {}
            ts = _ms(f["Timestamp"]) if f.get("Timestamp") is not None else None
            listing = cmd.ShardListing(
                self._name(p),
                limit,
                p.get("ExclusiveStartShardId"),
                f.get("Type"),
                f.get("ShardId"),
                ts,
            )
        shards, more = list_shards(self.catalog.stream(listing.stream), listing)
        out: dict[str, Any] = {"Shards": [_shard_out(x) for x in shards]}
        if more:
            s = self.catalog.stream(listing.stream)
            out["NextToken"] = _token(
                {
                    "stream": listing.stream,
                    "created": s.record.created_ms,
                    "after": shards[-1].shard_id,
                    "type": listing.filter_type,
                    "shard": listing.filter_shard_id,
                    "ts": listing.filter_timestamp_ms,
                }
            )
        return out

    # ---- records --------------------------------------------------------------------------

    @staticmethod
    def _record(r: dict[str, Any], where: str) -> cmd.RecordInput:
        if r.get("PartitionKey") is None:
            raise ValidationException(
                f"1 validation error detected: Value null at '{where}partitionKey' failed to "
                "satisfy constraint: Member must not be null"
            )
        return cmd.RecordInput(r["Data"], r["PartitionKey"], r.get("ExplicitHashKey"))

    async def put_record(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        s = self.catalog.stream(self._name(p))
        record = self._record(p, "")
        _dry_run(p)
        (res,) = await self.records.put_records(cmd.PutRecords(s.name, (record,)))
        return {
            "ShardId": res.shard_id,
            "SequenceNumber": res.sequence_number,
            "EncryptionType": s.record.encryption,
        }

    async def put_records(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        s = self.catalog.stream(self._name(p))
        records = tuple(
            self._record(r, f"records.{i}.member.") for i, r in enumerate(p["Records"], 1)
        )
        _dry_run(p)
        results = await self.records.put_records(cmd.PutRecords(s.name, records))
        return {
            "FailedRecordCount": 0,
            "Records": [
                {"ShardId": r.shard_id, "SequenceNumber": r.sequence_number} for r in results
            ],
            "EncryptionType": s.record.encryption,
        }

    async def get_shard_iterator(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        ts = _ms(p["Timestamp"]) if p.get("Timestamp") is not None else None
        self.catalog.stream(self._name(p))
        _dry_run(p)
        it = await self.records.get_shard_iterator(
            cmd.GetShardIterator(
                self._name(p),
                p["ShardId"],
                p["ShardIteratorType"],
                p.get("StartingSequenceNumber"),
                ts,
            )
        )
        return {"ShardIterator": it}

    async def get_records(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        _dry_run(p)
        page = await self.records.get_records(
            p["ShardIterator"], p.get("Limit") or limits.MAX_GET_RECORDS
        )
        out: dict[str, Any] = {
            "Records": [
                {
                    "SequenceNumber": sequence_number(r.shard, r.n),
                    "ApproximateArrivalTimestamp": r.arrival_ms / 1000,
                    "Data": r.data,
                    "PartitionKey": r.partition_key,
                }
                for r in page.records
            ],
            "MillisBehindLatest": page.millis_behind,
        }
        if page.next_iterator is not None:
            out["NextShardIterator"] = page.next_iterator
        else:
            out["ChildShards"] = [
                {
                    "ShardId": c.shard_id,
                    "ParentShards": [
                        f"shardId-{i:012d}" for i in (c.parent, c.adjacent_parent) if i is not None
                    ],
                    "HashKeyRange": {
                        "StartingHashKey": str(c.start_hash),
                        "EndingHashKey": str(c.end_hash),
                    },
                }
                for c in page.children
            ]
        return out

    # ---- retention, monitoring, encryption ------------------------------------------------

    async def increase_retention(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.admin.set_retention(self._name(p), p["RetentionPeriodHours"], increase=True)
        return {}

    async def decrease_retention(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.admin.set_retention(self._name(p), p["RetentionPeriodHours"], increase=False)
        return {}

    async def _monitoring(self, p: dict[str, Any], enable: bool) -> dict[str, Any]:
        name = self._name(p)
        before, after = await self.admin.set_metrics(name, p["ShardLevelMetrics"], enable)
        return {
            "StreamName": name,
            "StreamARN": self.catalog.arn(name),
            "CurrentShardLevelMetrics": before,
            "DesiredShardLevelMetrics": after,
        }

    async def enable_monitoring(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return await self._monitoring(p, True)

    async def disable_monitoring(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return await self._monitoring(p, False)

    async def start_encryption(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.admin.set_encryption(self._name(p), p["EncryptionType"], p["KeyId"])
        return {}

    async def stop_encryption(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.admin.set_encryption(self._name(p), "NONE", None)
        return {}

    async def update_stream_mode(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        name = self.catalog.name_of(None, p["StreamARN"])
        await self.admin.set_mode(name, p["StreamModeDetails"]["StreamMode"])
        return {}

    async def describe_limits(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        streams = self.catalog.streams()
        return {
            "ShardLimit": limits.SHARD_LIMIT,
            "OpenShardCount": self.catalog.open_shard_count(),
            "OnDemandStreamCount": sum(s.record.mode == "ON_DEMAND" for s in streams),
            "OnDemandStreamCountLimit": limits.ON_DEMAND_STREAM_LIMIT,
        }

    # ---- tags -----------------------------------------------------------------------------

    async def add_tags_to_stream(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.admin.add_tags(self._name(p), p["Tags"])
        return {}

    async def remove_tags_from_stream(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        await self.admin.remove_tags(self._name(p), p["TagKeys"])
        return {}

    async def list_tags_for_stream(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        tags = await self.admin.list_tags(self._name(p))
        start = p.get("ExclusiveStartTagKey")
        keys = [k for k in sorted(tags) if start is None or k > start]
        limit = p.get("Limit") or limits.MAX_TAGS
        return {
            "Tags": [{"Key": k, "Value": tags[k]} for k in keys[:limit]],
            "HasMoreTags": len(keys) > limit,
        }

    async def tag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.admin.add_tags(self._resource(p), p["Tags"])
        return {}

    async def untag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.admin.remove_tags(self._resource(p), p["TagKeys"])
        return {}

    async def list_tags_for_resource(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        tags = await self.admin.list_tags(self._resource(p))
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}

    # ---- resharding -----------------------------------------------------------------------

    async def update_shard_count(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        name = self._name(p)
        before = await self.resharding.update_shard_count(name, p["TargetShardCount"])
        return {
            "StreamName": name,
            "StreamARN": self.catalog.arn(name),
            "CurrentShardCount": before,
            "TargetShardCount": p["TargetShardCount"],
        }

    async def split_shard(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.resharding.split_shard(
            cmd.SplitShard(self._name(p), p["ShardToSplit"], p["NewStartingHashKey"])
        )
        return {}

    async def merge_shards(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.resharding.merge_shards(
            cmd.MergeShards(self._name(p), p["ShardToMerge"], p["AdjacentShardToMerge"])
        )
        return {}
