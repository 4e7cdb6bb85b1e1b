"""Lambda layer REST operations: parse -> call LayerService -> render. No business logic here.

``LayersApi(...).handlers`` is one part of Lambda's operation table (``operations.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ovis.errors import ValidationException
from ovis.models.layer import LayerVersion
from ovis.services.context import Handler, RequestContext
from ovis.services.lambda_.commands import PublishLayerVersion
from ovis.services.lambda_.layers import LayerService


def _version(p: dict[str, Any]) -> int:
    """VersionNumber arrives as a URI label (text); the model says long."""
    value = p["VersionNumber"]
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at 'versionNumber' failed to satisfy "
            "constraint: Member must be of type long"
        ) from None


class LayersApi:
    def __init__(self, layers: LayerService, code_url: Callable[[str], str]) -> None:
        self.layers = layers
        self.code_url = code_url
        self.handlers: dict[str, Handler] = {
            "PublishLayerVersion": self.publish_layer_version,
            "GetLayerVersion": self.get_layer_version,
            "GetLayerVersionByArn": self.get_layer_version_by_arn,
            "ListLayers": self.list_layers,
            "ListLayerVersions": self.list_layer_versions,
            "DeleteLayerVersion": self.delete_layer_version,
            "AddLayerVersionPermission": self.add_layer_version_permission,
            "RemoveLayerVersionPermission": self.remove_layer_version_permission,
            "GetLayerVersionPolicy": self.get_layer_version_policy,
        }

    # ---- rendering -------------------------------------------------------------------------

    def _item(self, v: LayerVersion) -> dict[str, Any]:
        """A LayerVersionsListItem."""
        out: dict[str, Any] = {
            "LayerVersionArn": self.layers.version_arn(v.name, v.version),
            "Version": v.version,
            "Description": v.description,
            "CreatedDate": v.created,
        }
        # AWS omits these when the publisher gave none (an explicit [] is echoed).
        if v.compatible_runtimes is not None:
            out["CompatibleRuntimes"] = list(v.compatible_runtimes)
        if v.compatible_architectures is not None:
            out["CompatibleArchitectures"] = list(v.compatible_architectures)
        if v.license_info is not None:
            out["LicenseInfo"] = v.license_info
        return out

    def render(self, v: LayerVersion) -> dict[str, Any]:
        """Publish/GetLayerVersion output."""
        return {
            "Content": {
                "Location": self.code_url(v.digest),
                "CodeSha256": v.code_sha256,
                "CodeSize": v.code_size,
            },
            "LayerArn": self.layers.layer_arn(v.name),
            **self._item(v),
        }

    # ---- layer versions --------------------------------------------------------------------

    async def publish_layer_version(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return self.render(await self.layers.publish(PublishLayerVersion.of(p)))

    async def get_layer_version(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return self.render(await self.layers.get(p["LayerName"], _version(p)))

    async def get_layer_version_by_arn(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        return self.render(await self.layers.get_by_arn(p["Arn"]))

    async def list_layers(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        page, marker = await self.layers.list_layers(
            p.get("CompatibleRuntime"),
            p.get("CompatibleArchitecture"),
            p.get("Marker"),
            p.get("MaxItems"),
        )
        out: dict[str, Any] = {
            "Layers": [
                {
                    "LayerName": v.name,
                    "LayerArn": self.layers.layer_arn(v.name),
                    "LatestMatchingVersion": self._item(v),
                }
                for v in page
            ]
        }
        if marker:
            out["NextMarker"] = marker
        return out

    async def list_layer_versions(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        page, marker = await self.layers.list_versions(
            p["LayerName"],
            p.get("CompatibleRuntime"),
            p.get("CompatibleArchitecture"),
            p.get("Marker"),
            p.get("MaxItems"),
        )
        out: dict[str, Any] = {"LayerVersions": [self._item(v) for v in page]}
        if marker:
            out["NextMarker"] = marker
        return out

    async def delete_layer_version(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.layers.delete(p["LayerName"], _version(p))
        return {}

    # ---- permissions -----------------------------------------------------------------------

    async def add_layer_version_permission(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        statement, revision = await self.layers.add_permission(
            p["LayerName"],
            _version(p),
            p["StatementId"],
            p["Action"],
            p["Principal"],
            p.get("OrganizationId"),
            p.get("RevisionId"),
        )
        return {"Statement": json.dumps(statement, separators=(",", ":")), "RevisionId": revision}

    async def remove_layer_version_permission(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        await self.layers.remove_permission(
            p["LayerName"], _version(p), p["StatementId"], p.get("RevisionId")
        )
        return {}

    async def get_layer_version_policy(
        self, ctx: RequestContext, p: dict[str, Any]
    ) -> dict[str, Any]:
        policy, revision = await self.layers.get_policy(p["LayerName"], _version(p))
        return {"Policy": json.dumps(policy, separators=(",", ":")), "RevisionId": revision}
