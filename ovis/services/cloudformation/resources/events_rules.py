"""AWS::Events::Rule and AWS::Events::EventBus over the EventBridge operations.

Rule: PutRule (pattern, schedule, state, description, role) then PutTargets; Ref is the rule
name, or ``<bus>|<rule>`` on a custom bus (as AWS answers), GetAtt Arn. A target the service
refuses (a FailedEntries answer) fails the resource and the rule is removed again. A named rule
that already exists fails the resource. Update re-puts the rule (PutRule replaces its
definition), removes targets whose Id is gone and puts the rest. Delete removes every target
first (EventBridge refuses to delete a rule that has targets), then the rule; gone = success.

EventBus: CreateEventBus (description, tags; KmsKeyIdentifier and DeadLetterConfig are passed to
the API as sent). Ref is the bus name; GetAtt Arn, Name. Partner buses (EventSourceName) and
bus policies (Policy) are not served here and fail naming the property.
"""

from __future__ import annotations

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
    json_text,
    tag_changes,
    tag_list,
)

GONE = ("ResourceNotFoundException",)
MAX_NAME = 64
RULE_PROPERTIES = (
    "Description",
    "EventBusName",
    "EventPattern",
    "Name",
    "RoleArn",
    "ScheduleExpression",
    "State",
    "Targets",
)
TARGET_KEYS = frozenset(
    {
        "Id",
        "Arn",
        "RoleArn",
        "Input",
        "InputPath",
        "InputTransformer",
        "KinesisParameters",
        "RunCommandParameters",
        "EcsParameters",
        "BatchParameters",
        "SqsParameters",
        "HttpParameters",
        "RedshiftDataParameters",
        "SageMakerPipelineParameters",
        "DeadLetterConfig",
        "RetryPolicy",
        "AppSyncParameters",
    }
)


def target(item: Any) -> dict[str, Any]:
    """A template target as the PutTargets entry (the same member names; integers coerced)."""
    if not isinstance(item, dict):
        raise ResourceFailed("Value of property Targets must be a list of objects")
    for key in item:
        if key not in TARGET_KEYS:
            raise ResourceFailed(f"Encountered unsupported property Targets.{key}")
    for key in ("Id", "Arn"):
        if not item.get(key):
            raise ResourceFailed(
                f"Property validation failure: [The property Targets.{key} is required]"
            )
    out = dict(item)
    for key in ("Id", "Arn", "RoleArn", "InputPath"):
        if key in out:
            out[key] = as_str(out[key], f"Targets.{key}")
    if "Input" in out:
        out["Input"] = json_text(out["Input"], "Targets.Input")
    if "RetryPolicy" in out:
        policy = as_object(out["RetryPolicy"], "Targets.RetryPolicy")
        out["RetryPolicy"] = {k: as_int(v, f"Targets.RetryPolicy.{k}") for k, v in policy.items()}
    if "InputTransformer" in out:
        t = as_object(out["InputTransformer"], "Targets.InputTransformer")
        out["InputTransformer"] = {
            **t,
            "InputTemplate": as_str(t.get("InputTemplate", ""), "InputTemplate"),
        }
    return out


def targets(props: dict[str, Any]) -> list[dict[str, Any]]:
    return [target(t) for t in as_list(props.get("Targets") or [], "Targets")]


