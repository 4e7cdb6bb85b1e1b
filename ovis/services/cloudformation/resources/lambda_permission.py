"""AWS::Lambda::Permission: one statement of a function's resource-based policy.

Ref (the physical id) = ``<FunctionName>|<statement id>`` as CloudFormation's registry answers
it; Fn::GetAtt ``Id`` = the statement id, CloudFormation's generated name
(``<stack>-<logical id>-<token>``, at most 100 characters). Every property is create-only.
Contract: create is AddPermission (Lambda refuses a bad principal, action or source and nothing
is stored); delete is RemovePermission, a statement or function already gone being success;
without a physical id the deterministic statement id is removed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ovis.services.calls import ServiceCalls
from ovis.services.cloudformation.resources.base import ResourceRequest, ResourceResult
from ovis.services.cloudformation.resources.coerce import as_bool, as_str
from ovis.services.cloudformation.resources.lambda_props import (
    check_known,
    ignore_missing,
    required,
)

PERMISSION_PROPERTIES = (
    "Action",
    "EventSourceToken",
    "FunctionName",
    "FunctionUrlAuthType",
    "InvokedViaFunctionUrl",
    "Principal",
    "PrincipalOrgID",
    "SourceAccount",
    "SourceArn",
)
STATEMENT_ID_MAX = 100


class PermissionProvider:
    type_name: ClassVar[str] = "AWS::Lambda::Permission"
    create_only: ClassVar[frozenset[str]] = frozenset(PERMISSION_PROPERTIES)
    # the properties naming the resource itself (a replacement keeping one fails)
    custom_names: ClassVar[frozenset[str]] = frozenset()
    attributes: ClassVar[frozenset[str]] = frozenset({"Id"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    async def create(self, req: ResourceRequest) -> ResourceResult:
        props = req.properties
        check_known(props, PERMISSION_PROPERTIES)
        required(props, "Action", "FunctionName", "Principal")
        sid = req.physical_name(None, STATEMENT_ID_MAX)
        function = as_str(props["FunctionName"], "FunctionName")
        params: dict[str, Any] = {"FunctionName": function, "StatementId": sid}
        for name in PERMISSION_PROPERTIES:
            if name in props and name not in params:
                if name == "InvokedViaFunctionUrl":
                    params[name] = as_bool(props[name], name)
                else:
                    params[name] = as_str(props[name], name)
        await self.calls("lambda", "AddPermission", params, req.stack.caller)
        return ResourceResult(f"{function}|{sid}", {"Id": sid})

    async def update(self, req: ResourceRequest) -> ResourceResult:
        # every property is create-only: the engine replaces instead of updating
        assert req.physical_id is not None
        return ResourceResult(req.physical_id, dict(req.previous_attributes))

    async def delete(self, req: ResourceRequest) -> None:
        if req.physical_id is not None and "|" in req.physical_id:
            function, sid = req.physical_id.rsplit("|", 1)
        elif req.properties.get("FunctionName"):
            function = str(req.properties["FunctionName"])
            sid = req.physical_id or req.physical_name(None, STATEMENT_ID_MAX)
        else:
            return
        await ignore_missing(
            self.calls,
            "RemovePermission",
            {"FunctionName": function, "StatementId": sid},
            req.stack.caller,
        )
