"""Provisioned concurrency operations: parse -> ProvisionedService -> render."""

from __future__ import annotations

from typing import Any

from ovis.invoke.provisioned import ProvisionedConfig, ProvisionedService
from ovis.services.context import Handler, RequestContext
from ovis.services.lambda_.functions import FunctionService
from ovis.services.lambda_.paging import paginate


class ProvisionedApi:
    def __init__(self, service: ProvisionedService, functions: FunctionService) -> None:
        self.service = service
        self.functions = functions
        self.handlers: dict[str, Handler] = {
            "PutProvisionedConcurrencyConfig": self.put,
            "GetProvisionedConcurrencyConfig": self.get,
            "DeleteProvisionedConcurrencyConfig": self.delete,
            "ListProvisionedConcurrencyConfigs": self.list,
        }

    def _name(self, p: dict[str, Any]) -> tuple[str, str | None]:
        name, q = self.functions.ref(p["FunctionName"], p.get("Qualifier"))
        self.functions.get_config(name)  # the function must exist
        return name, q

    @staticmethod
    def _render(cfg: ProvisionedConfig) -> dict[str, Any]:
        out: dict[str, Any] = {
            "RequestedProvisionedConcurrentExecutions": cfg.requested,
            "AvailableProvisionedConcurrentExecutions": cfg.allocated,
            "AllocatedProvisionedConcurrentExecutions": cfg.allocated,
            "Status": cfg.status,
            "LastModified": cfg.last_modified,
        }
        if cfg.reason:
            out["StatusReason"] = cfg.reason
        return out

    async def put(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        name, q = self._name(p)
        cfg = await self.service.put(name, q, p["ProvisionedConcurrentExecutions"])
        return self._render(cfg)

    async def get(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        name, q = self._name(p)
        return self._render(self.service.get(name, q))

    async def delete(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        name, q = self._name(p)
        await self.service.delete(name, q)
        return {}

    async def list(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        name, _ = self._name(p)
        page, marker = paginate(
            self.service.list(name), p.get("Marker"), p.get("MaxItems"), key=lambda c: c.qualifier
        )
        out: dict[str, Any] = {
            "ProvisionedConcurrencyConfigs": [
                {"FunctionArn": self.functions.arn(name, c.qualifier), **self._render(c)}
                for c in page
            ]
        }
        if marker:
            out["NextMarker"] = marker
        return out
