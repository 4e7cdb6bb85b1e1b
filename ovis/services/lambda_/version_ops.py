"""Version and alias operations: parse -> VersionService -> render."""

from __future__ import annotations

from typing import Any

from ovis.services.context import Handler, RequestContext
from ovis.services.lambda_.commands import CreateAlias, PublishVersion, UpdateAlias
from ovis.services.lambda_.versions import VersionService


class VersionsApi:
    def __init__(self, versions: VersionService) -> None:
        self.versions = versions
        self.functions = versions.functions
        self.handlers: dict[str, Handler] = {
            "PublishVersion": self.publish_version,
            "ListVersionsByFunction": self.list_versions_by_function,
            "CreateAlias": self.create_alias,
            "GetAlias": self.get_alias,
            "UpdateAlias": self.update_alias,
            "DeleteAlias": self.delete_alias,
            "ListAliases": self.list_aliases,
        }

    def _region_account(self) -> tuple[str, str]:
        s = self.functions.settings
        return s.region, s.account_id

    async def publish_version(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = PublishVersion(
            p["FunctionName"], p.get("CodeSha256"), p.get("Description"), p.get("RevisionId")
        )
        cfg = await self.versions.publish(cmd)
        return self.functions.render(cfg)

    async def list_versions_by_function(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        items, marker = self.versions.list_versions(
            p["FunctionName"], p.get("Marker"), p.get("MaxItems")
        )
        out: dict[str, Any] = {"Versions": [self.functions.render(c) for c in items]}
        if marker:
            out["NextMarker"] = marker
        return out

    async def create_alias(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = CreateAlias(
            p["FunctionName"],
            p["Name"],
            p["FunctionVersion"],
            p.get("Description", ""),
            routing_weights(p.get("RoutingConfig")),
        )
        return (await self.versions.create_alias(cmd)).to_api(*self._region_account())

    async def get_alias(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return self.versions.get_alias(p["FunctionName"], p["Name"]).to_api(*self._region_account())

    async def update_alias(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = UpdateAlias(
            p["FunctionName"],
            p["Name"],
            p.get("FunctionVersion"),
            p.get("Description"),
            routing_weights(p["RoutingConfig"]) if "RoutingConfig" in p else None,
            p.get("RevisionId"),
        )
        return (await self.versions.update_alias(cmd)).to_api(*self._region_account())

    async def delete_alias(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.versions.delete_alias(p["FunctionName"], p["Name"])
        return {}

    async def list_aliases(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        items, marker = self.versions.list_aliases(
            p["FunctionName"], p.get("FunctionVersion"), p.get("Marker"), p.get("MaxItems")
        )
        out: dict[str, Any] = {"Aliases": [a.to_api(*self._region_account()) for a in items]}
        if marker:
            out["NextMarker"] = marker
        return out


def routing_weights(routing: dict[str, Any] | None) -> dict[str, float]:
    """An AliasRoutingConfiguration's AdditionalVersionWeights (version -> share)."""
    return {
        str(k): float(v) for k, v in ((routing or {}).get("AdditionalVersionWeights") or {}).items()
    }
