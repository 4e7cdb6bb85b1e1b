"""The EventBridge operations (JSON 1.1, ``X-Amz-Target: AWSEvents.*``): input arrives checked
against botocore's ``events`` model by the front door's codec (required members, lengths,
patterns, enums, RetryPolicy ranges, 1-10 PutEvents entries), then goes to the use cases.
Operations of the model this server lacks (archives, replays, connections, API destinations,
endpoints, partner sources, permissions) answer UnknownOperationException."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ovis.services.context import Handler, RequestContext
from ovis.services.events.commands import PutRule, PutTargets, RemoveTargets

if TYPE_CHECKING:  # service.py builds the table from this module
    from ovis.services.events.service import EventBusService


def _tags(p: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in p.get("Tags") or ()}


def _failed(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"FailedEntryCount": len(entries), "FailedEntries": entries}


class EventsApi:
    def __init__(self, service: EventBusService) -> None:
        self.service = service
        self.handlers: dict[str, Handler] = {
            "CreateEventBus": self.create_event_bus,
            "UpdateEventBus": self.update_event_bus,
            "DeleteEventBus": self.delete_event_bus,
            "DescribeEventBus": self.describe_event_bus,
            "ListEventBuses": self.list_event_buses,
            "PutRule": self.put_rule,
            "DescribeRule": self.describe_rule,
            "ListRules": self.list_rules,
            "EnableRule": self.enable_rule,
            "DisableRule": self.disable_rule,
            "DeleteRule": self.delete_rule,
            "PutTargets": self.put_targets,
            "RemoveTargets": self.remove_targets,
            "ListTargetsByRule": self.list_targets_by_rule,
            "ListRuleNamesByTarget": self.list_rule_names_by_target,
            "PutEvents": self.put_events,
            "TestEventPattern": self.test_event_pattern,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }

    # ---- buses -----------------------------------------------------------------------------

    async def create_event_bus(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        bus = await self.service.create_event_bus(p["Name"], p.get("Description"), _tags(p))
        out: dict[str, Any] = {"EventBusArn": bus.arn}
        if bus.record.description:
            out["Description"] = bus.record.description
        return out

    async def update_event_bus(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        bus = await self.service.buses.update(p.get("Name"), p.get("Description"))
        out: dict[str, Any] = {"Arn": bus.arn, "Name": bus.name}
        if bus.record.description:
            out["Description"] = bus.record.description
        return out

    async def delete_event_bus(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.service.delete_event_bus(p["Name"])
        return {}

    async def describe_event_bus(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return self.service.buses.resolve(p.get("Name")).to_api()

    async def list_event_buses(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        buses, token = self.service.buses.list(
            p.get("NamePrefix"), p.get("Limit"), p.get("NextToken")
        )
        out: dict[str, Any] = {"EventBuses": [b.to_api() for b in buses]}
        if token:
            out["NextToken"] = token
        return out

    # ---- rules -----------------------------------------------------------------------------

    async def put_rule(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = PutRule(
            p["Name"],
            p.get("EventBusName"),
            p.get("EventPattern"),
            p.get("ScheduleExpression"),
            p.get("State"),
            p.get("Description"),
            p.get("RoleArn"),
            _tags(p),
        )
        rule = await self.service.rules.put_rule(cmd)
        return {"RuleArn": rule.arn}

    async def describe_rule(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        rule = self.service.rules.get(p["Name"], p.get("EventBusName"))
        return {**rule.to_api(), "CreatedBy": ctx.account_id}

    async def list_rules(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        rules, token = self.service.rules.list_rules(
            p.get("EventBusName"), p.get("NamePrefix"), p.get("Limit"), p.get("NextToken")
        )
        out: dict[str, Any] = {"Rules": [r.to_api() for r in rules]}
        if token:
            out["NextToken"] = token
        return out

    async def enable_rule(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.service.rules.set_state(p["Name"], p.get("EventBusName"), "ENABLED")
        return {}

    async def disable_rule(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.service.rules.set_state(p["Name"], p.get("EventBusName"), "DISABLED")
        return {}

    async def delete_rule(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.service.rules.delete_rule(p["Name"], p.get("EventBusName"), bool(p.get("Force")))
        return {}

    # ---- targets ---------------------------------------------------------------------------

    async def put_targets(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = PutTargets(p["Rule"], p.get("EventBusName"), tuple(p["Targets"]))
        return _failed(await self.service.rules.put_targets(cmd))

    async def remove_targets(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = RemoveTargets(p["Rule"], p.get("EventBusName"), tuple(p["Ids"]), bool(p.get("Force")))
        return _failed(await self.service.rules.remove_targets(cmd))

    async def list_targets_by_rule(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        targets, token = self.service.rules.list_targets(
            p["Rule"], p.get("EventBusName"), p.get("Limit"), p.get("NextToken")
        )
        out: dict[str, Any] = {"Targets": targets}
        if token:
            out["NextToken"] = token
        return out

    async def list_rule_names_by_target(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        names, token = self.service.rules.rule_names_by_target(
            p["TargetArn"], p.get("EventBusName"), p.get("Limit"), p.get("NextToken")
        )
        out: dict[str, Any] = {"RuleNames": names}
        if token:
            out["NextToken"] = token
        return out

    # ---- events ----------------------------------------------------------------------------

    async def put_events(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        results = await self.service.put_events(p["Entries"])
        return {
            "FailedEntryCount": sum(1 for r in results if "ErrorCode" in r),
            "Entries": results,
        }

    async def test_event_pattern(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {"Result": self.service.test_event_pattern(p["EventPattern"], p["Event"])}

    # ---- tags ------------------------------------------------------------------------------

    async def tag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.service.tag_resource(p["ResourceARN"], _tags(p))
        return {}

    async def untag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.service.untag_resource(p["ResourceARN"], list(p["TagKeys"]))
        return {}

    async def list_tags_for_resource(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        tags = await self.service.list_tags(p["ResourceARN"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
