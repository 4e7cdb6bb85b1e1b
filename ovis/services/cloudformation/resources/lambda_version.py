"""AWS::Lambda::Version: PublishVersion of a function's current code and configuration.

Ref = the version ARN; Fn::GetAtt ``FunctionArn`` (the same version ARN) and ``Version``.
Every property is create-only (a change publishes a new version), so ``update`` never calls
Lambda. Contract:
- create waits for the function to settle (an update in progress would be refused), publishes
  (``CodeSha256`` given: Lambda refuses a mismatch, failing the resource), then applies
  ProvisionedConcurrencyConfig and waits for READY; if that fails the version is deleted.
- delete deletes the provisioned config, then the version (DeleteFunction with the version as
  qualifier); gone is success. Without a physical id nothing is deleted: a version's number is
  not known before Lambda answers. (DeletionPolicy Retain, which SAM sets on versions, is the
  engine's.)
"""

from __future__ import annotations

from typing import Any, ClassVar

from ovis.services.calls import ServiceCalls
from ovis.services.cloudformation.resources.base import (
    ResourceFailed,
    ResourceRequest,
    ResourceResult,
)
from ovis.services.cloudformation.resources.coerce import as_str
from ovis.services.cloudformation.resources.lambda_function import wait_settled
from ovis.services.cloudformation.resources.lambda_props import (
    arn_tail,
    check_known,
    ignore_missing,
    required,
    shape,
)
from ovis.services.cloudformation.resources.lambda_provisioned import (
    delete_provisioned,
    provisioned_count,
    put_provisioned,
)

VERSION_PROPERTIES = (
    "CodeSha256",
    "Description",
    "FunctionName",
    "ProvisionedConcurrencyConfig",
    "RuntimePolicy",
)


def check_runtime_policy(props: dict[str, Any]) -> None:
    if "RuntimePolicy" not in props:
        return
    policy = shape(
        props["RuntimePolicy"],
        "RuntimePolicy",
        {"UpdateRuntimeOn": "str", "RuntimeVersionArn": "str"},
    )
    mode = policy.get("UpdateRuntimeOn", "Auto")
    if mode not in ("Auto", "FunctionUpdate") or policy.get("RuntimeVersionArn"):
        raise ResourceFailed(
            f"RuntimePolicy UpdateRuntimeOn {mode} is not supported by this server: runtimes "
            "are the host's own and cannot be pinned to a runtime version (Auto and "
            "FunctionUpdate are)."
        )


class VersionProvider:
    type_name: ClassVar[str] = "AWS::Lambda::Version"
    create_only: ClassVar[frozenset[str]] = frozenset(VERSION_PROPERTIES)
    # the properties naming the resource itself (a replacement keeping one fails)
    custom_names: ClassVar[frozenset[str]] = frozenset()
    attributes: ClassVar[frozenset[str]] = frozenset({"FunctionArn", "Version"})

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    async def create(self, req: ResourceRequest) -> ResourceResult:
        props = req.properties
        check_known(props, VERSION_PROPERTIES)
        required(props, "FunctionName")
        check_runtime_policy(props)
        count = (
            provisioned_count(props["ProvisionedConcurrencyConfig"])
            if "ProvisionedConcurrencyConfig" in props
            else None
        )
        function = as_str(props["FunctionName"], "FunctionName")
        params: dict[str, Any] = {"FunctionName": function}
        for name in ("CodeSha256", "Description"):
            if name in props:
                params[name] = as_str(props[name], name)
        caller = req.stack.caller
        await wait_settled(self.calls, function, caller)
        out = await self.calls("lambda", "PublishVersion", params, caller)
        arn, version = out["FunctionArn"], out["Version"]
        if count is not None:
            try:
                await put_provisioned(self.calls, function, version, count, caller)
            except BaseException:
                await self._delete(function, version, req)
                raise
        return ResourceResult(arn, {"FunctionArn": arn, "Version": version})

    async def update(self, req: ResourceRequest) -> ResourceResult:
        # every property is create-only: the engine replaces instead of updating
        assert req.physical_id is not None
        return ResourceResult(req.physical_id, dict(req.previous_attributes))

    async def _delete(self, function: str, version: str, req: ResourceRequest) -> None:
        caller = req.stack.caller
        await delete_provisioned(self.calls, function, version, caller)
        await ignore_missing(
            self.calls, "DeleteFunction", {"FunctionName": function, "Qualifier": version}, caller
        )

    async def delete(self, req: ResourceRequest) -> None:
        if req.physical_id is None:
            return
        name, version = arn_tail(req.physical_id, 2)
        await self._delete(name, version, req)
