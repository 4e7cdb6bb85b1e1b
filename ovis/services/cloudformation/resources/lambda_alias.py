"""AWS::Lambda::Alias: CreateAlias / UpdateAlias / DeleteAlias, and its provisioned concurrency.

Ref = the alias ARN; Fn::GetAtt ``AliasArn``. FunctionName and Name are create-only.
Contract: create makes the alias, then applies ProvisionedConcurrencyConfig and waits for READY
(the alias is deleted if that fails); update sends FunctionVersion, Description and
RoutingConfig (removed ones reset: "" and no weights) and puts or deletes the provisioned
config; delete removes the provisioned config and the alias, gone being success.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ovis.services.calls import Caller, ServiceCalls
from ovis.services.cloudformation.resources.base import (
    ResourceFailed,
    ResourceRequest,
    ResourceResult,
)
from ovis.services.cloudformation.resources.coerce import as_dict, as_list, as_str
from ovis.services.cloudformation.resources.lambda_props import (
    arn_tail,
    check_known,
    ignore_missing,
    required,
)
from ovis.services.cloudformation.resources.lambda_provisioned import (
    delete_provisioned,
    provisioned_count,
    put_provisioned,
)

ALIAS_PROPERTIES = (
    "Description",
    "FunctionName",
    "FunctionVersion",
    "Name",
    "ProvisionedConcurrencyConfig",
    "RoutingConfig",
)


def routing_config(value: Any) -> dict[str, Any]:
    """CloudFormation's ``{AdditionalVersionWeights: [{FunctionVersion, FunctionWeight}]}``
    -> the API's ``{AdditionalVersionWeights: {version: weight}}``."""
    cfg = as_dict(value, "RoutingConfig")
    check_known(cfg, ("AdditionalVersionWeights",))
    weights: dict[str, float] = {}
    for item in as_list(cfg.get("AdditionalVersionWeights", []), "AdditionalVersionWeights"):
        w = as_dict(item, "AdditionalVersionWeights")
        check_known(w, ("FunctionVersion", "FunctionWeight"))
        if "FunctionVersion" not in w or "FunctionWeight" not in w:
            raise ResourceFailed(
                "Property RoutingConfig.AdditionalVersionWeights: FunctionVersion and "
                "FunctionWeight are required"
            )
        try:
            weight = float(w["FunctionWeight"])
        except (TypeError, ValueError):
            raise ResourceFailed(
                f"Property RoutingConfig.AdditionalVersionWeights.FunctionWeight: expected "
                f"type: Number, found: {w['FunctionWeight']!r}"
            ) from None
        weights[as_str(w["FunctionVersion"], "FunctionVersion")] = weight
    return {"AdditionalVersionWeights": weights}


class AliasProvider:
    type_name: ClassVar[str] = "AWS::Lambda::Alias"
    create_only: ClassVar[frozenset[str]] = frozenset({"FunctionName", "Name"})
    # the properties naming the resource itself (a replacement keeping one fails)
    custom_names: ClassVar[frozenset[str]] = frozenset()
    attributes: ClassVar[frozenset[str]] = frozenset({"AliasArn"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    @staticmethod
    def _check(props: dict[str, Any]) -> int | None:
        check_known(props, ALIAS_PROPERTIES)
        required(props, "FunctionName", "FunctionVersion", "Name")
        if "ProvisionedConcurrencyConfig" in props:
            return provisioned_count(props["ProvisionedConcurrencyConfig"])
        return None

    async def create(self, req: ResourceRequest) -> ResourceResult:
        props = req.properties
        count = self._check(props)
        function = as_str(props["FunctionName"], "FunctionName")
        name = as_str(props["Name"], "Name")
        params: dict[str, Any] = {
            "FunctionName": function,
            "Name": name,
            "FunctionVersion": as_str(props["FunctionVersion"], "FunctionVersion"),
        }
        if "Description" in props:
            params["Description"] = as_str(props["Description"], "Description")
        if "RoutingConfig" in props:
            params["RoutingConfig"] = routing_config(props["RoutingConfig"])
        caller = req.stack.caller
        out = await self.calls("lambda", "CreateAlias", params, caller)
        arn = out["AliasArn"]
        if count is not None:
            try:
                await put_provisioned(self.calls, function, name, count, caller)
            except BaseException:
                await self._delete(function, name, caller)
                raise
        return ResourceResult(arn, {"AliasArn": arn})

    async def update(self, req: ResourceRequest) -> ResourceResult:
        props = req.properties
        old = req.previous_properties or {}
        count = self._check(props)
        function = as_str(props["FunctionName"], "FunctionName")
        name = as_str(props["Name"], "Name")
        caller = req.stack.caller
        params: dict[str, Any] = {
            "FunctionName": function,
            "Name": name,
            "FunctionVersion": as_str(props["FunctionVersion"], "FunctionVersion"),
            "Description": as_str(props.get("Description", ""), "Description"),
            "RoutingConfig": routing_config(props.get("RoutingConfig", {})),
        }
        out = await self.calls("lambda", "UpdateAlias", params, caller)
        if props.get("ProvisionedConcurrencyConfig") != old.get("ProvisionedConcurrencyConfig"):
            if count is None:
                await delete_provisioned(self.calls, function, name, caller)
            else:
                await put_provisioned(self.calls, function, name, count, caller)
        return ResourceResult(out["AliasArn"], {"AliasArn": out["AliasArn"]})

    async def _delete(self, function: str, name: str, caller: Caller) -> None:
        await delete_provisioned(self.calls, function, name, caller)
        await ignore_missing(
            self.calls, "DeleteAlias", {"FunctionName": function, "Name": name}, caller
        )

    async def delete(self, req: ResourceRequest) -> None:
        if req.physical_id is not None:
            function, name = arn_tail(req.physical_id, 2)
        elif req.properties.get("FunctionName") and req.properties.get("Name"):
            function, name = str(req.properties["FunctionName"]), str(req.properties["Name"])
        else:
            return
        await self._delete(function, name, req.stack.caller)
