"""AWS::Lambda::EventSourceMapping: Create/Update/DeleteEventSourceMapping.

Ref = the mapping's UUID; Fn::GetAtt ``Id`` (the UUID) and ``EventSourceMappingArn``.
Create-only (AWS: "Update requires: Replacement"): EventSourceArn, StartingPosition,
StartingPositionTimestamp, Topics, Queues, SelfManagedEventSource,
AmazonManagedKafkaEventSourceConfig, SelfManagedKafkaEventSourceConfig.

Contract: properties map one to one onto the API's members (KmsKeyArn -> KMSKeyArn, Tags list
-> map, StartingPositionTimestamp as epoch seconds, SelfManagedEventSource's
KafkaBootstrapServers -> the API's KAFKA_BOOTSTRAP_SERVERS); what Lambda here does not serve
(Kafka, MQ, DocumentDB sources) Lambda itself refuses with its own message. create and update
wait until the mapping leaves Creating/Updating/Enabling/Disabling (CloudFormation's
stabilization); update sends the settings named now or before (removed ones reset to Lambda's
defaults) and adds/removes tags; delete waits until the mapping is gone, gone being success.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ovis.errors import ResourceNotFoundException
from ovis.services.calls import Caller, ServiceCalls
from ovis.services.cloudformation.resources.base import (
    ResourceFailed,
    ResourceRequest,
    ResourceResult,
)
from ovis.services.cloudformation.resources.coerce import as_bool, as_dict, as_int, as_list, as_str
from ovis.services.cloudformation.resources.lambda_props import (
    as_str_list,
    check_known,
    ignore_missing,
    poll,
    required,
    shape,
    tags_of,
)

CREATE_ONLY = (
    "EventSourceArn",
    "StartingPosition",
    "StartingPositionTimestamp",
    "Topics",
    "Queues",
    "SelfManagedEventSource",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig",
)
# updatable property -> (its coercion, the value Lambda falls back to when it is removed;
# None: no reset is sent)
UPDATABLE: dict[str, tuple[str, Any]] = {
    "FunctionName": ("str", None),
    "Enabled": ("bool", True),
    "BatchSize": ("int", None),  # the default depends on the source: left as it is
    "MaximumBatchingWindowInSeconds": ("int", 0),
    "FilterCriteria": ("filters", {"Filters": []}),
    "FunctionResponseTypes": ("strs", []),
    "DestinationConfig": ("destination", {"OnFailure": {}}),
    "ScalingConfig": ("scaling", {}),
    "MaximumRecordAgeInSeconds": ("int", -1),
    "BisectBatchOnFunctionError": ("bool", False),
    "MaximumRetryAttempts": ("int", -1),
    "ParallelizationFactor": ("int", 1),
    "TumblingWindowInSeconds": ("int", 0),
    "KmsKeyArn": ("str", ""),
    "SourceAccessConfigurations": ("list", None),
    "DocumentDBEventSourceConfig": ("dict", None),
    "MetricsConfig": ("metrics", {"Metrics": []}),
    "ProvisionedPollerConfig": ("dict", None),
    "LoggingConfig": ("dict", None),
}
ESM_PROPERTIES = (*CREATE_ONLY, *UPDATABLE, "Tags")
WIRE_NAME = {"KmsKeyArn": "KMSKeyArn"}
SETTLED = ("Enabled", "Disabled")


def _filters(value: Any) -> dict[str, Any]:
    fc = as_dict(value, "FilterCriteria")
    check_known(fc, ("Filters",))
    filters = []
    for f in as_list(fc.get("Filters", []), "FilterCriteria.Filters"):
        filters.append(shape(f, "FilterCriteria.Filters", {"Pattern": "str"}))
    return {"Filters": filters}


def _destination(value: Any) -> dict[str, Any]:
    dest = as_dict(value, "DestinationConfig")
    check_known(dest, ("OnFailure",))
    out: dict[str, Any] = {}
    if "OnFailure" in dest:
        out["OnFailure"] = shape(
            dest["OnFailure"], "DestinationConfig.OnFailure", {"Destination": "str"}
        )
    return out


def _coerce(name: str, kind: str, value: Any) -> Any:
    if kind == "str":
        return as_str(value, name)
    if kind == "bool":
        return as_bool(value, name)
    if kind == "int":
        return as_int(value, name)
    if kind == "strs":
        return as_str_list(value, name)
    if kind == "filters":
        return _filters(value)
    if kind == "destination":
        return _destination(value)
    if kind == "scaling":
        return shape(value, name, {"MaximumConcurrency": "int"})
    if kind == "metrics":
        return shape(value, name, {"Metrics": "strs"})
    if kind == "list":
        return as_list(value, name)
    return as_dict(value, name)


def _self_managed(value: Any) -> dict[str, Any]:
    src = as_dict(value, "SelfManagedEventSource")
    check_known(src, ("Endpoints",))
    endpoints = as_dict(src.get("Endpoints", {}), "SelfManagedEventSource.Endpoints")
    check_known(endpoints, ("KafkaBootstrapServers",))
    servers = as_str_list(endpoints.get("KafkaBootstrapServers", []), "KafkaBootstrapServers")
    return {"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": servers}}


def _create_params(props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (kind, _default) in UPDATABLE.items():
        if name in props:
            out[WIRE_NAME.get(name, name)] = _coerce(name, kind, props[name])
    if "EventSourceArn" in props:
        out["EventSourceArn"] = as_str(props["EventSourceArn"], "EventSourceArn")
    if "StartingPosition" in props:
        out["StartingPosition"] = as_str(props["StartingPosition"], "StartingPosition")
    if "StartingPositionTimestamp" in props:
        ts = props["StartingPositionTimestamp"]
        try:
            out["StartingPositionTimestamp"] = float(ts)
        except (TypeError, ValueError):
            raise ResourceFailed(
                f"Property StartingPositionTimestamp: expected type: Number, found: {ts!r}"
            ) from None
    for name in ("Topics", "Queues"):
        if name in props:
            out[name] = as_str_list(props[name], name)
    if "SelfManagedEventSource" in props:
        out["SelfManagedEventSource"] = _self_managed(props["SelfManagedEventSource"])
    for name in ("AmazonManagedKafkaEventSourceConfig", "SelfManagedKafkaEventSourceConfig"):
        if name in props:
            out[name] = as_dict(props[name], name)
    if "Tags" in props:
        out["Tags"] = tags_of(props["Tags"])
    return out


class EventSourceMappingProvider:
    type_name: ClassVar[str] = "AWS::Lambda::EventSourceMapping"
    create_only: ClassVar[frozenset[str]] = frozenset(CREATE_ONLY)
    # the properties naming the resource itself (a replacement keeping one fails)
    custom_names: ClassVar[frozenset[str]] = frozenset()
    attributes: ClassVar[frozenset[str]] = frozenset({"Id", "EventSourceMappingArn"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    async def _settled(self, uuid: str, caller: Caller) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            m = await self.calls("lambda", "GetEventSourceMapping", {"UUID": uuid}, caller)
            return m if m.get("State") in SETTLED else None

        return await poll(probe, f"Event source mapping {uuid}")

    @staticmethod
    def _result(m: dict[str, Any]) -> ResourceResult:
        return ResourceResult(
            m["UUID"], {"Id": m["UUID"], "EventSourceMappingArn": m["EventSourceMappingArn"]}
        )

    async def create(self, req: ResourceRequest) -> ResourceResult:
        props = req.properties
        check_known(props, ESM_PROPERTIES)
        required(props, "FunctionName")
        caller = req.stack.caller
        out = await self.calls("lambda", "CreateEventSourceMapping", _create_params(props), caller)
        try:
            m = await self._settled(out["UUID"], caller)
        except BaseException:
            await self._delete(out["UUID"], caller)
            raise
        return self._result(m)

    async def update(self, req: ResourceRequest) -> ResourceResult:
        props = req.properties
        old = req.previous_properties or {}
        check_known(props, ESM_PROPERTIES)
        required(props, "FunctionName")
        assert req.physical_id is not None
        uuid, caller = req.physical_id, req.stack.caller
        params: dict[str, Any] = {"UUID": uuid}
        for name, (kind, default) in UPDATABLE.items():
            if props.get(name) == old.get(name) and name != "FunctionName":
                continue
            if name in props:
                params[WIRE_NAME.get(name, name)] = _coerce(name, kind, props[name])
            elif default is not None:
                params[WIRE_NAME.get(name, name)] = default
        if len(params) > 2:  # more than UUID and FunctionName: something to change
            await self.calls("lambda", "UpdateEventSourceMapping", params, caller)
        m = await self._settled(uuid, caller)
        new_tags, old_tags = tags_of(props.get("Tags", [])), tags_of(old.get("Tags", []))
        arn = m["EventSourceMappingArn"]
        gone = [k for k in old_tags if k not in new_tags]
        if gone:
            await self.calls("lambda", "UntagResource", {"Resource": arn, "TagKeys": gone}, caller)
        changed = {k: v for k, v in new_tags.items() if old_tags.get(k) != v}
        if changed:
            await self.calls("lambda", "TagResource", {"Resource": arn, "Tags": changed}, caller)
        return self._result(m)

    async def _delete(self, uuid: str, caller: Caller) -> None:
        if await ignore_missing(self.calls, "DeleteEventSourceMapping", {"UUID": uuid}, caller):

            async def gone() -> bool | None:
                try:
                    await self.calls("lambda", "GetEventSourceMapping", {"UUID": uuid}, caller)
                except ResourceNotFoundException:
                    return True
                return None

            await poll(gone, f"Deleting event source mapping {uuid}")

    async def delete(self, req: ResourceRequest) -> None:
        if req.physical_id is None:
            return  # the UUID is Lambda's: nothing to find before it answered
        await self._delete(req.physical_id, req.stack.caller)
