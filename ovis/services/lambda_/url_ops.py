"""Function URL configurations and function resource policies: parse -> service -> render."""

from __future__ import annotations

import json
from typing import Any

from ovis.services.context import Handler, RequestContext
from ovis.services.lambda_.commands import (
    AddPermission,
    CreateFunctionUrlConfig,
    UpdateFunctionUrlConfig,
)
from ovis.services.lambda_.permissions import PolicyService
from ovis.services.lambda_.urls import UrlService


class UrlsApi:
    def __init__(self, urls: UrlService, policies: PolicyService) -> None:
        self.urls = urls
        self.policies = policies
        self.handlers: dict[str, Handler] = {
            "CreateFunctionUrlConfig": self.create_function_url_config,
            "GetFunctionUrlConfig": self.get_function_url_config,
            "UpdateFunctionUrlConfig": self.update_function_url_config,
            "DeleteFunctionUrlConfig": self.delete_function_url_config,
            "ListFunctionUrlConfigs": self.list_function_url_configs,
            "AddPermission": self.add_permission,
            "RemovePermission": self.remove_permission,
            "GetPolicy": self.get_policy,
        }

    # ---- function URLs -------------------------------------------------------------------

    async def create_function_url_config(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        cmd = CreateFunctionUrlConfig(
            p["FunctionName"],
            p.get("Qualifier"),
            p["AuthType"],
            p.get("InvokeMode") or "BUFFERED",
            p.get("Cors"),
        )
        return self.urls.render(await self.urls.create(cmd), created=True)

    async def get_function_url_config(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        return self.urls.render(self.urls.get(p["FunctionName"], p.get("Qualifier")))

    async def update_function_url_config(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        cmd = UpdateFunctionUrlConfig(
            p["FunctionName"],
            p.get("Qualifier"),
            p.get("AuthType"),
            p.get("InvokeMode"),
            p.get("Cors"),
        )
        return self.urls.render(await self.urls.update(cmd))

    async def delete_function_url_config(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        await self.urls.delete(p["FunctionName"], p.get("Qualifier"))
        return {}

    async def list_function_url_configs(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        items, marker = self.urls.list_configs(
            p["FunctionName"], p.get("Marker"), p.get("MaxItems")
        )
        out: dict[str, Any] = {"FunctionUrlConfigs": [self.urls.render(c) for c in items]}
        if marker:
            out["NextMarker"] = marker
        return out

    # ---- resource policies ---------------------------------------------------------------

    async def add_permission(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = AddPermission(
            p["FunctionName"],
            p.get("Qualifier"),
            p["StatementId"],
            p["Action"],
            p["Principal"],
            p.get("SourceArn"),
            p.get("SourceAccount"),
            p.get("PrincipalOrgID"),
            p.get("EventSourceToken"),
            p.get("FunctionUrlAuthType"),
            bool(p.get("InvokedViaFunctionUrl")),
            p.get("RevisionId"),
        )
        statement, _revision = await self.policies.add_permission(cmd)
        return {"Statement": json.dumps(statement, separators=(",", ":"))}

    async def remove_permission(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.policies.remove_permission(
            p["FunctionName"], p["StatementId"], p.get("Qualifier"), p.get("RevisionId")
        )
        return {}

    async def get_policy(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        policy, revision = self.policies.get_policy(p["FunctionName"], p.get("Qualifier"))
        return {"Policy": json.dumps(policy, separators=(",", ":")), "RevisionId": revision}
