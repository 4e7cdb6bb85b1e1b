"""AWS::Lambda::EventInvokeConfig: a function's asynchronous invocation settings.

Ref = ``<FunctionName>|<Qualifier>``; no Fn::GetAtt attributes. FunctionName and Qualifier are
create-only. Contract: create and update are PutFunctionEventInvokeConfig (it replaces the
whole configuration, so settings removed from the template are reset); delete is
DeleteFunctionEventInvokeConfig, a config or function already gone being success.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ovis.services.calls import ServiceCalls
from ovis.services.cloudformation.resources.base import ResourceRequest, ResourceResult
from ovis.services.cloudformation.resources.coerce import as_dict, as_int, as_str
from ovis.services.cloudformation.resources.lambda_props import (
    check_known,
    ignore_missing,
    required,
    shape,
)

EIC_PROPERTIES = (
    "DestinationConfig",
    "FunctionName",
    "MaximumEventAgeInSeconds",
    "MaximumRetryAttempts",
    "Qualifier",
)


def _target(props: dict[str, Any]) -> dict[str, str]:
    return {
        "FunctionName": as_str(props["FunctionName"], "FunctionName"),
        "Qualifier": as_str(props["Qualifier"], "Qualifier"),
    }


def _params(props: dict[str, Any]) -> dict[str, Any]:
    check_known(props, EIC_PROPERTIES)
    required(props, "FunctionName", "Qualifier")
    out: dict[str, Any] = _target(props)
    for name in ("MaximumEventAgeInSeconds", "MaximumRetryAttempts"):
        if name in props:
            out[name] = as_int(props[name], name)
    if "DestinationConfig" in props:
        dest = as_dict(props["DestinationConfig"], "DestinationConfig")
        check_known(dest, ("OnSuccess", "OnFailure"))
        out["DestinationConfig"] = {
            key: shape(dest[key], f"DestinationConfig.{key}", {"Destination": "str"})
            for key in ("OnSuccess", "OnFailure")
            if key in dest
        }
    return out


class EventInvokeConfigProvider:
    type_name: ClassVar[str] = "AWS::Lambda::EventInvokeConfig"
    create_only: ClassVar[frozenset[str]] = frozenset({"FunctionName", "Qualifier"})
    # the properties naming the resource itself (a replacement keeping one fails)
    custom_names: ClassVar[frozenset[str]] = frozenset()
    attributes: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    async def _put(self, req: ResourceRequest) -> ResourceResult:
        params = _params(req.properties)
        await self.calls("lambda", "PutFunctionEventInvokeConfig", params, req.stack.caller)
        return ResourceResult(f"{params['FunctionName']}|{params['Qualifier']}", {})

    async def create(self, req: ResourceRequest) -> ResourceResult:
        return await self._put(req)

    async def update(self, req: ResourceRequest) -> ResourceResult:
        return await self._put(req)

    async def delete(self, req: ResourceRequest) -> None:
        if req.properties.get("FunctionName") and req.properties.get("Qualifier"):
            target = _target(req.properties)
        elif req.physical_id is not None and "|" in req.physical_id:
            function, qualifier = req.physical_id.rsplit("|", 1)
            target = {"FunctionName": function, "Qualifier": qualifier}
        else:
            return
        await ignore_missing(
            self.calls, "DeleteFunctionEventInvokeConfig", target, req.stack.caller
        )
