"""Event source mapping operations, and tags on mapping ARNs: params -> MappingService -> render.

TagResource, UntagResource and ListTags serve every taggable Lambda ARN: a mapping's ARN is
answered here, any other goes to the function table's handlers (``fallback``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ovis.services.context import Handler, RequestContext
from ovis.services.lambda_.esm.commands import create_command, update_command
from ovis.services.lambda_.esm.mappings import MappingService

TAG_OPERATIONS = ("TagResource", "UntagResource", "ListTags")


class MappingsApi:
    def __init__(self, mappings: MappingService, fallback: Mapping[str, Handler]) -> None:
        self.mappings = mappings
        self.fallback = fallback  # the function table's tag handlers
        self.handlers: dict[str, Handler] = {
            "CreateEventSourceMapping": self.create,
            "GetEventSourceMapping": self.get,
            "UpdateEventSourceMapping": self.update,
            "DeleteEventSourceMapping": self.delete,
            "ListEventSourceMappings": self.list,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTags": self.list_tags,
        }

    async def create(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return self.mappings.render(await self.mappings.create(create_command(p)))

    async def get(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return self.mappings.render(self.mappings.get(p["UUID"]))

    async def update(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return self.mappings.render(await self.mappings.update(update_command(p)))

    async def delete(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return self.mappings.render(await self.mappings.delete(p["UUID"]))

    async def list(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        items, marker = self.mappings.list(
            p.get("FunctionName"), p.get("EventSourceArn"), p.get("Marker"), p.get("MaxItems")
        )
        out: dict[str, Any] = {"EventSourceMappings": [self.mappings.render(m) for m in items]}
        if marker:
            out["NextMarker"] = marker
        return out

    async def tag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        if not self.mappings.is_mapping_arn(p["Resource"]):
            return await self.fallback["TagResource"](ctx, p)
        await self.mappings.tag(p["Resource"], p["Tags"])
        return {}

    async def untag_resource(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        if not self.mappings.is_mapping_arn(p["Resource"]):
            return await self.fallback["UntagResource"](ctx, p)
        await self.mappings.untag(p["Resource"], p["TagKeys"])
        return {}

    async def list_tags(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        if not self.mappings.is_mapping_arn(p["Resource"]):
            return await self.fallback["ListTags"](ctx, p)
        return {"Tags": await self.mappings.tags(p["Resource"])}
