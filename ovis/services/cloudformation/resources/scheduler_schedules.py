"""AWS::Scheduler::Schedule and AWS::Scheduler::ScheduleGroup over the Scheduler operations.

Schedule: one CreateSchedule with the whole definition (a failure leaves nothing); Ref is the
schedule name, GetAtt Arn. Update is UpdateSchedule with the whole new definition (the API
replaces a schedule's definition, so removed properties go back to their defaults). StartDate
and EndDate are ISO 8601 strings in templates and timestamps in the API. Delete of a schedule
(or group) already gone is success.

ScheduleGroup: CreateScheduleGroup with tags; Ref is the name; GetAtt Arn, CreationDate,
LastModificationDate, State. Update changes tags only (the name replaces).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from ovis.errors import ApiError
from ovis.services.calls import ServiceCalls
from ovis.services.cloudformation.resources.base import (
    ResourceFailed,
    ResourceRequest,
    ResourceResult,
)
from ovis.services.cloudformation.resources.coerce import as_int, as_str
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
SCHEDULE_PROPERTIES = (
    "ActionAfterCompletion",
    "Description",
    "EndDate",
    "FlexibleTimeWindow",
    "GroupName",
    "KmsKeyArn",
    "Name",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "State",
    "Target",
)


def timestamp(value: Any, name: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        text = as_str(value, name).replace("Z", "+00:00")
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ResourceFailed(f"Value of property {name} must be a date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def schedule_target(value: Any) -> dict[str, Any]:
    t = as_object(value, "Target")
    out = dict(t)
    for key in ("Arn", "RoleArn"):
        if not t.get(key):
            raise ResourceFailed(
                f"Property validation failure: [The property Target.{key} is required]"
            )
        out[key] = as_str(t[key], f"Target.{key}")
    if "Input" in out:
        out["Input"] = json_text(out["Input"], "Target.Input")
    if "RetryPolicy" in out:
        policy = as_object(out["RetryPolicy"], "Target.RetryPolicy")
        out["RetryPolicy"] = {k: as_int(v, f"Target.RetryPolicy.{k}") for k, v in policy.items()}
    return out


def definition(props: dict[str, Any], name: str) -> dict[str, Any]:
    """The Create/UpdateSchedule request a schedule's properties ask for."""
    window = as_object(props["FlexibleTimeWindow"], "FlexibleTimeWindow")
    params: dict[str, Any] = {
        "Name": name,
        "ScheduleExpression": as_str(props["ScheduleExpression"], "ScheduleExpression"),
        "FlexibleTimeWindow": {
            "Mode": as_str(window.get("Mode", ""), "FlexibleTimeWindow.Mode"),
            **(
                {
                    "MaximumWindowInMinutes": as_int(
                        window["MaximumWindowInMinutes"], "MaximumWindowInMinutes"
                    )
                }
                if window.get("MaximumWindowInMinutes") is not None
                else {}
            ),
        },
        "Target": schedule_target(props["Target"]),
    }
    for key in (
        "GroupName",
        "Description",
        "State",
        "KmsKeyArn",
        "ScheduleExpressionTimezone",
        "ActionAfterCompletion",
    ):
        if props.get(key) is not None:
            params[key] = as_str(props[key], key)
    for key in ("StartDate", "EndDate"):
        if props.get(key) is not None:
            params[key] = timestamp(props[key], key)
    return params