class RuleProvider:
    type_name: ClassVar[str] = "AWS::Events::Rule"
    create_only: ClassVar[frozenset[str]] = frozenset({"Name", "EventBusName"})
    attributes: ClassVar[frozenset[str]] = frozenset({"Arn"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    @staticmethod
    def _bus(props: dict[str, Any]) -> str | None:
        bus = props.get("EventBusName")
        if bus is None:
            return None
        name = as_str(bus, "EventBusName").rsplit("/", 1)[-1]  # an ARN names the bus too
        return None if name == "default" else name

    def _ids(self, req: ResourceRequest) -> tuple[str | None, str]:
        """(bus or None for the default bus, rule name) from the physical id or the props."""
        if req.physical_id:
            bus, _, name = req.physical_id.rpartition("|")
            return bus or None, name
        return self._bus(req.properties), req.physical_name("Name", MAX_NAME)

    @staticmethod
    def _pid(bus: str | None, name: str) -> str:
        return f"{bus}|{name}" if bus else name

    def _scope(self, bus: str | None, params: dict[str, Any]) -> dict[str, Any]:
        if bus:
            params["EventBusName"] = bus
        return params

    async def _put_rule(self, req: ResourceRequest, bus: str | None, name: str) -> str:
        p = req.properties
        params = self._scope(bus, {"Name": name})
        if p.get("EventPattern") is not None:
            params["EventPattern"] = json_text(p["EventPattern"], "EventPattern")
        for key in ("ScheduleExpression", "State", "Description", "RoleArn"):
            if p.get(key) is not None:
                params[key] = as_str(p[key], key)
        out = await self.calls("events", "PutRule", params, req.stack.caller)
        return str(out["RuleArn"])

    async def _put_targets(
        self, caller: Caller, bus: str | None, name: str, items: list[dict[str, Any]]
    ) -> None:
        for i in range(0, len(items), 10):  # PutTargets takes at most 10
            out = await self.calls(
                "events",
                "PutTargets",
                self._scope(bus, {"Rule": name, "Targets": items[i : i + 10]}),
                caller,
            )
            if out.get("FailedEntryCount"):
                failed = out["FailedEntries"][0]
                raise ResourceFailed(
                    f"Target {failed.get('TargetId')} failed: {failed.get('ErrorCode')}: "
                    f"{failed.get('ErrorMessage')}"
                )

    async def _exists(self, caller: Caller, bus: str | None, name: str) -> bool:
        try:
            await self.calls("events", "DescribeRule", self._scope(bus, {"Name": name}), caller)
        except ApiError as e:
            if error_code(e) in GONE:
                return False
            raise
        return True

    async def create(self, req: ResourceRequest) -> ResourceResult:
        check_properties(req.properties, RULE_PROPERTIES)
        items = targets(req.properties)
        bus, name = self._bus(req.properties), req.physical_name("Name", MAX_NAME)
        caller = req.stack.caller
        if await self._exists(caller, bus, name):
            raise ResourceFailed(f"{name} already exists")
        arn = await self._put_rule(req, bus, name)
        try:
            await self._put_targets(caller, bus, name, items)
        except BaseException:
            await self._delete(caller, bus, name)
            raise
        return ResourceResult(self._pid(bus, name), {"Arn": arn})

    async def update(self, req: ResourceRequest) -> ResourceResult:
        check_properties(req.properties, RULE_PROPERTIES)
        items = targets(req.properties)
        bus, name = self._ids(req)
        caller = req.stack.caller
        arn = await self._put_rule(req, bus, name)
        now = {t["Id"] for t in items}
        gone = [t["Id"] for t in targets(req.previous_properties or {}) if t["Id"] not in now]
        if gone:
            await self._remove_targets(caller, bus, name, gone)
        await self._put_targets(caller, bus, name, items)
        return ResourceResult(self._pid(bus, name), {"Arn": arn})

    async def _remove_targets(
        self, caller: Caller, bus: str | None, name: str, ids: list[str]
    ) -> None:
        for i in range(0, len(ids), 100):
            await self.calls(
                "events",
                "RemoveTargets",
                self._scope(bus, {"Rule": name, "Ids": ids[i : i + 100]}),
                caller,
            )

    async def _delete(self, caller: Caller, bus: str | None, name: str) -> None:
        try:
            ids: list[str] = []
            params = self._scope(bus, {"Rule": name})
            while True:
                page = await self.calls("events", "ListTargetsByRule", params, caller)
                ids.extend(t["Id"] for t in page.get("Targets") or [])
                if not page.get("NextToken"):
                    break
                params = {**params, "NextToken": page["NextToken"]}
            if ids:
                await self._remove_targets(caller, bus, name, ids)
            await self.calls("events", "DeleteRule", self._scope(bus, {"Name": name}), caller)
        except ApiError as e:
            if error_code(e) not in GONE:
                raise

    async def delete(self, req: ResourceRequest) -> None:
        bus, name = self._ids(req)
        await self._delete(req.stack.caller, bus, name)


class EventBusProvider:
    type_name: ClassVar[str] = "AWS::Events::EventBus"
    create_only: ClassVar[frozenset[str]] = frozenset({"Name", "EventSourceName"})
    attributes: ClassVar[frozenset[str]] = frozenset({"Arn", "Name"})
    PROPERTIES = ("Name", "Description", "Tags", "KmsKeyIdentifier", "DeadLetterConfig")
    UNSUPPORTED = {
        "EventSourceName": "partner event sources are not served",
        "Policy": "event bus resource policies are not served",
    }

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    def _name(self, req: ResourceRequest) -> str:
        return req.physical_id or req.physical_name("Name", 256)

    async def create(self, req: ResourceRequest) -> ResourceResult:
        p = req.properties
        check_properties(p, self.PROPERTIES, self.UNSUPPORTED, required=("Name",))
        params: dict[str, Any] = {"Name": as_str(p["Name"], "Name")}
        if p.get("Description") is not None:
            params["Description"] = as_str(p["Description"], "Description")
        if p.get("KmsKeyIdentifier") is not None:
            params["KmsKeyIdentifier"] = as_str(p["KmsKeyIdentifier"], "KmsKeyIdentifier")
        if p.get("DeadLetterConfig") is not None:
            params["DeadLetterConfig"] = as_object(p["DeadLetterConfig"], "DeadLetterConfig")
        if p.get("Tags"):
            params["Tags"] = tag_list(p["Tags"])
        try:
            out = await self.calls("events", "CreateEventBus", params, req.stack.caller)
        except ApiError as e:
            if error_code(e) == "ResourceAlreadyExistsException":
                raise ResourceFailed(f"{params['Name']} already exists") from e
            raise
        return ResourceResult(params["Name"], {"Arn": out["EventBusArn"], "Name": params["Name"]})

    async def update(self, req: ResourceRequest) -> ResourceResult:
        p, prev = req.properties, req.previous_properties or {}
        check_properties(p, self.PROPERTIES, self.UNSUPPORTED, required=("Name",))
        name = self._name(req)
        caller = req.stack.caller
        if prev.get("Description") != p.get("Description"):
            await self.calls(
                "events",
                "UpdateEventBus",
                {"Name": name, "Description": as_str(p.get("Description") or "", "Description")},
                caller,
            )
        bus = await self.calls("events", "DescribeEventBus", {"Name": name}, caller)
        arn = str(bus["Arn"])
        put, remove = tag_changes(prev.get("Tags"), p.get("Tags"))
        if remove:
            await self.calls(
                "events", "UntagResource", {"ResourceARN": arn, "TagKeys": remove}, caller
            )
        if put:
            tags = [{"Key": k, "Value": v} for k, v in put.items()]
            await self.calls("events", "TagResource", {"ResourceARN": arn, "Tags": tags}, caller)
        return ResourceResult(name, {"Arn": arn, "Name": name})

    async def delete(self, req: ResourceRequest) -> None:
        try:
            await self.calls(
                "events", "DeleteEventBus", {"Name": self._name(req)}, req.stack.caller
            )
        except ApiError as e:
            if error_code(e) not in GONE:
                raise
