"""AWS::Lambda::LayerVersion and AWS::Lambda::LayerVersionPermission.

LayerVersion: Ref = the layer version ARN, Fn::GetAtt ``LayerVersionArn``; every property is
create-only (a change publishes a new version). Content comes from S3 (S3Bucket, S3Key,
S3ObjectVersion), as CloudFormation takes it. LayerName defaults to CloudFormation's generated
name. delete is DeleteLayerVersion (idempotent in Lambda itself).

LayerVersionPermission: Ref = ``<LayerVersionArn>#<statement id>``, Fn::GetAtt ``Id`` (the
same); every property is create-only; the statement id is CloudFormation's generated name.
delete is RemoveLayerVersionPermission, a statement or version already gone being success.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ovis.services.calls import ServiceCalls
from ovis.services.cloudformation.resources.base import ResourceRequest, ResourceResult
from ovis.services.cloudformation.resources.coerce import as_int, as_str
from ovis.services.cloudformation.resources.lambda_props import (
    arn_tail,
    as_str_list,
    check_known,
    ignore_missing,
    required,
    shape,
)

LAYER_PROPERTIES = (
    "CompatibleArchitectures",
    "CompatibleRuntimes",
    "Content",
    "Description",
    "LayerName",
    "LicenseInfo",
)
LAYER_PERMISSION_PROPERTIES = ("Action", "LayerVersionArn", "OrganizationId", "Principal")
LAYER_NAME_MAX = 140
STATEMENT_ID_MAX = 100


class LayerVersionProvider:
    type_name: ClassVar[str] = "AWS::Lambda::LayerVersion"
    create_only: ClassVar[frozenset[str]] = frozenset(LAYER_PROPERTIES)
    # a replacement publishes a new version: nothing here names one resource alone
    custom_names: ClassVar[frozenset[str]] = frozenset()
    attributes: ClassVar[frozenset[str]] = frozenset({"LayerVersionArn"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    async def create(self, req: ResourceRequest) -> ResourceResult:
        props = req.properties
        check_known(props, LAYER_PROPERTIES)
        required(props, "Content")
        content = shape(
            props["Content"],
            "Content",
            {"S3Bucket": "str", "S3Key": "str", "S3ObjectVersion": "str"},
        )
        params: dict[str, Any] = {
            "LayerName": req.physical_name("LayerName", LAYER_NAME_MAX),
            "Content": content,
        }
        for name in ("CompatibleArchitectures", "CompatibleRuntimes"):
            if name in props:
                params[name] = as_str_list(props[name], name)
        for name in ("Description", "LicenseInfo"):
            if name in props:
                params[name] = as_str(props[name], name)
        out = await self.calls("lambda", "PublishLayerVersion", params, req.stack.caller)
        arn = out["LayerVersionArn"]
        return ResourceResult(arn, {"LayerVersionArn": arn})

    async def update(self, req: ResourceRequest) -> ResourceResult:
        assert req.physical_id is not None  # all create-only: never a real update
        return ResourceResult(req.physical_id, dict(req.previous_attributes))

    async def delete(self, req: ResourceRequest) -> None:
        if req.physical_id is None:
            return  # the version number is only known once Lambda answered
        name, version = arn_tail(req.physical_id, 2)
        await ignore_missing(
            self.calls,
            "DeleteLayerVersion",
            {"LayerName": name, "VersionNumber": as_int(version, "VersionNumber")},
            req.stack.caller,
        )


def _layer(arn: str) -> dict[str, Any]:
    name, version = arn_tail(arn, 2)
    return {"LayerName": name, "VersionNumber": as_int(version, "LayerVersionArn")}


class LayerVersionPermissionProvider:
    type_name: ClassVar[str] = "AWS::Lambda::LayerVersionPermission"
    create_only: ClassVar[frozenset[str]] = frozenset(LAYER_PERMISSION_PROPERTIES)
    # a replacement publishes a new version: nothing here names one resource alone
    custom_names: ClassVar[frozenset[str]] = frozenset()
    attributes: ClassVar[frozenset[str]] = frozenset({"Id"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    async def create(self, req: ResourceRequest) -> ResourceResult:
        props = req.properties
        check_known(props, LAYER_PERMISSION_PROPERTIES)
        required(props, "Action", "LayerVersionArn", "Principal")
        arn = as_str(props["LayerVersionArn"], "LayerVersionArn")
        sid = req.physical_name(None, STATEMENT_ID_MAX)
        params: dict[str, Any] = {
            **_layer(arn),
            "StatementId": sid,
            "Action": as_str(props["Action"], "Action"),
            "Principal": as_str(props["Principal"], "Principal"),
        }
        if "OrganizationId" in props:
            params["OrganizationId"] = as_str(props["OrganizationId"], "OrganizationId")
        await self.calls("lambda", "AddLayerVersionPermission", params, req.stack.caller)
        ident = f"{arn}#{sid}"
        return ResourceResult(ident, {"Id": ident})

    async def update(self, req: ResourceRequest) -> ResourceResult:
        assert req.physical_id is not None  # all create-only: never a real update
        return ResourceResult(req.physical_id, dict(req.previous_attributes))

    async def delete(self, req: ResourceRequest) -> None:
        if req.physical_id is not None and "#" in req.physical_id:
            arn, sid = req.physical_id.rsplit("#", 1)
        elif req.properties.get("LayerVersionArn"):
            arn = str(req.properties["LayerVersionArn"])
            sid = req.physical_name(None, STATEMENT_ID_MAX)
        else:
            return
        await ignore_missing(
            self.calls,
            "RemoveLayerVersionPermission",
            {**_layer(arn), "StatementId": sid},
            req.stack.caller,
        )
