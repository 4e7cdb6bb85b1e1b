"""The EventBridge Scheduler operation table: handlers taking (ctx, validated input) and
answering the output members. Shapes, limits and enums are checked by the rest-json codec from
the botocore model before a handler runs; handlers build commands and call the use cases."""

from __future__ import annotations

from typing import Any

from ovis.models.schedule import DEFAULT_GROUP
from ovis.protocols.timestamps import to_datetime
from ovis.services.context import Handler, RequestContext
from ovis.services.scheduler.commands import ListSchedules, PutSchedule
from ovis.services.scheduler.errors import ValidationException
from ovis.services.scheduler.groups import GroupService
from ovis.services.scheduler.schedules import ScheduleService, describe, summary


def _ms(value: Any, member: str) -> int | None:
    if value is None:
        return None
    try:
        return round(to_datetime(value).timestamp() * 1000)
    except (TypeError, ValueError, OverflowError, OSError):
        raise ValidationException(f"{member} is not a valid timestamp.") from None


def _put(p: dict[str, Any]) -> PutSchedule:
    window = p["FlexibleTimeWindow"]
    return PutSchedule(
        name=p["Name"],
        group=p.get("GroupName") or DEFAULT_GROUP,
        expression=p["ScheduleExpression"],
        timezone=p.get("ScheduleExpressionTimezone"),
        start_ms=_ms(p.get("StartDate"), "StartDate"),
        end_ms=_ms(p.get("EndDate"), "EndDate"),
        description=p.get("Description"),
        state=p.get("State") or "ENABLED",
        flexible_mode=window["Mode"],
        flexible_window_min=window.get("MaximumWindowInMinutes"),
        action_after_completion=p.get("ActionAfterCompletion") or "NONE",
        kms_key_arn=p.get("KmsKeyArn"),
        target=p["Target"],
        client_token=p.get("ClientToken") or "",
    )


class SchedulerApi:
    def __init__(self, groups: GroupService, schedules: ScheduleService) -> None:
        self.groups = groups
        self.schedules = schedules
        self.handlers: dict[str, Handler] = {
            "CreateSchedule": self.create_schedule,
            "GetSchedule": self.get_schedule,
            "UpdateSchedule": self.update_schedule,
            "DeleteSchedule": self.delete_schedule,
            "ListSchedules": self.list_schedules,
            "CreateScheduleGroup": self.create_schedule_group,
            "GetScheduleGroup": self.get_schedule_group,
            "DeleteScheduleGroup": self.delete_schedule_group,
            "ListScheduleGroups": self.list_schedule_groups,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }

    # ---- schedules ---------------------------------------------------------------------

    async def create_schedule(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {"ScheduleArn": await self.schedules.create(_put(p))}

    async def update_schedule(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {"ScheduleArn": await self.schedules.update(_put(p))}

    async def get_schedule(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return describe(self.schedules.get(p.get("GroupName") or DEFAULT_GROUP, p["Name"]))

    async def delete_schedule(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.schedules.delete(p.get("GroupName") or DEFAULT_GROUP, p["Name"])
        return {}

    async def list_schedules(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        page, token = self.schedules.list(
            ListSchedules(
                group=p.get("GroupName"),
                name_prefix=p.get("NamePrefix"),
                state=p.get("State"),
                next_token=p.get("NextToken"),
                max_results=p.get("MaxResults"),
            )
        )
        out: dict[str, Any] = {"Schedules": [summary(s) for s in page]}
        if token:
            out["NextToken"] = token
        return out

    # ---- groups ------------------------------------------------------------------------

    async def create_schedule_group(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        arn = await self.groups.create(p["Name"], p.get("Tags") or [], p.get("ClientToken") or "")
        return {"ScheduleGroupArn": arn}

    async def get_schedule_group(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return self.groups.get(p["Name"])

    async def delete_schedule_group(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.groups.delete(p["Name"])
        return {}

    async def list_schedule_groups(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        page, token = self.groups.list_groups(
            p.get("NamePrefix"), p.get("NextToken"), p.get("MaxResults")
        )
        out: dict[str, Any] = {"ScheduleGroups": page}
        if token:
            out["NextToken"] = token
        return out

    # ---- tags --------------------------------------------------------------------------

    async def tag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.groups.tag(p["ResourceArn"], p["Tags"])
        return {}

    async def untag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.groups.untag(p["ResourceArn"], p["TagKeys"])
        return {}

    async def list_tags_for_resource(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        return {"Tags": await self.groups.list_tags(p["ResourceArn"])}
