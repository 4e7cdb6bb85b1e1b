"""AWS::Lambda::Url: a function URL (Create/Update/DeleteFunctionUrlConfig).

Ref = the function's ARN the URL serves (with the qualifier when one is given); Fn::GetAtt
``FunctionArn`` (the same) and ``FunctionUrl``. TargetFunctionArn and Qualifier are
create-only. Contract: update sends AuthType, Cors and InvokeMode (removed ones reset: no CORS,
BUFFERED); delete is DeleteFunctionUrlConfig, a URL or function already gone being success, and
without a physical id the URL of the template's target is deleted (one URL per target).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ovis.services.calls import ServiceCalls
from ovis.services.cloudformation.resources.base import ResourceRequest, ResourceResult
from ovis.services.cloudformation.resources.coerce import as_str
from ovis.services.cloudformation.resources.lambda_props import (
    check_known,
    ignore_missing,
    required,
    shape,
)

URL_PROPERTIES = ("AuthType", "Cors", "InvokeMode", "Qualifier", "TargetFunctionArn")
CORS = {
    "AllowCredentials": "bool",
    "AllowHeaders": "strs",
    "AllowMethods": "strs",
    "AllowOrigins": "strs",
    "ExposeHeaders": "strs",
    "MaxAge": "int",
}


def _target(props: dict[str, Any]) -> dict[str, Any]:
    out = {"FunctionName": as_str(props["TargetFunctionArn"], "TargetFunctionArn")}
    if props.get("Qualifier"):
        out["Qualifier"] = as_str(props["Qualifier"], "Qualifier")
    return out


def _result(out: dict[str, Any]) -> ResourceResult:
    arn = out["FunctionArn"]
    return ResourceResult(arn, {"FunctionArn": arn, "FunctionUrl": out["FunctionUrl"]})


class UrlProvider:
    type_name: ClassVar[str] = "AWS::Lambda::Url"
    create_only: ClassVar[frozenset[str]] = frozenset({"TargetFunctionArn", "Qualifier"})
    # the properties naming the resource itself (a replacement keeping one fails)
    custom_names: ClassVar[frozenset[str]] = frozenset()
    attributes: ClassVar[frozenset[str]] = frozenset({"FunctionArn", "FunctionUrl"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    @staticmethod
    def _settings(props: dict[str, Any], *, defaults: bool) -> dict[str, Any]:
        check_known(props, URL_PROPERTIES)
        required(props, "AuthType", "TargetFunctionArn")
        out: dict[str, Any] = {"AuthType": as_str(props["AuthType"], "AuthType")}
        if "Cors" in props:
            out["Cors"] = shape(props["Cors"], "Cors", CORS)
        elif defaults:
            out["Cors"] = {}
        if "InvokeMode" in props:
            out["InvokeMode"] = as_str(props["InvokeMode"], "InvokeMode")
        elif defaults:
            out["InvokeMode"] = "BUFFERED"
        return out

    async def create(self, req: ResourceRequest) -> ResourceResult:
        settings = self._settings(req.properties, defaults=False)
        params = {**_target(req.properties), **settings}
        return _result(
            await self.calls("lambda", "CreateFunctionUrlConfig", params, req.stack.caller)
        )

    async def update(self, req: ResourceRequest) -> ResourceResult:
        settings = self._settings(req.properties, defaults=True)
        params = {**_target(req.properties), **settings}
        return _result(
            await self.calls("lambda", "UpdateFunctionUrlConfig", params, req.stack.caller)
        )

    async def delete(self, req: ResourceRequest) -> None:
        if req.properties.get("TargetFunctionArn"):
            target = _target(req.properties)
        elif req.physical_id is not None:
            target = {"FunctionName": req.physical_id}  # the ARN carries the qualifier
        else:
            return
        await ignore_missing(self.calls, "DeleteFunctionUrlConfig", target, req.stack.caller)
