"""AWS::Kinesis::Stream over the Kinesis operations.

Ref is the stream name; GetAtt Arn. Create is CreateStream (shards or on-demand mode, tags),
waits until the stream is ACTIVE, then sets the retention period, encryption and shard-level
metrics when asked; a failure after CreateStream deletes the stream. CloudFormation's default
is one shard (when neither ShardCount nor on-demand mode is given). Update applies the
difference: UpdateStreamMode, UpdateShardCount (UNIFORM_SCALING), Increase/Decrease
retention, Start/StopStreamEncryption, Enable/DisableEnhancedMonitoring, tags. Delete of a
missing stream succeeds.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

from ovis.errors import ApiError
from ovis.services.calls import Caller, ServiceCalls
from ovis.services.cloudformation.resources.base import (
    ResourceFailed,
    ResourceRequest,
    ResourceResult,
)
from ovis.services.cloudformation.resources.coerce import as_int, as_list, as_str
from ovis.services.cloudformation.resources.service_props import (
    as_object,
    check_properties,
    error_code,
    tag_changes,
    tag_map,
)

GONE = ("ResourceNotFoundException",)
MAX_NAME = 128
DEFAULT_RETENTION = 24
ACTIVE_TIMEOUT_S = 300.0
PROPERTIES = (
    "DesiredShardLevelMetrics",
    "Name",
    "RetentionPeriodHours",
    "ShardCount",
    "StreamEncryption",
    "StreamModeDetails",
    "Tags",
)


def mode(props: dict[str, Any]) -> str:
    details = props.get("StreamModeDetails")
    if details is None:
        return "PROVISIONED"
    return as_str(as_object(details, "StreamModeDetails").get("StreamMode", ""), "StreamMode")


def shard_count(props: dict[str, Any]) -> int | None:
    if mode(props) == "ON_DEMAND":
        return None
    return as_int(props.get("ShardCount", 1), "ShardCount")


def encryption(props: dict[str, Any]) -> tuple[str, str] | None:
    value = props.get("StreamEncryption")
    if value is None:
        return None
    enc = as_object(value, "StreamEncryption")
    return (
        as_str(enc.get("EncryptionType", ""), "EncryptionType"),
        as_str(enc.get("KeyId", ""), "KeyId"),
    )


def metrics(props: dict[str, Any]) -> set[str]:
    items = as_list(props.get("DesiredShardLevelMetrics") or [], "DesiredShardLevelMetrics")
    return {as_str(m, "DesiredShardLevelMetrics") for m in items}


class StreamProvider:
    type_name: ClassVar[str] = "AWS::Kinesis::Stream"
    create_only: ClassVar[frozenset[str]] = frozenset({"Name"})
    attributes: ClassVar[frozenset[str]] = frozenset({"Arn"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    async def _active(self, caller: Caller, name: str) -> str:
        """Wait for ACTIVE (streams here are ACTIVE at once; AWS's take seconds) -> the ARN."""
        deadline = time.monotonic() + ACTIVE_TIMEOUT_S
        while True:
            out = await self.calls("kinesis", "DescribeStreamSummary", {"StreamName": name}, caller)
            summary = out["StreamDescriptionSummary"]
            if summary["StreamStatus"] == "ACTIVE":
                return str(summary["StreamARN"])
            if time.monotonic() > deadline:
                raise ResourceFailed(f"Stream {name} did not become ACTIVE")
            await asyncio.sleep(0.2)

    async def _retention(self, caller: Caller, name: str, before: int, after: int) -> None:
        if after == before:
            return
        op = "IncreaseStreamRetentionPeriod" if after > before else "DecreaseStreamRetentionPeriod"
        await self.calls("kinesis", op, {"StreamName": name, "RetentionPeriodHours": after}, caller)

    async def _encryption(
        self,
        caller: Caller,
        name: str,
        before: tuple[str, str] | None,
        after: tuple[str, str] | None,
    ) -> None:
        if before == after:
            return
        if after is None or after[0] == "NONE":
            if before is not None and before[0] != "NONE":
                await self.calls(
                    "kinesis",
                    "StopStreamEncryption",
                    {"StreamName": name, "EncryptionType": before[0], "KeyId": before[1]},
                    caller,
                )
            return
        await self.calls(
            "kinesis",
            "StartStreamEncryption",
            {"StreamName": name, "EncryptionType": after[0], "KeyId": after[1]},
            caller,
        )

    async def _metrics(self, caller: Caller, name: str, before: set[str], after: set[str]) -> None:
        if after - before:
            await self.calls(
                "kinesis",
                "EnableEnhancedMonitoring",
                {"StreamName": name, "ShardLevelMetrics": sorted(after - before)},
                caller,
            )
        if before - after:
            await self.calls(
                "kinesis",
                "DisableEnhancedMonitoring",
                {"StreamName": name, "ShardLevelMetrics": sorted(before - after)},
                caller,
            )

    @staticmethod
    def _retention_of(props: dict[str, Any]) -> int:
        return as_int(props.get("RetentionPeriodHours", DEFAULT_RETENTION), "RetentionPeriodHours")

    async def create(self, req: ResourceRequest) -> ResourceResult:
        p = req.properties
        check_properties(p, PROPERTIES)
        name = req.physical_name("Name", MAX_NAME)
        caller = req.stack.caller
        params: dict[str, Any] = {"StreamName": name}
        shards = shard_count(p)
        if shards is not None:
            params["ShardCount"] = shards
        params["StreamModeDetails"] = {"StreamMode": mode(p)}
        if p.get("Tags"):
            params["Tags"] = tag_map(p["Tags"])
        retention, enc, wanted = self._retention_of(p), encryption(p), metrics(p)
        try:
            await self.calls("kinesis", "CreateStream", params, caller)
        except ApiError as e:
            if error_code(e) == "ResourceInUseException":
                raise ResourceFailed(f"{name} already exists") from e
            raise
        try:
            arn = await self._active(caller, name)
            await self._retention(caller, name, DEFAULT_RETENTION, retention)
            await self._encryption(caller, name, None, enc)
            await self._metrics(caller, name, set(), wanted)
        except BaseException:
            await self._delete(caller, name)
            raise
        return ResourceResult(name, {"Arn": arn})

    async def update(self, req: ResourceRequest) -> ResourceResult:
        p, prev = req.properties, req.previous_properties or {}
        check_properties(p, PROPERTIES)
        name = req.physical_id or req.physical_name("Name", MAX_NAME)
        caller = req.stack.caller
        arn = await self._active(caller, name)
        if mode(prev) != mode(p):
            await self.calls(
                "kinesis",
                "UpdateStreamMode",
                {"StreamARN": arn, "StreamModeDetails": {"StreamMode": mode(p)}},
                caller,
            )
            await self._active(caller, name)
        shards = shard_count(p)
        if shards is not None and shards != shard_count(prev):
            await self.calls(
                "kinesis",
                "UpdateShardCount",
                {"StreamName": name, "TargetShardCount": shards, "ScalingType": "UNIFORM_SCALING"},
                caller,
            )
            await self._active(caller, name)
        await self._retention(caller, name, self._retention_of(prev), self._retention_of(p))
        await self._encryption(caller, name, encryption(prev), encryption(p))
        await self._metrics(caller, name, metrics(prev), metrics(p))
        put, remove = tag_changes(prev.get("Tags"), p.get("Tags"))
        if remove:
            await self.calls(
                "kinesis", "RemoveTagsFromStream", {"StreamName": name, "TagKeys": remove}, caller
            )
        if put:
            await self.calls(
                "kinesis", "AddTagsToStream", {"StreamName": name, "Tags": put}, caller
            )
        return ResourceResult(name, {"Arn": arn})

    async def _delete(self, caller: Caller, name: str) -> None:
        try:
            await self.calls(
                "kinesis",
                "DeleteStream",
                {"StreamName": name, "EnforceConsumerDeletion": True},
                caller,
            )
        except ApiError as e:
            if error_code(e) not in GONE:
                raise

    async def delete(self, req: ResourceRequest) -> None:
        await self._delete(req.stack.caller, req.physical_id or req.physical_name("Name", MAX_NAME))