class ScheduleProvider:
    type_name: ClassVar[str] = "AWS::Scheduler::Schedule"
    create_only: ClassVar[frozenset[str]] = frozenset({"Name"})
    attributes: ClassVar[frozenset[str]] = frozenset({"Arn"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    @staticmethod
    def _check(props: dict[str, Any]) -> None:
        check_properties(
            props,
            SCHEDULE_PROPERTIES,
            required=("FlexibleTimeWindow", "ScheduleExpression", "Target"),
        )

    async def create(self, req: ResourceRequest) -> ResourceResult:
        self._check(req.properties)
        name = req.physical_name("Name", MAX_NAME)
        try:
            out = await self.calls(
                "scheduler", "CreateSchedule", definition(req.properties, name), req.stack.caller
            )
        except ApiError as e:
            if error_code(e) == "ConflictException":
                raise ResourceFailed(f"{name} already exists") from e
            raise
        return ResourceResult(name, {"Arn": out["ScheduleArn"]})

    async def update(self, req: ResourceRequest) -> ResourceResult:
        self._check(req.properties)
        name = req.physical_id or req.physical_name("Name", MAX_NAME)
        prev_group = (req.previous_properties or {}).get("GroupName")
        if prev_group != req.properties.get("GroupName"):
            # moving a schedule between groups: make it in the new one, then drop the old
            out = await self.calls(
                "scheduler", "CreateSchedule", definition(req.properties, name), req.stack.caller
            )
            await self._delete(req, name, prev_group)
        else:
            out = await self.calls(
                "scheduler", "UpdateSchedule", definition(req.properties, name), req.stack.caller
            )
        return ResourceResult(name, {"Arn": out["ScheduleArn"]})

    async def _delete(self, req: ResourceRequest, name: str, group: Any) -> None:
        params: dict[str, Any] = {"Name": name}
        if group is not None:
            params["GroupName"] = as_str(group, "GroupName")
        try:
            await self.calls("scheduler", "DeleteSchedule", params, req.stack.caller)
        except ApiError as e:
            if error_code(e) not in GONE:
                raise

    async def delete(self, req: ResourceRequest) -> None:
        name = req.physical_id or req.physical_name("Name", MAX_NAME)
        await self._delete(req, name, req.properties.get("GroupName"))


class ScheduleGroupProvider:
    type_name: ClassVar[str] = "AWS::Scheduler::ScheduleGroup"
    create_only: ClassVar[frozenset[str]] = frozenset({"Name"})
    attributes: ClassVar[frozenset[str]] = frozenset(
        {"Arn", "CreationDate", "LastModificationDate", "State"}
    )

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    async def _result(self, req: ResourceRequest, name: str) -> ResourceResult:
        g = await self.calls("scheduler", "GetScheduleGroup", {"Name": name}, req.stack.caller)

        def iso(v: Any) -> str:
            if isinstance(v, datetime):
                return v.astimezone(UTC).isoformat()
            return datetime.fromtimestamp(float(v), UTC).isoformat()

        return ResourceResult(
            name,
            {
                "Arn": g["Arn"],
                "CreationDate": iso(g["CreationDate"]),
                "LastModificationDate": iso(g["LastModificationDate"]),
                "State": g["State"],
            },
        )

    async def create(self, req: ResourceRequest) -> ResourceResult:
        check_properties(req.properties, ("Name", "Tags"))
        name = req.physical_name("Name", MAX_NAME)
        params: dict[str, Any] = {"Name": name}
        if req.properties.get("Tags"):
            params["Tags"] = tag_list(req.properties["Tags"])
        try:
            await self.calls("scheduler", "CreateScheduleGroup", params, req.stack.caller)
        except ApiError as e:
            if error_code(e) == "ConflictException":
                raise ResourceFailed(f"{name} already exists") from e
            raise
        return await self._result(req, name)

    async def update(self, req: ResourceRequest) -> ResourceResult:
        check_properties(req.properties, ("Name", "Tags"))
        name = req.physical_id or req.physical_name("Name", MAX_NAME)
        result = await self._result(req, name)
        arn = result.attributes["Arn"]
        put, remove = tag_changes(
            (req.previous_properties or {}).get("Tags"), req.properties.get("Tags")
        )
        if remove:
            await self.calls(
                "scheduler",
                "UntagResource",
                {"ResourceArn": arn, "TagKeys": remove},
                req.stack.caller,
            )
        if put:
            tags = [{"Key": k, "Value": v} for k, v in put.items()]
            await self.calls(
                "scheduler", "TagResource", {"ResourceArn": arn, "Tags": tags}, req.stack.caller
            )
        return result

    async def delete(self, req: ResourceRequest) -> None:
        name = req.physical_id or req.physical_name("Name", MAX_NAME)
        try:
            await self.calls("scheduler", "DeleteScheduleGroup", {"Name": name}, req.stack.caller)
        except ApiError as e:
            if error_code(e) not in GONE:
                raise
