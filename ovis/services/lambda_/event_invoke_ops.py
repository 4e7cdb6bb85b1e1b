"""Event invoke config and recursion config operations: parse -> EventInvokeService -> render."""

from __future__ import annotations

from typing import Any

from ovis.services.context import Handler, RequestContext
from ovis.services.lambda_.commands import Destination, PutEventInvokeConfig
from ovis.services.lambda_.event_invoke import EventInvokeService
from ovis.services.lambda_.paging import paginate


class AsyncApi:
    def __init__(self, service: EventInvokeService) -> None:
        self.service = service
        self.handlers: dict[str, Handler] = {
            "PutFunctionEventInvokeConfig": self.put,
            "UpdateFunctionEventInvokeConfig": self.update,
            "GetFunctionEventInvokeConfig": self.get,
            "DeleteFunctionEventInvokeConfig": self.delete,
            "ListFunctionEventInvokeConfigs": self.list,
            "PutFunctionRecursionConfig": self.put_recursion,
            "GetFunctionRecursionConfig": self.get_recursion,
        }

    async def put(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cfg = await self.service.put(event_invoke_command(p, merge=False))
        return cfg.to_api(self.service.arn(cfg))

    async def update(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cfg = await self.service.put(event_invoke_command(p, merge=True))
        return cfg.to_api(self.service.arn(cfg))

    async def get(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cfg = self.service.get(p["FunctionName"], p.get("Qualifier"))
        return cfg.to_api(self.service.arn(cfg))

    async def delete(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.service.delete(p["FunctionName"], p.get("Qualifier"))
        return {}

    async def list(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        items, marker = paginate(
            self.service.list(p["FunctionName"]),
            p.get("Marker"),
            p.get("MaxItems"),
            key=lambda c: c.qualifier,
        )
        out: dict[str, Any] = {
            "FunctionEventInvokeConfigs": [c.to_api(self.service.arn(c)) for c in items]
        }
        if marker:
            out["NextMarker"] = marker
        return out

    async def put_recursion(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "RecursiveLoop": await self.service.put_recursion(p["FunctionName"], p["RecursiveLoop"])
        }

    async def get_recursion(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return {"RecursiveLoop": self.service.get_recursion(p["FunctionName"])}


def _destination(dest: dict[str, Any], key: str) -> Destination | None:
    if key not in dest:
        return None
    return Destination((dest[key] or {}).get("Destination"))


def event_invoke_command(p: dict[str, Any], merge: bool) -> PutEventInvokeConfig:
    dest = p.get("DestinationConfig")
    return PutEventInvokeConfig(
        p["FunctionName"],
        p.get("Qualifier"),
        merge,
        p.get("MaximumRetryAttempts"),
        p.get("MaximumEventAgeInSeconds"),
        dest is not None,
        _destination(dest or {}, "OnSuccess"),
        _destination(dest or {}, "OnFailure"),
    )
